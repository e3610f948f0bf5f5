// One user (/user?address=): the whole record (docs/api.md "Records") as a
// summary list, an edit form and the actions the API offers, each its own
// form whose refusal is shown in the error summary. After every change the
// record is shown as the API returned it.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { bindForm, FormError } from "../form.mjs";
import { el, showRefusal, statusTags } from "../people.mjs";

const ROLE_NAMES = {
  global_admin: "Global Administrator",
  ediscovery: "eDiscovery",
  primary_local_admin: "Primary Local Administrator",
  local_admin: "Local Administrator",
  helpdesk_admin: "Helpdesk Administrator",
  audit_authorisation: "Audit Authorisation",
};

function when(iso) {
  if (!iso) return "Never";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC";
}

function orNone(text) {
  return text === null || text === undefined || text === "" ? "None" : String(text);
}

function lines(items) {
  if (!items.length) return ["None"];
  const ul = el("ul", "nhsuk-list");
  for (const text of items) ul.append(el("li", "", text));
  return [ul];
}

// [label, content (a string or nodes)] for every key of the whole record.
function rows(p) {
  return [
    ["Email address", p.address],
    ["Display name", orNone(p.display_name)],
    ["First name", orNone(p.first_name)],
    ["Last name", orNone(p.last_name)],
    ["Status", statusTags(p)],
    ["Organisation", p.org ? `${p.org.name} (${p.org.ods})` : "None"],
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
    ["Admin roles", lines((p.roles ?? []).map((r) => `${ROLE_NAMES[r.role] ?? r.role} of ${r.org}`))],
    ["Mailbox permissions", lines((p.grants ?? []).map((g) => `${g.right} on ${g.mailbox} (${g.org})`))],
    ["Holds elsewhere", lines((p.holdings ?? []).map((h) => `${h.relation} of ${h.kind} ${h.address} (${h.org})`))],
    ["Notes", orNone(p.notes)],
    ["Created", when(p.created_at)],
    ["Updated", when(p.updated_at)],
    ["Deleted", p.deleted_at ? when(p.deleted_at) : "No"],
    ["Restorable until", p.restorable_until ? when(p.restorable_until) : "Not applicable"],
  ];
}

function showSummary(p) {
  const dl = document.getElementById("user-summary");
  dl.replaceChildren(...rows(p).map(([key, value]) => {
    const row = el("div", "nhsuk-summary-list__row");
    const dd = el("dd", "nhsuk-summary-list__value");
    if (typeof value === "string") dd.textContent = value;
    else dd.append(...value);
    row.append(el("dt", "nhsuk-summary-list__key", key), dd);
    return row;
  }));
}

let sitesOf = null;

async function fillSites(p) {
  const select = document.getElementById("site");
  if (p.org && sitesOf !== p.org.ods) {
    sitesOf = p.org.ods;
    select.replaceChildren(Object.assign(el("option", "", "No site"), { value: "" }));
    try {
      const sites = await api("GET", `/orgs/${encodeURIComponent(p.org.ods)}/sites?limit=500`);
      for (const s of sites.items) select.append(Object.assign(el("option", "", s.name), { value: s.name }));
    } catch (err) {
      // A Helpdesk Admin cannot read sites (nor edit people): the current
      // site is still shown.
      if (!(err instanceof ApiError)) throw err;
    }
  }
  const current = p.site?.name ?? "";
  if (current && ![...select.options].some((o) => o.value === current)) {
    select.append(Object.assign(el("option", "", current), { value: current }));
  }
  select.value = current;
}

// The actions each status allows (docs/api.md "People"); the API decides.
const SHOWN = {
  active: ["reset", "disable", "leaver", "delete"],
  disabled: ["reset", "enable", "leaver", "delete"],
  leaver: ["reset", "delete"],
  deleted: ["restore"],
};

async function show(p) {
  document.getElementById("user-heading").textContent = p.display_name || p.address;
  document.getElementById("user-tags").replaceChildren(...statusTags(p));
  showSummary(p);
  const editable = p.status !== "deleted";
  document.getElementById("edit-heading").hidden = !editable;
  document.getElementById("edit-form").hidden = !editable;
  for (const name of ["job_title", "department", "phone", "mobile"]) document.getElementById(name).value = p[name] ?? "";
  await fillSites(p);
  const shown = new Set(SHOWN[p.status] ?? []);
  if (p.locked && p.status !== "deleted") shown.add("unlock");
  for (const name of ["reset", "unlock", "disable", "enable", "leaver", "delete", "restore"]) {
    document.getElementById(`${name}-form`).hidden = !shown.has(name);
  }
  document.getElementById("confirm_delete").checked = false;
  document.getElementById("user-record").hidden = false;
}

page(async () => {
  const address = new URLSearchParams(window.location.search).get("address") ?? "";
  const find = document.getElementById("find-form");
  const refused = (err) => {
    find.hidden = false;
    document.getElementById("address").value = address;
    showRefusal(find, "address", err);
  };
  if (!address) {
    refused({ message: "Enter the user's email address, or open them from the list of users" });
    return;
  }
  const path = `/users/${encodeURIComponent(address)}`;
  const done = document.getElementById("action-done");
  let person;
  try {
    person = await api("GET", path);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    document.getElementById("user-heading").textContent = address;
    refused(err);
    return;
  }
  await show(person);

  // Each action: call the API, say what happened, show the record again.
  // A refusal naming no field is linked to the action's own button
  // (data-api-field="NAME-action"), as the action has no other field.
  const action = (id, run, said) => bindForm(document.getElementById(id), async (values) => {
    done.textContent = "";
    document.getElementById("temporary-password").hidden = true;
    let reply;
    try {
      reply = await run(values);
    } catch (err) {
      if (err instanceof ApiError && !err.field) throw new FormError(id.replace(/-form$/, "-action"), err.message);
      throw err;
    }
    person = await api("GET", path);
    await show(person);
    done.textContent = typeof said === "function" ? said(reply) : said;
  });

  action("edit-form", (v) => api("PATCH", path, {
    job_title: v.job_title,
    department: v.department,
    phone: v.phone,
    mobile: v.mobile,
    site: v.site,
  }), "Details saved.");

  action("reset-form", async () => {
    const reply = await api("POST", `${path}/reset-password`);
    document.getElementById("temporary-for").textContent = person.address;
    document.getElementById("temporary-value").textContent = reply.temporary_password;
    document.getElementById("temporary-password").hidden = false;
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
