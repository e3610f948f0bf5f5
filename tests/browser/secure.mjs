// The secure message portal from the link to the withdrawal
// (test_secure.py): the reader, at 375 px, opens the notice's link, asks
// for a code, types the one that was emailed, reads the message, downloads
// its attachment, replies, sets a password, signs out and back in with it;
// the sender, in another browser, finds on /secure-sent that it was read,
// the access log, and withdraws it; the reader's pages then refuse it.
// Env: CAREMAIL_LINK (the notice's token), CAREMAIL_READER,
// CAREMAIL_SENDER, CAREMAIL_MAILROOM (the remote server's mail),
// CAREMAIL_STAFF_COOKIE (the sender signed in), CAREMAIL_ATTACHMENT (its
// bytes in hex), CAREMAIL_BODY, CAREMAIL_SUBJECT.
import fs from "node:fs";

import { BASE, env, expect, run } from "./harness.mjs";
import { codeFor, mark } from "./secure-mail.mjs";
import { menu, signedIn, waitText } from "./users-steps.mjs";

const link = env("CAREMAIL_LINK");
const reader = env("CAREMAIL_READER");
const sender = env("CAREMAIL_SENDER");
const mailroom = env("CAREMAIL_MAILROOM");
const subject = env("CAREMAIL_SUBJECT");
const body = env("CAREMAIL_BODY");
const attachment = env("CAREMAIL_ATTACHMENT");
const readerPassword = "violet harbour lantern meadow";

