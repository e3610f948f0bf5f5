// The mail queue page (/queue) as the Global Admin: where mail waits by
// destination and why, one row per recipient, "Try now", "Return to
// sender" (a report goes), "Delete without a report" (refused until its
// box is ticked, then gone with the reason given), and the history behind
// a tick box.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_BOB (deferred with 451),
// CAREMAIL_CAT and CAREMAIL_EVE (waiting at another domain, never tried),
// CAREMAIL_DAN (delivered: history only), CAREMAIL_REASON (why eve's is
// deleted).
import { env, expect, run } from "./harness.mjs";
import { menu, menuShows, signedIn, waitText } from "./users-steps.mjs";

const bob = env("CAREMAIL_BOB");
const cat = env("CAREMAIL_CAT");
const dan = env("CAREMAIL_DAN");
const eve = env("CAREMAIL_EVE");
const reason = env("CAREMAIL_REASON");

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
  expect(rows.length === 3 && [bob, cat, eve].every((who) => rows.some((r) => r.includes(who))), `rows: ${rows}`);
  await b.check("queue");

  // Try now: the row stays, due now; the page says so.
  await b.page.getByRole("button", { name: `Try now mail to ${bob}` }).click();
  await waitText(b, "#queue-done", /will be tried now/);
  // Return to sender: the row goes, and the page says a report went.
  await b.page.getByRole("button", { name: `Return to sender mail to ${cat}` }).click();
  await waitText(b, "#queue-done", /its sender is told by a report/);
  await b.page.locator("#queue-table tbody tr", { hasText: bob }).waitFor();
  let left = await b.page.locator("#queue-table tbody tr").allTextContents();
  expect(left.length === 2 && !left.some((r) => r.includes(cat)), `after returning: ${left}`);

  // Delete without a report: the row's button opens the confirmation,
  // which refuses until its box is ticked and deletes nothing meanwhile.
  expect(await b.page.locator("#delete-section").isHidden(), "the delete confirmation shows before it is asked for");
  await b.page.getByRole("button", { name: `Delete without a report mail to ${eve}` }).click();
  await b.page.locator("#delete-section").waitFor();
  expect((await b.text("#delete-what")).includes(eve), `the confirmation names another message: ${await b.text("#delete-what")}`);
  await b.fill("#reason", reason);
  await b.check("queue-delete");
  await b.submit("#delete-form");
  const refused = await b.errors();
  expect(refused.length === 1 && /Tick the box/.test(refused[0].text) && refused[0].href === "#confirm_delete",
    `unticked: ${JSON.stringify(refused)}`);
  left = await b.page.locator("#queue-table tbody tr").allTextContents();
  expect(left.some((r) => r.includes(eve)), "deleted before the box was ticked");
  // No reason: the API refuses it, on the reason's box.
  await b.fill("#reason", "");
  await b.page.locator("#confirm_delete").check();
  await b.submit("#delete-form");
  const why = await b.errors();
  expect(why.length === 1 && why[0].href === "#reason", `no reason: ${JSON.stringify(why)}`);
  await b.fill("#reason", reason);
  await b.submit("#delete-form");
  await waitText(b, "#queue-done", /deleted; nobody is told/);
  await b.page.locator("#queue-table tbody tr", { hasText: bob }).waitFor();
  left = await b.page.locator("#queue-table tbody tr").allTextContents();
  expect(left.length === 1 && left[0].includes(bob), `after deleting: ${left}`);

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
