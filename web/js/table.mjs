// Tables that reflow on a phone: the design system's responsive table
// (tables macro with responsive: true), filled from the API. Below the
// desktop width each row becomes a block and each cell shows its column's
// heading, which is hidden from screen readers (they have the header).
// Also what the admin pages' records and listings share: a summary list,
// and cursor pagination carried in the page's own address.

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

// A cell with its heading for the narrow layout; content: text or nodes.
export function cell(heading, ...content) {
  const td = node("td", "nhsuk-table__cell");
  td.setAttribute("role", "cell");
  const label = node("span", "nhsuk-table__heading", `${heading} `);
  label.setAttribute("aria-hidden", "true");
  const value = node("span", "");
  value.append(...content);
  td.append(label, value);
  return td;
}

export function row(...cells) {
  const tr = node("tr", "nhsuk-table__row");
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

// Fills a summary list (<dl>) from rows [key, content, change?], content
// a string or nodes; change ({ href, what }) adds a "Change" link to the
// field that changes it.
export function summaryRows(dl, rows) {
  const anyChange = rows.some((r) => r[2]);
  dl.replaceChildren(...rows.map(([key, content, change]) => {
    const item = node("div", "nhsuk-summary-list__row");
    const value = node("dd", "nhsuk-summary-list__value");
    value.append(...(typeof content === "string" ? [content] : content));
    item.append(node("dt", "nhsuk-summary-list__key", key), value);
    if (change) {
      const link = node("a", "nhsuk-link", "Change");
      link.href = change.href;
      link.append(node("span", "nhsuk-u-visually-hidden", ` ${change.what}`));
      const actions = node("dd", "nhsuk-summary-list__actions");
      actions.append(link);
      item.append(actions);
    } else if (anyChange) {
      item.classList.add("nhsuk-summary-list__row--no-actions");
    }
    return item;
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
