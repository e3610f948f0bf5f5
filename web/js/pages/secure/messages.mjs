// The reader's messages (GET /secure/messages), newest first: a link to
// each one that can still be read, and its state as a tag.
import { api } from "../../api.mjs";
import { el, link, tag } from "../../dom.mjs";
import { when } from "../../format.mjs";
import { readerPage } from "../../reader.mjs";
import { cell, fillTable, row } from "../../table.mjs";

// The state a message is in, as words and the design system's colour.
export function messageState(m) {
  if (m.revoked) return ["Withdrawn", "red"];
  if (m.expired) return ["Expired", "grey"];
  if (m.read) return ["Read", "white"];
  return ["New", "blue"];
}

readerPage(async (session) => {
  document.getElementById("reader-address").textContent = session.address;
  if (session.has_password) document.getElementById("password-link").textContent = "Change your password";
  const { items } = await api("GET", "/secure/messages");
  const rows = items.map((m) => {
    const open = !m.revoked && !m.expired;
    const subject = m.subject || "(no subject)";
    const [words, colour] = messageState(m);
    return row(
      cell("Subject", open ? link(subject, `/secure/message?id=${encodeURIComponent(m.id)}`) : subject),
      cell("From", el("span", "app-wrap", m.from)),
      cell("Sent", when(m.sent_at)),
      cell("Can be read until", when(m.expires_at)),
      cell("Status", tag(words, colour)),
    );
  });
  fillTable(document.getElementById("messages-table"), document.getElementById("messages-empty"), rows);
});
