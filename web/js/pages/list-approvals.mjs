// The approval queue (GET /api/v1/lists/approvals) for the admins who
// manage lists (list.manage): each request as a card saying what is
// asked, by whom and when, with Approve (POST .../approve) and Reject
// with a reason (POST .../reject, which needs one). A refusal is linked
// to the card's own field. After a decision the queue is read again.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { action, FormError, sentence } from "../form.mjs";
import { el, link } from "../dom.mjs";
import { lineNodes, when } from "../format.mjs";
import { changeLines, kindText, listHref, ruleLines, showFreeze } from "../lists.mjs";
import { summaryRows } from "../summary.mjs";

const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 25;

function asked(l) {
  if (l.status === "pending") {
    const what = [`A new ${l.kind} list in ${l.org}`];
    if (l.description) what.push(`Description: ${l.description}`);
    if (l.kind === "dynamic") what.push(...ruleLines(l.rule));
    return what;
  }
  return changeLines(l.pending_change);
}

// A form whose refusal, naming no field, is linked to its own button.
function decisionForm(id, run) {
  const form = el("form", "app-action");
  form.noValidate = true;
  form.id = id;
  action(form, run, () => {}, `${id}-action`);
  return form;
}

function button(text, id, classes) {
  const b = el("button", `nhsuk-button ${classes}`, text);
  b.type = "submit";
  b.id = id;
  b.dataset.apiField = id.replace(/-button$/, "-action");
  return b;
}

function card(l, i, reload) {
  const li = el("li", "nhsuk-card app-result");
  const body = el("div", "nhsuk-card__content");
  const h = el("h2", "nhsuk-card__heading nhsuk-heading-s");
  h.append(link(l.name || l.address, listHref(l.address)));
  const dl = el("dl", "nhsuk-summary-list");
  dl.append(...summaryRows([
    ["What is asked", lineNodes(asked(l))],
    ["Address", l.address],
    ["Kind", kindText(l.kind)],
    ["Asked by", l.requested_by ?? "Unknown"],
    ["Asked on", when(l.requested_at)],
  ]));
  const path = `/lists/${encodeURIComponent(l.address)}`;
  const approve = decisionForm(`approve-${i}`, async () => {
    await api("POST", `${path}/approve`, {});
    await reload(`Approved: ${l.name} (${l.address}).`);
  });
  approve.append(button("Approve", `approve-${i}-button`, "nhsuk-button--secondary"));
  const reject = decisionForm(`reject-${i}`, async (v) => {
    if (!v.reason.trim()) throw new FormError("reason", "Enter a reason for rejecting: the owner reads it");
    await api("POST", `${path}/reject`, { reason: v.reason.trim() });
    await reload(`Rejected: ${l.name} (${l.address}).`);
  });
  const group = el("div", "nhsuk-form-group");
  const label = el("label", "nhsuk-label", "Reason for rejecting");
  label.htmlFor = `reject-${i}-reason`;
  const hint = el("div", "nhsuk-hint", "The owner reads it with the decision");
  hint.id = `reject-${i}-reason-hint`;
  const input = el("textarea", "nhsuk-textarea");
  input.id = `reject-${i}-reason`;
  input.name = "reason";
  input.rows = 2;
  input.setAttribute("aria-describedby", hint.id);
  group.append(label, hint, input);
  reject.append(group, button("Reject", `reject-${i}-button`, "nhsuk-button--warning"));
  body.append(h, dl, approve, reject);
  li.append(body);
  return li;
}

page(async () => {
  await showFreeze();
  const cursor = new URLSearchParams(window.location.search).get("cursor");
  const load = async (said = "") => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor) query.set("cursor", cursor);
    let reply;
    try {
      reply = await api("GET", `/lists/approvals?${query}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      $("approvals-count").textContent = sentence(err.message);
      return;
    }
    const n = reply.items.length;
    $("approvals").replaceChildren(...reply.items.map((l, i) => card(l, i, load)));
    $("approvals-count").textContent = n === 0
      ? "Nothing is waiting for approval."
      : `${n}${reply.next_cursor ? " or more" : ""} ${n === 1 ? "request is" : "requests are"} waiting.`;
    $("approvals-more").hidden = !reply.next_cursor;
    if (reply.next_cursor) $("approvals-next").href = `/list-approvals?cursor=${encodeURIComponent(reply.next_cursor)}`;
    $("approvals-done").textContent = said;
  };
  await load();
});
