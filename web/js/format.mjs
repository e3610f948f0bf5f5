// The API's values as people read them, the same on every page: times in
// UTC, an org as "Name (ODS)", empty values as "None", lists as bullets,
// text with line breaks.
// Pure but for lineNodes and multiline, which make nodes.
import { el } from "./dom.mjs";

const MINUTE = { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" };
const SECOND = { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" };

function timeIn(iso, style, none) {
  if (!iso) return none;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toLocaleString("en-GB", style)} UTC`;
}

// An API time ("2026-11-22T10:02:11Z") to the minute; none: "Never".
export function when(iso) {
  return timeIn(iso, MINUTE, "Never");
}

// To the second, for the reports (audit, devices), where order matters;
// none: "".
export function timeText(iso) {
  return timeIn(iso, SECOND, "");
}

// "Name (ODS)" for an org record ({ ods, name }); "" for none.
export function orgName(org) {
  return org ? `${org.name} (${org.ods})` : "";
}

export function orNone(text) {
  return text === null || text === undefined || text === "" ? "None" : String(text);
}

export function capital(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

// Nodes for a summary list's value or a cell: a bullet list, or none.
export function lineNodes(lines, none = "None") {
  if (!lines.length) return [none];
  const ul = el("ul", "nhsuk-list");
  for (const text of lines) ul.append(el("li", "", text));
  return [ul];
}

// Text with line breaks (a postal address) as nodes; none: "None".
export function multiline(text) {
  if (!text) return ["None"];
  return String(text).split("\n").flatMap((line, i) => (i ? [el("br"), line] : [line]));
}
