// Which header menu items a person sees: an item needs an action
// ("everyone", or an action name as GET /api/v1/me's `actions` list the
// person's). A pure function: test/nav.test.mjs has its table; site.mjs
// has the menu.

export function navVisible(needs, actions) {
  if (needs === "everyone") return true;
  return Boolean(needs) && (actions ?? []).includes(needs);
}
