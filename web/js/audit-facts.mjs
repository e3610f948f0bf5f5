// An audit entry's summary as lines a person reads (the audit page's
// details): a pure rule, tested in web/test/audit-facts.test.mjs.

export function valueText(value) {
  if (value === null || value === undefined || value === "") return "(none)";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// [key, text] pairs: for a change with "before" and "after", only the
// fields that changed ("from ... to ..."); every other key as it is.
export function facts(summary) {
  if (!isObject(summary)) return [["summary", valueText(summary)]];
  const { before, after, ...rest } = summary;
  const out = [];
  if (isObject(before) && isObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
        out.push([key, `from ${valueText(before[key])} to ${valueText(after[key])}`]);
      }
    }
  } else {
    if (before !== undefined) rest.before = before;
    if (after !== undefined) rest.after = after;
  }
  for (const [key, value] of Object.entries(rest)) out.push([key, valueText(value)]);
  return out;
}

// What an entry was done to, by the name its summary gives it (an
// address, an ODS code) where it gives one, else by its id.
export function objectName(entry) {
  const s = isObject(entry.summary) ? entry.summary : {};
  for (const part of [s, s.after, s.before]) {
    if (!isObject(part)) continue;
    const name = part.address ?? part.ods ?? part.name;
    if (typeof name === "string" && name) return name;
  }
  return `#${entry.object_id}`;
}
