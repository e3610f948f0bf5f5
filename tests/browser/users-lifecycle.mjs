// One user's life on /user, by clicking as the Global Admin: their
// devices, notes (the API's length limit on the field, then saved), a
// leaver who still owns a mailbox of their old practice and joins another
// organisation (what they hold shown before and after), a transfer back
// with a site, two admin roles added and one removed. Then a Primary
// Local Administrator of one practice, who is only a Local Administrator
// of another, tries to give a role there: the API's sentence, on the org.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE (the Global Admin), CAREMAIL_ORG and
// CAREMAIL_OTHER (two practices, with sites CAREMAIL_SITE and
// CAREMAIL_OTHER_SITE), CAREMAIL_PERSON (a user of CAREMAIL_ORG who has
// signed in once), CAREMAIL_MAILBOX (a shared mailbox of CAREMAIL_ORG they
// own), CAREMAIL_PLA_COOKIE, CAREMAIL_THEIRS (a user of CAREMAIL_OTHER).
import { env, expect, run } from "./harness.mjs";
import { signedIn, statusOf, waitText } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const other = env("CAREMAIL_OTHER");
const site = env("CAREMAIL_SITE");
const otherSite = env("CAREMAIL_OTHER_SITE");
const person = env("CAREMAIL_PERSON");
const mailbox = env("CAREMAIL_MAILBOX");
const theirs = env("CAREMAIL_THEIRS");
const NOTES = "Works Tuesdays and Thursdays.\nCall the surgery before 10.";

// Chooses org in a select and, once the org's sites are offered, siteName.
async function chooseOrgAndSite(b, orgSelect, siteSelect, ods, siteName) {
  await b.page.selectOption(orgSelect, ods);
  await b.page.locator(`${siteSelect} option[value="${siteName}"]`).waitFor({ state: "attached" });
  await b.page.selectOption(siteSelect, siteName);
}

