// Tables that reflow on a phone: the design system's responsive table
// (tables macro with responsive: true), filled from the API. Below the
// desktop width each row becomes a block and each cell shows its column's
// heading, which is hidden from screen readers (they have the header).
import { el } from "./dom.mjs";

// A cell with its heading for the narrow layout; content: text or nodes.
export function cell(heading, ...content) {
  const td = el("td", "nhsuk-table__cell");
  td.setAttribute("role", "cell");
  const label = el("span", "nhsuk-table__heading", `${heading} `);
  label.setAttribute("aria-hidden", "true");
  const value = el("span");
  value.append(...content);
  td.append(label, value);
  return td;
}

export function row(...cells) {
  const tr = el("tr", "nhsuk-table__row");
  tr.setAttribute("role", "row");
  tr.append(...cells);
  return tr;
}

// Puts rows in the table's body; an empty table is hidden and the
// element none (a sentence saying there is nothing) shown instead.
export function fillTable(table, none, rows) {
  table.querySelector("tbody").replaceChildren(...rows);
  table.hidden = rows.length === 0;
  if (none) none.hidden = rows.length !== 0;
}
