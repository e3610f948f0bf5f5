// Organisations: those the caller may read (GET /api/v1/orgs), 25 a page
// (the cursors in the page's own query: listing.mjs), each a link
// to its page; "Add an organisation" for the Global Administrator.
import { page } from "../app.mjs";
import { link } from "../dom.mjs";
import { showListing } from "../listing.mjs";
import { orgHref, orgLink } from "../orgs.mjs";
import { holds } from "../roles.mjs";
import { cell, row } from "../table.mjs";

function orgRow(org) {
  return row(
    cell("Name", orgLink(org)),
    cell("ODS code", org.ods),
    cell("Type", org.type || "Not given"),
    cell("Parent", org.parent ? link(org.parent, orgHref(org.parent)) : "None"),
    cell("Primary Local Administrators", (org.primary_local_admins ?? []).join(", ") || "None"),
  );
}

page(async ({ me }) => {
  document.getElementById("new-org").hidden = !holds(me, "org.create");
  await showListing({
    prefix: "orgs", pagePath: "/orgs", apiPath: "/orgs", form: document.getElementById("find-form"), field: "ods",
    filters: new URLSearchParams(), here: new URLSearchParams(window.location.search), rowOf: orgRow,
  });
});
