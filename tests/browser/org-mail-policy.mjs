// An organisation's mail policy on its page (issue 12 items 5 and 6): the
// Global Admin sees the service's settings, is refused a limit that is
// not a number (the API's sentence linked to the field), then gives the
// org its own day limit and DLP action for low finds and sees them as the
// org's; a Local Administrator sees the values in effect and no form.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE (the Global Admin), CAREMAIL_LA (the
// Local Administrator of CAREMAIL_OURS).
import { env, expect, run } from "./harness.mjs";
import { signedIn, waitText } from "./users-steps.mjs";

const ours = env("CAREMAIL_OURS");

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));
  await b.goto(`/org?ods=${ours}`);
  await b.page.locator("#mail-policy-summary .nhsuk-summary-list__row").first().waitFor();
  const before = await b.text("#mail-policy-summary");
  for (const want of ["500 (the service's setting)", "10,000 (the service's setting)", "Audit (the service's setting)"]) {
    expect(before.includes(want), `the policy lacks ${want}: ${before}`);
  }
  expect(await b.page.locator("#mail-policy-form").isVisible(), "no mail policy form for the Global Admin");
  expect(await b.page.locator('#mail-policy-summary a[href="#send_limit_day"]').count() === 1, "no Change link to the day limit");
  await b.check("org-mail-policy");

  // Not a number: the API's sentence on that field, nothing changed.
  await b.fill("#send_limit_day", "lots");
  await b.submit("#mail-policy-form");
  const bad = await b.errors();
  expect(bad.length === 1 && bad[0].href === "#send_limit_day" && /whole number/.test(bad[0].text),
    `bad limit: ${JSON.stringify(bad)}`);
  await b.check("org-mail-policy-error");

  await b.fill("#send_limit_day", "2000");
  await b.page.selectOption("#dlp_low", "block");
  await b.submit("#mail-policy-form");
  await waitText(b, "#org-done", /Mail policy saved/);
  const after = await b.text("#mail-policy-summary");
  for (const want of ["2,000 (this organisation's)", "Block (this organisation's)", "500 (the service's setting)"]) {
    expect(after.includes(want), `the saved policy lacks ${want}: ${after}`);
  }
  expect(await b.page.inputValue("#send_limit_day") === "2000", "the form does not show the org's day limit");
  await b.check("org-mail-policy-saved");

  // The Local Administrator: the values in effect, no way to change them.
  await b.page.context().clearCookies();
  await signedIn(b, env("CAREMAIL_LA"));
  await b.goto(`/org?ods=${ours}`);
  await b.page.locator("#mail-policy-summary .nhsuk-summary-list__row").first().waitFor();
  expect((await b.text("#mail-policy-summary")).includes("2,000 (this organisation's)"), "the LA does not see the org's limit");
  expect(await b.page.locator("#mail-policy-form").isHidden(), "the mail policy form offered to a Local Administrator");
  expect(await b.page.locator("#mail-policy-summary a").count() === 0, "Change links offered to a Local Administrator");
  await b.check("org-mail-policy-local-admin");
});
