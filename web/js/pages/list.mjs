// One distribution list (/list?address=): the whole record (docs/api.md
// "Records") as a summary list, who it reaches (GET .../preview), and a
// form for each change: edit (PATCH: description, and a dynamic list's
// rule with the live count), owners and members one at a time, rename
// (admins), delete (a box to tick first). An owner's change to an approved
// list waits for approval (202): the page says so. After each change the
// record is read again and shown as the API has it.
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { action, bindForm, FormError, rowAction } from "../form.mjs";
import { link, tag } from "../dom.mjs";
import { lineNodes, when } from "../format.mjs";
import { changeLines, kindText, listHref, listTags, ruleLines, showFreeze } from "../lists.mjs";
import { openRecord } from "../record.mjs";
import { holds } from "../roles.mjs";
import { summary } from "../summary.mjs";
import { cell, fillTable, row } from "../table.mjs";
import { livePreview, readRule, showPreview, writeRule } from "../list-rule.mjs";

const $ = (id) => document.getElementById(id);

const MEMBER_KINDS = {
  person: "Person",
  shared: "Shared mailbox",
  resource: "Resource mailbox",
  contact: "Contact",
  list: "List",
};

function decisionText(d) {
  if (!d) return "None yet";
  const what = d.decision === "approved" ? "Approved" : "Rejected";
  return `${what} by ${d.by}, ${when(d.at)}${d.reason ? `: ${d.reason}` : ""}`;
}

function rows(l) {
  return [
    ["Name", l.name],
    ["Address", l.address],
    ["Organisation", l.org],
    ["Kind", kindText(l.kind)],
    ["Status", listTags(l)],
    ["Description", l.description || "None"],
    ...(l.kind === "dynamic" ? [["Rule", lineNodes(ruleLines(l.rule))]] : []),
    ["Owners", `${l.owners.length} of ${l.owners_max}`],
    ...(l.kind === "static" ? [["Members", String(l.members.length)]] : []),
    ["Requested by", l.requested_by ? `${l.requested_by}, ${when(l.requested_at)}` : "An administrator (approved at once)"],
    ["Change waiting for approval", lineNodes(changeLines(l.pending_change))],
    ["Last decision", decisionText(l.last_decision)],
    ["Created", when(l.created_at)],
    ["Updated", when(l.updated_at)],
  ];
}

// "Remove" in a table row (an owner or a member), as a button; a refusal
// is linked to that button.
function removeForm(id, hidden, run) {
  return rowAction(id, "Remove", hidden, run, () => {}, {
    form: "app-inline-form", button: "nhsuk-button nhsuk-button--secondary nhsuk-button--small",
  });
}

function waitingOwners(l) {
  return l.pending_change?.owners_add?.length ?? 0;
}

