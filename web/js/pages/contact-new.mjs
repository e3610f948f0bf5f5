// Create a contact (POST /api/v1/contacts: org, name, address), then open it.
import { page } from "../app.mjs";
import { create } from "../api.mjs";
import { bindForm, FormError } from "../form.mjs";
import { chooseOrg } from "../orgs.mjs";
import { contactHref } from "../mailbox-view.mjs";

page(async () => {
  const form = document.getElementById("new-contact-form");
  if (!(await chooseOrg(form, document.getElementById("org")))) return;
  bindForm(form, async (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation whose contact this is");
    const created = await create("/contacts", { org: v.org, name: v.name, address: v.address.trim() });
    window.location.assign(`${contactHref(created.address)}&created=1`);
  });
});
