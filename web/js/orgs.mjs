// What the organisation pages share (orgs, org, org-new, tokens): every org
// the caller may read, an org's name and link, the roles that may do what
// (as in src/auth/auth_access.c; the API decides), the org form's fields
// read into the API's body (docs/api.md "Organisations and sites"), and
// the org's summary list with its "Change" links.
import { api } from "./api.mjs";
import { el } from "./people.mjs";
import { summaryRow } from "./summary.mjs";

// Roles (GET /me's) that hold an action on some org.
export const EDITORS = ["global_admin", "primary_local_admin", "local_admin"]; // org.edit
export const GLOBAL = ["global_admin"]; // org.create, org.devolve

export function holds(me, roles) {
  return (me?.roles ?? []).some((r) => roles.includes(r.role));
}

// Every org the caller may read (GET /orgs, page after page).
export async function allOrgs() {
  const orgs = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: "500" });
    if (cursor) query.set("cursor", cursor);
    const reply = await api("GET", `/orgs?${query}`);
    orgs.push(...reply.items);
    cursor = reply.next_cursor;
  } while (cursor);
  return orgs;
}

export function orgHref(ods) {
  return `/org?ods=${encodeURIComponent(ods)}`;
}

export function orgLink(org) {
  const link = el("a", "nhsuk-link", org.name);
  link.href = orgHref(org.ods);
  return link;
}

export function orgOption(org) {
  return Object.assign(el("option", "", `${org.name} (${org.ods})`), { value: org.ods });
}

// The org form (templates/org-fields.njk): text fields by the API's
// names, default_quota_mb a number, and the protocols turned off as three
// boxes (off_imap, off_pop3, off_smtp) joined into protocols_off.
const TEXT = ["name", "type", "parent", "postal_address", "description", "website", "helpdesk_phone", "helpdesk_email"];
const PROTOCOLS = ["imap", "pop3", "smtp"];

export function orgBody(values) {
  const body = {};
  for (const key of ["ods", ...TEXT]) {
    if (key in values) body[key] = values[key].trim();
  }
  if ("default_quota_mb" in values) {
    const text = values.default_quota_mb.trim();
    // A number the API reads; anything else is sent as typed, for the
    // API's own sentence on the field.
    if (text) body.default_quota_mb = /^\d+$/.test(text) ? Number(text) : text;
  }
  body.protocols_off = PROTOCOLS.filter((p) => values[`off_${p}`]).join(",");
  return body;
}

// Fills the org form from an org record.
export function fillOrgForm(form, org) {
  for (const key of TEXT) {
    const input = form.elements.namedItem(key);
    if (input) input.value = org[key] ?? "";
  }
  form.elements.namedItem("default_quota_mb").value = org.default_quota_mb ? String(org.default_quota_mb) : "";
  const off = new Set(String(org.protocols_off ?? "").split(",").filter(Boolean));
  for (const p of PROTOCOLS) form.elements.namedItem(`off_${p}`).checked = off.has(p);
}

// The org's summary list from rows [key, value, change?]: change ({ href,
// what }) adds a "Change" link to the field that changes it.
export function showSummary(dl, rows) {
  const anyChange = rows.some((r) => r[2]);
  dl.replaceChildren(...rows.map(([key, value, change]) => {
    const row = summaryRow(key, value);
    if (change) {
      const link = el("a", "nhsuk-link", "Change");
      link.href = change.href;
      link.append(el("span", "nhsuk-u-visually-hidden", ` ${change.what}`));
      const actions = el("dd", "nhsuk-summary-list__actions");
      actions.append(link);
      row.append(actions);
    } else if (anyChange) {
      row.classList.add("nhsuk-summary-list__row--no-actions");
    }
    return row;
  }));
}
