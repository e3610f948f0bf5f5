// Secure messages you sent (staff; GET /secure/sent): each sealed message
// the signed-in person sent, its recipients with whether and when each
// read it, "Withdraw" per recipient (and from everyone) behind a
// confirmation (POST /secure/sent/{id}/revoke), and, opened on demand,
// its access log (GET /secure/sent/{id}): every attempt to reach it,
// allowed or refused.
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { el } from "../dom.mjs";
import { action, clearErrors } from "../form.mjs";
import { capital, timeText, when } from "../format.mjs";
import { cell, fillTable, row } from "../table.mjs";

// The access log's events (mail_portal.c) as people read them.
const EVENTS = {
  link: "Opened the link",
  code_sent: "A code was emailed",
  signed_in: "Signed in",
  opened: "Read the message",
  downloaded: "Downloaded an attachment",
  replied: "Replied",
};

export function eventText(event) {
  return EVENTS[event] ?? capital(String(event ?? "").replace(/_/g, " "));
}

// An empty responsive table (the design system's, as the tables macro
// writes it) with a caption and headings.
function table(id, caption, heads) {
  const t = el("table", "nhsuk-table nhsuk-table--responsive");
  t.id = id;
  t.setAttribute("role", "table");
  t.append(el("caption", "nhsuk-table__caption nhsuk-table__caption--s", caption));
  const head = el("thead", "nhsuk-table__head");
  head.setAttribute("role", "rowgroup");
  const tr = el("tr", "nhsuk-table__row");
  tr.setAttribute("role", "row");
  for (const text of heads) {
    const th = el("th", "nhsuk-table__header", text);
    th.scope = "col";
    th.setAttribute("role", "columnheader");
    tr.append(th);
  }
  head.append(tr);
  t.append(head, el("tbody", "nhsuk-table__body"));
  return t;
}

function recipientState(r, expired) {
  if (r.revoked_at) {
    const span = el("span");
    span.append(el("strong", "nhsuk-tag nhsuk-tag--red", "Withdrawn"), ` ${when(r.revoked_at)}`);
    return span;
  }
  if (expired) return el("strong", "nhsuk-tag nhsuk-tag--grey", "Expired");
  return el("strong", "nhsuk-tag nhsuk-tag--green", "Can be read");
}

// A button that names, for a screen reader, what it acts on.
function button(words, hidden, classes, onClick) {
  const b = el("button", classes, words);
  b.type = "button";
  b.append(el("span", "nhsuk-u-visually-hidden", ` ${hidden}`));
  b.addEventListener("click", onClick);
  return b;
}

async function fillAccess(item, tableNode, none) {
  const detail = await api("GET", `/secure/sent/${encodeURIComponent(item.id)}`);
  const rows = (detail.access ?? []).map((a) => row(
    cell("When", timeText(a.at)),
    cell("Who", el("span", "app-wrap", a.address || "Unknown")),
    cell("From", el("span", "app-wrap", a.peer || "")),
    cell("What", eventText(a.event)),
    cell("Result", a.ok ? el("strong", "nhsuk-tag nhsuk-tag--green", "Allowed") : el("strong", "nhsuk-tag nhsuk-tag--red", "Refused")),
  ));
  fillTable(tableNode, none, rows);
}

function accessLog(item, n) {
  const details = el("details", "nhsuk-details");
  const summary = el("summary", "nhsuk-details__summary");
  summary.append(el("span", "nhsuk-details__summary-text", "Access log"));
  const body = el("div", "nhsuk-details__text");
  const log = table(`sent-${n}-access`, `Every attempt to open "${item.subject || "(no subject)"}", oldest first`,
    ["When", "Who", "From", "What", "Result"]);
  log.hidden = true;
  const none = el("p", "", "Nobody has tried to open it yet.");
  none.hidden = true;
  body.append(log, none);
  details.append(summary, body);
  details.addEventListener("toggle", () => {
    if (details.open) fillAccess(item, log, none).catch((err) => {
      none.textContent = err.message;
      none.hidden = false;
    });
  });
  return details;
}

page(async () => {
  const list = document.getElementById("sent-list");
  const listForm = document.getElementById("sent-form");
  const done = document.getElementById("sent-done");
  const confirm = document.getElementById("withdraw-section");
  const confirmForm = document.getElementById("withdraw-form");
  let pending = null;	// { item, recipient | null for everyone, from }

  const ask = (item, recipient, from) => {
    pending = { item, recipient, from };
    const subject = item.subject || "(no subject)";
    document.getElementById("withdraw-what").textContent = recipient
      ? `${recipient} will no longer be able to open "${subject}", download its attachments or reply to it. This cannot be undone.`
      : `Nobody it was sent to will be able to open "${subject}", download its attachments or reply to it. This cannot be undone.`;
    clearErrors(confirmForm);
    confirm.hidden = false;
    confirm.focus();
  };
  const cancel = () => {
    confirm.hidden = true;
    pending?.from?.focus();
    pending = null;
  };
  document.getElementById("withdraw-cancel").addEventListener("click", cancel);

  const show = async () => {
    const { items } = await api("GET", "/secure/sent");
    list.replaceChildren(...items.map((item, n) => {
      const section = el("section", "app-sent-message");
      const heading = el("h2", "nhsuk-heading-m app-wrap", item.subject || "(no subject)");
      heading.id = `sent-${n}-heading`;
      section.setAttribute("aria-labelledby", heading.id);
      const expired = Date.parse(item.expires_at) <= Date.now();
      section.append(heading, el("p", "", `Sent ${when(item.sent_at)}. ${expired ? "Expired" : "Can be read until"} ${when(item.expires_at)}.`));

      const recipients = table(`sent-${n}-recipients`, "Recipients", ["Recipient", "Read", "Status", "Action"]);
      const live = item.recipients.filter((r) => !r.revoked_at);
      const rows = item.recipients.map((r) => {
        const act = !r.revoked_at && !expired
          ? button("Withdraw", `"${item.subject}" from ${r.address}`, "nhsuk-button nhsuk-button--secondary nhsuk-button--small app-row-button",
            (event) => ask(item, r.address, event.currentTarget))
          : "None";
        return row(
          cell("Recipient", el("span", "app-wrap", r.address)),
          cell("Read", r.first_read_at ? `Read ${when(r.first_read_at)}` : "Not yet"),
          cell("Status", recipientState(r, expired)),
          cell("Action", act),
        );
      });
      fillTable(recipients, null, rows);
      section.append(recipients);
      if (live.length > 1 && !expired) {
        section.append(button("Withdraw from everyone", `"${item.subject}"`, "nhsuk-button nhsuk-button--secondary",
          (event) => ask(item, null, event.currentTarget)));
      }
      section.append(accessLog(item, n));
      return section;
    }));
    document.getElementById("sent-empty").hidden = items.length !== 0;
  };

  action(confirmForm, () => {
    const { item, recipient } = pending;
    return api("POST", `/secure/sent/${encodeURIComponent(item.id)}/revoke`, recipient ? { recipient } : { all: true });
  }, async () => {
    const { item, recipient } = pending;
    confirm.hidden = true;
    pending = null;
    clearErrors(listForm);
    await show();
    done.textContent = recipient
      ? `"${item.subject}" is withdrawn from ${recipient}: their link no longer opens it.`
      : `"${item.subject}" is withdrawn from everyone it was sent to.`;
  });

  await show();
});
