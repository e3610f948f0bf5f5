// navVisible: a menu item shows to everyone or to the roles it names.
import assert from "node:assert/strict";
import { test } from "node:test";

import { navVisible } from "../js/nav.mjs";

const ga = [{ role: "global_admin", org: "SERVICE" }];
const la = [{ role: "local_admin", org: "X26001" }];
const helpdesk = [{ role: "helpdesk_admin", org: "X26001" }];
const none = [];

const cases = [
  ["everyone", none, true],
  ["everyone", ga, true],
  ["global_admin local_admin", ga, true],
  ["global_admin local_admin", la, true],
  ["global_admin local_admin", helpdesk, false],
  ["global_admin local_admin", none, false],
  ["helpdesk_admin", [...la, ...helpdesk], true],
  ["", ga, false],
  ["local_admin", [{ role: "local_admin_x", org: "X" }], false],
];

for (const [item, roles, want] of cases) {
  test(`navVisible(${JSON.stringify(item)}, ${roles.map((r) => r.role).join(",") || "none"})`, () => {
    assert.equal(navVisible(item, roles), want);
  });
}
