// Contacts: the external contacts of the orgs the caller administers
// (GET /api/v1/contacts), searched by name or address (q) and filtered
// by org, a page at a time.
import { page } from "../app.mjs";
import { link } from "../dom.mjs";
import { when } from "../format.mjs";
import { showListing } from "../listing.mjs";
import { contactHref } from "../mailbox-view.mjs";
import { fillOrgs, orgText } from "../orgs.mjs";
import { cell, row } from "../table.mjs";

page(async () => {
  const here = new URLSearchParams(window.location.search);
  const org = here.get("org") ?? "";
  const q = here.get("q") ?? "";
  document.getElementById("q").value = q;
  await fillOrgs(document.getElementById("org"), org);
  const filters = new URLSearchParams();
  if (q) filters.set("q", q);
  if (org) filters.set("org", org);
  await showListing({
    prefix: "contacts",
    pagePath: "/contacts",
    apiPath: "/contacts",
    filters,
    here,
    form: document.getElementById("filter-form"),
    rowOf: (c) => row(
      cell("Name", link(c.display_name || c.address, contactHref(c.address))),
      cell("Email address", c.address),
      cell("Organisation", orgText(c.org)),
      cell("Created", when(c.created_at)),
    ),
  });
});
