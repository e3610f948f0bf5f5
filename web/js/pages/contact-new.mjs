// Create a contact (POST /api/v1/contacts: org, name, address), then open it.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { bindForm, FormError, showErrors } from "../form.mjs";
import { contactHref, fillOrgs } from "../admin.mjs";

page(async () => {
  const form = document.getElementById("new-contact-form");
  const orgSelect = document.getElementById("org");
  try {
    if ((await fillOrgs(orgSelect)) === 1) orgSelect.selectedIndex = 1;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    showErrors(form, [{ field: "org", message: err.message }]);
    return;
  }
  bindForm(form, async (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation whose contact this is");
    const created = await api("POST", "/contacts", { org: v.org, name: v.name, address: v.address.trim() });
    window.location.assign(`${contactHref(created.address)}&created=1`);
  });
});
