// The remote server's mail as test_secure.py's Mailroom writes it (one
// JSON file per message, in arrival order): what the secure scenarios
// read the emailed codes from.
import fs from "node:fs";
import path from "node:path";

import { fail } from "./harness.mjs";

function letters(dir) {
  return fs.readdirSync(dir).filter((n) => n.endsWith(".json")).sort()
    .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), "utf8")));
}

// How many messages have arrived so far: a mark to read newer ones from.
export function mark(dir) {
  return letters(dir).length;
}

// The six-digit code in the first message to `to` after mark, once it
// arrives (the queue delivers it within a few seconds).
export async function codeFor(dir, to, after, timeout = 20000) {
  const end = Date.now() + timeout;
  for (;;) {
    const found = letters(dir).slice(after).find((m) => m.to.includes(to));
    if (found) {
      const code = found.text.match(/\b(\d{6})\b/);
      if (!code) fail(`the code mail to ${to} has no 6-digit code: ${found.text}`);
      return code[1];
    }
    if (Date.now() > end) fail(`no code mail to ${to} arrived`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
