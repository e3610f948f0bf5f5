// One shared or resource mailbox (/mailbox?address=[&kind=]): the whole
// record (docs/api.md "Records") as summary lists; edit its name and
// quota; for a shared mailbox add and remove owners and members and grant
// and revoke the three permissions; move it to another org; delete it
// once a box is ticked; keep an unused shared mailbox (SPEC L5). Every change replies with the whole record, which
// is shown as the API returned it.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { action, FormError, rowAction } from "../form.mjs";
import { el } from "../dom.mjs";
import { capital, when } from "../format.mjs";
import { fillOrgs, orgText } from "../orgs.mjs";
import { deleteAction, openRecord, said } from "../record.mjs";
import { summary } from "../summary.mjs";
import { KINDS, quota, RIGHTS } from "../mailbox-view.mjs";

// The mailbox's API path, once its kind is known.
let path = "";
let kind = "shared";

// The row's button goes with the row it removed: focus goes to the
// section's heading, so a keyboard user is not sent back to the top.
function after(m, heading, words) {
  show(m);
  said(words);
  document.getElementById(heading).focus();
}

// A list of people (owners or members), each with "Remove" on a shared
// mailbox; remove(person) is the API call.
function people(dl, who, addresses, noun, remove) {
  if (!addresses.length) {
    summary(dl, [[`${capital(noun)}s`, "None"]]);
    return;
  }
  summary(dl, addresses.map((address, i) => [capital(noun), address,
    kind === "shared" ? rowAction(`${who}-remove-${i}`, "Remove", `${address} as ${noun}`,
      () => remove(address), (m) => after(m, `${who}s-heading`, `${address} is no longer ${noun === "owner" ? "an owner" : "a member"}.`)) : undefined]));
}

function grants(list) {
  const dl = document.getElementById("grants-list");
  if (!list.length) {
    summary(dl, [["Permissions", "None granted"]]);
    return;
  }
  summary(dl, list.map((g, i) => {
    const right = RIGHTS[g.right];
    const value = [g.person, el("br"), el("span", "nhsuk-body-s", `since ${when(g.granted_at)}`)];
    return [right ? `${right.title} (${g.right})` : g.right, value, kind === "shared"
      ? rowAction(`grant-revoke-${i}`, "Revoke", `${g.right} from ${g.person}`,
        () => api("DELETE", `${path}/grants/${encodeURIComponent(g.person)}/${encodeURIComponent(g.right)}`),
        (m) => after(m, "grants-heading", `${g.right} revoked from ${g.person}.`))
      : undefined];
  }));
}

function show(m) {
  document.getElementById("mailbox-heading").textContent = m.display_name || m.address;
  const tag = el("strong", "nhsuk-tag nhsuk-tag--blue", KINDS[m.kind]?.name ?? m.kind);
  document.getElementById("mailbox-tags").replaceChildren(tag);
  summary(document.getElementById("mailbox-summary"), [
    ["Email address", m.address],
    ["Name", m.display_name || "None"],
    ["Kind", KINDS[m.kind]?.name ?? m.kind],
    ["Organisation", orgText(m.org)],
    ["Quota", quota(m.quota_mb)],
    ["Status", capital(m.status)],
    ["Owners", String(m.owners.length)],
    ["Members", String(m.members.length)],
    ["Permissions granted", String(m.grants.length)],
    ["Created", when(m.created_at)],
    ["Updated", when(m.updated_at)],
    ...(m.kind === "shared" ? [["Last used", when(m.last_used_at)]] : []),
    ...(m.delete_at ? [["Will be deleted on", when(m.delete_at)]] : []),
  ]);
  // SPEC L5: an unused shared mailbox is deleted unless it is kept.
  document.getElementById("keep-section").hidden = m.kind !== "shared";
  document.getElementById("keep-text").textContent = m.delete_at
    ? `Nobody has used this mailbox for a long time, so it will be deleted on ${when(m.delete_at)} unless it is kept. Keep it if it is still needed.`
    : "A shared mailbox nobody uses for a long time is deleted unless one of its owners keeps it. Keeping it counts as using it today.";
  document.getElementById("name").value = m.display_name;
  document.getElementById("quota_mb").value = String(m.quota_mb);
  const person = (p) => encodeURIComponent(p);
  people(document.getElementById("owners-list"), "owner", m.owners, "owner",
    (p) => api("DELETE", `${path}/owners/${person(p)}`));
  people(document.getElementById("members-list"), "member", m.members, "member",
    (p) => api("DELETE", `${path}/members/${person(p)}`));
  grants(m.grants);
  document.getElementById("transfer-org").value = "";
  document.getElementById("confirm_delete").checked = false;
  document.getElementById("mailbox-record").hidden = false;
}

// The record at address: of the kind asked or, when not asked, shared
// and then resource; no mailbox of either kind is the shared one's 404.
async function load(address, asked) {
  const get = async (k) => [k, await api("GET", `${KINDS[k].endpoint}/${encodeURIComponent(address)}`)];
  if (asked) return get(asked);
  try {
    return await get("shared");
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
    try {
      return await get("resource");
    } catch (second) {
      throw second instanceof ApiError && second.status === 404 ? err : second;
    }
  }
}

page(async () => {
  for (const dd of document.querySelectorAll("#rights-explained [data-right]")) dd.textContent = RIGHTS[dd.dataset.right].means;
  const here = new URLSearchParams(window.location.search);
  const asked = KINDS[here.get("kind")] ? here.get("kind") : null;
  const found = await openRecord("mailbox-heading", "Enter the mailbox's email address, or open it from the list of mailboxes",
    (address) => load(address, asked));
  if (!found) return;
  let m;
  [kind, m] = found;
  path = `${KINDS[kind].endpoint}/${encodeURIComponent(m.address)}`;
  await fillOrgs(document.getElementById("transfer-org"));
  const shared = kind === "shared";
  for (const id of ["owner-form", "member-form", "grant-form"]) document.getElementById(id).hidden = !shared;
  document.getElementById("resource-note").hidden = shared;
  action(document.getElementById("keep-form"), () => api("POST", `${path}/confirm`),
    (kept) => after(kept, "keep-heading", "Kept: it counts as used today, and will not be deleted."));
  show(m);
  if (here.get("created")) said(`${KINDS[kind].name} created.`);

  const form = (id) => document.getElementById(id);
  action(form("edit-form"), (v) => {
    if (!/^\d+$/.test(v.quota_mb.trim()) || Number(v.quota_mb) < 1) {
      throw new FormError("quota_mb", "Enter the quota as a whole number of megabytes, such as 4096");
    }
    return api("PATCH", path, { name: v.name, quota_mb: Number(v.quota_mb) });
  }, (r) => { show(r); said("Details saved."); });

  // A refusal naming no field (already an owner, no such person) is
  // about the person.
  const add = (id, sub, body, words) => action(form(id), (v) => api("POST", `${path}/${sub}`, body(v)), (r) => {
    show(r);
    form(id).reset();
    said(words);
  }, "person");
  add("owner-form", "owners", (v) => ({ person: v.person.trim() }), "Owner added.");
  add("member-form", "members", (v) => ({ person: v.person.trim() }), "Member added.");
  add("grant-form", "grants", (v) => {
    if (!v.right) throw new FormError("right", "Choose the permission to grant");
    return { person: v.person.trim(), right: v.right };
  }, "Permission granted.");

  action(form("transfer-form"), (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation to move the mailbox to");
    return api("POST", `${path}/transfer`, { org: v.org });
  }, (r) => { show(r); said(`Moved to ${orgText(r.org)}.`); });

  deleteAction("mailbox", path, m.address);
});
