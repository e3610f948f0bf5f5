// grantable: the actions a token's maker may offer, by the roles they hold
// (mirroring src/auth/auth_access.c; test_orgs.py checks it against the API).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ACTIONS, GIVES, grantable } from "../js/grants.mjs";

const names = (roles) => grantable(roles).map(([name]) => name);
const ga = { role: "global_admin", org: "SERVICE" };
const pla = { role: "primary_local_admin", org: "X26001" };
const la = { role: "local_admin", org: "X26001" };

test("no one gives token.manage, eDiscovery or what no token can use", () => {
  for (const roles of [[ga], [pla], [ga, pla]]) {
    for (const never of ["token.manage", "relay.manage", "ediscovery.search", "org.create", "role.grant_global"]) {
      assert.ok(!names(roles).includes(never), `${roles.map((r) => r.role)} offers ${never}`);
    }
  }
});

test("roles without token.manage offer nothing", () => {
  for (const role of ["local_admin", "helpdesk_admin", "audit_authorisation", "ediscovery", "unknown"]) {
    assert.deepEqual(names([{ role, org: "X" }]), []);
  }
  assert.deepEqual(names([]), []);
  assert.deepEqual(names(undefined), []);
});

test("a Global Admin offers every action listed, a Primary Local Admin the local ones and role.grant", () => {
  assert.deepEqual(names([ga]), ACTIONS.map(([n]) => n));
  const local = names([pla]);
  assert.ok(local.includes("role.grant") && local.includes("user.read"));
  for (const gaOnly of ["org.devolve", "user.restore"]) assert.ok(!local.includes(gaOnly), gaOnly);
  assert.deepEqual(names([la, pla]), local);
});

test("every action a role gives is described, once, in ACTIONS' order", () => {
  const order = ACTIONS.map(([n]) => n);
  assert.equal(new Set(order).size, order.length);
  for (const [role, given] of Object.entries(GIVES)) {
    for (const a of given) assert.ok(order.includes(a), `${role}: ${a} has no description`);
    assert.deepEqual(names([{ role, org: "X" }]), order.filter((a) => given.includes(a)));
  }
});
