// safeReturn: only a path on this site survives; everything else is "/".
import assert from "node:assert/strict";
import { test } from "node:test";

import { safeReturn } from "../js/return-path.mjs";

const cases = [
  ["/", "/"],
  ["/people", "/people"],
  ["/?tab=2", "/?tab=2"],
  ["/users/jo%40example.nhs.uk?x=1#notes", "/users/jo%40example.nhs.uk?x=1#notes"],
  ["/a/../b", "/b"],
  [null, "/"],
  [undefined, "/"],
  ["", "/"],
  ["people", "/"],
  ["//evil.example/x", "/"],
  ["///evil.example", "/"],
  ["/\\evil.example", "/"],
  ["\\\\evil.example", "/"],
  ["https://evil.example/", "/"],
  ["http:/evil.example", "/"],
  ["javascript:alert(1)", "/"],
  ["data:text/html,x", "/"],
  ["/\t/evil.example", "/"],
  ["/\n/evil.example", "/"],
  ["/api/v1/session", "/"],
  ["/sign-in", "/"],
  ["/sign-in?return=/x", "/"],
  ["/set-up-two-factor", "/"],
  ["/" + "a".repeat(2000), "/"],
];

for (const [input, want] of cases) {
  test(`safeReturn(${JSON.stringify(input)})`, () => {
    assert.equal(safeReturn(input), want);
  });
}

// readerReturn: a reader of the secure message portal goes back only to
// one of the reader's own pages.
import { readerReturn } from "../js/return-path.mjs";

const readerCases = [
  ["/secure/message?id=7", "/secure/message?id=7"],
  ["/secure/messages", "/secure/messages"],
  ["/secure/password", "/secure/password"],
  [null, "/secure/messages"],
  ["/", "/secure/messages"],
  ["/users", "/secure/messages"],
  ["/secure-sent", "/secure/messages"],
  ["/secure/sign-in", "/secure/messages"],
  ["/secure/open#token", "/secure/messages"],
  ["/secure/messagesX", "/secure/messages"],
  ["//evil.example/secure/messages", "/secure/messages"],
  ["/api/v1/secure/messages", "/secure/messages"],
];

for (const [input, expected] of readerCases) {
  test(`readerReturn(${JSON.stringify(input)}) is ${JSON.stringify(expected)}`, () => {
    assert.equal(readerReturn(input), expected);
  });
}
