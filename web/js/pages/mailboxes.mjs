// Mailboxes: the shared or resource mailboxes of the orgs the caller
// administers (GET /api/v1/shared-mailboxes or /resource-mailboxes),
// filtered by kind and org, a page at a time (admin.mjs's listing).
import { page } from "../app.mjs";
import { capital, fillOrgs, link, listing, orgText, tableRow } from "../admin.mjs";
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
  await listing({
    path: "/mailboxes",
    endpoint: KINDS[kind].endpoint,
    filters: apiFilters,
    links: filters,
    form: document.getElementById("filter-form"),
    table: "mailboxes-table",
    empty: "mailboxes-empty",
    previous: "mailboxes-previous",
    next: "mailboxes-next",
    row: (m) => tableRow([
      ["Name", [link(m.display_name || m.address, mailboxHref(m))]],
      ["Email address", m.address],
      ["Organisation", orgText(m.org)],
      ["Quota", quota(m.quota_mb)],
      ["Status", capital(m.status)],
    ]),
  });
});
