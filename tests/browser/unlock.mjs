// Lockout and self-service unlock: a locked account's sign-in says the
// account may be locked and offers the way out; the recovery pages take the
// security answers and the SMS code, say plainly that the account is
// locked, unlock it, and the person signs in again with their password.
// Env: CAREMAIL_URL, CAREMAIL_EMAIL, CAREMAIL_PASSWORD, CAREMAIL_OUTBOX,
// CAREMAIL_ANSWERS (JSON: question -> answer).
import fs from "node:fs";

import { env, expect, run } from "./harness.mjs";

const email = env("CAREMAIL_EMAIL");
const password = env("CAREMAIL_PASSWORD");
const outbox = env("CAREMAIL_OUTBOX");
const answers = JSON.parse(env("CAREMAIL_ANSWERS"));

// The newest code the SMS gateway wrote (sms.gateway = file).
async function smsCode(after) {
  for (let i = 0; i < 50; i++) {
    const lines = fs.existsSync(outbox) ? fs.readFileSync(outbox, "utf8").trim().split("\n") : [];
    if (lines.length > after) {
      const code = JSON.parse(lines[lines.length - 1]).text.match(/\b\d{6}\b/);
      if (code) return code[0];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SMS code in ${outbox}`);
}

await run(async (b) => {
  await b.goto("/sign-in");
  await b.fill("#email", email);
  await b.fill("#password", password);
  await b.submit("#sign-in-form");
  const locked = await b.errors();
  expect(/locked/.test(locked[0].text) && /unlock/.test(locked[0].text), `no lockout message: ${JSON.stringify(locked)}`);

  await b.page.click("text=Forgotten your password, or locked out?");
  await b.at("/forgot-password");
  await b.check("forgot-password");
  const before = fs.existsSync(outbox) ? fs.readFileSync(outbox, "utf8").trim().split("\n").length : 0;
  await b.fill("#email", email);
  await b.submit("#start-form");
  await b.page.locator("#proof-form").waitFor({ state: "visible" });
  const code = await smsCode(before);
  for (let i = 0; i < 3; i++) {
    const question = await b.text(`label[for="answer-${i}"]`);
    expect(question in answers, `an unexpected question: ${question}`);
    await b.fill(`#answer-${i}`, answers[question]);
  }
  await b.fill("#code", code);
  await b.fill("#new_password", "another long passphrase here");
  await b.check("forgot-password-answers");
  await b.submit("#proof-form");

  // Answers and code right, but locked: said plainly, unlock offered.
  const said = await b.errors();
  expect(/locked/.test(said[0].text), `not told the account is locked: ${JSON.stringify(said)}`);
  expect(await b.page.isChecked("#action-2"), "unlock is not chosen for them");
  await b.check("forgot-password-locked");
  await b.submit("#proof-form");
  await b.at("/sign-in");
  expect(/unlocked/.test(await b.text("#sign-in-notice")), "no unlocked notice");

  // The password is as it was.
  await b.fill("#email", email);
  await b.fill("#password", password);
  await b.submit("#sign-in-form");
  await b.at("/");
});
