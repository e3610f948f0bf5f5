// The actions an API token may be given, in words (docs/api.md "API
// tokens"). Which ones a person may offer is the server's rule, from GET
// /api/v1/me (token_actions); tests/browser/test_orgs.py checks the offer
// against the API. A pure module: web/test/grants.test.mjs has its table.

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

// The actions a person may offer a token (GET /api/v1/me's token_actions,
// the server's rule), with their words, in ACTIONS' order; one without
// words is shown by its name.
export function grantable(me) {
  const offered = new Set(me?.token_actions ?? []);
  const known = ACTIONS.filter(([name]) => offered.has(name));
  const other = [...offered].filter((name) => !ACTIONS.some(([n]) => n === name)).map((name) => [name, name]);
  return [...known, ...other];
}
