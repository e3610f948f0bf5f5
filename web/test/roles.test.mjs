// grantable: the roles an admin may give, for every role they may hold
// (src/auth/auth_access.c), alone and together.
import assert from "node:assert/strict";
import { test } from "node:test";

import { grantable, holds, roleName, ROLE_NAMES } from "../js/roles.mjs";

const ALL = Object.keys(ROLE_NAMES);
const LOCAL = ["local_admin", "helpdesk_admin", "audit_authorisation"];
const held = (...roles) => roles.map((role) => ({ role, org: "X26001" }));

const cases = [
  [held(), []],
  [held("global_admin"), ALL],
  [held("primary_local_admin"), LOCAL],
  [held("local_admin"), []],
  [held("helpdesk_admin"), []],
  [held("audit_authorisation"), []],
  [held("ediscovery"), []],
  [held("local_admin", "helpdesk_admin", "audit_authorisation"), []],
  [held("local_admin", "primary_local_admin"), LOCAL],
  [held("primary_local_admin", "global_admin"), ALL],
  [held("no_such_role"), []],
  [undefined, []],
];

test("grantable follows the access table for each role held", () => {
  for (const [roles, want] of cases) {
    assert.deepEqual(grantable(roles), want, JSON.stringify(roles));
  }
});

test("every role has a name, and an unknown one is shown as it is", () => {
  for (const role of ALL) assert.notEqual(roleName(role), role);
  assert.equal(roleName("made_up"), "made_up");
});

// holds: what the pages offer, by the access table (src/auth/auth_access.c):
// every role against every action a page asks about.
test("holds follows the access table for every role and action", () => {
  const table = {
    global_admin: ["org.create", "org.devolve", "org.edit", "user.create", "list.manage", "relay.manage", "freeze.set"],
    primary_local_admin: ["org.edit", "user.create", "list.manage", "relay.manage"],
    local_admin: ["org.edit", "user.create", "list.manage"],
    helpdesk_admin: [],
    audit_authorisation: [],
    ediscovery: [],
  };
  const actions = ["org.create", "org.devolve", "org.edit", "user.create", "list.manage", "relay.manage", "freeze.set"];
  for (const [role, allowed] of Object.entries(table)) {
    for (const action of actions) {
      assert.equal(holds({ roles: held(role) }, action), allowed.includes(action), `${role} ${action}`);
    }
  }
  assert.equal(holds({ roles: held("local_admin", "primary_local_admin") }, "relay.manage"), true);
  assert.equal(holds({ roles: [] }, "org.edit"), false);
  assert.equal(holds(undefined, "org.edit"), false);
  assert.equal(holds({ roles: held("global_admin") }, "no.such.action"), false);
});
