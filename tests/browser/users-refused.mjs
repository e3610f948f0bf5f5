// A Local Administrator of one practice: the list shows only that
// practice's people, another practice's user is the API's sentence and
// nothing else, and an action the API refuses (resetting a fellow Local
// Administrator's password, SECURITY.md 43) is shown in the error summary;
// their admin roles are listed with nothing to give or take away.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_ORG (theirs), CAREMAIL_OURS
// (a user of it), CAREMAIL_THEIRS (a user of another org), CAREMAIL_PEER
// (another Local Administrator of theirs).
import { env, expect, run } from "./harness.mjs";
import { signedIn } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const ours = env("CAREMAIL_OURS");
const theirs = env("CAREMAIL_THEIRS");
const peer = env("CAREMAIL_PEER");

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));

  // The menu offers Users; the list is their practice's people only.
  await b.goto("/");
  expect(await b.page.locator('.nhsuk-header__navigation-item:not([hidden]) a[href="/users"]').count() === 1,
    "no Users in the menu");
  await b.goto("/users");
  await b.page.locator("#users-table tbody tr", { hasText: ours }).waitFor();
  const addresses = await b.page.locator("#users-table tbody tr td:nth-child(2)").allTextContents();
  expect(!addresses.some((a) => a.includes(theirs)), "another practice's user is listed");
  const orgs = await b.page.locator("#users-table tbody tr td:nth-child(3)").allTextContents();
  expect(orgs.length >= 3 && orgs.every((t) => t.includes(org)), `the list is not only ${org}: ${orgs}`);
  const options = await b.page.locator("#org option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  expect(options.length === 1 && options[0] === org, `the org filter offers ${options}`);
  expect(await b.page.locator("#new-user-link").isVisible(), "no Create a user for a Local Administrator");
  await b.check("users-local-admin");

  // Another practice's user: the API's sentence, and no record.
  await b.goto(`/user?address=${encodeURIComponent(theirs)}`);
  const refused = await b.errors();
  expect(refused.length === 1 && /not one you administer/.test(refused[0].text), `other org: ${JSON.stringify(refused)}`);
  expect(await b.page.locator("#user-record").isHidden(), "the record form is shown anyway");
  await b.check("user-refused");

  // A fellow Local Administrator: readable, but the reset is refused.
  await b.goto(`/user?address=${encodeURIComponent(peer)}`);
  await b.page.locator("#user-record").waitFor({ state: "visible" });
  // Their role is listed, but a Local Administrator gives and takes none.
  expect(/Local Administrator/.test(await b.text("#roles-table tbody")), "the peer's role is not listed");
  expect(await b.page.locator("#roles-table button").count() === 0, "Remove offered to a Local Administrator");
  expect(await b.page.locator("#add-role-form").isHidden() && /cannot give admin roles/.test(await b.text("#roles-cannot")),
    "Add a role offered to a Local Administrator");
  expect(await b.page.locator("#transfer-section").isHidden(), "Transfer offered with no other organisation to go to");
  await b.submit("#reset-form");
  const reset = await b.errors();
  expect(reset.length === 1 && /role/i.test(reset[0].text), `reset of a peer: ${JSON.stringify(reset)}`);
  expect(await b.page.locator("#temporary-password").isHidden(), "a password is shown after a refusal");
  await b.check("user-reset-refused");

  // Creating in another practice is not offered: only theirs.
  await b.goto("/user-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  const createOrgs = await b.page.locator("#org option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  expect(createOrgs.length === 1 && createOrgs[0] === org, `create offers ${createOrgs}`);
});
