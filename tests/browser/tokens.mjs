// The Global Admin's API tokens page, by clicking: make two tokens (each
// shown once, the first with an allow-list), be refused a label used twice
// on its field (the token shown before goes with that next action), and
// revoke the first.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_ORG. Prints one JSON line:
// the two tokens, {"kept", "revoked"}.
import { env, expect, run } from "./harness.mjs";
import { menuShows, signedIn, waitText } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));

  // From the menu: two tokens made, each shown once.
  await b.goto("/");
  expect(await menuShows(b, "/tokens") === 1, "no API tokens in the menu");
  await b.page.click('.nhsuk-header__navigation a[href="/tokens"]');
  await b.at("/tokens");
  await b.page.locator("#action-user-read").waitFor({ state: "attached" });
  await b.check("tokens");
  const make = async (label, actions, days, allow) => {
    await b.fill("#label", label);
    await b.page.selectOption("#org", org);
    for (const a of actions) await b.page.check(`#action-${a.replace(/[^a-z]/g, "-")}`);
    await b.fill("#expires_days", days);
    await b.fill("#allow_from", allow);
    await b.submit("#token-form");
    await b.page.locator("#token-new").waitFor({ state: "visible" });
    await b.page.locator("#tokens-table tbody tr", { hasText: label }).waitFor();
    expect((await b.text("#token-new-label")) === label, "the token shown is not the one made");
    const token = await b.text("#token-new-secret");
    expect(/^[0-9a-f]{64}$/.test(token), `the token shown: ${token}`);
    return token;
  };
  const revoked = await make("payroll-sync", ["org.read", "user.read"], "30", "192.0.2.0/24\n2001:db8::/32");
  const row = b.page.locator("#tokens-table tbody tr", { hasText: "payroll-sync" });
  const cells = await row.textContent();
  for (const want of ["Active", org, "user.read", "org.read", "192.0.2.0/24", "2001:db8::/32"]) {
    expect(cells.includes(want), `the token's row lacks ${want}: ${cells}`);
  }
  await b.check("tokens-made");
  const kept = await make("hr-feed", ["user.read"], "7", "");

  // A label used twice: the API's sentence on the label; the token shown
  // before is gone with this next action.
  await b.fill("#label", "hr-feed");
  await b.page.selectOption("#org", org);
  await b.page.check("#action-user-read");
  await b.fill("#expires_days", "7");
  await b.submit("#token-form");
  const twice = await b.errors();
  expect(twice.length === 1 && twice[0].href === "#label", `label twice: ${JSON.stringify(twice)}`);
  expect(await b.page.locator("#token-new").isHidden(), "the token is still shown after the next action");
  await b.check("tokens-error");

  // Revoke the first.
  await row.locator(".app-revoke").click();
  await waitText(b, "#tokens-done", /revoked/);
  expect(/Revoked/.test(await row.textContent()), "the revoked token is not shown Revoked");
  expect(await row.locator(".app-revoke").count() === 0, "a revoked token offers Revoke");
  await b.page.setViewportSize({ width: 375, height: 900 });
  expect(await row.locator(".nhsuk-table__heading").first().isVisible(), "at 375 px the token cells do not show their headings");
  await b.page.setViewportSize({ width: 1280, height: 900 });
  await b.check("tokens-revoked");

  console.log(JSON.stringify({ kept, revoked }));
});
