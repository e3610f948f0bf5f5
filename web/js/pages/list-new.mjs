// Create a list (an admin, list.manage: approved at once) or request one
// (anyone else: in their own organisation, Pending until an admin of it
// approves, with them as its first owner): POST /api/v1/lists. A dynamic
// list's rule is built with the rule editor, whose member count follows
// the typing (POST /lists/preview).
import { page } from "../app.mjs";
import { create } from "../api.mjs";
import { bindForm, FormError } from "../form.mjs";
import { listHref, showFreeze } from "../lists.mjs";
import { livePreview, readRule } from "../list-rule.mjs";
import { chooseOrg, offerOrgs } from "../orgs.mjs";
import { holds } from "../roles.mjs";

const $ = (id) => document.getElementById(id);

page(async ({ me }) => {
  const admin = holds(me, "list.manage");
  const form = $("new-list-form");
  if (admin) {
    $("new-heading").textContent = "Create a list";
    document.title = document.title.replace("Request a list", "Create a list");
    $("new-intro").textContent = "The list is approved at once. Its owners can be added once it is made.";
    $("new-list-button").textContent = "Create the list";
  }
  // The orgs the person may make a list in: those an admin
  // administers, or their own.
  if (admin) {
    if (!(await chooseOrg(form, $("org")))) return;
  } else if (me.org) {
    offerOrgs($("org"), [me.org], me.org.ods);
  }
  await showFreeze();

  const preview = livePreview(() => $("org").value);
  const showKind = () => {
    const dynamic = $("kind-dynamic").checked;
    $("rule-part").hidden = !dynamic;
    if (dynamic) preview.now().catch((err) => console.error(err));
  };
  for (const radio of form.querySelectorAll('input[name="kind"]')) radio.addEventListener("change", showKind);
  $("org").addEventListener("change", () => {
    if ($("kind-dynamic").checked) preview.later();
  });
  showKind();

  bindForm(form, async (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation the list belongs to");
    const body = { org: v.org, name: v.name, kind: v.kind };
    if (v.description.trim()) body.description = v.description.trim();
    if (v.kind === "dynamic") body.rule = readRule();
    const list = await create("/lists", body);
    form.hidden = true;
    const waiting = list.status === "pending";
    $("created-heading").textContent = waiting ? "List requested" : "List created";
    $("created-text").textContent = waiting
      ? `${list.name} (${list.address}) is waiting for an administrator of ${list.org} to approve it. Mail to it is refused until then; you can add members and owners meanwhile.`
      : `${list.name} is ${list.address}, approved and open for mail.`;
    $("created-link").href = listHref(list.address);
    $("created").hidden = false;
  });
});
