// The design system's summary list filled from the API (every record
// page): a row is a key, a value (a string or nodes, set with textContent
// only) and, optionally, an action (a "Change" link, a "Remove" form).
import { el } from "./dom.mjs";

export function summaryRow(key, value) {
  const row = el("div", "nhsuk-summary-list__row");
  const dd = el("dd", "nhsuk-summary-list__value");
  if (typeof value === "string") dd.textContent = value;
  else dd.append(...value);
  row.append(el("dt", "nhsuk-summary-list__key", key), dd);
  return row;
}

// [[key, value], ...] as rows.
export function summaryRows(rows) {
  return rows.map(([key, value]) => summaryRow(key, value));
}

// Fills dl from rows [key, value, action?]; in a list with actions, the
// rows without one get the design system's "no actions" class, so the
// columns line up.
export function summary(dl, rows) {
  const withActions = rows.some((r) => r[2]);
  dl.replaceChildren(...rows.map(([key, value, action]) => {
    const row = summaryRow(key, value);
    if (action) {
      const actions = el("dd", "nhsuk-summary-list__actions");
      actions.append(action);
      row.append(actions);
    } else if (withActions) {
      row.classList.add("nhsuk-summary-list__row--no-actions");
    }
    return row;
  }));
}

// A "Change" link to the field that changes a row; what: for a screen
// reader, what it changes.
export function changeLink(href, what) {
  const a = el("a", "nhsuk-link", "Change");
  a.href = href;
  a.append(el("span", "nhsuk-u-visually-hidden", ` ${what}`));
  return a;
}
