// What the administration pages share (mailboxes, mailbox, mailbox-new,
// contacts, contact, contact-new; users for its table cells): the
// organisations the admin may choose, a paged listing in a responsive
// table, a record as a summary list, and one small form per action whose
// refusal is linked to its own button. Text from the API is always set
// with textContent.
import { api, ApiError } from "./api.mjs";
import { bindForm, FormError, showErrors } from "./form.mjs";
import { el } from "./people.mjs";

const PAGE_SIZE = 25;

export function option(value, text) {
  return Object.assign(el("option", "", text), { value });
}

export function when(iso) {
  if (!iso) return "Never";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC";
}

export function capital(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

// What an action did, in the page's #action-done (a live region).
export function said(text) {
  document.getElementById("action-done").textContent = text;
}

// "Name (ODS)" for an org the caller can read, else the ODS code.
const orgNames = new Map();

export function orgText(ods) {
  return orgNames.has(ods) ? `${orgNames.get(ods)} (${ods})` : ods;
}

// The orgs the caller may read (GET /orgs), as options of select after
// the ones it has; chosen (an ODS code) is kept even if not among them,
// so a refused filter still shows what was asked. Returns how many orgs.
export async function fillOrgs(select, chosen = "") {
  const orgs = await api("GET", "/orgs?limit=500");
  for (const org of orgs.items) {
    orgNames.set(org.ods, org.name);
    select.append(option(org.ods, orgText(org.ods)));
  }
  if (chosen && ![...select.options].some((o) => o.value === chosen)) select.append(option(chosen, chosen));
  select.value = chosen;
  return orgs.items.length;
}

// The org choice of a create form: the orgs, the only one chosen already;
// false (the refusal shown on the field) when they cannot be read.
export async function chooseOrg(form, select) {
  try {
    if ((await fillOrgs(select)) === 1) select.selectedIndex = 1;
    return true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    showErrors(form, [{ field: select.name, message: err.message }]);
    return false;
  }
}

// A record page's first read, read(address) for its ?address=: the
// record, or null with the refusal (or missing, when no address was
// given) shown on the page's #find-form's address box, to try another,
// and the heading set to the address.
export async function openRecord(heading, missing, read) {
  const address = new URLSearchParams(window.location.search).get("address") ?? "";
  const refused = (message) => {
    const find = document.getElementById("find-form");
    find.hidden = false;
    document.getElementById("address").value = address;
    if (address) document.getElementById(heading).textContent = address;
    showErrors(find, [{ field: "address", message }]);
    return null;
  };
  if (!address) return refused(missing);
  try {
    return await read(address);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return refused(err.message);
  }
}

// A cell of the design system's responsive table: below tablet width
// each row becomes a block and the cell shows its heading.
export function cell(heading, content) {
  const td = el("td", "nhsuk-table__cell");
  td.setAttribute("role", "cell");
  const label = el("span", "nhsuk-table__heading", `${heading} `);
  label.setAttribute("aria-hidden", "true");
  const value = el("span");
  value.append(...content);
  td.append(label, value);
  return td;
}

// cells: [[heading, content (a string or nodes)]].
export function tableRow(cells) {
  const tr = el("tr", "nhsuk-table__row");
  tr.setAttribute("role", "row");
  for (const [heading, content] of cells) tr.append(cell(heading, typeof content === "string" ? [content] : content));
  return tr;
}

export function contactHref(address) {
  return `/contact?address=${encodeURIComponent(address)}`;
}

export function link(text, href) {
  const a = el("a", "nhsuk-link", text);
  a.href = href;
  return a;
}

function pageLink(id, path, query) {
  const a = document.getElementById(id);
  const item = a.closest("li");
  item.hidden = query === null;
  if (query === null) return;
  const qs = query.toString();
  a.href = qs ? `${path}?${qs}` : path;
}

// One page of a listing (GET endpoint?limit&cursor&FILTERS), as the
// users page does it: the page's own query holds its filters (links;
// the API's filters by default) and the API's one-way cursors that led
// here (?page=C1&page=C2), so Next adds one, Previous drops the last, and
// every page reloads. A listing the API refuses is its sentence on the
// filter form's field.
export async function listing({ path, endpoint, filters, links = filters, form, table, empty, previous, next, row }) {
  const cursors = new URLSearchParams(window.location.search).getAll("page");
  const query = new URLSearchParams(filters);
  query.set("limit", String(PAGE_SIZE));
  if (cursors.length) query.set("cursor", cursors[cursors.length - 1]);
  let list;
  try {
    list = await api("GET", `${endpoint}?${query}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    pageLink(previous, path, null);
    pageLink(next, path, null);
    document.getElementById(table).hidden = true;
    showErrors(form, [{ field: err.field ?? "org", message: err.message }]);
    return;
  }
  document.querySelector(`#${table} tbody`).replaceChildren(...list.items.map(row));
  document.getElementById(empty).hidden = list.items.length > 0;
  document.getElementById(table).hidden = list.items.length === 0;
  const withPages = (pages) => {
    const q = new URLSearchParams(links);
    for (const c of pages) q.append("page", c);
    return q;
  };
  pageLink(previous, path, cursors.length ? withPages(cursors.slice(0, -1)) : null);
  pageLink(next, path, list.next_cursor ? withPages([...cursors, list.next_cursor]) : null);
}

// rows: [key, value (a string or nodes), action (a node) or undefined];
// a summary list with actions gives the rows without one the design
// system's "no actions" class, so the columns line up.
export function summary(dl, rows) {
  const withActions = rows.some((r) => r[2]);
  dl.replaceChildren(...rows.map(([key, value, action]) => {
    const row = el("div", "nhsuk-summary-list__row");
    if (withActions && !action) row.classList.add("nhsuk-summary-list__row--no-actions");
    const dd = el("dd", "nhsuk-summary-list__value");
    if (typeof value === "string") dd.textContent = value;
    else dd.append(...value);
    row.append(el("dt", "nhsuk-summary-list__key", key), dd);
    if (action) {
      const actions = el("dd", "nhsuk-summary-list__actions");
      actions.append(action);
      row.append(actions);
    }
    return row;
  }));
}

// A refusal that names no field of the form (none, or one the form does
// not have) is linked to fallback: the field the action is about (the
// person an add form takes) or else the form's own button
// (data-api-field="FIELD"), as an action like "Delete" has no other.
function relinked(form, fallback, err) {
  if (!(err instanceof ApiError)) return err;
  const named = err.field && form.querySelector(`[name="${CSS.escape(err.field)}"]`);
  return named ? err : new FormError(fallback, err.message);
}

// Binds form to run(values), then done(reply); a refusal is shown in the
// error summary, linked as above.
export function action(form, run, done, fallback) {
  const field = fallback ?? form.querySelector("button[type=submit]").dataset.apiField;
  bindForm(form, async (values) => {
    let reply;
    try {
      reply = await run(values);
    } catch (err) {
      throw relinked(form, field, err);
    }
    await done(reply);
  });
}

// A form with one link-styled button (the design system's summary list
// action), for "Remove" on a row: visible words and, for a screen reader,
// what it acts on. id must be unique on the page.
export function rowAction(id, words, hidden, run, done) {
  const form = el("form", "app-row-action");
  form.noValidate = true;
  const button = el("button", "nhsuk-link", words);
  button.type = "submit";
  button.id = id;
  button.dataset.apiField = id;
  button.append(el("span", "nhsuk-u-visually-hidden", ` ${hidden}`));
  form.append(button);
  action(form, run, done);
  return form;
}

// The record page's #delete-form: refused (on its box) until
// #confirm_delete is ticked, then DELETE path; then the record
// (#NOUN-record) goes and #deleted, which takes the focus the form's
// button had, says which address went.
export function deleteAction(noun, path, address) {
  action(document.getElementById("delete-form"), (v) => {
    if (!v.confirm_delete) throw new FormError("confirm_delete", `Tick the box to confirm you want to delete this ${noun}`);
    return api("DELETE", path);
  }, () => {
    document.getElementById(`${noun}-record`).hidden = true;
    document.getElementById("deleted-address").textContent = address;
    const gone = document.getElementById("deleted");
    gone.hidden = false;
    gone.focus();
    said(`${capital(noun)} deleted.`);
  });
}
