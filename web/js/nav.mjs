// Which header menu items a person sees: an item names the roles that need
// it ("everyone", or role names from GET /api/v1/me's roles). A pure
// function: test/nav.test.mjs has its table; site.mjs has the menu.

export function navVisible(itemRoles, personRoles) {
  const wanted = itemRoles.split(/\s+/).filter(Boolean);
  if (wanted.includes("everyone")) return true;
  const held = new Set(personRoles.map((r) => r.role));
  return wanted.some((r) => held.has(r));
}
