// Elements made from the API's data, the one way every page makes them:
// text is set with textContent only, so the API's words never become
// markup. The design system's classes are given by the caller.

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// An <option> of a select.
export function option(value, text) {
  return Object.assign(el("option", "", text), { value });
}

// A link; className "" for a plain one (People Finder's).
export function link(text, href, className = "nhsuk-link") {
  const a = el("a", className, text);
  a.href = href;
  return a;
}

// The design system's tag (status words in a colour).
export function tag(text, colour) {
  return el("strong", `nhsuk-tag nhsuk-tag--${colour}`, text);
}
