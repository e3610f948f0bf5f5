// Guests (docs/guests.md): an organisation's guests from
// GET /api/v1/orgs/{ods}/guests (an administrator sees them all, anyone
// else the guests they invited), "Confirm" on the caller's own guests
// (POST /guests/{id}/attest), "Remove" for administrators, and a form
// inviting a guest as the caller (POST /orgs/{ods}/guests).
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { when } from "../format.mjs";
import { action, rowAction } from "../form.mjs";
import { fillOrgs } from "../orgs.mjs";
import { holds } from "../roles.mjs";
import { cell, fillTable, row } from "../table.mjs";

page(async ({ me }) => {
  const here = new URLSearchParams(window.location.search);
  const ods = here.get("org") || me.org?.ods || "";
  await fillOrgs(document.getElementById("org"), ods);
  const done = document.getElementById("guests-done");
  const table = document.getElementById("guests-table");
  const none = document.getElementById("guests-empty");

  async function show() {
    if (!ods) return fillTable(table, none, []);
    const { items } = await api("GET", `/orgs/${encodeURIComponent(ods)}/guests`);
    fillTable(table, none, items.map((g, i) => {
      const actions = [];
      if (g.inviter === me.address && g.inviter_eligible) {
        actions.push(rowAction(`confirm-${i}`, "Confirm", `${g.display_name} still needs access`,
          () => api("POST", `/guests/${g.id}/attest`),
          async () => {
            done.textContent = `${g.display_name} is confirmed.`;
            await show();
          }));
      }
      if (holds(me, "user.lifecycle")) {
        actions.push(rowAction(`remove-${i}`, "Remove", `guest ${g.display_name}`,
          () => api("DELETE", `/guests/${g.id}`),
          async () => {
            done.textContent = `${g.display_name} is removed.`;
            await show();
          }));
      }
      return row(
        cell("Guest", `${g.display_name} (${g.address})`),
        cell("Invited by", g.inviter_eligible ? g.inviter : `${g.inviter} (can no longer confirm)`),
        cell("Confirm by", g.attestation_due ? when(g.attestation_due) : "Not due"),
        cell("Actions", ...(actions.length ? actions : ["None"])),
      );
    }));
  }

  action(document.getElementById("invite-form"),
    (values) => api("POST", `/orgs/${encodeURIComponent(ods)}/guests`,
      { display_name: values.display_name, address: values.address }),
    async (guest) => {
      done.textContent = `${guest.display_name} is invited. Confirm they still need access by ${when(guest.attestation_due)}.`;
      document.getElementById("invite-form").reset();
      await show();
    }, "address");
  await show();
});
