// debounce and latestOnly (js/live.mjs): typing quickly makes one call,
// with the last arguments; cancel forgets it; only the newest request
// counts as current.
import assert from "node:assert/strict";
import { test } from "node:test";

import { debounce, latestOnly } from "../js/live.mjs";

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("calls in quick succession run once, with the last arguments", async () => {
  const calls = [];
  const later = debounce((...args) => calls.push(args), 20);
  for (const word of ["w", "wa", "wal", "walk"]) later(word);
  assert.deepEqual(calls, []);
  await wait(60);
  assert.deepEqual(calls, [["walk"]]);
});

test("calls further apart than the pause each run", async () => {
  const calls = [];
  const later = debounce((x) => calls.push(x), 10);
  later(1);
  await wait(40);
  later(2);
  await wait(40);
  assert.deepEqual(calls, [1, 2]);
});

test("cancel forgets a waiting call", async () => {
  const calls = [];
  const later = debounce((x) => calls.push(x), 10);
  later(1);
  later.cancel();
  await wait(40);
  assert.deepEqual(calls, []);
});

test("only the newest request is current", () => {
  const newRequest = latestOnly();
  const first = newRequest();
  assert.equal(first(), true);
  const second = newRequest();
  assert.equal(first(), false);
  assert.equal(second(), true);
});
