// Audit (/audit): GET /api/v1/audit with every filter it has, kept in the
// page's own query so a search is a link; a page of entries at a time,
// each entry's details (its summary, client and request id) in a
// "details" in its last cell; and a Download CSV link that
// carries the same filters to the API's format=csv.
import { page } from "../app.mjs";
import { filtersOf, showListing } from "../listing.mjs";
import { fillOrgs } from "../orgs.mjs";
import { timeText } from "../format.mjs";
import { cell, row } from "../table.mjs";
import { facts, objectName, valueText } from "../audit-facts.mjs";
import { el } from "../dom.mjs";

const FILTERS = ["org", "actor", "object_type", "action", "from", "to"];
const ACTIONS = { create: "Create", update: "Update", delete: "Delete", other: "Other" };

// The words the filter's own options use for an object type.
function objectText(type) {
  const option = document.querySelector(`#object_type option[value="${CSS.escape(type)}"]`);
  return option ? option.textContent.replace(/ \(.*\)$/, "") : type;
}

// One entry's details (what its summary says and where the request came
// from), one fact a line, in the design system's details.
function details(entry) {
  const box = el("details", "nhsuk-details app-audit-details");
  const summary = el("summary", "nhsuk-details__summary");
  const label = el("span", "nhsuk-details__summary-text", "Details");
  label.append(el("span", "nhsuk-u-visually-hidden", ` of entry ${entry.id}`));
  summary.append(label);
  const text = el("div", "nhsuk-details__text");
  const list = el("ul", "nhsuk-list app-audit-facts");
  for (const [key, value] of [...facts(entry.summary), ["client", entry.client], ["request_id", entry.request_id], ["entry", entry.id]]) {
    const item = el("li");
    item.append(el("span", "app-audit-key", key), `: ${valueText(value)}`);
    list.append(item);
  }
  text.append(list);
  box.append(summary, text);
  return box;
}

function entryRow(entry) {
  const result = entry.result === "denied"
    ? el("strong", "nhsuk-tag nhsuk-tag--red", "Refused")
    : el("strong", "nhsuk-tag nhsuk-tag--green", "Done");
  return row(
    cell("When", timeText(entry.at)),
    cell("Done by", entry.actor),
    cell("Action", ACTIONS[entry.action] ?? entry.action),
    cell("Done to", `${objectText(entry.object_type)} ${objectName(entry)}`),
    cell("Organisation", entry.org ?? "None"),
    cell("Result", result),
    cell("Details", details(entry)),
  );
}

page(async () => {
  const here = new URLSearchParams(window.location.search);
  const form = document.getElementById("filter-form");
  const filters = filtersOf(here, FILTERS, form);
  for (const name of ["object_type", "action"]) document.getElementById(name).value = filters.get(name) ?? "";
  await fillOrgs(document.getElementById("org"), filters.get("org") ?? "");
  const list = await showListing({ prefix: "audit", pagePath: "/audit", apiPath: "/audit", form, filters, here, rowOf: entryRow });
  if (list) {
    document.getElementById("audit-count").textContent = list.items.length === 1
      ? "1 entry on this page." : `${list.items.length} entries on this page.`;
  }
});
