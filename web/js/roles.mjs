// Admin roles: their names for people, which of them a person may give
// or take away, and which of them hold the actions the pages offer (for
// what a page shows; the API decides, org by org). A pure module (test/roles.test.mjs has its table). The
// rule mirrors src/auth/auth_access.c and grant_action in
// src/api/api_users.c: global_admin and ediscovery need role.grant_global
// and primary_local_admin org.devolve (a Global Administrator's), the
// other three role.grant (a Primary Local Administrator's too). It only
// chooses what the page offers; the API decides, org by org.

export const ROLE_NAMES = {
  global_admin: "Global Administrator",
  ediscovery: "eDiscovery",
  primary_local_admin: "Primary Local Administrator",
  local_admin: "Local Administrator",
  helpdesk_admin: "Helpdesk Administrator",
  audit_authorisation: "Audit Authorisation",
};

const LOCAL_GRANTS = ["local_admin", "helpdesk_admin", "audit_authorisation"];

// What each role may give, by the actions it holds.
const GIVES = {
  global_admin: Object.keys(ROLE_NAMES),
  primary_local_admin: LOCAL_GRANTS,
};

export function roleName(role) {
  return ROLE_NAMES[role] ?? role;
}

// The roles someone holding myRoles ([{ role, org }], GET /me's roles) may
// give, in ROLE_NAMES' order.
export function grantable(myRoles) {
  const gives = new Set((myRoles ?? []).flatMap((r) => GIVES[r.role] ?? []));
  return Object.keys(ROLE_NAMES).filter((role) => gives.has(role));
}

// The roles that hold each action a page offers or hides (auth_roles in
// src/auth/auth_access.c).
const LOCAL = ["global_admin", "primary_local_admin", "local_admin"];
export const HOLDERS = {
  "org.create": ["global_admin"],
  "org.devolve": ["global_admin"],
  "org.edit": LOCAL,
  "user.create": LOCAL,
  "list.manage": LOCAL,
  "relay.manage": ["global_admin", "primary_local_admin"],
  // Not an action of the table: the API lets only a Global Admin switch
  // the change freeze (PUT /settings/change-freeze).
  "freeze.set": ["global_admin"],
};

// Whether me (GET /me) holds action in some org.
export function holds(me, action) {
  return (me?.roles ?? []).some((r) => (HOLDERS[action] ?? []).includes(r.role));
}
