// Organisations: those the caller may read (GET /api/v1/orgs), 25 a page
// (the cursors in the page's own query: listing.mjs), each a link
// to its page; "Add an organisation" for the Global Administrator.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { showErrors } from "../form.mjs";
import { GLOBAL, holds, orgHref, orgLink } from "../orgs.mjs";
import { el } from "../people.mjs";
import { cursorsOf, pageLinks } from "../listing.mjs";
import { cell, fillTable, row } from "../table.mjs";

const PAGE_SIZE = 25;

function parentCell(ods) {
  if (!ods) return ["None"];
  const link = el("a", "nhsuk-link", ods);
  link.href = orgHref(ods);
  return [link];
}

function orgRow(org) {
  return row(
    cell("Name", orgLink(org)),
    cell("ODS code", org.ods),
    cell("Type", org.type || "Not given"),
    cell("Parent", ...parentCell(org.parent)),
    cell("Primary Local Administrators", (org.primary_local_admins ?? []).join(", ") || "None"),
  );
}

page(async ({ me }) => {
  document.getElementById("new-org").hidden = !holds(me, GLOBAL);
  const { cursors, cursor } = cursorsOf(new URLSearchParams(window.location.search));
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set("cursor", cursor);
  let list;
  try {
    list = await api("GET", `/orgs?${query}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    pageLinks("orgs", "/orgs", null, [], null);
    document.getElementById("orgs-table").hidden = true;
    showErrors(document.getElementById("find-form"), [{ field: err.field ?? "ods", message: err.message }]);
    return;
  }
  fillTable(document.getElementById("orgs-table"), document.getElementById("orgs-empty"), list.items.map(orgRow));
  pageLinks("orgs", "/orgs", null, cursors, list.next_cursor);
});
