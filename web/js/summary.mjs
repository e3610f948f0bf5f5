// The design system's summary list filled from the API (/person, /list,
// /list-approvals): a row is a key and a value, the value a string or
// nodes, set with textContent only.

export function summaryRow(key, value) {
  const row = document.createElement("div");
  row.className = "nhsuk-summary-list__row";
  const dt = document.createElement("dt");
  dt.className = "nhsuk-summary-list__key";
  dt.textContent = key;
  const dd = document.createElement("dd");
  dd.className = "nhsuk-summary-list__value";
  if (typeof value === "string") dd.textContent = value;
  else dd.append(...value);
  row.append(dt, dd);
  return row;
}

// [[key, value], ...] as rows.
export function summaryRows(rows) {
  return rows.map(([key, value]) => summaryRow(key, value));
}
