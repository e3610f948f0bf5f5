// The dynamic rule editor (templates/lists.njk, ruleEditor) on /list-new
// and /list: the rule read from and written to its inputs, and the live
// member count below it, asked of the API once typing pauses (as People
// Finder's search, js/live.mjs) and showing the first few people.
import { api, ApiError } from "./api.mjs";
import { sentence } from "./form.mjs";
import { debounce, latestOnly } from "./live.mjs";
import { el } from "./dom.mjs";

const TEXT_KEYS = ["orgs", "job_titles", "departments", "sites", "site_types", "include_lists", "exclude_lists"];
const $ = (id) => document.getElementById(id);

function split(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

function roleBoxes() {
  return [...document.querySelectorAll('#rule-editor input[name="roles"]')];
}

// The rule in the API's shape, with only the keys filled in.
export function readRule() {
  const rule = {};
  for (const key of TEXT_KEYS) {
    const values = split($(`rule-${key}`).value);
    if (values.length) rule[key] = values;
  }
  if ($("rule-include_children").checked) rule.include_children = true;
  const roles = roleBoxes().filter((b) => b.checked).map((b) => b.value);
  if (roles.length) rule.roles = roles;
  return rule;
}

export function writeRule(rule) {
  for (const key of TEXT_KEYS) $(`rule-${key}`).value = (rule?.[key] ?? []).join(", ");
  $("rule-include_children").checked = Boolean(rule?.include_children);
  const roles = new Set(rule?.roles ?? []);
  for (const box of roleBoxes()) box.checked = roles.has(box.value);
}

// Shows a preview reply ({count, sample}): how many, and the first few
// by address, in countEl and sampleEl (the editor's, by default).
export function showPreview(reply, countEl = $("rule-count"), sampleEl = $("rule-sample")) {
  const n = reply.count;
  const shown = reply.sample.length;
  const noun = n === 1 ? "address" : "addresses";
  countEl.textContent = n === 0
    ? "Reaches no one yet."
    : `Reaches ${n} ${noun}${shown === 0 ? "." : n > shown ? `; the first ${shown} by address:` : ":"}`;
  sampleEl.replaceChildren(...reply.sample.map((s) =>
    el("li", "", s.display_name ? `${s.display_name} (${s.address})` : s.address)));
}

// Counts the rule as it is typed: orgOf() names the org the list belongs
// to (the rule's default). A refusal while typing is said quietly in the
// count; the error summary is for the form's own submit.
export function livePreview(orgOf) {
  const newRequest = latestOnly();
  const run = async () => {
    const org = orgOf();
    const current = newRequest();
    if (!org) {
      $("rule-count").textContent = "Choose the organisation to see how many people the rule reaches.";
      $("rule-sample").replaceChildren();
      return;
    }
    $("rule-count").textContent = "Counting…";
    try {
      const reply = await api("POST", "/lists/preview", { org, rule: readRule() });
      if (current()) showPreview(reply);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (!current()) return;
      $("rule-count").textContent = sentence(err.message);
      $("rule-sample").replaceChildren();
    }
  };
  const typed = debounce(() => run().catch((err) => console.error(err)));
  $("rule-editor").addEventListener("input", () => typed());
  $("rule-editor").addEventListener("change", () => typed());
  return { now: run, later: typed };
}
