// navVisible: a menu item shows to everyone or to whoever may take its
// action somewhere (GET /me's actions).
import assert from "node:assert/strict";
import { test } from "node:test";

import { navVisible } from "../js/nav.mjs";

const ga = ["org.read", "org.create", "user.read", "queue.manage"];
const la = ["org.read", "user.read", "list.manage"];
const helpdesk = ["user.read", "user.reset_password", "user.unlock"];
const none = [];

const cases = [
  ["everyone", none, true],
  ["everyone", ga, true],
  ["everyone", undefined, true],
  ["queue.manage", ga, true],
  ["queue.manage", la, false],
  ["org.read", la, true],
  ["org.read", helpdesk, false],
  ["org.read", none, false],
  ["user.read", [...la, ...helpdesk], true],
  ["", ga, false],
  [undefined, ga, false],
  ["list.manage", ["list.manage_x"], false],
  ["user.read", undefined, false],
];

for (const [needs, actions, want] of cases) {
  test(`navVisible(${JSON.stringify(needs)}, ${actions ? actions.join(",") || "none" : "undefined"})`, () => {
    assert.equal(navVisible(needs, actions), want);
  });
}
