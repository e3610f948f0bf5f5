// One secure message for its reader (/secure/message?id=N; GET
// /secure/messages/{id}): who sent it to whom and when, its text (set as
// text, never as markup: it is what the sender wrote), its attachments to
// download, the reader's own replies, and a reply form (POST
// /secure/messages/{id}/reply, to the sender or to everyone). A message
// withdrawn or expired, here or while reading, is the API's sentence in a
// panel instead.
import { api } from "../../api.mjs";
import { el } from "../../dom.mjs";
import { action } from "../../form.mjs";
import { lineNodes, when } from "../../format.mjs";
import { isFinal, readerPage, refusedPanel } from "../../reader.mjs";
import { summary } from "../../summary.mjs";

// A size in bytes as people read it.
export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function attachmentItem(id, a) {
  const li = el("li");
  const link = el("a", "nhsuk-link app-wrap", a.filename || `Attachment ${a.index + 1}`);
  link.href = `/api/v1/secure/messages/${encodeURIComponent(id)}/attachments/${encodeURIComponent(a.index)}`;
  link.download = a.filename || "";
  li.append(link, ` (${sizeText(a.size)})`);
  return li;
}

function replyBlock(r) {
  const block = el("div", "nhsuk-inset-text app-reply");
  block.append(el("p", "nhsuk-body-s", `Sent ${when(r.sent_at)}`), el("div", "app-message-text", r.text));
  return block;
}

function show(m, session) {
  const heading = document.getElementById("message-subject");
  heading.textContent = m.subject || "(no subject)";
  document.title = `${heading.textContent} – ${document.title.split(" – ").pop()}`;
  const rows = [
    ["From", m.from],
    ["To", lineNodes(m.to ?? [])],
  ];
  if (m.cc?.length) rows.push(["Cc", lineNodes(m.cc)]);
  rows.push(["Sent", when(m.sent_at)], ["Can be read until", when(m.expires_at)]);
  summary(document.getElementById("message-summary"), rows);
  document.getElementById("message-text").textContent = m.text ?? "";

  const attachments = m.attachments ?? [];
  document.getElementById("attachments").replaceChildren(...attachments.map((a) => attachmentItem(m.id, a)));
  document.getElementById("attachments-section").hidden = attachments.length === 0;

  const replies = m.replies ?? [];
  document.getElementById("replies").replaceChildren(...replies.map(replyBlock));
  document.getElementById("replies-section").hidden = replies.length === 0;

  // "Reply to everyone" only when someone but the sender and the reader
  // had it.
  const me = session.address.toLowerCase();
  const others = [...(m.to ?? []), ...(m.cc ?? [])].filter((a) => !a.toLowerCase().includes(me));
  document.getElementById("reply-all-choice").hidden = others.length === 0;
  document.getElementById("message").hidden = false;
}

readerPage(async (session) => {
  if (session.has_password) document.getElementById("password-link").textContent = "Change your password";
  const loading = document.getElementById("message-loading");
  const message = document.getElementById("message");
  const id = new URLSearchParams(window.location.search).get("id") ?? "";
  const refuse = (err) => {
    loading.hidden = true;
    document.getElementById("message-subject").textContent = "Secure message";
    refusedPanel(err, [message]);
  };
  const read = async () => {
    try {
      show(await api("GET", `/secure/messages/${encodeURIComponent(id)}`), session);
      loading.hidden = true;
      return true;
    } catch (err) {
      if (isFinal(err)) {
        refuse(err);
        return false;
      }
      loading.textContent = err.message;
      throw err;
    }
  };
  if (!/^[0-9]+$/.test(id)) {
    refuse({ code: "not_found", message: "This address does not name a message. Go back to your secure messages and choose one." });
    return;
  }
  if (!(await read())) return;

  const form = document.getElementById("reply-form");
  const done = document.getElementById("reply-done");
  action(form, async ({ text, all }) => {
    done.textContent = "";
    try {
      return await api("POST", `/secure/messages/${encodeURIComponent(id)}/reply`, { text, all: Boolean(all) });
    } catch (err) {
      if (isFinal(err)) return refuse(err);
      throw err;
    }
  }, async (reply, { all }) => {
    if (!reply) return;
    form.reset();
    await read();
    done.textContent = all ? "Your reply has been sent to everyone the message was sent to." : "Your reply has been sent to the sender.";
  }, "text");
});
