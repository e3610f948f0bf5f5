// grantable: the roles an admin may give, for every role they may hold
// (src/auth/auth_access.c), alone and together.
import assert from "node:assert/strict";
import { test } from "node:test";

import { grantable, roleName, ROLE_NAMES } from "../js/roles.mjs";

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
