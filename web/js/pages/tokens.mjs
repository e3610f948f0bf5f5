// API tokens for application accounts (docs/api.md "API tokens"), for
// those with token.manage: the tokens of the orgs they administer (GET
// /tokens, by org, a page at a time), "Revoke" on each active one (DELETE
// /tokens/{id}), and a form to make one (POST /tokens) whose token is
// shown once, as /account shows a new app password (secret.mjs).
import { page } from "../app.mjs";
import { api, ApiError, create } from "../api.mjs";
import { bindForm, clearErrors, FormError } from "../form.mjs";
import { el, tag } from "../dom.mjs";
import { lineNodes, when } from "../format.mjs";
import { grantable } from "../grants.mjs";
import { showListing } from "../listing.mjs";
import { allOrgs, orgOption } from "../orgs.mjs";
import { hideSecret, revokeButton, showSecret } from "../secret.mjs";
import { cell, row } from "../table.mjs";

const $ = (id) => document.getElementById(id);
const STATUS = { active: ["Active", "green"], revoked: ["Revoked", "red"], expired: ["Expired", "grey"] };

// A box per action the caller may give, named action-NAME (form.mjs reads
// it as true or false); the first carries the API's field, "actions".
function actionBoxes(actions) {
  return actions.map(([name, words], i) => {
    const id = `action-${name.replace(/[^a-z]/g, "-")}`;
    const item = el("div", "nhsuk-checkboxes__item");
    const input = el("input", "nhsuk-checkboxes__input");
    Object.assign(input, { type: "checkbox", id, name: `action-${name}`, value: name });
    if (i === 0) input.dataset.apiField = "actions";
    input.setAttribute("aria-describedby", `${id}-hint`);
    const label = el("label", "nhsuk-label nhsuk-checkboxes__label", words);
    label.htmlFor = id;
    const hint = el("div", "nhsuk-hint nhsuk-checkboxes__hint", name);
    hint.id = `${id}-hint`;
    item.append(input, label, hint);
    return item;
  });
}

page(async ({ me }) => {
  const here = new URLSearchParams(window.location.search);
  const offered = grantable(me);
  // Without ?org= the API lists only the tokens the caller may manage,
  // which for a role without token.manage is none: such a caller's list is
  // asked for their own org, so the API's refusal says why.
  const org = here.get("org") ?? (offered.length ? "" : me.org?.ods ?? "");
  const listForm = $("tokens-list-form");
  const secret = $("token-new");
  const done = (text) => {
    $("tokens-done").textContent = text;
  };

  let orgs = [];
  try {
    orgs = await allOrgs();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
  for (const o of orgs) {
    $("filter-org").append(orgOption(o));
    $("org").append(orgOption(o));
  }
  $("filter-org").value = orgs.some((o) => o.ods === org) ? org : "";
  if (orgs.length === 1) $("org").value = orgs[0].ods;
  $("actions-boxes").replaceChildren(...actionBoxes(offered));
  $("make-section").hidden = offered.length === 0;

  const tokenRow = (t) => {
    const [text, colour] = STATUS[t.status] ?? [t.status, "grey"];
    const revoke = t.status === "active" ? revokeButton(t.label, listForm, `revoke-${t.id}`, async () => {
      clearErrors($("token-form"));
      await api("DELETE", `/tokens/${encodeURIComponent(t.id)}`);
      hideSecret(secret);
      await load();
      done(`The token ${t.label} is revoked: the application can no longer use it.`);
    }) : null;
    return row(
      cell("Label", t.label),
      cell("Organisation", t.org),
      cell("Status", tag(text, colour)),
      cell("Actions", ...lineNodes(t.actions ?? [], "None")),
      cell("Allowed from", ...lineNodes(t.allow_from ?? [], "Anywhere")),
      cell("Dates", ...lineNodes([
        `Made ${when(t.created_at)}${t.created_by ? ` by ${t.created_by}` : ""}`,
        t.revoked_at ? `Revoked ${when(t.revoked_at)}` : `Expires ${when(t.expires_at)}`,
        `Last used: ${when(t.last_used_at)}`,
      ], "")),
      cell("Revoke", ...(revoke ? [revoke] : [])),
    );
  };

  const load = () => showListing({
    prefix: "tokens", pagePath: "/tokens", apiPath: "/tokens", form: $("filter-form"),
    filters: new URLSearchParams(org ? { org } : {}), here, rowOf: tokenRow,
  });

  // One error summary serves every form: a new submit clears the marks an
  // earlier refusal left on another form's fields.
  document.addEventListener("submit", () => {
    for (const form of document.querySelectorAll("main form")) clearErrors(form);
  }, true);

  bindForm($("token-form"), async (v) => {
    hideSecret(secret);
    done("");
    if (!v.org) throw new FormError("org", "Choose the organisation the token acts on");
    const days = v.expires_days.trim();
    if (!/^\d+$/.test(days)) throw new FormError("expires_days", "Enter how many days until the token expires, as a whole number");
    const body = {
      label: v.label.trim(),
      org: v.org,
      actions: Object.entries(v).filter(([k, on]) => k.startsWith("action-") && on).map(([k]) => k.slice("action-".length)),
      expires_days: Number(days),
    };
    const allow = v.allow_from.split(/[\s,]+/).filter(Boolean);
    if (allow.length) body.allow_from = allow;
    const made = await create("/tokens", body);
    showSecret(secret, made.label, made.token);
    $("token-form").reset();
    if (orgs.length === 1) $("org").value = orgs[0].ods;
    await load();
    secret.scrollIntoView();
  });

  await load();
});