async function roleRows(b) {
  return b.page.locator("#roles-table tbody tr").allTextContents();
}

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));
  await b.goto(`/user?address=${encodeURIComponent(person)}`);
  await b.page.locator("#user-record").waitFor({ state: "visible" });

  // Their devices: the sign-in the test made, in a table that reflows.
  const device = b.page.locator("#devices-table tbody tr").first();
  await device.waitFor();
  expect(/Last seen/.test(await device.textContent()), "a device row without its headings");
  await b.page.setViewportSize({ width: 375, height: 900 });
  expect(await device.locator(".nhsuk-table__heading").first().isVisible(), "at 375 px device cells show no heading");
  await b.page.setViewportSize({ width: 1280, height: 900 });
  expect(await b.page.locator("#join-section").isHidden(), "Join offered to someone who has not left");

  // Notes: past the API's 4,000 characters the count says so and the
  // API's sentence is on the field; then saved and shown.
  await b.fill("#notes", "x".repeat(4001));
  await waitText(b, ".nhsuk-character-count__status", /1 character too many/);
  await b.submit("#notes-form");
  const long = await b.errors();
  expect(long.length === 1 && long[0].href === "#notes" && /4000 characters/.test(long[0].text),
    `overlong notes: ${JSON.stringify(long)}`);
  await b.check("user-notes-error");
  await b.fill("#notes", NOTES);
  await b.submit("#notes-form");
  await waitText(b, "#action-done", /Notes saved/);
  expect((await b.text("#user-summary")).includes("Call the surgery before 10."), "the notes are not in the record");
  expect(await b.page.locator("#error-summary").isHidden(), "the error summary stays after the notes were saved");

  // A leaver: what they still hold is listed before they join anywhere.
  await b.submit("#leaver-form");
  await waitText(b, "#action-done", /leaver/);
  await b.page.locator("#join-section").waitFor({ state: "visible" });
  expect(await b.page.locator("#transfer-section").isHidden(), "Transfer offered to a leaver");
  const held = b.page.locator("#holdings-table tbody tr", { hasText: mailbox });
  await held.waitFor();
  const heldText = await held.textContent();
  expect(/Owner/.test(heldText) && /Shared mailbox/.test(heldText) && heldText.includes(org), `the holding: ${heldText}`);
  await b.check("user-leaver");

  // Join the other practice at its site with a sync ID: active there, and
  // told the mailbox of the old one is still theirs.
  await chooseOrgAndSite(b, "#join-org", "#join-site", other, otherSite);
  await b.fill("#join-sync", "EMP-42");
  await b.submit("#join-form");
  const joined = await waitText(b, "#action-done", /Joined/);
  expect(joined.includes(other) && /still hold 1 mailbox or list/.test(joined), `after joining: ${joined}`);
  expect((await statusOf(b)) === "Active", "not active after joining");
  expect((await b.text("#user-summary")).includes(other), "the record does not show the new org");
  expect(await b.page.locator("#join-section").isHidden(), "Join still offered");

  // Transfer back to the first practice, at its site.
  await b.page.locator("#transfer-section").waitFor({ state: "visible" });
  const offered = await b.page.locator("#transfer-org option").evaluateAll((os) => os.map((o) => o.value));
  expect(!offered.includes(other), "Transfer offers the org they are in");
  await chooseOrgAndSite(b, "#transfer-org", "#transfer-site", org, site);
  await b.submit("#transfer-form");
  await waitText(b, "#action-done", new RegExp(`Transferred to .*${org}`));
  expect((await b.text("#user-summary")).includes(site), "the new site is not shown");
  expect(await b.page.locator("#transfer-site").inputValue() === "", "the old choice of site is still offered after the move");

  // Admin roles: the Global Admin is offered every role; add two, remove one.
  const roles = await b.page.locator("#role-name option").evaluateAll((os) => os.map((o) => o.value));
  expect(roles.length === 6, `the Global Admin is offered ${roles}`);
  expect(await b.page.locator("#role-org").inputValue() === org, "the role's org is not the person's by default");
  for (const role of ["local_admin", "helpdesk_admin"]) {
    await b.page.selectOption("#role-name", role);
    await b.submit("#add-role-form");
    await waitText(b, "#action-done", /added/);
  }
  expect((await roleRows(b)).length === 2, `roles: ${await roleRows(b)}`);
  await b.check("user-roles");
  await b.page.locator("#roles-table tbody tr", { hasText: "Helpdesk Administrator" }).locator("button").click();
  await waitText(b, "#action-done", /Helpdesk Administrator of .* removed/);
  const left = await roleRows(b);
  expect(left.length === 1 && /Local Administrator/.test(left[0]), `roles left: ${left}`);

  // A Primary Local Administrator here, only a Local Administrator there:
  // offered the roles they give, refused for the other practice.
  await b.page.context().clearCookies();
  await signedIn(b, env("CAREMAIL_PLA_COOKIE"));
  await b.goto(`/user?address=${encodeURIComponent(theirs)}`);
  await b.page.locator("#add-role-form").waitFor({ state: "visible" });
  const mine = await b.page.locator("#role-name option").evaluateAll((os) => os.map((o) => o.value));
  expect(mine.join() === "local_admin,helpdesk_admin,audit_authorisation", `a Primary Local Administrator is offered ${mine}`);
  expect(await b.page.locator("#role-org").inputValue() === other, "the role's org is not the person's");
  await b.page.selectOption("#role-name", "helpdesk_admin");
  await b.submit("#add-role-form");
  const refused = await b.errors();
  expect(refused.length === 1 && refused[0].href === "#role-org" && /not one you administer/.test(refused[0].text),
    `a role given outside their practice: ${JSON.stringify(refused)}`);
  expect(await b.page.locator("#roles-none").isVisible(), "a role is shown after the refusal");
  await b.check("user-role-refused");
});
