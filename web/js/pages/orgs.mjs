// Organisations: those the caller may read (GET /api/v1/orgs), 25 a page
// (the cursors in the page's own query: table.mjs's pager), each a link
// to its page; "Add an organisation" for the Global Administrator.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { showErrors } from "../form.mjs";
import { GLOBAL, holds, orgHref, orgLink } from "../orgs.mjs";
import { el } from "../people.mjs";
import { cell, cursorQuery, fillTable, pager, row } from "../table.mjs";

const PAGE_SIZE = 25;
const LINKS = { previous: "orgs-previous", next: "orgs-next" };

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
  const cursors = new URLSearchParams(window.location.search).getAll("page");
  let list;
  try {
    list = await api("GET", `/orgs?${cursorQuery(new URLSearchParams({ limit: String(PAGE_SIZE) }), cursors)}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    pager("/orgs", "", [], null, LINKS);
    document.getElementById("orgs-table").hidden = true;
    showErrors(document.getElementById("find-form"), [{ field: err.field ?? "ods", message: err.message }]);
    return;
  }
  fillTable(document.getElementById("orgs-table"), document.getElementById("orgs-empty"), list.items.map(orgRow));
  pager("/orgs", "", cursors, list.next_cursor, LINKS);
});
