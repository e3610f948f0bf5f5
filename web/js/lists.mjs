// What the distribution list pages share (/lists, /list-new, /list,
// /list-approvals): a list's status as the design system's tag, its rule
// and a waiting change in words, and the change-freeze banner. Text from
// the API is set with textContent only.
import { api, ApiError } from "./api.mjs";
import { tag } from "./dom.mjs";
import { when } from "./format.mjs";
import { roleName } from "./roles.mjs";

export function listHref(address) {
  return `/list?address=${encodeURIComponent(address)}`;
}

const STATUS = {
  approved: ["Approved", "green"],
  pending: ["Waiting for approval", "yellow"],
  rejected: ["Rejected", "red"],
};

// The list's tags: its status, and "Change waiting" when an owner's
// change to an approved list waits for a decision.
export function listTags(list) {
  const [text, colour] = STATUS[list.status] ?? [list.status, "grey"];
  const tags = [tag(text, colour)];
  if (list.status === "approved" && list.pending_change) tags.push(" ", tag("Change waiting", "orange"));
  return tags;
}

export function kindText(kind) {
  return kind === "dynamic" ? "Dynamic (a rule)" : "Static (chosen members)";
}

// The rule's keys as people read them, in the editor's order.
export const RULE_KEYS = [
  ["orgs", "Organisations"],
  ["include_children", "Organisations below them"],
  ["job_titles", "Job titles"],
  ["departments", "Departments"],
  ["sites", "Sites"],
  ["site_types", "Site types"],
  ["roles", "Roles"],
  ["include_lists", "Also everyone on"],
  ["exclude_lists", "Leaving out everyone on"],
];

// ["Job titles: GP, Nurse", ...]; a rule with nothing set reaches everyone
// of the list's own organisation.
export function ruleLines(rule) {
  const lines = [];
  for (const [key, label] of RULE_KEYS) {
    const value = rule?.[key];
    if (key === "include_children") {
      if (value) lines.push(`${label}: included`);
    } else if (Array.isArray(value) && value.length) {
      const shown = key === "roles" ? value.map(roleName) : value;
      lines.push(`${label}: ${shown.join(", ")}`);
    }
  }
  if (!(rule?.orgs ?? []).length) lines.unshift("Organisations: the list's own");
  return lines;
}

const CHANGE_KEYS = [
  ["members_add", "Add members"],
  ["members_remove", "Remove members"],
  ["owners_add", "Add owners"],
  ["owners_remove", "Remove owners"],
];

// A change waiting for approval (pending_change), in words.
export function changeLines(change) {
  if (!change) return [];
  const lines = [];
  if (typeof change.description === "string") lines.push(`New description: ${change.description || "(none)"}`);
  if (change.rule !== undefined) {
    let rule = change.rule;
    try {
      if (typeof rule === "string") rule = JSON.parse(rule);
      lines.push(`New rule: ${ruleLines(rule).join("; ")}`);
    } catch {
      lines.push("A new rule");
    }
  }
  for (const [key, label] of CHANGE_KEYS) {
    const items = change[key] ?? [];
    if (items.length) lines.push(`${label}: ${items.join(", ")}`);
  }
  return lines;
}

// Reads the change freeze and shows the banner (#freeze) when it is on.
// Only list admins may read it: for anyone else it is null, and a form
// the freeze refuses says so with the API's sentence.
export async function showFreeze() {
  let freeze;
  try {
    freeze = await api("GET", "/settings/change-freeze");
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return null;
  }
  const banner = document.getElementById("freeze");
  if (banner) {
    banner.hidden = !freeze.on;
    document.getElementById("freeze-reason").textContent = freeze.on
      ? `Reason: ${freeze.reason}${freeze.updated_by ? ` (set by ${freeze.updated_by}, ${when(freeze.updated_at)})` : ""}.`
      : "";
  }
  return freeze;
}
