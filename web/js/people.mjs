// What the user pages share (users, user, user-new): a person's status as
// the design system's tag, and their link.
import { tag } from "./dom.mjs";

// status (and locked) → the tag's words and colour.
const STATUS = {
  active: ["Active", "green"],
  disabled: ["Disabled", "grey"],
  inactive: ["Inactive", "yellow"],
  leaver: ["Leaver", "orange"],
  deleted: ["Deleted", "red"],
};

// The person's tags: their status, and "Locked" beside it when locked.
export function statusTags(person) {
  const [text, colour] = STATUS[person.status] ?? [person.status, "grey"];
  const tags = [tag(text, colour)];
  if (person.locked) tags.push(" ", tag("Locked", "red"));
  return tags;
}

export function userHref(address) {
  return `/user?address=${encodeURIComponent(address)}`;
}
