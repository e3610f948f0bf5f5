// Users: the people of the orgs the caller administers (GET /api/v1/users),
// filtered by org and include_deleted, a page at a time (the cursors in
// the page's own query: table.mjs's pager).
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { showErrors } from "../form.mjs";
import { el, statusTags, userHref } from "../people.mjs";
import { cell, cursorQuery, fillTable, pager, row } from "../table.mjs";

const PAGE_SIZE = 25;
const LINKS = { previous: "users-previous", next: "users-next" };

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

async function fillOrgs(select, chosen) {
  try {
    const orgs = await api("GET", "/orgs?limit=500");
    for (const org of orgs.items) {
      const option = el("option", "", `${org.name} (${org.ods})`);
      option.value = org.ods;
      select.append(option);
    }
  } catch (err) {
    // Helpdesk Admins may list people but not read orgs: the filter then
    // offers only "every organisation".
    if (!(err instanceof ApiError)) throw err;
  }
  if (chosen && ![...select.options].some((o) => o.value === chosen)) {
    const option = el("option", "", chosen);
    option.value = chosen;
    select.append(option);
  }
  select.value = chosen;
}

// The roles that create people (auth user.create); the API decides.
const CREATORS = new Set(["global_admin", "primary_local_admin", "local_admin"]);

page(async ({ me }) => {
  document.getElementById("new-user").hidden = !(me.roles ?? []).some((r) => CREATORS.has(r.role));
  const here = new URLSearchParams(window.location.search);
  const org = here.get("org") ?? "";
  const deleted = here.get("include_deleted") === "true";
  const cursors = here.getAll("page");
  const filterForm = document.getElementById("filter-form");
  document.getElementById("include_deleted").checked = deleted;
  await fillOrgs(document.getElementById("org"), org);

  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (org) query.set("org", org);
  if (deleted) query.set("include_deleted", "true");
  cursorQuery(query, cursors);

  let list;
  try {
    list = await api("GET", `/users?${query}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    pager("/users", "", [], null, LINKS);
    showErrors(filterForm, [{ field: err.field ?? "org", message: err.message }]);
    return;
  }
  fillTable(document.getElementById("users-table"), document.getElementById("users-empty"), list.items.map(personRow));

  const base = new URLSearchParams();
  if (org) base.set("org", org);
  if (deleted) base.set("include_deleted", "true");
  pager("/users", base, cursors, list.next_cursor, LINKS);
});
