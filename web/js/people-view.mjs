// How People Finder shows a person (SPEC D4): the tags for a leaver and
// for each admin role held now, and the lines of a person's details, as
// elements built with textContent only (the API's text never becomes
// markup). Shared by /people (results) and /person (a person's card).
import { link } from "./dom.mjs";
import { orgName } from "./format.mjs";
import { roleName } from "./roles.mjs";

// [{ text, colour }] for the design system's tag component, leaver first.
export function tagsFor(person) {
  const tags = [];
  if (person.leaver) tags.push({ text: "Leaver", colour: "grey" });
  for (const a of person.admin ?? []) {
    tags.push({ text: `${roleName(a.role)} (${a.org})`, colour: "blue" });
  }
  return tags;
}

export function tagElements(person) {
  return tagsFor(person).map((t) => {
    const tag = document.createElement("strong");
    tag.className = `nhsuk-tag nhsuk-tag--${t.colour} app-person-tag`;
    tag.textContent = t.text;
    return tag;
  });
}

export function orgText(person) {
  return orgName(person.org);
}

// A phone number as a tel: link a phone can dial.
export function tel(number) {
  return link(number, `tel:${number.replace(/[^0-9+]/g, "")}`, "");
}

export function helpdeskNodes(helpdesk) {
  if (!helpdesk || (!helpdesk.phone && !helpdesk.email)) return ["None given"];
  const out = [];
  if (helpdesk.phone) out.push(tel(helpdesk.phone));
  if (helpdesk.phone && helpdesk.email) out.push(", ");
  if (helpdesk.email) out.push(link(helpdesk.email, `mailto:${helpdesk.email}`, ""));
  return out;
}

export function personHref(address) {
  return `/person?address=${encodeURIComponent(address)}`;
}
