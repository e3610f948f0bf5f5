// Admin roles: their names for people, which of them a person may give,
// and whether they may take an action somewhere: both from GET
// /api/v1/me (grantable_roles, actions), the server's access table, so
// the pages keep no copy of it. It only chooses what a page offers; the
// API decides, org by org. A pure module (test/roles.test.mjs).

export const ROLE_NAMES = {
  global_admin: "Global Administrator",
  ediscovery: "eDiscovery",
  primary_local_admin: "Primary Local Administrator",
  local_admin: "Local Administrator",
  helpdesk_admin: "Helpdesk Administrator",
  audit_authorisation: "Audit Authorisation",
};

export function roleName(role) {
  return ROLE_NAMES[role] ?? role;
}

// The roles me (GET /me) may give, in ROLE_NAMES' order.
export function grantable(me) {
  const gives = new Set(me?.grantable_roles ?? []);
  return Object.keys(ROLE_NAMES).filter((role) => gives.has(role));
}

// Whether me (GET /me) may take action somewhere; "everyone" (site.mjs's
// menu items for anyone signed in) is held by all, "shared.owner" by
// whoever owns a shared mailbox (an admin role or not).
export function holds(me, action) {
  if (action === "shared.owner") return (me?.shared_mailboxes_owned ?? []).length > 0;
  return action === "everyone" || (me?.actions ?? []).includes(action);
}
