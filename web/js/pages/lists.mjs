// Distribution lists: the lists the person owns (GET /lists?owned=true,
// for everyone), the lists of the orgs an admin administers (GET /lists,
// filtered by org and status, a page at a time, the cursors kept in the
// page's query as on /users), and the change freeze: its banner, and its
// switch for a Global Administrator (PUT /settings/change-freeze).
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { bindForm } from "../form.mjs";
import { link } from "../dom.mjs";
import { when } from "../format.mjs";
import { showListing } from "../listing.mjs";
import { kindText, listHref, listTags, showFreeze } from "../lists.mjs";
import { fillOrgs } from "../orgs.mjs";
import { holds } from "../roles.mjs";
import { cell, fillTable, row } from "../table.mjs";

const $ = (id) => document.getElementById(id);

function listRow(list) {
  return row(
    cell("Name", link(list.name || list.address, listHref(list.address))),
    cell("Address", list.address),
    cell("Organisation", list.org),
    cell("Kind", kindText(list.kind)),
    cell("Status", ...listTags(list)),
  );
}

async function adminLists() {
  const here = new URLSearchParams(window.location.search);
  const org = here.get("org") ?? "";
  const status = here.get("status") ?? "";
  $("status").value = status;
  $("admin-lists").hidden = false;
  await fillOrgs($("org"), org);

  const filters = new URLSearchParams();
  if (org) filters.set("org", org);
  if (status) filters.set("status", status);
  await showListing({ prefix: "lists", pagePath: "/lists", apiPath: "/lists", form: $("filter-form"), filters, here, rowOf: listRow });
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
  const admin = holds(me, "list.manage");
  $("new-list-link").textContent = admin ? "Create a list" : "Request a list";
  const owned = await api("GET", `/lists?owned=true&limit=500`);
  fillTable($("owned-table"), $("owned-empty"), owned.items.map(listRow));
  const freeze = await showFreeze();
  if (admin) await adminLists();
  if (freeze?.may_set) {
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
