// One user (/user?address=): the whole record (docs/api.md "Records") as a
// summary list; forms for their details, notes, admin roles, joining or
// moving organisation and the actions the API offers, each its own form
// whose refusal is shown in the error summary; and their devices. After
// every change the record is shown as the API returned it.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { action as bindAction, actionButton, clearErrors, FormError, sentence } from "../form.mjs";
import { el, option } from "../dom.mjs";
import { lineNodes, orgName, orNone, when } from "../format.mjs";
import { allOrgs, fillSites, orgOption } from "../orgs.mjs";
import { statusTags } from "../people.mjs";
import { openRecord } from "../record.mjs";
import { grantable, roleName } from "../roles.mjs";
import { hideSecret, showSecret } from "../secret.mjs";
import { summary } from "../summary.mjs";
import { cell, fillTable, row } from "../table.mjs";
import { showDevices } from "../devices.mjs";

const $ = (id) => document.getElementById(id);
// The temporary password's inset (secret.mjs): whose, and the password.
const TEMPORARY = { label: "temporary-for", secret: "temporary-value" };

// A holding (docs/api.md "People"): relation and kind in words.
const RELATION = {
  owner: "Owner",
  member: "Member",
  full_access: "Full access",
  send_as: "Send as",
  send_on_behalf: "Send on behalf",
};
const KIND = {
  user: "User mailbox",
  shared: "Shared mailbox",
  resource: "Resource mailbox",
  list: "Distribution list",
};
const relationWords = (h) => RELATION[h.relation] ?? h.relation;
const kindWords = (h) => KIND[h.kind] ?? h.kind;

// [label, content (a string or nodes)] for every key of the whole record.
function rows(p) {
  return [
    ["Email address", p.address],
    ["Display name", orNone(p.display_name)],
    ["First name", orNone(p.first_name)],
    ["Last name", orNone(p.last_name)],
    ["Status", statusTags(p)],
    ["Organisation", orNone(orgName(p.org))],
    ["Site", p.site ? p.site.name : "None"],
    ["Job title", orNone(p.job_title)],
    ["Department", orNone(p.department)],
    ["Phone", orNone(p.phone)],
    ["Mobile", orNone(p.mobile)],
    ["Mobile in People Finder", p.mobile_hidden ? "Hidden" : "Shown"],
    ["Locked since", p.locked ? when(p.locked_at) : "Not locked"],
    ["Last signed in", when(p.last_signin_at)],
    ["Password changed", when(p.password_changed_at)],
    ["Sync ID", orNone(p.sync_id)],
    ["Mail protocols turned off", orNone(p.protocols_off)],
    ["Admin roles", lineNodes((p.roles ?? []).map((r) => `${roleName(r.role)} of ${r.org}`))],
    ["Mailbox permissions", lineNodes((p.grants ?? []).map((g) => `${RELATION[g.right] ?? g.right} on ${g.mailbox} (${g.org})`))],
    ["Holds elsewhere", lineNodes((p.holdings ?? []).map((h) => `${relationWords(h)}: ${kindWords(h).toLowerCase()} ${h.address} (${h.org})`))],
    ["Notes", p.notes ? [el("span", "app-notes", p.notes)] : "None"],
    ["Created", when(p.created_at)],
    ["Updated", when(p.updated_at)],
    ["Deleted", p.deleted_at ? when(p.deleted_at) : "No"],
    ["Restorable until", p.restorable_until ? when(p.restorable_until) : "Not applicable"],
  ];
}

// The orgs the signed-in admin administers (GET /orgs), read once; none
// for a Helpdesk Admin, who may not read orgs (nor move people).
let orgs = [];

