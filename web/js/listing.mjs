// What the listing pages share (users, audit, devices): the
// organisations to filter by, and
// paging over the API's one-way cursors, kept in the page's own query
// (?page=C1&page=C2...) so every page of a listing is a link.
import { api, ApiError } from "./api.mjs";
import { showErrors } from "./form.mjs";
import { el } from "./people.mjs";

// The organisations the caller may read, as the select's options, with
// chosen selected (kept as an option even when not among them, so the
// API's refusal of it can be shown on the field).
export async function fillOrgs(select, chosen) {
  try {
    const orgs = await api("GET", "/orgs?limit=500");
    for (const org of orgs.items) {
      const option = el("option", "", `${org.name} (${org.ods})`);
      option.value = org.ods;
      select.append(option);
    }
  } catch (err) {
    // A role that may not read orgs: the filter then offers only "every
    // organisation".
    if (!(err instanceof ApiError)) throw err;
  }
  if (chosen && ![...select.options].some((o) => o.value === chosen)) {
    const option = el("option", "", chosen);
    option.value = chosen;
    select.append(option);
  }
  select.value = chosen;
}

// The cursors that led to this page, and the one to ask the API with.
export function cursorsOf(here) {
  const cursors = here.getAll("page");
  return { cursors, cursor: cursors.length ? cursors[cursors.length - 1] : null };
}

// Points the pagination's Previous and Next links (ids prefix-previous,
// prefix-next) at path with the filters in base and the cursors that lead
// there; a link that does not apply is hidden.
export function pageLinks(prefix, path, base, cursors, nextCursor) {
  const withPages = (pages) => {
    const q = new URLSearchParams(base);
    for (const c of pages) q.append("page", c);
    return q;
  };
  const set = (id, query) => {
    const link = document.getElementById(id);
    const item = link.closest("li");
    item.hidden = query === null;
    if (query === null) return;
    const qs = query.toString();
    link.href = qs ? `${path}?${qs}` : path;
  };
  set(`${prefix}-previous`, cursors.length ? withPages(cursors.slice(0, -1)) : null);
  set(`${prefix}-next`, nextCursor ? withPages([...cursors, nextCursor]) : null);
}

// An API time ("2026-11-22T10:02:11Z") as people read it, to the second.
export function timeText(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" }) + " UTC";
}

// The filters named in the page's query that have a value, as a query for
// the API (and for the page's own links); each is also put back in the
// filter form's field of the same name.
export function filtersOf(here, names, form) {
  const filters = new URLSearchParams();
  for (const name of names) {
    const value = here.get(name) ?? "";
    if (value) filters.set(name, value);
    const field = form.elements.namedItem(name);
    if (field && field.tagName !== "SELECT") field.value = value;
  }
  return filters;
}

// The listing's Download CSV link: the API's own URL with the same
// filters and format=csv. A plain link, as the session cookie authorises
// a GET; the server sends the file as an attachment.
function showDownload(id, apiPath, filters) {
  const link = document.getElementById(id);
  const q = new URLSearchParams(filters);
  q.set("format", "csv");
  link.href = `/api/v1${apiPath}?${q}`;
  link.closest("[hidden]")?.removeAttribute("hidden");
}

// A listing the API refused (an org not theirs, a date that is not one):
// its sentence on the filter it names, and no table or pages.
function showListingRefusal(form, prefix, err) {
  document.getElementById(`${prefix}-table`).hidden = true;
  pageLinks(prefix, "", null, [], null);
  showErrors(form, [{ field: err.field ?? "org", message: err.message }]);
}

// One page of a listing with a table (#PREFIX-table, #PREFIX-empty), a
// Download CSV link (#PREFIX-csv) and pagination (#PREFIX-pages): reads
// apiPath with the filters, a page's worth and the page's cursor, shows
// each item as rowOf makes it, and points the links at the same filters.
// A refusal is shown on the filter form instead. The reply, or null.
export async function showListing({ prefix, pagePath, apiPath, form, filters, here, rowOf, pageSize = 25 }) {
  const { cursors, cursor } = cursorsOf(here);
  const query = new URLSearchParams(filters);
  query.set("limit", String(pageSize));
  if (cursor) query.set("cursor", cursor);
  let list;
  try {
    list = await api("GET", `${apiPath}?${query}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    showListingRefusal(form, prefix, err);
    return null;
  }
  document.querySelector(`#${prefix}-table tbody`).replaceChildren(...list.items.map(rowOf));
  document.getElementById(`${prefix}-table`).hidden = list.items.length === 0;
  document.getElementById(`${prefix}-empty`).hidden = list.items.length > 0;
  showDownload(`${prefix}-csv`, apiPath, filters);
  pageLinks(prefix, pagePath, filters, cursors, list.next_cursor);
  return list;
}
