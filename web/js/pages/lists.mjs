// Distribution lists: the lists the person owns (GET /lists?owned=true,
// for everyone), the lists of the orgs an admin administers (GET /lists,
// filtered by org and status, a page at a time, the cursors kept in the
// page's query as on /users), and the change freeze: its banner, and its
// switch for a Global Administrator (PUT /settings/change-freeze).
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { bindForm, showErrors } from "../form.mjs";
import { el } from "../people.mjs";
import { isGlobalAdmin, isListAdmin, kindText, listHref, listTags, showFreeze, when } from "../lists.mjs";
import { cell, fillTable, row } from "../table.mjs";

const PAGE_SIZE = 25;
const $ = (id) => document.getElementById(id);

function listRow(list) {
  const link = el("a", "nhsuk-link", list.name || list.address);
  link.href = listHref(list.address);
  return row(
    cell("Name", link),
    cell("Address", list.address),
    cell("Organisation", list.org),
    cell("Kind", kindText(list.kind)),
    cell("Status", ...listTags(list)),
  );
}

function showLists(id, items) {
  fillTable($(`${id}-table`), $(`${id}-empty`), items.map(listRow));
}

function pageLink(id, query) {
  const link = $(id);
  const item = link.closest("li");
  item.hidden = query === null;
  if (query !== null) link.href = query.size ? `/lists?${query}` : "/lists";
}

async function fillOrgs(select, chosen) {
  const orgs = await api("GET", "/orgs?limit=500");
  for (const org of orgs.items) select.append(Object.assign(el("option", "", `${org.name} (${org.ods})`), { value: org.ods }));
  if (chosen && ![...select.options].some((o) => o.value === chosen)) {
    select.append(Object.assign(el("option", "", chosen), { value: chosen }));
  }
  select.value = chosen;
}

async function adminLists() {
  const here = new URLSearchParams(window.location.search);
  const org = here.get("org") ?? "";
  const status = here.get("status") ?? "";
  const cursors = here.getAll("page");
  const form = $("filter-form");
  $("status").value = status;
  $("admin-lists").hidden = false;
  await fillOrgs($("org"), org);

  const base = new URLSearchParams();
  if (org) base.set("org", org);
  if (status) base.set("status", status);
  const query = new URLSearchParams(base);
  query.set("limit", String(PAGE_SIZE));
  if (cursors.length) query.set("cursor", cursors[cursors.length - 1]);
  let reply;
  try {
    reply = await api("GET", `/lists?${query}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    pageLink("lists-previous", null);
    pageLink("lists-next", null);
    showErrors(form, [{ field: err.field ?? "org", message: err.message }]);
    return;
  }
  showLists("lists", reply.items);
  const withPages = (pages) => {
    const q = new URLSearchParams(base);
    for (const c of pages) q.append("page", c);
    return q;
  };
  pageLink("lists-previous", cursors.length ? withPages(cursors.slice(0, -1)) : null);
  pageLink("lists-next", reply.next_cursor ? withPages([...cursors, reply.next_cursor]) : null);
}

function showFreezeSwitch(freeze) {
  $("freeze-section").hidden = false;
  $("freeze-now").textContent = freeze.on
    ? `On since ${when(freeze.updated_at)}, set by ${freeze.updated_by}.`
    : `Off${freeze.updated_at ? ` since ${when(freeze.updated_at)}` : ""}.`;
  $("on").checked = freeze.on;
  $("reason").value = freeze.reason;
}

page(async ({ me }) => {
  const admin = isListAdmin(me);
  $("new-list-link").textContent = admin ? "Create a list" : "Request a list";
  const owned = await api("GET", `/lists?owned=true&limit=500`);
  showLists("owned", owned.items);
  const freeze = await showFreeze();
  if (admin) await adminLists();
  if (isGlobalAdmin(me) && freeze) {
    showFreezeSwitch(freeze);
    bindForm($("freeze-form"), async (v) => {
      // Lifting it clears the reason, so an old one is never shown again.
      const body = { on: v.on };
      if (v.on && v.reason.trim()) body.reason = v.reason.trim();
      showFreezeSwitch(await api("PUT", "/settings/change-freeze", body));
      await showFreeze();
    });
  }
});
