// What the pages share about organisations (orgs, org, org-new, tokens,
// and every page that offers a choice of org): every org the caller may
// read, an org's name, link and option, the choice of org in a filter or
// a create form, an org's sites, the org form's fields read
// into the API's body (docs/api.md "Organisations and sites"), and the
// org's summary rows' "Change" links.
import { ApiError } from "./api.mjs";
import { link, option } from "./dom.mjs";
import { orgName } from "./format.mjs";
import { showErrors } from "./form.mjs";
import { changeLink } from "./summary.mjs";
import { readAll } from "./listing.mjs";

// The names of the orgs read so far, for orgText.
const names = new Map();

// Every org the caller may read (GET /orgs, page after page).
export async function allOrgs() {
  const orgs = await readAll("/orgs");
  for (const o of orgs) names.set(o.ods, o.name);
  return orgs;
}

// "Name (ODS)" for an org read by allOrgs, else the ODS code.
export function orgText(ods) {
  return names.has(ods) ? `${names.get(ods)} (${ods})` : ods;
}

export function orgHref(ods) {
  return `/org?ods=${encodeURIComponent(ods)}`;
}

export function orgLink(org) {
  return link(org.name, orgHref(org.ods));
}

export function orgOption(org) {
  return option(org.ods, orgName(org));
}

// Appends orgs to select as options and chooses chosen (an ODS code),
// kept as an option even when not among them, so the API's refusal of it
// can be shown on the field.
export function offerOrgs(select, orgs, chosen = "") {
  select.append(...orgs.map(orgOption));
  if (chosen && ![...select.options].some((o) => o.value === chosen)) select.append(option(chosen, chosen));
  select.value = chosen;
}

// A filter's choice of org: the orgs the caller may read after the
// select's own options ("every organisation"); a role that may read no
// org gets only those. The orgs read.
export async function fillOrgs(select, chosen = "") {
  let orgs = [];
  try {
    orgs = await allOrgs();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
  offerOrgs(select, orgs, chosen);
  return orgs;
}

// The org choice of a create form: the orgs, the only one chosen already;
// false (the refusal shown on the field) when they cannot be read.
export async function chooseOrg(form, select) {
  let orgs;
  try {
    orgs = await allOrgs();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    showErrors(form, [{ field: select.name, message: err.message }]);
    return false;
  }
  offerOrgs(select, orgs);
  if (orgs.length === 1) select.value = orgs[0].ods;
  return true;
}

// Fills select with the sites of org (ODS) and chooses current; "No site"
// first. Someone who may not read the org's sites (a Helpdesk Admin) gets
// only the current one. The sites are read again only for another org.
export async function fillSites(select, ods, current = "") {
  if (select.dataset.org !== ods) {
    select.dataset.org = ods;
    select.replaceChildren(option("", "No site"));
    if (ods) {
      try {
        for (const s of await allSites(ods)) select.append(option(s.name, s.name));
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
    }
  }
  if (current && ![...select.options].some((o) => o.value === current)) select.append(option(current, current));
  select.value = current;
}

export function allSites(ods) {
  return readAll(`/orgs/${encodeURIComponent(ods)}/sites`);
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

// A summary row's "Change" link (summary.mjs), for those who may change
// it: to the field, and for a screen reader what it changes.
export function changeIf(may, field, what) {
  return may ? changeLink(`#${field}`, what) : undefined;
}
