// Users: the people of the orgs the caller administers (GET /api/v1/users),
// filtered by org and include_deleted, a page at a time. The API's cursors
// are opaque and go one way, so the page keeps the cursors that led here in
// its own query (?page=C1&page=C2...): "Next" adds one, "Previous" drops
// the last, and each page of the list is a link that can be reloaded.
import { page } from "../app.mjs";
import { link } from "../dom.mjs";
import { showListing } from "../listing.mjs";
import { orgName } from "../format.mjs";
import { fillOrgs } from "../orgs.mjs";
import { statusTags, userHref } from "../people.mjs";
import { holds } from "../roles.mjs";
import { cell, row } from "../table.mjs";

function personRow(person) {
  return row(
    cell("Name", link(person.display_name || `${person.first_name} ${person.last_name}`.trim() || person.address, userHref(person.address))),
    cell("Email address", person.address),
    cell("Organisation", orgName(person.org)),
    cell("Job title", person.job_title),
    cell("Status", ...statusTags(person)),
  );
}

// The roles that create people (auth user.create); the API decides.
page(async ({ me }) => {
  document.getElementById("new-user").hidden = !holds(me, "user.create");
  const here = new URLSearchParams(window.location.search);
  const org = here.get("org") ?? "";
  const deleted = here.get("include_deleted") === "true";
  document.getElementById("include_deleted").checked = deleted;
  await fillOrgs(document.getElementById("org"), org);

  const filters = new URLSearchParams();
  if (org) filters.set("org", org);
  if (deleted) filters.set("include_deleted", "true");
  await showListing({
    prefix: "users", pagePath: "/users", apiPath: "/users", form: document.getElementById("filter-form"),
    filters, here, rowOf: personRow,
  });
});
