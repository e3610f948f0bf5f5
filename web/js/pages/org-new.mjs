// Add an organisation (POST /api/v1/orgs, the Global Admin): every field
// the API takes, the parent chosen from the orgs the caller reads.
import { page } from "../app.mjs";
import { create } from "../api.mjs";
import { bindForm } from "../form.mjs";
import { allOrgs, orgBody, orgHref, orgOption } from "../orgs.mjs";

page(async () => {
  const parent = document.getElementById("parent");
  for (const org of await allOrgs()) parent.append(orgOption(org));
  const wanted = new URLSearchParams(window.location.search).get("parent");
  if (wanted && [...parent.options].some((o) => o.value === wanted)) parent.value = wanted;

  const form = document.getElementById("new-org-form");
  bindForm(form, async (values) => {
    const body = orgBody(values);
    // Empty means "not given": the API keeps its defaults.
    for (const key of Object.keys(body)) if (body[key] === "") delete body[key];
    const org = await create("/orgs", body);
    form.hidden = true;
    document.getElementById("new-heading").textContent = "Organisation added";
    document.getElementById("created-name").textContent = `${org.name} (${org.ods})`;
    const link = document.getElementById("created-link");
    link.href = orgHref(org.ods);
    link.textContent = `Open ${org.name}`;
    document.getElementById("created").hidden = false;
    link.focus();
  });
});
