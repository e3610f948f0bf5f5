// Users: the people of the orgs the caller administers (GET /api/v1/users),
// filtered by org and include_deleted, a page at a time. The API's cursors
// are opaque and go one way, so the page keeps the cursors that led here in
// its own query (?page=C1&page=C2...): "Next" adds one, "Previous" drops
// the last, and each page of the list is a link that can be reloaded.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { showErrors } from "../form.mjs";
import { el, statusTags, userHref } from "../people.mjs";
import { cell } from "../admin.mjs";

const PAGE_SIZE = 25;

function row(person) {
  const tr = el("tr", "nhsuk-table__row");
  tr.setAttribute("role", "row");
  const link = el("a", "nhsuk-link", person.display_name || `${person.first_name} ${person.last_name}`.trim() || person.address);
  link.href = userHref(person.address);
  tr.append(
    cell("Name", [link]),
    cell("Email address", [person.address]),
    cell("Organisation", [person.org ? `${person.org.name} (${person.org.ods})` : ""]),
    cell("Job title", [person.job_title]),
    cell("Status", statusTags(person)),
  );
  return tr;
}

function pageLink(id, query) {
  const link = document.getElementById(id);
  const item = link.closest("li");
  if (query === null) {
    item.hidden = true;
    return;
  }
  item.hidden = false;
  const qs = query.toString();
  link.href = qs ? `/users?${qs}` : "/users";
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
  if (cursors.length) query.set("cursor", cursors[cursors.length - 1]);

  const body = document.querySelector("#users-table tbody");
  let list;
  try {
    list = await api("GET", `/users?${query}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    pageLink("users-previous", null);
    pageLink("users-next", null);
    showErrors(filterForm, [{ field: err.field ?? "org", message: err.message }]);
    return;
  }
  body.replaceChildren(...list.items.map(row));
  document.getElementById("users-empty").hidden = list.items.length > 0;
  document.getElementById("users-table").hidden = list.items.length === 0;

  const base = new URLSearchParams();
  if (org) base.set("org", org);
  if (deleted) base.set("include_deleted", "true");
  const withPages = (pages) => {
    const q = new URLSearchParams(base);
    for (const c of pages) q.append("page", c);
    return q;
  };
  pageLink("users-previous", cursors.length ? withPages(cursors.slice(0, -1)) : null);
  pageLink("users-next", list.next_cursor ? withPages([...cursors, list.next_cursor]) : null);
});
