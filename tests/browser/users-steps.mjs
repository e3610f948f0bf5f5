// Steps the users scenarios share (users.mjs, users-refused.mjs).
import { BASE, fail } from "./harness.mjs";

// The browser takes the session the test signed in with through the API
// (sign-in itself is signin.mjs's), as "name=value".
export async function signedIn(b, cookie) {
  const at = cookie.indexOf("=");
  await b.page.context().addCookies([{
    name: cookie.slice(0, at),
    value: cookie.slice(at + 1),
    url: BASE + "/",
    secure: true,
    httpOnly: true,
    sameSite: "Strict",
  }]);
}

export async function waitText(b, selector, pattern, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    const text = await b.text(selector);
    if (pattern.test(text)) return text;
    if (Date.now() > end) fail(`${selector} never said ${pattern}: "${text}"`);
    await b.page.waitForTimeout(100);
  }
}

// The user page's first status tag.
export async function statusOf(b) {
  return (await b.text("#user-tags .nhsuk-tag")).trim();
}

// How many visible header menu items link to href (0 or 1).
export function menuShows(b, href) {
  return b.page.locator(`.nhsuk-header__navigation-item:not([hidden]) a[href="${href}"]`).count();
}

// A header menu item, by its words; one the wide header has no room for
// is under "More".
export async function menu(b, name) {
  const nav = b.page.getByRole("navigation", { name: "Menu" });
  const link = nav.getByRole("link", { name, exact: true });
  if (!(await link.isVisible())) await nav.getByRole("button", { name: /More/ }).click();
  await link.click();
}
