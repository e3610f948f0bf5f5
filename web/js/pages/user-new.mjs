// Create a user (POST /api/v1/users): org, names, site and job title; the
// temporary password the reply carries is shown this once.
import { page } from "../app.mjs";
import { create } from "../api.mjs";
import { bindForm, FormError } from "../form.mjs";
import { chooseOrg, fillSites } from "../orgs.mjs";
import { userHref } from "../people.mjs";

page(async () => {
  const orgSelect = document.getElementById("org");
  const siteSelect = document.getElementById("site");
  if (!(await chooseOrg(document.getElementById("new-user-form"), orgSelect))) return;
  await fillSites(siteSelect, orgSelect.value);
  orgSelect.addEventListener("change", () => fillSites(siteSelect, orgSelect.value));

  const form = document.getElementById("new-user-form");
  bindForm(form, async (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation they work in");
    const body = { org: v.org, first_name: v.first_name, last_name: v.last_name, job_title: v.job_title };
    if (v.site) body.site = v.site;
    const person = await create("/users", body);
    form.hidden = true;
    document.getElementById("created-name").textContent = person.display_name || `${person.first_name} ${person.last_name}`;
    document.getElementById("created-address").textContent = person.address;
    document.getElementById("created-password").textContent = person.temporary_password;
    const link = document.getElementById("created-link");
    link.href = userHref(person.address);
    link.textContent = `Open ${person.address}`;
    document.getElementById("new-heading").textContent = "User created";
    document.getElementById("created").hidden = false;
    link.focus();
  });
});
