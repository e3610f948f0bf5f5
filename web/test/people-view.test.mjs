// tagsFor and personHref: the tags People Finder shows for every kind of
// person, and a card's address that survives any email address.
import assert from "node:assert/strict";
import { test } from "node:test";

import { personHref, tagsFor } from "../js/people-view.mjs";
import { ROLE_NAMES } from "../js/roles.mjs";

test("a person with neither tag shows none", () => {
  assert.deepEqual(tagsFor({ leaver: false, admin: [] }), []);
  assert.deepEqual(tagsFor({}), []);
});

test("a leaver shows Leaver first, then each admin role with its org", () => {
  const tags = tagsFor({ leaver: true, admin: [{ role: "local_admin", org: "X26001" }, { role: "global_admin", org: "SERVICE" }] });
  assert.deepEqual(tags, [
    { text: "Leaver", colour: "grey" },
    { text: "Local Administrator (X26001)", colour: "blue" },
    { text: "Global Administrator (SERVICE)", colour: "blue" },
  ]);
});

test("every role the API names has a name of its own", () => {
  for (const role of Object.keys(ROLE_NAMES)) {
    const [tag] = tagsFor({ admin: [{ role, org: "A1" }] });
    assert.equal(tag.text, `${ROLE_NAMES[role]} (A1)`);
  }
  // A role this page does not know yet is still shown, as the API says it.
  assert.equal(tagsFor({ admin: [{ role: "new_role", org: "A1" }] })[0].text, "new_role (A1)");
});

test("a card's address round-trips any email address", () => {
  for (const address of ["jo.smith@example.nhs.uk", "o'brien+x&y=z@example.nhs.uk", "a#b?c@example.org"]) {
    const url = new URL(personHref(address), "https://h.example");
    assert.equal(url.pathname, "/person");
    assert.equal(url.searchParams.get("address"), address);
  }
});
