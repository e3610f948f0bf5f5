// Mailboxes: the shared or resource mailboxes of the orgs the caller
// administers (GET /api/v1/shared-mailboxes or /resource-mailboxes),
// filtered by kind and org, a page at a time (listing.mjs).
import { page } from "../app.mjs";
import { link } from "../dom.mjs";
import { capital } from "../format.mjs";
import { showListing } from "../listing.mjs";
import { fillOrgs, orgText } from "../orgs.mjs";
import { cell, row } from "../table.mjs";
import { mailboxHref, KINDS, quota } from "../mailbox-view.mjs";

page(async () => {
  const here = new URLSearchParams(window.location.search);
  const kind = here.get("kind") === "resource" ? "resource" : "shared";
  const org = here.get("org") ?? "";
  document.getElementById("kind").value = kind;
  document.querySelector("#mailboxes-table caption").textContent = KINDS[kind].plural;
  await fillOrgs(document.getElementById("org"), org);

  const filters = new URLSearchParams({ kind });
  if (org) filters.set("org", org);
  const apiFilters = new URLSearchParams(org ? { org } : {});
  await showListing({
    prefix: "mailboxes",
    pagePath: "/mailboxes",
    apiPath: KINDS[kind].endpoint,
    filters: apiFilters,
    links: filters,
    here,
    form: document.getElementById("filter-form"),
    rowOf: (m) => row(
      cell("Name", link(m.display_name || m.address, mailboxHref(m))),
      cell("Email address", m.address),
      cell("Organisation", orgText(m.org)),
      cell("Quota", quota(m.quota_mb)),
      cell("Status", capital(m.status)),
    ),
  });
});
