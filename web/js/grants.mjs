// The actions an API token may be given, by its maker's roles (docs/api.md
// "API tokens"): each one its maker may take in the token's org, never
// token.manage. The API has no endpoint that lists them, so this mirrors
// the access table in src/auth/auth_access.c (auth_roles); the API still
// decides, and tests/browser/test_orgs.py checks this table against it.
// A pure module: web/test/grants.test.mjs has its table.

// What each action lets a token do, in auth_action_names' order.
export const ACTIONS = [
  ["org.read", "Read the organisation and its sites"],
  ["org.edit", "Edit the organisation's details and add sites"],
  ["org.devolve", "Appoint a Primary Local Administrator"],
  ["role.grant", "Give and take away admin roles"],
  ["user.read", "Read people"],
  ["user.create", "Create people"],
  ["user.edit", "Edit people's details"],
  ["user.reset_password", "Reset passwords"],
  ["user.unlock", "Unlock accounts"],
  ["user.lifecycle", "Disable, enable, mark as leaver, join and transfer people"],
  ["user.delete", "Delete people"],
  ["user.restore", "Restore deleted people"],
  ["mailbox.manage", "Manage shared and resource mailboxes"],
  ["contact.manage", "Manage contacts"],
  ["list.manage", "Manage distribution lists"],
  ["audit.read", "Search the audit trail"],
  ["report.read", "Read reports"],
  ["mail.send", "Send mail from the organisation's addresses"],
];

const LOCAL = [
  "org.read", "org.edit", "user.read", "user.create", "user.edit", "user.reset_password", "user.unlock",
  "user.lifecycle", "user.delete", "mailbox.manage", "contact.manage", "list.manage", "audit.read", "report.read",
];

// The roles that hold token.manage, and what each may give a token. A
// Global Admin may take every action but eDiscovery's; org.create and
// role.grant_global are left out, as a token is never used on an endpoint
// that is on no particular org (docs/api.md), so they would grant nothing.
// Like token.manage, relay.manage makes credentials, which the API gives
// to no token (src/auth/auth_token.c).
export const GIVES = {
  global_admin: ACTIONS.map(([name]) => name),
  primary_local_admin: [...LOCAL, "role.grant", "mail.send"],
};

// The actions a person holding roles ([{ role, org }], as GET /me gives
// them) may offer a token, in ACTIONS' order.
export function grantable(roles) {
  const held = new Set((roles ?? []).flatMap((r) => GIVES[r.role] ?? []));
  return ACTIONS.filter(([name]) => held.has(name));
}