await run(async (b) => {
  const page = b.page;
  await page.setViewportSize({ width: 375, height: 800 });

  // The link: who sent it, to which address; no staff menu or sign-in.
  await b.goto(`/secure/open#${link}`);
  await page.locator("#about").waitFor();
  const about = await b.text("#about-list");
  expect(about.includes(sender) && about.includes(reader), `the link's page: ${about}`);
  expect(await page.locator(".nhsuk-header__navigation").count() === 0, "a reader sees the staff menu");
  expect(await page.locator('a[href="/sign-in"]').count() === 0, "a reader is offered the staff sign-in");
  expect(await page.locator("#password-option").isHidden(), "a password is offered before one is set");
  await b.check("secure-open");

  // A code, emailed to the address the message went to.
  const before = mark(mailroom);
  await page.getByRole("button", { name: "Send me a code" }).click();
  await page.locator("#code-form").waitFor();
  await waitText(b, "#code-sent", new RegExp(`sent a 6-digit code to ${reader.replace(/\./g, "\\.")}`));
  expect(await page.locator("#code").getAttribute("autocomplete") === "one-time-code", "the code field is not a one-time-code field");
  await b.check("secure-code");
  const code = await codeFor(mailroom, reader, before);
  await b.fill("#code", code);
  await b.submit("#code-form");

  // The message, its text as text, its attachment.
  await b.at("/secure/message");
  await page.locator("#message").waitFor();
  expect(await b.text("#message-subject") === subject, `subject: ${await b.text("#message-subject")}`);
  const summary = await b.text("#message-summary");
  expect(summary.includes(sender) && summary.includes(reader), `the message's summary: ${summary}`);
  const text = await page.locator("#message-text").textContent();
  expect(text.includes(body.split("\n")[0]) && text.includes(body.split("\n")[1]), `the message's text: ${text}`);
  expect(await page.locator("#message-text *").count() === 0, "the message's text became markup");
  await b.check("secure-message");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "results.pdf" }).click(),
  ]);
  expect(download.suggestedFilename() === "results.pdf", `downloaded as ${download.suggestedFilename()}`);
  const got = fs.readFileSync(await download.path()).toString("hex");
  expect(got === attachment, "the downloaded attachment is not the one sent");

  // A reply: sent, and shown under "Your replies".
  await b.fill("#text", "Thank you, received and understood.");
  await b.submit("#reply-form");
  await waitText(b, "#reply-done", /Your reply has been sent to the sender/);
  await page.locator("#replies-section").waitFor();
  expect((await b.text("#replies")).includes("Thank you, received and understood."), "the reply is not under Your replies");
  await b.check("secure-replied");

  // A password for next time; two that differ are refused first.
  await page.getByRole("link", { name: "Set a password" }).click();
  await b.at("/secure/password");
  await page.locator("#reader-address", { hasText: reader }).waitFor();
  await b.fill("#password", readerPassword);
  await b.fill("#confirm", readerPassword + " x");
  await b.submit("#password-form");
  const differ = await b.errors();
  expect(differ.length === 1 && differ[0].href === "#confirm", `different passwords: ${JSON.stringify(differ)}`);
  await b.fill("#confirm", readerPassword);
  await b.submit("#password-form");
  await waitText(b, "#password-done", /Your password is saved/);
  await b.check("secure-password");

  // Signed out; the link now offers the password, and the sign-in page
  // takes it: the list shows the message read.
  await page.locator(".app-reader-sign-out button").click();
  await b.at("/secure/sign-in");
  await waitText(b, "#reader-notice", /You have signed out/);
  await b.goto(`/secure/open#${link}`);
  await page.locator("#password-option").waitFor();
  await page.getByRole("link", { name: "sign in with your password" }).click();
  await b.at("/secure/sign-in");
  expect(await page.locator("#email").inputValue() === reader, "the link's address is not filled in");
  await b.check("secure-sign-in");
  await b.fill("#password", "not the password at all");
  await b.submit("#reader-sign-in-form");
  const wrong = await b.errors();
  expect(wrong.length === 1, `a wrong password: ${JSON.stringify(wrong)}`);
  await b.fill("#password", readerPassword);
  await b.submit("#reader-sign-in-form");
  await b.at("/secure/messages");
  const row = page.locator("#messages-table tbody tr", { hasText: subject });
  await row.waitFor();
  expect(/Read/.test(await row.textContent()), `the list's row: ${await row.textContent()}`);
  await b.check("secure-messages");
  const messageUrl = await row.getByRole("link", { name: subject }).getAttribute("href");
  // Signed in, the link needs no code.
  await b.goto(`/secure/open#${link}`);
  await page.locator("#signed-in-option").waitFor();
  expect(await page.getByRole("button", { name: "Send me a code" }).isHidden(), "a code is offered to a reader signed in");
  await page.getByRole("link", { name: "read the message" }).click();
  await b.at("/secure/message");
  await page.locator("#message").waitFor();

  // The sender: the menu's page, who read it, the access log.
  const s = await b.another();
  await signedIn(s, env("CAREMAIL_STAFF_COOKIE"));
  await s.goto("/");
  await menu(s, "Secure messages sent");
  await s.at("/secure-sent");
  const sent = s.page.locator(".app-sent-message", { hasText: subject });
  await sent.waitFor();
  const recipientRow = sent.locator("tbody tr", { hasText: reader });
  expect(/Read .*UTC/.test(await recipientRow.textContent()), `not shown as read: ${await recipientRow.textContent()}`);
  await sent.locator("summary", { hasText: "Access log" }).click();
  const log = sent.locator("table[id$=-access] tbody tr");
  await log.first().waitFor();
  const events = (await log.allTextContents()).join("\n");
  for (const what of ["A code was emailed", "Signed in", "Read the message", "Downloaded an attachment", "Replied"]) {
    expect(events.includes(what), `the access log has no "${what}": ${events}`);
  }
  await s.check("secure-sent");

  // Withdraw: asked first; cancel leaves it; then withdrawn.
  await recipientRow.getByRole("button", { name: /^Withdraw/ }).click();
  await s.page.locator("#withdraw-section").waitFor();
  expect((await s.text("#withdraw-what")).includes(reader), `the confirmation: ${await s.text("#withdraw-what")}`);
  await s.check("secure-withdraw");
  await s.page.locator("#withdraw-cancel").click();
  expect(await s.page.locator("#withdraw-section").isHidden(), "cancel left the confirmation");
  await recipientRow.getByRole("button", { name: /^Withdraw/ }).click();
  await s.page.locator("#withdraw-confirm").click();
  await waitText(s, "#sent-done", /is withdrawn from/);
  const after = s.page.locator(".app-sent-message", { hasText: subject }).locator("tbody tr", { hasText: reader });
  await after.locator(".nhsuk-tag", { hasText: "Withdrawn" }).waitFor();
  expect(await after.getByRole("button").count() === 0, "a withdrawn recipient still has a Withdraw button");
  await s.check("secure-withdrawn");

  // The reader: the message, its attachment and the link are refused.
  await b.goto(messageUrl);
  await page.locator("#refused").waitFor();
  expect(/withdrawn/i.test(await b.text("#refused")), `after withdrawing: ${await b.text("#refused")}`);
  expect(await page.locator("#message").isHidden(), "the withdrawn message still shows");
  await b.check("secure-message-withdrawn");
  const id = new URL(messageUrl, BASE).searchParams.get("id");
  const file = await page.request.get(`${BASE}/api/v1/secure/messages/${id}/attachments/0`);
  expect(file.status() === 410, `the attachment after withdrawing: ${file.status()}`);
  await b.goto("/secure/messages");
  await page.locator("#messages-table tbody tr", { hasText: "Withdrawn" }).waitFor();
  expect(await page.locator("#messages-table tbody tr a", { hasText: subject }).count() === 0, "a withdrawn message is still a link");
  await b.goto(`/secure/open#${link}`);
  await page.locator("#refused").waitFor();
  expect(/withdrawn/i.test(await b.text("#refused")), `the link after withdrawing: ${await b.text("#refused")}`);
  await b.check("secure-open-withdrawn");

  // The sender's access log has those refusals too.
  await s.goto("/secure-sent");
  const again = s.page.locator(".app-sent-message", { hasText: subject });
  await again.locator("summary", { hasText: "Access log" }).click();
  await again.locator("table[id$=-access] tbody tr").first().waitFor();
  const refusals = await again.locator("table[id$=-access] tbody tr", { hasText: "Refused" }).allTextContents();
  expect(refusals.some((r) => r.includes("Read the message")) && refusals.some((r) => r.includes("Opened the link")),
    `the refusals are not in the access log: ${refusals}`);
});
