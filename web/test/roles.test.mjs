// grantable and holds: what a page offers, as GET /me says it (the
// server's access table; test_api_access.py checks /me for every role):
// roles in ROLE_NAMES' order, actions as listed; nothing without them.
import assert from "node:assert/strict";
import { test } from "node:test";

import { grantable, holds, roleName, ROLE_NAMES } from "../js/roles.mjs";

const ALL = Object.keys(ROLE_NAMES);
const LOCAL = ["local_admin", "helpdesk_admin", "audit_authorisation"];

const cases = [
  [{ grantable_roles: [] }, []],
  [{ grantable_roles: [...ALL].reverse() }, ALL],
  [{ grantable_roles: ["audit_authorisation", "local_admin", "helpdesk_admin"] }, LOCAL],
  [{ grantable_roles: ["no_such_role"] }, []],
  [{}, []],
  [undefined, []],
];

test("grantable offers the roles the server says, in ROLE_NAMES' order", () => {
  for (const [me, want] of cases) {
    assert.deepEqual(grantable(me), want, JSON.stringify(me));
  }
});

test("every role has a name, and an unknown one is shown as it is", () => {
  for (const role of ALL) assert.notEqual(roleName(role), role);
  assert.equal(roleName("made_up"), "made_up");
});

test("holds is exactly membership of GET /me's actions", () => {
  const me = { actions: ["org.read", "org.edit", "relay.manage"] };
  for (const action of ["org.read", "org.edit", "relay.manage"]) assert.equal(holds(me, action), true, action);
  for (const action of ["org.create", "user.create", "org", "", "org.read "]) assert.equal(holds(me, action), false, action);
  assert.equal(holds({ actions: [] }, "org.edit"), false);
  assert.equal(holds({ roles: [{ role: "global_admin", org: "SERVICE" }] }, "org.edit"), false);
  assert.equal(holds(undefined, "org.edit"), false);
});

// The header menu (app.mjs): an item shows to everyone or to whoever may
// take its action somewhere.
const ga = { actions: ["org.read", "org.create", "user.read", "queue.manage"] };
const la = { actions: ["org.read", "user.read", "list.manage"] };
const helpdesk = { actions: ["user.read", "user.reset_password", "user.unlock"] };
const none = { actions: [] };
const menu = [
  ["everyone", none, true],
  ["everyone", ga, true],
  ["everyone", undefined, true],
  ["everyone", {}, true],
  ["queue.manage", ga, true],
  ["queue.manage", la, false],
  ["org.read", la, true],
  ["org.read", helpdesk, false],
  ["org.read", none, false],
  ["user.read", { actions: [...la.actions, ...helpdesk.actions] }, true],
  ["", ga, false],
  [undefined, ga, false],
  ["list.manage", { actions: ["list.manage_x"] }, false],
  ["user.read", undefined, false],
  ["user.read", {}, false],
];

for (const [needs, me, want] of menu) {
  test(`holds(${JSON.stringify(me)}, ${JSON.stringify(needs)}) for the menu`, () => {
    assert.equal(holds(me, needs), want);
  });
}
