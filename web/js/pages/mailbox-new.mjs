// Create a shared or resource mailbox (POST /api/v1/shared-mailboxes or
// /resource-mailboxes) with every field the API takes: org, name and an
// optional address; then open it.
import { page } from "../app.mjs";
import { create } from "../api.mjs";
import { bindForm, FormError } from "../form.mjs";
import { chooseOrg } from "../orgs.mjs";
import { KINDS, mailboxHref } from "../mailbox-view.mjs";

page(async () => {
  const form = document.getElementById("new-mailbox-form");
  const kind = new URLSearchParams(window.location.search).get("kind");
  if (kind === "resource") document.getElementById("kind-resource").checked = true;
  if (!(await chooseOrg(form, document.getElementById("org")))) return;
  bindForm(form, async (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation the mailbox belongs to");
    const body = { org: v.org, name: v.name };
    if (v.address.trim()) body.address = v.address.trim();
    const created = await create(KINDS[v.kind].endpoint, body);
    window.location.assign(`${mailboxHref(created)}&created=1`);
  });
});
