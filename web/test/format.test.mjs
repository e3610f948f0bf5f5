// format.mjs: the API's values as every page shows them (its pure part).
import assert from "node:assert/strict";
import { test } from "node:test";

import { capital, orgName, orNone, timeText, when } from "../js/format.mjs";

test("times read in UTC, to the minute or the second; none and nonsense as given", () => {
  const cases = [
    ["2026-11-22T10:02:11Z", "22 Nov 2026, 10:02 UTC", "22 Nov 2026, 10:02:11 UTC"],
    ["2026-01-05T23:59:59+02:00", "5 Jan 2026, 21:59 UTC", "5 Jan 2026, 21:59:59 UTC"],
    [null, "Never", ""],
    ["", "Never", ""],
    ["not a time", "not a time", "not a time"],
  ];
  for (const [iso, minute, second] of cases) {
    assert.equal(when(iso), minute, String(iso));
    assert.equal(timeText(iso), second, String(iso));
  }
});

test("an org is Name (ODS); empty values are None; a word gets its capital", () => {
  assert.equal(orgName({ ods: "X26001", name: "Riverside Practice" }), "Riverside Practice (X26001)");
  assert.equal(orgName(null), "");
  for (const none of [null, undefined, ""]) assert.equal(orNone(none), "None");
  assert.equal(orNone(0), "0");
  assert.equal(orNone("GP"), "GP");
  assert.equal(capital("active"), "Active");
  assert.equal(capital(""), "");
});
