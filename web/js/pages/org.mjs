// One organisation (/org?ods=): its record (docs/api.md "Records") as a
// summary list; its details and local IT helpdesk edited for those whose
// role allows it (PATCH; name, type and parent by the Global Admin only);
// its sites, and adding one; appointing its Primary Local Administrator
// (the Global Admin); its application servers (relay hosts), added and
// removed by those with relay.manage; its mail policy (sending limits and
// DLP actions, SPEC M7, M12), changed by the Global Admin alone (PUT
// /orgs/{ods}/mail-policy); its people, parent and children.
// Every refusal is the API's sentence in the error summary, linked to the
// field.
import { page } from "../app.mjs";
import { api, ApiError, create } from "../api.mjs";
import { bindForm, clearErrors, FormError, rowAction, sentence, values as formValues } from "../form.mjs";
import { el, option } from "../dom.mjs";
import { multiline, orNone, when } from "../format.mjs";
import { allOrgs, allSites, changeIf, fillOrgForm, orgBody, orgLink, orgOption } from "../orgs.mjs";
import { openRecord } from "../record.mjs";
import { holds } from "../roles.mjs";
import { summary } from "../summary.mjs";
import { cell, fillTable, row } from "../table.mjs";
import { readAll } from "../listing.mjs";

const $ = (id) => document.getElementById(id);

// The summary's rows; a "Change" link to the field for those who may.
function rows(org, known, editor, global) {
  const change = (field, what) => changeIf(editor, field, what);
  const register = (field, what) => changeIf(global, field, what);
  const parent = org.parent ? (known.get(org.parent) ? [orgLink(known.get(org.parent))] : org.parent) : "None: a top-level organisation";
  return [
    ["ODS code", org.ods],
    ["Name", org.name, register("name", "name")],
    ["Type", orNone(org.type), register("type", "type")],
    ["Parent organisation", parent, register("parent", "parent organisation")],
    ["Postal address", multiline(org.postal_address), change("postal_address", "postal address")],
    ["Description", orNone(org.description), change("description", "description")],
    ["Website", orNone(org.website), change("website", "website")],
    ["Local IT helpdesk phone", orNone(org.helpdesk_phone), change("helpdesk_phone", "local IT helpdesk phone number")],
    ["Local IT helpdesk email", orNone(org.helpdesk_email), change("helpdesk_email", "local IT helpdesk email address")],
    ["Default mailbox size", org.default_quota_mb ? `${org.default_quota_mb} MB` : "The service's default", change("default_quota_mb", "default mailbox size")],
    ["Mail programs turned off", org.protocols_off ? org.protocols_off.toUpperCase().replaceAll(",", ", ") : "None", change("off_imap", "mail programs turned off")],
    ["Primary Local Administrators", (org.primary_local_admins ?? []).join(", ") || "None"],
    ["Created", when(org.created_at)],
    ["Updated", when(org.updated_at)],
  ];
}

// The mail policy's settings: their rows and what each value reads as.
const POLICY = [
  ["send_limit_message", "Recipients one message may have"],
  ["send_limit_day", "Recipients a person may send to in a day"],
  ["dlp_high", "NHS number with a keyword nearby"],
  ["dlp_medium", "NHS number written 3-3-4 in an issued range"],
  ["dlp_low", "Any other ten digits with a valid check digit"],
];
const ACTIONS = { block: "Block", audit: "Audit", none: "None" };

function policyRows(policy, global) {
  return POLICY.map(([key, label]) => {
    const p = policy?.[key] ?? {};
    const value = typeof p.value === "number" ? p.value.toLocaleString("en-GB") : (ACTIONS[p.value] ?? String(p.value ?? ""));
    return [label, `${value} (${p.overridden ? "this organisation's" : "the service's setting"})`, changeIf(global, key, label.toLowerCase())];
  });
}

// The form shows the org's own values; empty or "default" where it has none.
function fillPolicyForm(form, policy) {
  for (const [key] of POLICY) {
    const p = policy?.[key] ?? {};
    form.elements[key].value = p.overridden ? String(p.value) : (key.startsWith("dlp_") ? "default" : "");
  }
}

// What the form says, as the API takes it: "" is the service's setting;
// a limit that is a whole number is sent as one, anything else as typed
// so the API's sentence names it.
function policyBody(values) {
  const body = {};
  for (const [key] of POLICY) {
    const v = String(values[key] ?? "").trim();
    if (!key.startsWith("dlp_")) body[key] = v === "" ? null : (/^[0-9]+$/.test(v) ? Number(v) : v);
    else body[key] = v === "" ? null : v;
  }
  return body;
}

async function showSites(ods) {
  const sites = await allSites(ods);
  fillTable($("sites-table"), $("sites-empty"), sites.map((s) => row(
    cell("Name", s.name),
    cell("Type", s.site_type),
    cell("Postal address", ...multiline(s.postal_address)),
    cell("Added", when(s.created_at)),
  )));
}

