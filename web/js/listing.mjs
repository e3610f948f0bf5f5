// Listings (users, orgs, tokens, mailboxes, contacts, lists, audit,
// devices): a page at a time over the API's one-way cursors, kept in the
// page's own query (?page=C1&page=C2...) so every page of a listing is a
// link, shown in a responsive table (table.mjs); and every page of a
// short listing read at once (readAll).
import { api, ApiError } from "./api.mjs";
import { showErrors } from "./form.mjs";
import { fillTable } from "./table.mjs";

const PAGE_SIZE = 25;

// Every item of a paged API listing (path may carry a query already).
export async function readAll(path) {
  const items = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: "500" });
    if (cursor) query.set("cursor", cursor);
    const reply = await api("GET", `${path}${path.includes("?") ? "&" : "?"}${query}`);
    items.push(...reply.items);
    cursor = reply.next_cursor;
  } while (cursor);
  return items;
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
    const q = new URLSearchParams(base ?? undefined);
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

// The filters named in the page's query that have a value, as a query for
// the API (and for the page's own links); each is also put back in the
// filter form's field of the same name (a select is filled by its page).
export function filtersOf(here, names, form) {
  const filters = new URLSearchParams();
  for (const name of names) {
    const value = here.get(name) ?? "";
    if (value) filters.set(name, value);
    const field = form.elements.namedItem(name);
    if (field && field.tagName !== "SELECT" && field.type !== "checkbox") field.value = value;
  }
  return filters;
}

// The listing's Download CSV link, when the page has one: the API's own
// URL with the same filters and format=csv. A plain link, as the session
// cookie authorises a GET; the server sends the file as an attachment.
function showDownload(id, apiPath, filters) {
  const link = document.getElementById(id);
  if (!link) return;
  const q = new URLSearchParams(filters);
  q.set("format", "csv");
  link.href = `/api/v1${apiPath}?${q}`;
  link.closest("[hidden]")?.removeAttribute("hidden");
}

// One page of a listing with a table (#PREFIX-table, #PREFIX-empty),
// pagination (#PREFIX-previous, #PREFIX-next) and perhaps a Download CSV
// link (#PREFIX-csv): reads apiPath with the filters, a page's worth and
// the page's cursor, shows each item as rowOf makes it, and points the
// links at pagePath with links (the page's own filters; the API's by
// default). A refusal is the API's sentence on the form's field it names
// (else field) instead, with no table or pages. The reply, or null.
export async function showListing({ prefix, pagePath, apiPath, form, filters, links = filters, here, rowOf, field = "org" }) {
  const { cursors, cursor } = cursorsOf(here);
  const query = new URLSearchParams(filters);
  query.set("limit", String(PAGE_SIZE));
  if (cursor) query.set("cursor", cursor);
  let list;
  try {
    list = await api("GET", `${apiPath}?${query}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    document.getElementById(`${prefix}-table`).hidden = true;
    pageLinks(prefix, pagePath, null, [], null);
    showErrors(form, [{ field: err.field ?? field, message: err.message }]);
    return null;
  }
  fillTable(document.getElementById(`${prefix}-table`), document.getElementById(`${prefix}-empty`), list.items.map(rowOf));
  showDownload(`${prefix}-csv`, apiPath, filters);
  pageLinks(prefix, pagePath, links, cursors, list.next_cursor);
  return list;
}
