// The Global Admin's first sign-in, by clicking: the temporary password
// refused once mistyped, then replaced; two-factor set-up from the QR
// code's secret; home; sign out; sign in again with a code; the return
// path kept.
// Env: CAREMAIL_URL, CAREMAIL_EMAIL, CAREMAIL_PASSWORD, CAREMAIL_NEW_PASSWORD.
import { env, expect, run, totp } from "./harness.mjs";

const email = env("CAREMAIL_EMAIL");
const password = env("CAREMAIL_PASSWORD");
const fresh = env("CAREMAIL_NEW_PASSWORD");

await run(async (b) => {
  // A page that is not there: the design system's "Page not found".
  await b.gotoMissing("/no-such-page");
  expect((await b.page.locator("h1").textContent()) === "Page not found", "no 'Page not found' heading");
  await b.check("not-found");

  // Not signed in: a page sends the person to sign in, keeping the way back.
  await b.goto("/");
  await b.at("/sign-in");
  expect(new URL(b.page.url()).searchParams.get("return") === "/", `no return path: ${b.page.url()}`);
  await b.check("sign-in");

  // A wrong password: the API's sentence, linked to a field.
  await b.fill("#email", email);
  await b.fill("#password", "not the password at all");
  await b.submit("#sign-in-form");
  const wrong = await b.errors();
  expect(wrong.length === 1 && /not right/.test(wrong[0].text), `wrong password: ${JSON.stringify(wrong)}`);
  expect((await b.page.title()).startsWith("Error: "), "the title does not say there is an error");
  await b.check("sign-in-error");

  // The temporary password: choose a new one first.
  await b.fill("#password", password);
  await b.submit("#sign-in-form");
  await b.at("/new-password");
  await b.check("new-password");
  await b.fill("#current", password);
  await b.fill("#new", fresh);
  await b.fill("#confirm", fresh + " typo");
  await b.submit("#password-form");
  const differ = await b.errors();
  expect(differ[0].href === "#confirm", `mismatch not on confirm: ${JSON.stringify(differ)}`);
  await b.fill("#confirm", fresh);
  await b.submit("#password-form");

  // Two-factor set-up: a QR code drawn here, and the secret to type.
  await b.at("/set-up-two-factor");
  await b.page.locator("#qr-code svg path").waitFor({ state: "attached" });
  const d = await b.page.locator("#qr-code svg path").getAttribute("d");
  expect(d && d.length > 1000, "the QR code is empty");
  const secret = (await b.page.locator("#secret").textContent()).replace(/\s+/g, "");
  expect(/^[A-Z2-7]{16,}$/.test(secret), `no secret shown: ${secret}`);
  await b.check("set-up-two-factor");
  await b.fill("#code", "000000" === totp(secret) ? "111111" : "000000");
  await b.submit("#verify-form");
  const badCode = await b.errors();
  expect(badCode[0].href === "#code", `a wrong code is not on the code field: ${JSON.stringify(badCode)}`);
  await b.fill("#code", totp(secret));
  await b.submit("#verify-form");

  // Home, with the menu the person's roles allow.
  await b.at("/");
  await b.page.locator("#welcome", { hasText: "Welcome," }).waitFor();
  const roles = await b.text("[data-me=roles]");
  expect(/Global Administrator/.test(roles), `home does not show the role: ${roles}`);
  await b.check("home");

  // Sign out: back to sign in, told so; the session is over.
  await b.page.click(".nhsuk-header__account-button");
  await b.at("/sign-in");
  expect(/signed out/.test(await b.text("#sign-in-notice")), "no signed-out notice");
  await b.check("signed-out");
  await b.goto("/?tab=2");
  await b.at("/sign-in");

  // Sign in again: password, then the code (a later step: a code is
  // accepted once), and back to the page asked for.
  await b.fill("#email", email);
  await b.fill("#password", fresh);
  await b.submit("#sign-in-form");
  await b.page.locator("#code-form").waitFor({ state: "visible" });
  await b.check("sign-in-code");
  await b.fill("#code", totp(secret, 1));
  await b.submit("#code-form");
  await b.at("/");
  expect(new URL(b.page.url()).search === "?tab=2", `the return path was lost: ${b.page.url()}`);
});