page(async ({ me }) => {
  let path = "";
  let org = await openRecord("org-heading", "Enter the organisation's ODS code, or open it from the list of organisations", (ods) => {
    path = `/orgs/${encodeURIComponent(ods)}`;
    return api("GET", path);
  }, "ods");
  if (!org) return;

  const editor = holds(me, "org.edit");
  const global = holds(me, "org.create");
  const relays = holds(me, "relay.manage");
  // Every org the caller reads: the parent's name and the children.
  const known = new Map((await allOrgs()).map((o) => [o.ods, o]));
  const editForm = $("edit-form");
  if (global) {
    for (const o of known.values()) if (o.ods !== org.ods) $("parent").append(orgOption(o));
  }
  // Shown before the form is filled: its baseline is what it shows.
  $("register-fields").hidden = !global;
  $("edit-section").hidden = !editor;
  $("edit-nav").hidden = !editor;
  $("site-form").hidden = !editor;
  $("devolve-form").hidden = !global;
  $("relay-form").hidden = !relays;
  $("mail-policy-form").hidden = !global;
  // Read only: no column for "Remove".
  if (!relays) $("relays-table").querySelector("thead th:last-child").remove();
  $("org-record").hidden = false;

  let baseline = {};
  const show = (o) => {
    // PATCH answers with the record alone: the policy shown stays.
    if (!o.mail_policy) o = { ...o, mail_policy: org.mail_policy };
    org = o;
    $("org-heading").textContent = o.name;
    $("org-caption").textContent = `ODS code ${o.ods}${o.type ? `, ${o.type}` : ""}`;
    summary($("org-summary"), rows(o, known, editor, global));
    summary($("mail-policy-summary"), policyRows(o.mail_policy, global));
    fillPolicyForm($("mail-policy-form"), o.mail_policy);
    if (o.parent && global && ![...$("parent").options].some((opt) => opt.value === o.parent)) {
      $("parent").append(option(o.parent, o.parent));
    }
    fillOrgForm(editForm, o);
    baseline = orgBody(formValues(editForm));
    const parent = known.get(o.parent);
    if (o.parent) $("parent-item").replaceChildren("Part of ", parent ? orgLink(parent) : `${o.parent} (not one you administer)`);
    else $("parent-item").textContent = "A top-level organisation";
    const admins = o.primary_local_admins ?? [];
    $("devolved-text").textContent = admins.length
      ? `Devolved to ${admins.join(", ")}: the administrators of the organisations above no longer reach this one or its people.`
      : "None: the administrators of the organisations above this one also administer it.";
  };
  show(org);

  $("users-link").href = `/users?org=${encodeURIComponent(org.ods)}`;
  $("users-link").textContent = `People of ${org.name}`;
  const children = [...known.values()].filter((o) => o.parent === org.ods);
  $("children").replaceChildren(...children.map((o) => {
    const li = el("li");
    li.append(orgLink(o), ` (${o.ods})`);
    return li;
  }));
  $("children").hidden = children.length === 0;
  $("children-none").hidden = children.length > 0;

  await showSites(org.ods);

  // The org's application servers; "Remove" on each for those who may.
  const relayRow = (r) => row(
    cell("Address or block", r.cidr),
    cell("Label", r.label),
    cell("Added", when(r.created_at)),
    ...(relays ? [cell("Action", rowAction(`relay-remove-${r.id}`, "Remove", `application server ${r.label} (${r.cidr})`,
      () => api("DELETE", `${path}/relays/${encodeURIComponent(r.id)}`), async () => {
        await showRelays();
        done(`The application server ${r.label} (${r.cidr}) is removed: it can no longer send mail without signing in.`);
        $("relays").focus();
      }))] : []),
  );
  async function showRelays() {
    let items;
    try {
      items = await readAll(`${path}/relays`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      $("relays-table").hidden = true;
      $("relays-empty").textContent = sentence(err.message);
      $("relays-empty").hidden = false;
      return;
    }
    fillTable($("relays-table"), $("relays-empty"), items.map(relayRow));
  }
  await showRelays();

  // One error summary serves every form here: a new submit clears the
  // marks an earlier refusal left on another form's fields.
  document.addEventListener("submit", () => {
    for (const form of document.querySelectorAll("main form")) clearErrors(form);
  }, true);
  const done = (text) => {
    $("org-done").textContent = text;
  };

  bindForm(editForm, async (values) => {
    done("");
    // Only what changed is sent: a Local Administrator's PATCH carries
    // no name, type or parent, which need the Global Admin.
    const changed = Object.fromEntries(Object.entries(orgBody(values)).filter(([k, v]) => String(baseline[k] ?? "") !== String(v)));
    if (!Object.keys(changed).length) throw new FormError("postal_address", "Change a detail before saving");
    show(await api("PATCH", path, changed));
    done("Details saved.");
    $("details").scrollIntoView();
  });

  bindForm($("site-form"), async (v) => {
    done("");
    const site = await create(`${path}/sites`, { name: v.name.trim(), site_type: v.site_type.trim(), postal_address: v.postal_address.trim() });
    for (const id of ["site-name", "site-type", "site-postal-address"]) $(id).value = "";
    await showSites(org.ods);
    done(`The site ${site.name} is added.`);
  });

  bindForm($("relay-form"), async (v) => {
    done("");
    const relay = await create(`${path}/relays`, { cidr: v.cidr.trim(), label: v.label.trim() });
    for (const id of ["relay-cidr", "relay-label"]) $(id).value = "";
    await showRelays();
    done(`The application server ${relay.label} (${relay.cidr}) is added: it may now send mail from this organisation's addresses.`);
  });

  bindForm($("mail-policy-form"), async (v) => {
    done("");
    await api("PUT", `${path}/mail-policy`, policyBody(v));
    show(await api("GET", path));
    done("Mail policy saved.");
    $("mail-policy").focus();
  });

  bindForm($("devolve-form"), async (v) => {
    done("");
    await api("POST", `${path}/primary-admins`, { address: v.address.trim() });
    show(await api("GET", path));
    $("devolve-address").value = "";
    done(`${v.address.trim()} is now a Primary Local Administrator of ${org.name}.`);
  });
});
