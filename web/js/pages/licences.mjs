// Add-on licences (docs/licences.md): the licence report of one
// organisation (GET /api/v1/orgs/{ods}/licences, its CSV linked), each
// holder with "Take back", and a form giving a licence to a person
// (POST .../licences/{name}/holders).
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { el, option } from "../dom.mjs";
import { when } from "../format.mjs";
import { action, rowAction } from "../form.mjs";
import { fillOrgs } from "../orgs.mjs";
import { cell, fillTable, row } from "../table.mjs";

page(async ({ me }) => {
  const here = new URLSearchParams(window.location.search);
  const ods = here.get("org") || me.org?.ods || "";
  await fillOrgs(document.getElementById("org"), ods);
  const base = `/orgs/${encodeURIComponent(ods)}/licences`;
  document.getElementById("csv-link").href = `/api/v1${base}?format=csv`;
  const done = document.getElementById("licences-done");
  const names = document.getElementById("name");

  async function show() {
    const { items } = await api("GET", base);
    names.replaceChildren(...items.map((a) => option(a.name, a.name)));
    fillTable(document.getElementById("licences-table"), document.getElementById("licences-empty"),
      items.map((a, i) => {
        const holders = el("ul", "nhsuk-list");
        a.holders.forEach((h, k) => {
          const li = el("li", null, `${h.display_name || h.address} (${h.address})${h.by_rule ? ", by rule " : " "}`);
          li.append(rowAction(`free-${i}-${k}`, "Take back", `${a.name} from ${h.address}`,
            () => api("DELETE", `${base}/${encodeURIComponent(a.name)}/holders/${encodeURIComponent(h.address)}`),
            async () => {
              done.textContent = `${a.name} taken back from ${h.address}.`;
              await show();
            }));
          holders.append(li);
        });
        return row(
          cell("Add-on", a.name),
          cell("Held", `${a.used} of ${a.quota}`),
          cell("Expires", `${when(a.expires_at)} (${a.state})`),
          cell("Rule", a.rule ?? "None"),
          cell("Holders", a.holders.length ? holders : "None"),
        );
      }));
  }

  action(document.getElementById("give-form"),
    (values) => api("POST", `${base}/${encodeURIComponent(values.name)}/holders`, { address: values.address }),
    async (addon, values) => {
      done.textContent = `${values.address} now holds ${addon.name}.`;
      document.getElementById("address").value = "";
      await show();
    }, "address");
  await show();
});
