// Create a user (POST /api/v1/users): org, names, site and job title; the
// temporary password the reply carries is shown this once.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { bindForm, FormError } from "../form.mjs";
import { el, showRefusal, userHref } from "../people.mjs";

function option(value, text) {
  return Object.assign(el("option", "", text), { value });
}

async function fillSites(ods) {
  const select = document.getElementById("site");
  select.replaceChildren(option("", "No site"));
  if (!ods) return;
  try {
    const sites = await api("GET", `/orgs/${encodeURIComponent(ods)}/sites?limit=500`);
    for (const s of sites.items) select.append(option(s.name, s.name));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
}

page(async () => {
  const orgSelect = document.getElementById("org");
  try {
    const orgs = await api("GET", "/orgs?limit=500");
    for (const org of orgs.items) orgSelect.append(option(org.ods, `${org.name} (${org.ods})`));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    showRefusal(document.getElementById("new-user-form"), "org", err);
    return;
  }
  // One org to choose from: chosen already.
  if (orgSelect.options.length === 2) orgSelect.selectedIndex = 1;
  await fillSites(orgSelect.value);
  orgSelect.addEventListener("change", () => fillSites(orgSelect.value));

  const form = document.getElementById("new-user-form");
  bindForm(form, async (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation they work in");
    const body = { org: v.org, first_name: v.first_name, last_name: v.last_name, job_title: v.job_title };
    if (v.site) body.site = v.site;
    const person = await api("POST", "/users", body);
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
