// Issue 13 item 9, in a real browser, as a Local Administrator of one
// practice: a user's page says what happens to their account next and
// when (the timeline), and the Lifecycle preview lists what the next run
// as of a later date would do to the practice's accounts and who would be
// told, and nothing of the other practice's. Both pages pass axe at every
// width (b.check). Env: CAREMAIL_URL, CAREMAIL_COOKIE (the LA),
// CAREMAIL_PERSON (a quiet user of the LA's practice), CAREMAIL_OUTSIDER
// (a user of another practice), CAREMAIL_AT (a date 91 days on).
import { env, expect, run } from "./harness.mjs";
import { menuShows, signedIn, waitText } from "./users-steps.mjs";

const person = env("CAREMAIL_PERSON");
const outsider = env("CAREMAIL_OUTSIDER");
const at = env("CAREMAIL_AT");

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));
  await b.goto(`/user?address=${encodeURIComponent(person)}`);
  await b.page.locator("#user-record").waitFor({ state: "visible" });
  await waitText(b, "#lifecycle-summary", /Becomes inactive/);
  const timeline = await b.text("#lifecycle-summary");
  expect(/L1 inactivity/.test(timeline) && /Deleted/.test(timeline) && /purged/.test(timeline),
    `the timeline: ${timeline}`);
  expect(/Warning emails/.test(timeline), `no warnings in the timeline: ${timeline}`);
  await b.check("lifecycle-user");

  // The preview, from the menu, as of 91 days on.
  expect(await menuShows(b, "/jobs-preview"), "no Lifecycle preview in the menu");
  await b.goto("/jobs-preview");
  await b.fill("#at", at);
  await b.submit("#filter-form");
  await waitText(b, "#preview-as-of", /As of/);
  const rows = await b.page.locator("#preview-table tbody tr").allTextContents();
  const mine = rows.filter((r) => r.includes(person));
  expect(mine.some((r) => /Becomes inactive/.test(r) && /L1 inactivity/.test(r) && r.includes(person)),
    `the preview: ${JSON.stringify(rows)}`);
  expect(!rows.some((r) => r.includes(outsider)), `another practice's account is shown: ${JSON.stringify(rows)}`);
  await b.check("lifecycle-preview");
});
