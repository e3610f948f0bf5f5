// The harness must be able to fail: this visits a page made to break each
// rule (tests/browser/test_harness.py builds it) and prints, one per line,
// what the harness said, instead of failing on the first.
// Env: CAREMAIL_URL, CAREMAIL_PAGE.
import { env, run } from "./harness.mjs";

try {
  await run(async (b) => {
    await b.goto(env("CAREMAIL_PAGE"));
    await b.page.waitForTimeout(500);
    await b.check("harness-self-test");
  });
  console.log("NO FAILURE");
} catch (err) {
  console.log(err.message);
}
