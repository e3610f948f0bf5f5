// facts: an audit summary as the lines the audit page shows.
import assert from "node:assert/strict";
import { test } from "node:test";

import { facts, objectName } from "../js/audit-facts.mjs";

const cases = [
  [{ before: { job_title: "Nurse", phone: "1" }, after: { job_title: "Practice Nurse", phone: "1" }, notes_changed: false },
    [["job_title", "from Nurse to Practice Nurse"], ["notes_changed", "false"]]],
  [{ before: { site: "" }, after: { site: "Main", extra: { a: 1 } } },
    [["site", "from (none) to Main"], ["extra", "from (none) to {\"a\":1}"]]],
  [{ signin_failed: 1, reason: "password", locked: false },
    [["signin_failed", "1"], ["reason", "password"], ["locked", "false"]]],
  [{ after: { ods: "X1" } }, [["after", "{\"ods\":\"X1\"}"]]],
  [{ before: "text", after: null }, [["before", "text"], ["after", "(none)"]]],
  ["not json", [["summary", "not json"]]],
  [null, [["summary", "(none)"]]],
  [{}, []],
];

test("facts shows what changed and every other key", () => {
  for (const [summary, want] of cases) assert.deepEqual(facts(summary), want, JSON.stringify(summary));
});

test("objectName names the object as its summary does", () => {
  assert.equal(objectName({ object_id: 7, summary: { address: "a@x" } }), "a@x");
  assert.equal(objectName({ object_id: 7, summary: { before: { address: "b@x" }, after: { address: "c@x" } } }), "c@x");
  assert.equal(objectName({ object_id: 3, summary: { after: { ods: "X26001" } } }), "X26001");
  assert.equal(objectName({ object_id: 9, summary: { signin_failed: 1 } }), "#9");
  assert.equal(objectName({ object_id: 9, summary: "text" }), "#9");
});
