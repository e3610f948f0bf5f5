// A Local Administrator of one practice: the list is that practice only,
// with no "Add an organisation"; another practice is the API's sentence
// linked to the ODS code, and nothing of it is shown; their own practice's
// helpdesk is edited, without the Global Admin's fields; API tokens are
// not in their menu, and the page says why. Then a person with no admin
// role: neither Organisations nor API tokens in the menu.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE (the Local Administrator),
// CAREMAIL_NOBODY (the person with no role), CAREMAIL_OURS, CAREMAIL_OTHER.
import { env, expect, run } from "./harness.mjs";
import { menuShows, signedIn, waitText } from "./users-steps.mjs";

const ours = env("CAREMAIL_OURS");
const other = env("CAREMAIL_OTHER");

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));

  await b.goto("/orgs");
  await b.page.locator("#orgs-table tbody tr").first().waitFor();
  expect(await menuShows(b, "/orgs") === 1, "no Organisations in the menu");
  expect(await menuShows(b, "/tokens") === 0, "API tokens in a Local Administrator's menu");
  const codes = await b.page.locator("#orgs-table tbody tr td:nth-child(2)").allTextContents();
  expect(codes.length === 1 && codes[0].includes(ours), `the list is not only ${ours}: ${codes}`);
  expect(await b.page.locator("#new-org-link").isHidden(), "Add an organisation offered to a Local Administrator");
  await b.check("orgs-local-admin");

  // Another practice: the API's sentence, linked to the ODS code.
  await b.goto(`/org?ods=${other}`);
  const refused = await b.errors();
  expect(refused.length === 1 && refused[0].href === "#ods" && /not one you administer/.test(refused[0].text),
    `other practice: ${JSON.stringify(refused)}`);
  expect(await b.page.locator("#org-record").isHidden(), "the other practice's record is shown");
  await b.check("org-refused");

  // Their own: the helpdesk edited; name, type and parent not offered.
  await b.goto(`/org?ods=${ours}`);
  await b.page.locator("#org-record").waitFor({ state: "visible" });
  expect(await b.page.locator("#name").isHidden() && await b.page.locator("#parent").isHidden(),
    "the Global Admin's fields are offered to a Local Administrator");
  expect(await b.page.locator("#devolve-form").isHidden(), "devolving offered to a Local Administrator");
  // Application servers: read, not registered nor removed (relay.manage).
  await b.page.locator("#relays-table tbody tr", { hasText: "198.51.100.20" }).waitFor();
  expect(await b.page.locator("#relay-form").isHidden() && await b.page.locator("#relays-table form").count() === 0,
    "registering or removing application servers offered to a Local Administrator");
  await b.fill("#helpdesk_phone", "0113 496 1234");
  await b.submit("#edit-form");
  await waitText(b, "#org-done", /saved/);
  expect((await b.text("#org-summary")).includes("0113 496 1234"), "the helpdesk phone is not shown");
  await b.check("org-local-admin");

  // The tokens page, opened by its address: the API's sentence.
  await b.goto("/tokens");
  const tokens = await b.errors();
  expect(tokens.length === 1 && /token\.manage/.test(tokens[0].text), `tokens: ${JSON.stringify(tokens)}`);
  await b.check("tokens-refused");

  // No admin role: neither menu item.
  await b.page.context().clearCookies();
  await signedIn(b, env("CAREMAIL_NOBODY"));
  await b.goto("/");
  await b.page.locator('.nhsuk-header__navigation-item:not([hidden]) a[href="/people"]').waitFor();
  for (const href of ["/orgs", "/tokens", "/users"]) {
    expect(await menuShows(b, href) === 0, `${href} in the menu of a person with no admin role`);
  }
});
