// What the admin pages' listings and records share (users, orgs, org,
// tokens): the design system's responsive table built row by row, a
// summary list, cursor pagination carried in the page's own address, and
// times as the pages show them. Text goes in with textContent only.
import { el } from "./people.mjs";

// A cell of a responsive table: below tablet width each row becomes a
// block and every cell shows its heading (hidden from screen readers,
// which have the column's).
export function cell(heading, content) {
  const td = el("td", "nhsuk-table__cell");
  td.setAttribute("role", "cell");
  const label = el("span", "nhsuk-table__heading", `${heading} `);
  label.setAttribute("aria-hidden", "true");
  const value = el("span");
  value.append(...content);
  td.append(label, value);
  return td;
}

// cells: [[heading, [content...]], ...] → a <tr>.
export function tableRow(cells) {
  const tr = el("tr", "nhsuk-table__row");
  tr.setAttribute("role", "row");
  tr.append(...cells.map(([heading, content]) => cell(heading, content)));
  return tr;
}

// Fills a summary list (<dl>) from rows [key, content, change?], content
// a string or nodes; change ({ href, what }) adds a "Change" link to the
// field that changes it.
export function summaryRows(dl, rows) {
  const anyChange = rows.some((r) => r[2]);
  dl.replaceChildren(...rows.map(([key, content, change]) => {
    const row = el("div", "nhsuk-summary-list__row");
    const value = el("dd", "nhsuk-summary-list__value");
    value.append(...(typeof content === "string" ? [content] : content));
    row.append(el("dt", "nhsuk-summary-list__key", key), value);
    if (change) {
      const link = el("a", "nhsuk-link", "Change");
      link.href = change.href;
      link.append(el("span", "nhsuk-u-visually-hidden", ` ${change.what}`));
      const actions = el("dd", "nhsuk-summary-list__actions");
      actions.append(link);
      row.append(actions);
    } else if (anyChange) {
      row.classList.add("nhsuk-summary-list__row--no-actions");
    }
    return row;
  }));
}

// The API's cursors are opaque and go one way, so a listing keeps the ones
// that led to it in its own query (?page=C1&page=C2): "Next" adds the
// reply's next_cursor, "Previous" drops the last, and every page is a
// link. base: the page's other query (filters); links: the ids of the
// design system's pagination links.
export function pager(pathname, base, cursors, nextCursor, links) {
  const withPages = (pages) => {
    const q = new URLSearchParams(base);
    for (const c of pages) q.append("page", c);
    return q;
  };
  const set = (id, query) => {
    const link = document.getElementById(id);
    const item = link.closest("li");
    item.hidden = query === null;
    if (query === null) return;
    const qs = query.toString();
    link.href = qs ? `${pathname}?${qs}` : pathname;
  };
  set(links.previous, cursors.length ? withPages(cursors.slice(0, -1)) : null);
  set(links.next, nextCursor ? withPages([...cursors, nextCursor]) : null);
}

// The cursor a listing asks the API for: the last of the page's own.
export function cursorQuery(query, cursors) {
  if (cursors.length) query.set("cursor", cursors[cursors.length - 1]);
  return query;
}

export function when(iso) {
  if (!iso) return "Never";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC`;
}