page(async ({ me }) => {
  let list = await openRecord("list-heading", "Enter the list's address, or open it from the lists page",
    (address) => api("GET", `/lists/${encodeURIComponent(address)}`));
  if (!list) return;
  await showFreeze();
  const admin = holds(me, "list.manage");
  // The path follows a rename: the list's address is its name now.
  const path = () => `/lists/${encodeURIComponent(list.address)}`;
  const done = (text) => {
    $("list-done").textContent = text;
  };

  async function showReach() {
    const reply = await api("GET", `${path()}/preview`);
    showPreview(reply, $("reach-count"), $("reach-sample"));
  }

  function showOwners(l) {
    const total = l.owners.length + waitingOwners(l);
    const full = total >= l.owners_max;
    const asked = waitingOwners(l) ? ` (${waitingOwners(l)} more waiting for approval)` : "";
    $("owners-count").textContent = `${l.owners.length} of ${l.owners_max} owners${asked}. A list may have at most ${l.owners_max}.`;
    $("owners-full").hidden = !full;
    $("owners-full-text").textContent = full
      ? `This list has ${total} of ${l.owners_max} owners, the most allowed. Remove an owner before adding another.`
      : "";
    $("owner-form").hidden = full;
    fillTable($("owners-table"), null, l.owners.map((owner, i) => row(
      cell("Owner", owner),
      cell("Action", removeForm(`remove-owner-${i}`, `owner ${owner}`, () =>
        change(api("DELETE", `${path()}/owners/${encodeURIComponent(owner)}`), `${owner} is no longer an owner.`))),
    )));
  }

  function showMembers(l) {
    $("members-section").hidden = l.kind !== "static";
    if (l.kind !== "static") return;
    fillTable($("members-table"), $("members-empty"), l.members.map((m, i) => {
      const name = m.kind === "list" ? link(m.display_name || m.address, listHref(m.address)) : m.display_name || m.address;
      return row(
        cell("Name", name, ...(m.deleted ? [" ", tag("Deleted", "red")] : [])),
        cell("Address", m.address),
        cell("Kind", MEMBER_KINDS[m.kind] ?? m.kind),
        cell("Action", removeForm(`remove-member-${i}`, `member ${m.address}`, () =>
          change(api("DELETE", `${path()}/members/${encodeURIComponent(m.address)}`), `${m.address} is no longer a member.`))),
      );
    }));
  }

  async function show(l) {
    list = l;
    $("list-heading").textContent = l.name || l.address;
    $("list-tags").replaceChildren(...listTags(l));
    const waiting = l.status === "pending" || Boolean(l.pending_change);
    $("waiting").hidden = !waiting;
    $("waiting-text").textContent = l.status === "pending"
      ? `This list is waiting for an administrator of ${l.org} to approve it: mail to it is refused until then. Changes to it apply now.`
      : l.status === "rejected"
        ? "This list was rejected: mail to it is refused."
        : "A change to this list waits for an administrator's approval; the list works as approved until then.";
    if (l.status === "rejected") $("waiting").hidden = false;
    summary($("list-summary"), rows(l));
    $("description").value = l.description;
    $("edit-rule").hidden = l.kind !== "dynamic";
    if (l.kind === "dynamic") writeRule(l.rule);
    showOwners(l);
    showMembers(l);
    $("rename-section").hidden = !admin;
    $("rename-name").value = l.name;
    $("list-record").hidden = false;
    await showReach();
  }

  // Runs a change; 202 means it waits for approval. Then shows the list
  // as it is now.
  async function change(request, said) {
    done("");
    const reply = await request;
    const waits = reply?.waiting_for_approval && reply.status === "approved";
    await show(reply?.address ? reply : await api("GET", path()));
    done(waits ? `${said} It waits for an administrator's approval; the list works as approved until then.` : said);
  }

  await show(list);

  let preview = null;
  if (list.kind === "dynamic") {
    preview = livePreview(() => list.org);
    await preview.now();
  }

  bindForm($("edit-form"), async (v) => {
    const body = { description: v.description };
    if (list.kind === "dynamic") body.rule = readRule();
    await change(api("PATCH", path(), body), "Changes saved.");
    if (preview) await preview.now();
  });

  bindForm($("owner-form"), async (v) => {
    if (!v.person.trim()) throw new FormError("person", "Enter the email address of the person to add as an owner");
    await change(api("POST", `${path()}/owners`, { person: v.person.trim() }), `${v.person.trim()} is an owner.`);
    $("person").value = "";
  });

  bindForm($("member-form"), async (v) => {
    if (!v.member.trim()) throw new FormError("member", "Enter the address of the member to add");
    await change(api("POST", `${path()}/members`, { member: v.member.trim() }), `${v.member.trim()} is a member.`);
    $("member").value = "";
  });

  bindForm($("rename-form"), async (v) => {
    const body = { name: v.name };
    if (v.address.trim()) body.address = v.address.trim();
    await change(api("POST", `${path()}/rename`, body), "Renamed.");
    window.history.replaceState(null, "", listHref(list.address));
    $("rename-address").value = "";
  });

  action($("delete-form"), (v) => {
    if (!v.confirm_delete) throw new FormError("confirm_delete", "Tick the box to confirm you want to delete this list");
    return api("DELETE", path());
  }, () => {
    $("list-record").hidden = true;
    $("list-tags").replaceChildren();
    $("deleted-text").textContent = `${list.name} (${list.address}) has been deleted. Mail to it is refused.`;
    $("deleted").hidden = false;
  });
});
