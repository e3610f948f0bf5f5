// My account, by clicking: sign in with a code, change the mobile number
// and hide it, a wrong current password refused in the error summary,
// choose security questions, accept the Acceptable Use Policy, make an
// app password (shown once) and revoke it; change the password.
// Env: CAREMAIL_URL, CAREMAIL_EMAIL, CAREMAIL_PASSWORD, CAREMAIL_SECRET,
// CAREMAIL_NEW_PASSWORD.
import { env, expect, run, totp } from "./harness.mjs";

const email = env("CAREMAIL_EMAIL");
const password = env("CAREMAIL_PASSWORD");
const secret = env("CAREMAIL_SECRET");

await run(async (b) => {
  await b.goto("/account");
  await b.at("/sign-in");
  await b.fill("#email", email);
  await b.fill("#password", password);
  await b.submit("#sign-in-form");
  await b.page.locator("#code-form").waitFor({ state: "visible" });
  await b.fill("#code", totp(secret, 1));
  await b.submit("#code-form");
  await b.at("/account");
  await b.page.locator('[data-me="address"]', { hasText: email }).waitFor();
  await b.page.locator("#question1 option").nth(3).waitFor({ state: "attached" });
  expect(await b.page.locator("#app-password-form").isVisible(), "no app password form after a two-factor sign-in");
  await b.check("account");

  // Details: the "Change" link goes to the field; the summary shows the change.
  await b.page.click('a[href="#mobile"]');
  expect(await b.page.evaluate(() => document.activeElement?.id === "mobile" || location.hash === "#mobile"), "Change does not lead to the mobile field");
  await b.fill("#mobile", "07700 900456");
  await b.page.check("#mobile_hidden");
  await b.submit("#profile-form");
  await b.page.locator('[data-me="mobile"]', { hasText: "07700 900456" }).waitFor();
  expect(await b.text('[data-me="mobile_hidden"]') === "Hidden", "the summary does not say the number is hidden");
  expect(/saved/.test(await b.text("#account-notice-text")), "no saved notice");

  // A refusal: the wrong current password, linked to that field.
  await b.fill("#password-current", "not my password at all");
  await b.fill("#password-new", "a brand new passphrase of mine");
  await b.fill("#password-confirm", "a brand new passphrase of mine");
  await b.submit("#password-form");
  const wrong = await b.errors();
  expect(wrong.length === 1 && wrong[0].href === "#password-current", `wrong password not on its field: ${JSON.stringify(wrong)}`);
  await b.check("account-error");

  // Security questions: three from the list, with the current password.
  const options = await b.page.locator("#question1 option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  for (const n of [1, 2, 3]) {
    await b.page.selectOption(`#question${n}`, options[n - 1]);
    await b.fill(`#answer${n}`, `answer number ${n}`);
  }
  await b.fill("#questions-current", password);
  await b.submit("#questions-form");
  await b.page.locator('[data-me="questions"] li', { hasText: options[2] }).waitFor();
  expect(await b.page.locator('[data-me="questions"] li').count() === 3, "not three questions shown");
  expect(await b.page.locator("#error-summary").isHidden(), "the error summary stayed after success");

  // The Acceptable Use Policy: refused unticked, then accepted.
  await b.submit("#aup-form");
  const unticked = await b.errors();
  expect(unticked[0].href === "#accepted", `unticked AUP: ${JSON.stringify(unticked)}`);
  await b.page.check("#accepted");
  await b.submit("#aup-form");
  await b.page.locator("#aup-status", { hasText: "You accepted version" }).waitFor();
  expect(await b.page.locator("#aup-form").isHidden(), "the accept form still shows");

  // Devices: a table or a sentence, never nothing.
  expect(await b.page.locator("#devices-table").isVisible() || await b.page.locator("#devices-none").isVisible(), "the devices section is empty");

  // App passwords: made and shown once, refused twice with the same name, revoked.
  await b.fill("#label", "Thunderbird at home");
  await b.submit("#app-password-form");
  await b.page.locator("#app-password-new").waitFor({ state: "visible" });
  const made = await b.text("#app-password-new-secret");
  expect(made.length >= 16, `no app password shown: ${made}`);
  await b.page.locator("#app-passwords-table td", { hasText: "Thunderbird at home" }).first().waitFor();
  await b.check("account-app-password");
  console.log(`APP_PASSWORD=${made}`);
  await b.fill("#label", "Thunderbird at home");
  await b.submit("#app-password-form");
  const dup = await b.errors();
  expect(dup[0].href === "#label", `duplicate label not on its field: ${JSON.stringify(dup)}`);
  await b.page.click("#app-passwords-table .app-revoke");
  await b.page.locator("#app-passwords-none").waitFor({ state: "visible" });
  expect(/revoked/.test(await b.text("#account-notice-text")), "no revoked notice");
  expect(await b.page.locator("#app-password-new").isHidden(), "the secret still shows after revoking");
  await b.check("account-revoked");

  // The password, changed for real: the fields empty again, and told.
  await b.fill("#password-current", password);
  await b.fill("#password-new", env("CAREMAIL_NEW_PASSWORD"));
  await b.fill("#password-confirm", env("CAREMAIL_NEW_PASSWORD"));
  await b.submit("#password-form");
  await b.page.locator("#account-notice-text", { hasText: "Your password is changed" }).waitFor();
  expect(await b.page.inputValue("#password-new") === "", "the new password stays in the form");
  expect(await b.page.locator("#error-summary").isHidden(), "an error shows after the change");
});
