// Devices report (/devices): GET /api/v1/reports/devices for one org or
// all the caller administers, a page at a time, and a Download CSV link
// with the same org. Each page read is audited by the API as a download.
import { page } from "../app.mjs";
import { filtersOf, showListing } from "../listing.mjs";
import { fillOrgs } from "../orgs.mjs";
import { timeText } from "../format.mjs";
import { cell, row } from "../table.mjs";

const PROTOCOLS = { imap: "IMAP (mail app)", pop3: "POP3 (mail app)", smtp: "SMTP (sending mail)", web: "Web" };

function deviceRow(device) {
  return row(
    cell("Name", device.display_name),
    cell("Email address", device.address),
    cell("Organisation", device.org),
    cell("Used with", PROTOCOLS[device.protocol] ?? device.protocol),
    cell("App or browser", device.client || "Unknown"),
    cell("IP address", device.ip),
    cell("First seen", timeText(device.first_seen)),
    cell("Last seen", timeText(device.last_seen)),
  );
}

page(async () => {
  const here = new URLSearchParams(window.location.search);
  const form = document.getElementById("filter-form");
  const filters = filtersOf(here, ["org"], form);
  await fillOrgs(document.getElementById("org"), filters.get("org") ?? "");
  await showListing({ prefix: "devices", pagePath: "/devices", apiPath: "/reports/devices", form, filters, here, rowOf: deviceRow });
});
