// grantable: the actions a token's maker may offer, as GET /me's
// token_actions say (the server's rule; test_api_access.py checks it for
// every role), in words and in ACTIONS' order.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ACTIONS, grantable } from "../js/grants.mjs";

const names = (me) => grantable(me).map(([name]) => name);

test("offers exactly the actions the server says, in ACTIONS' order", () => {
  const all = ACTIONS.map(([n]) => n);
  assert.deepEqual(names({ token_actions: [...all].reverse() }), all);
  assert.deepEqual(names({ token_actions: ["user.read", "org.read"] }), ["org.read", "user.read"]);
});

test("offers nothing to someone the server gives nothing", () => {
  assert.deepEqual(names({ token_actions: [] }), []);
  assert.deepEqual(names({}), []);
  assert.deepEqual(names(undefined), []);
});

test("an action without words is still offered, by its name", () => {
  assert.deepEqual(grantable({ token_actions: ["new.action"] }), [["new.action", "new.action"]]);
});

test("every action has words, once", () => {
  const order = ACTIONS.map(([n]) => n);
  assert.equal(new Set(order).size, order.length);
  for (const [name, words] of ACTIONS) assert.ok(words && words !== name, name);
});
