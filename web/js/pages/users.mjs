// Users: the people of the orgs the caller administers (GET /api/v1/users),
// filtered by org and include_deleted, a page at a time. The API's cursors
// are opaque and go one way, so the page keeps the cursors that led here in
// its own query (?page=C1&page=C2...): "Next" adds one, "Previous" drops
// the last, and each page of the list is a link that can be reloaded.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { showErrors } from "../form.mjs";
import { cursorsOf, fillOrgs, pageLinks } from "../listing.mjs";
import { el, statusTags, userHref } from "../people.mjs";
import { cell, fillTable, row } from "../table.mjs";

const PAGE_SIZE = 25;

function personRow(person) {
  const link = el("a", "nhsuk-link", person.display_name || `${person.first_name} ${person.last_name}`.trim() || person.address);
  link.href = userHref(person.address);
  return row(
    cell("Name", link),
    cell("Email address", person.address),
    cell("Organisation", person.org ? `${person.org.name} (${person.org.ods})` : ""),
    cell("Job title", person.job_title),
    cell("Status", ...statusTags(person)),
  );
}

// The roles that create people (auth user.create); the API decides.
const CREATORS = new Set(["global_admin", "primary_local_admin", "local_admin"]);

page(async ({ me }) => {
  document.getElementById("new-user").hidden = !(me.roles ?? []).some((r) => CREATORS.has(r.role));
  const here = new URLSearchParams(window.location.search);
  const org = here.get("org") ?? "";
  const deleted = here.get("include_deleted") === "true";
  const { cursors, cursor } = cursorsOf(here);
  const filterForm = document.getElementById("filter-form");
  document.getElementById("include_deleted").checked = deleted;
  await fillOrgs(document.getElementById("org"), org);

  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (org) query.set("org", org);
  if (deleted) query.set("include_deleted", "true");
  if (cursor) query.set("cursor", cursor);

  let list;
  try {
    list = await api("GET", `/users?${query}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    pageLinks("users", "/users", null, [], null);
    showErrors(filterForm, [{ field: err.field ?? "org", message: err.message }]);
    return;
  }
  fillTable(document.getElementById("users-table"), document.getElementById("users-empty"), list.items.map(personRow));

  const base = new URLSearchParams();
  if (org) base.set("org", org);
  if (deleted) base.set("include_deleted", "true");
  pageLinks("users", "/users", base, cursors, list.next_cursor);
});
