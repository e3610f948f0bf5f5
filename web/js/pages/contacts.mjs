// Contacts: the external contacts of the orgs the caller administers
// (GET /api/v1/contacts), searched by name or address (q) and filtered
// by org, a page at a time.
import { page } from "../app.mjs";
import { contactHref, fillOrgs, link, listing, orgText, tableRow, when } from "../admin.mjs";

page(async () => {
  const here = new URLSearchParams(window.location.search);
  const org = here.get("org") ?? "";
  const q = here.get("q") ?? "";
  document.getElementById("q").value = q;
  await fillOrgs(document.getElementById("org"), org);
  const filters = new URLSearchParams();
  if (q) filters.set("q", q);
  if (org) filters.set("org", org);
  await listing({
    path: "/contacts",
    endpoint: "/contacts",
    filters,
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
