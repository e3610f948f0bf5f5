// One contact (/contact?address=): its record (docs/api.md "Records") as
// a summary list, its name edited (PATCH), and deleted once a box is ticked.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { showErrors } from "../form.mjs";
import { action, confirmed, summary, when } from "../admin.mjs";

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
  const here = new URLSearchParams(window.location.search);
  const address = here.get("address") ?? "";
  const find = document.getElementById("find-form");
  const said = (text) => {
    document.getElementById("action-done").textContent = text;
  };
  const refused = (message) => {
    find.hidden = false;
    document.getElementById("address").value = address;
    showErrors(find, [{ field: "address", message }]);
  };
  if (!address) {
    refused("Enter the contact's email address, or open it from the list of contacts");
    return;
  }
  const path = `/contacts/${encodeURIComponent(address)}`;
  let c;
  try {
    c = await api("GET", path);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    document.getElementById("contact-heading").textContent = address;
    refused(err.message);
    return;
  }
  show(c);
  if (here.get("created")) said("Contact created.");

  action(document.getElementById("edit-form"), (v) => api("PATCH", path, { name: v.name }),
    (r) => { show(r); said("Details saved."); });
  action(document.getElementById("delete-form"), (v) => {
    confirmed(v, "confirm_delete", "Tick the box to confirm you want to delete this contact");
    return api("DELETE", path);
  }, () => {
    document.getElementById("contact-record").hidden = true;
    document.getElementById("deleted-address").textContent = c.address;
    document.getElementById("deleted").hidden = false;
    said("Contact deleted.");
  });
});
