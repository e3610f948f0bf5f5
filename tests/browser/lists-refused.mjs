// The change freeze and the refusals, by clicking: a Global Administrator
// is told turning the freeze on needs a reason, then sets it from the
// lists page and sees its banner; a Local Administrator sees the banner
// on the list pages, and a change to a dynamic list's rule is refused
// with the API's sentence linked to the form's field, while a static
// list still takes a new member; another practice's list is the API's
// sentence and nothing of it is shown.
// Env: CAREMAIL_URL, CAREMAIL_GA_COOKIE, CAREMAIL_LA_COOKIE (Local
// Administrator of one practice), CAREMAIL_DYNAMIC and CAREMAIL_STATIC
// (lists of that practice), CAREMAIL_MEMBER (a person to add),
// CAREMAIL_THEIRS (a list of another practice).
import { env, expect, run } from "./harness.mjs";
import { signedIn, waitText } from "./users-steps.mjs";

const REASON = "Christmas change freeze";

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_GA_COOKIE"));
  await b.goto("/lists");
  await b.page.locator("#freeze-section").waitFor({ state: "visible" });
  expect(await b.page.locator("#freeze").isHidden(), "a freeze banner with no freeze");
  await b.page.check("#on");
  await b.fill("#reason", "");
  await b.submit("#freeze-form");
  const noReason = await b.errors();
  expect(noReason.length === 1 && noReason[0].href === "#reason" && /reason/i.test(noReason[0].text),
    `freeze with no reason: ${JSON.stringify(noReason)}`);
  await b.check("lists-freeze-error");
  await b.fill("#reason", REASON);
  await b.submit("#freeze-form");
  await b.page.locator("#freeze").waitFor({ state: "visible" });
  expect((await b.text("#freeze-reason")).includes(REASON), "the banner does not give the reason");
  await waitText(b, "#freeze-now", /^On since/);
  await b.check("lists-freeze-on");

  // A Local Administrator: the banner, and the refusal on the form.
  await b.page.context().clearCookies();
  await signedIn(b, env("CAREMAIL_LA_COOKIE"));
  await b.goto(`/list?address=${encodeURIComponent(env("CAREMAIL_DYNAMIC"))}`);
  await b.page.locator("#list-record").waitFor({ state: "visible" });
  await b.page.locator("#freeze").waitFor({ state: "visible" });
  expect(await b.page.locator("#freeze-section").count() === 0, "the freeze switch is on a list's page");
  await b.fill("#rule-job_titles", "Nurse");
  await b.submit("#edit-form");
  const frozen = await b.errors();
  expect(frozen.length === 1 && frozen[0].text.includes(`A change freeze is on (${REASON})`) && frozen[0].href === "#description",
    `change during a freeze: ${JSON.stringify(frozen)}`);
  await b.check("list-freeze-refused");

  // A static list still changes during the freeze.
  await b.goto(`/list?address=${encodeURIComponent(env("CAREMAIL_STATIC"))}`);
  await b.page.locator("#list-record").waitFor({ state: "visible" });
  await b.fill("#member", env("CAREMAIL_MEMBER"));
  await b.submit("#member-form");
  await b.page.locator("#members-table tbody tr", { hasText: env("CAREMAIL_MEMBER") }).waitFor();

  // Another practice's list: the API's sentence, linked to the address.
  await b.goto(`/list?address=${encodeURIComponent(env("CAREMAIL_THEIRS"))}`);
  const other = await b.errors();
  expect(other.length === 1 && other[0].href === "#address" && /administrators of its organisation/.test(other[0].text),
    `another practice's list: ${JSON.stringify(other)}`);
  expect(await b.page.locator("#list-record").isHidden(), "another practice's list is shown");
  await b.check("list-refused");
});