async function loadOrgs() {
  try {
    orgs = await allOrgs();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
}

// Offers orgs (but skip) in select, after its first option if keepFirst.
function offer(select, { skip = null, keepFirst = true } = {}) {
  const chosen = select.value;
  const first = keepFirst ? [select.options[0]] : [];
  select.replaceChildren(...first, ...orgs.filter((o) => o.ods !== skip).map(orgOption));
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

function holdingRows(holdings) {
  return holdings.map((h) => row(
    cell("Mailbox or list", h.address),
    cell("Kind", kindWords(h)),
    cell("What they hold", relationWords(h)),
    cell("Organisation", h.org),
  ));
}

// The roles the signed-in admin may give (roles.mjs); set once me is known.
let mayGive = [];

function roleRows(p, remove) {
  const give = new Set(mayGive);
  return (p.roles ?? []).map((r, i) => {
    const action = give.has(r.role) ? [actionButton({
      id: `remove-role-${i}`, words: "Remove", hidden: `${roleName(r.role)} of ${r.org}`,
      classes: "nhsuk-button nhsuk-button--secondary nhsuk-button--small app-remove-role",
      form: $("roles-list-form"), run: () => remove(r),
    })] : [];
    return row(cell("Role", roleName(r.role)), cell("Organisation", r.org), cell("Action", ...action));
  });
}

function showRoles(p, remove) {
  fillTable($("roles-table"), $("roles-none"), roleRows(p, remove));
  const cannot = mayGive.length === 0 ?
    "Your role cannot give admin roles: a Primary Local Administrator or a Global Administrator can." :
    p.status !== "active" ? "Only an active person can be given an admin role." : "";
  $("roles-cannot").textContent = cannot;
  $("roles-cannot").hidden = !cannot;
  $("add-role-form").hidden = Boolean(cannot);
}

// The actions each status allows (docs/api.md "People"); the API decides.
const SHOWN = {
  active: ["reset", "disable", "leaver", "delete"],
  disabled: ["reset", "enable", "leaver", "delete"],
  inactive: ["reset", "enable", "leaver", "delete"],
  leaver: ["reset", "delete"],
  deleted: ["restore"],
};

// What the account's lifecycle holds next (GET .../lifecycle), as rows:
// each step with its date and rule, the warning mails still to be sent,
// and when the password expires; a refusal said in place of the list.
const STEP_WORDS = {
  inactive: "Becomes inactive",
  delete: "Deleted",
  purge: "Mail destroyed (purged); the address stays reserved",
};
async function showLifecycle(address) {
  let t;
  try {
    t = await api("GET", `/users/${encodeURIComponent(address)}/lifecycle`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    $("lifecycle-summary").hidden = true;
    $("lifecycle-none").textContent = sentence(err.message);
    $("lifecycle-none").hidden = false;
    return;
  }
  const rows = t.steps.map((s) => [STEP_WORDS[s.step] ?? s.step, `${when(s.due_at)} (${s.rule}: ${s.reason})`]);
  if (t.warnings.length > 0) {
    rows.push(["Warning emails", lineNodes(t.warnings.map((w) => `${when(w.at)}: ${w.lead_days} day${w.lead_days === 1 ? "" : "s"} before "${(STEP_WORDS[w.step] ?? w.step).toLowerCase()}"`))]);
  }
  if (t.password_expires_at) rows.push(["Password must be changed", when(t.password_expires_at)]);
  summary($("lifecycle-summary"), rows);
  $("lifecycle-summary").hidden = rows.length === 0;
  $("lifecycle-none").textContent = "Nothing more will happen to this account on its own.";
  $("lifecycle-none").hidden = rows.length !== 0;
}

async function show(p, remove) {
  document.getElementById("user-heading").textContent = p.display_name || p.address;
  document.getElementById("user-tags").replaceChildren(...statusTags(p));
  summary($("user-summary"), rows(p));
  await showLifecycle(p.address);
  const editable = p.status !== "deleted";
  for (const id of ["edit-heading", "edit-form", "notes-section", "roles-section"]) $(id).hidden = !editable;
  for (const name of ["job_title", "department", "phone", "mobile"]) document.getElementById(name).value = p[name] ?? "";
  await fillSites($("site"), p.org?.ods ?? "", p.site?.name ?? "");
  $("notes").value = p.notes ?? "";
  // The character count listens for input; a value set here is not one.
  $("notes").dispatchEvent(new Event("input"));
  showRoles(p, remove);
  // Joining and moving are offered only with an org to go to: none for
  // a Helpdesk Admin (who reads no orgs), no other for an admin of one.
  $("join-section").hidden = p.status !== "leaver" || orgs.length === 0;
  fillTable($("holdings-table"), $("holdings-none"), holdingRows(p.holdings ?? []));
  offer($("transfer-org"), { skip: p.org?.ods });
  $("transfer-section").hidden = !["active", "disabled"].includes(p.status) || $("transfer-org").options.length < 2;
  // With no org chosen (as after a move), no org's sites are offered.
  for (const kind of ["join", "transfer"]) {
    if (!$(`${kind}-org`).value) await fillSites($(`${kind}-site`), "", "");
  }
  const shown = new Set(SHOWN[p.status] ?? []);
  if (p.locked && p.status !== "deleted") shown.add("unlock");
  for (const name of ["reset", "unlock", "disable", "enable", "leaver", "delete", "restore"]) {
    document.getElementById(`${name}-form`).hidden = !shown.has(name);
  }
  // A role is most often given in the org they work in now (after a join
  // or a move too).
  if (p.org && orgs.some((o) => o.ods === p.org.ods)) $("role-org").value = p.org.ods;
  document.getElementById("confirm_delete").checked = false;
  document.getElementById("user-record").hidden = false;
}

page(async ({ me }) => {
  let path = "";
  let person = await openRecord("user-heading", "Enter the user's email address, or open them from the list of users", (address) => {
    path = `/users/${encodeURIComponent(address)}`;
    return api("GET", path);
  });
  if (!person) return;
  const done = document.getElementById("action-done");
  mayGive = grantable(me);
  await loadOrgs();
  offer($("role-org"), { keepFirst: false });
  offer($("join-org"));
  $("role-name").replaceChildren(...mayGive.map((r) => option(r, roleName(r))));

  // One error summary serves every form: a new action clears the marks
  // an earlier refusal left on another form's fields.
  const before = () => {
    for (const form of document.querySelectorAll("main form")) clearErrors(form);
    done.textContent = "";
    hideSecret($("temporary-password"), TEMPORARY);
  };
  const reshow = async () => {
    person = await api("GET", path);
    await show(person, removeRole);
  };

  // Remove a role: the refusal is linked to the button that asked.
  async function removeRole(r) {
    before();
    await api("DELETE", `${path}/roles/${encodeURIComponent(r.role)}?org=${encodeURIComponent(r.org)}`);
    await reshow();
    done.textContent = `${roleName(r.role)} of ${r.org} removed.`;
  }

  await show(person, removeRole);
  // Devices are read once; a refusal is said where the table would be.
  showDevices(`${path}/devices`).catch((err) => {
    if (!(err instanceof ApiError)) throw err;
    $("devices-none").textContent = sentence(err.message);
    $("devices-none").hidden = false;
  });

  // Each action: call the API, say what happened, show the record again.
  // A refusal naming no field is linked to unnamed (by default the
  // action's own button, data-api-field="NAME-action", as most actions
  // have no other field).
  const action = (id, run, said, unnamed = id.replace(/-form$/, "-action")) => bindAction($(id), (values) => {
    before();
    return run(values);
  }, async (reply, values) => {
    await reshow();
    done.textContent = typeof said === "function" ? said(reply, values) : said;
  }, unnamed);

  // The org chosen to join or move to offers its sites.
  for (const kind of ["join", "transfer"]) {
    $(`${kind}-org`).addEventListener("change", (event) => fillSites($(`${kind}-site`), event.target.value, ""));
  }

  action("edit-form", (v) => api("PATCH", path, {
    job_title: v.job_title,
    department: v.department,
    phone: v.phone,
    mobile: v.mobile,
    site: v.site,
  }), "Details saved.");

  action("notes-form", (v) => api("PATCH", path, { notes: v.notes }), "Notes saved.", "notes");

  // A role the API refuses for its org (not one the admin may give roles
  // in) is linked to the org; one it refuses by name, to the role.
  action("add-role-form", (v) => api("POST", `${path}/roles`, { role: v.role, org: v.org }),
    (reply, v) => `${roleName(v.role)} of ${v.org} added.`, "org");

  action("join-form", (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation they join");
    const body = { org: v.org };
    if (v.site) body.site = v.site;
    if (v.sync_id.trim()) body.sync_id = v.sync_id.trim();
    return api("POST", `${path}/join`, body);
  }, (reply) => {
    const held = reply.held_elsewhere ?? [];
    const ods = reply.org?.ods ?? "";
    return held.length === 0 ? `Joined ${ods}: active again.` :
      `Joined ${ods}: active again. They still hold ${held.length === 1 ? "1 mailbox or list" : `${held.length} mailboxes or lists`} in other organisations (Details, "Holds elsewhere"): review ${held.length === 1 ? "it" : "them"} with the owners.`;
  });

  action("transfer-form", (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation they move to");
    const body = { org: v.org };
    if (v.site) body.site = v.site;
    return api("POST", `${path}/transfer`, body);
  }, (reply) => `Transferred to ${reply.org?.name ?? ""} (${reply.org?.ods ?? ""}).`);

  action("reset-form", async () => {
    const reply = await api("POST", `${path}/reset-password`);
    showSecret($("temporary-password"), person.address, reply.temporary_password, TEMPORARY);
    return reply;
  }, "Password reset. The temporary password is shown above.");
  action("unlock-form", () => api("POST", `${path}/unlock`), "Unlocked.");
  action("disable-form", () => api("POST", `${path}/disable`), "Disabled: they cannot sign in until enabled.");
  action("enable-form", () => api("POST", `${path}/enable`), "Enabled: they can sign in again.");
  action("leaver-form", () => api("POST", `${path}/leaver`), "Marked as a leaver.");
  action("delete-form", (v) => {
    if (!v.confirm_delete) throw new FormError("confirm_delete", "Tick the box to confirm you want to delete this user");
    return api("DELETE", path);
  }, "Deleted.");
  action("restore-form", () => api("POST", `${path}/restore`), "Restored: active again.");
});
