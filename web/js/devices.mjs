// A person's devices, the mail programs and browsers they signed in with
// (GET /me/devices, GET /users/{address}/devices: docs/api.md "Devices"),
// as a table that reflows on a phone. The markup is
// templates/devices.njk's; /account shows "Your devices", /user "Their
// devices".
import { api } from "./api.mjs";
import { when } from "./format.mjs";
import { cell, fillTable, row } from "./table.mjs";

// path: "/me/devices" or "/users/ADDRESS/devices". The API's refusal is
// thrown on, for the page to show.
export async function showDevices(path) {
  const { items } = await api("GET", `${path}?limit=100`);
  fillTable(document.getElementById("devices-table"), document.getElementById("devices-none"),
    items.map((d) => row(
      cell("Program", d.client || "Unknown program"),
      cell("Used for", String(d.protocol ?? "").toUpperCase()),
      cell("From", d.ip ?? ""),
      cell("Last seen", when(d.last_seen)),
    )));
}
