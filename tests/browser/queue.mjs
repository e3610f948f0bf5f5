// The mail queue page (/queue) as the Global Admin: where mail waits by
// destination and why, one row per recipient, "Try now" and "Return to
// sender", and the history behind a tick box.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_BOB (deferred with 451),
// CAREMAIL_CAT (waiting at another domain, never tried), CAREMAIL_DAN
// (delivered: history only).
import { env, expect, run } from "./harness.mjs";
import { menu, menuShows, signedIn, waitText } from "./users-steps.mjs";

const bob = env("CAREMAIL_BOB");
const cat = env("CAREMAIL_CAT");
const dan = env("CAREMAIL_DAN");

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));
  await b.goto("/");
  expect(await menuShows(b, "/queue") === 1, "no Mail queue in the Global Admin's menu");
  await menu(b, "Mail queue");
  await b.page.locator("#destinations-table tbody tr").first().waitFor();
  const destinations = await b.page.locator("#destinations-table tbody tr").allTextContents();
  expect(destinations.length === 2, `destinations: ${destinations}`);
  expect(/far\.example.*451 4\.3\.0 busy/s.test(destinations[0]), `the deferred domain first: ${destinations[0]}`);
  expect(/near\.example.*Not tried yet/s.test(destinations[1]), `the untried domain: ${destinations[1]}`);
  const rows = await b.page.locator("#queue-table tbody tr").allTextContents();
  expect(rows.length === 2 && rows.some((r) => r.includes(bob)) && rows.some((r) => r.includes(cat)), `rows: ${rows}`);
  await b.check("queue");

  // Try now: the row stays, due now; the page says so.
  await b.page.getByRole("button", { name: `Try now mail to ${bob}` }).click();
  await waitText(b, "#queue-done", /will be tried now/);
  // Return to sender: the row goes.
  await b.page.getByRole("button", { name: `Return to sender mail to ${cat}` }).click();
  await waitText(b, "#queue-done", /its sender is told/);
  const left = await b.page.locator("#queue-table tbody tr").allTextContents();
  expect(left.length === 1 && left[0].includes(bob), `after returning: ${left}`);

  expect(!left.some((r) => r.includes(dan)), "a delivered message is listed as waiting");

  // The history: the delivered one shows, as Delivered, with no actions.
  await b.page.getByLabel("Include delivered and returned messages").check();
  await b.page.getByRole("button", { name: "Show messages" }).click();
  await b.page.waitForURL(/all=true/);
  const done = b.page.locator("#queue-table tbody tr", { hasText: dan });
  await done.waitFor();
  expect(/Delivered/.test(await done.textContent()), "the delivered message is not shown as Delivered");
  expect(await done.getByRole("button").count() === 0, "a delivered message offers actions");
  await b.check("queue-history");
});
