// Contacts: the external contacts of the orgs the caller administers
// (GET /api/v1/contacts), filtered by org, a page at a time.
import { page } from "../app.mjs";
import { contactHref, fillOrgs, link, listing, orgText, tableRow, when } from "../admin.mjs";

page(async () => {
  const org = new URLSearchParams(window.location.search).get("org") ?? "";
  await fillOrgs(document.getElementById("org"), org);
  await listing({
    path: "/contacts",
    endpoint: "/contacts",
    filters: new URLSearchParams(org ? { org } : {}),
    form: document.getElementById("filter-form"),
    table: "contacts-table",
    empty: "contacts-empty",
    previous: "contacts-previous",
    next: "contacts-next",
    row: (c) => tableRow([
      ["Name", [link(c.display_name || c.address, contactHref(c.address))]],
      ["Email address", c.address],
      ["Organisation", orgText(c.org)],
      ["Created", when(c.created_at)],
    ]),
  });
});
