// One contact (/contact?address=): its record (docs/api.md "Records") as
// a summary list, its name edited (PATCH), and deleted once a box is ticked.
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { action } from "../form.mjs";
import { when } from "../format.mjs";
import { deleteAction, openRecord, said } from "../record.mjs";
import { summary } from "../summary.mjs";

function show(c) {
  document.getElementById("contact-heading").textContent = c.display_name || c.address;
  summary(document.getElementById("contact-summary"), [
    ["Email address", c.address],
    ["Name", c.display_name || "None"],
    ["Organisation", c.org],
    ["Created", when(c.created_at)],
    ["Updated", when(c.updated_at)],
  ]);
  document.getElementById("name").value = c.display_name;
  document.getElementById("confirm_delete").checked = false;
  document.getElementById("contact-record").hidden = false;
}

page(async () => {
  const c = await openRecord("contact-heading", "Enter the contact's email address, or open it from the list of contacts",
    (address) => api("GET", `/contacts/${encodeURIComponent(address)}`));
  if (!c) return;
  const path = `/contacts/${encodeURIComponent(c.address)}`;
  show(c);
  if (new URLSearchParams(window.location.search).get("created")) said("Contact created.");

  action(document.getElementById("edit-form"), (v) => api("PATCH", path, { name: v.name }),
    (r) => { show(r); said("Details saved."); });
  deleteAction("contact", path, c.address);
});
