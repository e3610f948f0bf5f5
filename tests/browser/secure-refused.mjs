// The secure message portal's refusals (test_secure.py). Stage "refused":
// no link at all; a link never sent; a wrong code (the tries left are
// said, on the code field); a code asked for in another browser (the
// newest code, right for the recipient, refused in this one); a withdrawn
// link. Stage "expired": the link of a message past its expiry.
// Env: CAREMAIL_STAGE, CAREMAIL_CODER and CAREMAIL_CODER_LINK (a
// recipient and their link), CAREMAIL_WITHDRAWN_LINK (a link the sender
// withdrew), CAREMAIL_MAILROOM (the remote server's mail).
import { env, expect, run } from "./harness.mjs";
import { codeFor, mark } from "./secure-mail.mjs";

const stage = env("CAREMAIL_STAGE");
const coder = env("CAREMAIL_CODER");
const coderLink = env("CAREMAIL_CODER_LINK");
const mailroom = env("CAREMAIL_MAILROOM");

async function refused(b, hash, pattern, name) {
  await b.goto(`/secure/open${hash}`);
  await b.page.locator("#refused").waitFor();
  const said = await b.text("#refused");
  expect(pattern.test(said), `${name}: ${said}`);
  expect(await b.page.locator("#about").isHidden(), `${name}: the message's details show`);
  expect(await b.page.getByRole("button", { name: "Send me a code" }).isHidden(), `${name}: a code is offered`);
  await b.check(name);
}

// Opens the link and asks for a code; the mark to read the code from.
async function askCode(b) {
  await b.goto(`/secure/open#${coderLink}`);
  await b.page.locator("#about").waitFor();
  const before = mark(mailroom);
  await b.page.getByRole("button", { name: "Send me a code" }).click();
  await b.page.locator("#code-form").waitFor();
  return before;
}

await run(async (b) => {
  if (stage === "expired") {
    await refused(b, `#${coderLink}`, /expired/i, "secure-open-expired");
    return;
  }

  // No link: how to use the page.
  await b.goto("/secure/open");
  await b.page.locator("#no-link").waitFor();
  await b.check("secure-open-no-link");

  // A link we never sent.
  await refused(b, `#${"A".repeat(43)}`, /not one we sent|mistyped/i, "secure-open-unknown");

  // A withdrawn link.
  await refused(b, `#${env("CAREMAIL_WITHDRAWN_LINK")}`, /withdrawn/i, "secure-open-revoked");

  // A wrong code: refused on the code field, saying what is left.
  const first = await askCode(b);
  const code = await codeFor(mailroom, coder, first);
  await b.fill("#code", code === "000000" ? "111111" : "000000");
  await b.submit("#code-form");
  const wrong = await b.errors();
  expect(wrong.length === 1 && wrong[0].href === "#code", `a wrong code: ${JSON.stringify(wrong)}`);
  expect(/tr(y|ies)/i.test(wrong[0].text), `a wrong code does not say the tries left: ${wrong[0].text}`);
  await b.check("secure-code-wrong");

  // A code asked for in another browser: the newest, right for the
  // recipient, and still refused here.
  const other = await b.another();
  const second = await askCode(other);
  const othersCode = await codeFor(mailroom, coder, second);
  await b.fill("#code", othersCode);
  await b.submit("#code-form");
  const elsewhere = await b.errors();
  expect(elsewhere.length === 1 && elsewhere[0].href === "#code", `another browser's code: ${JSON.stringify(elsewhere)}`);
  expect(await b.page.locator("#code-form").isVisible(), "another browser's code signed in");
  // ...where it works.
  await other.fill("#code", othersCode);
  await other.submit("#code-form");
  await other.at("/secure/message");
  await other.page.locator("#message").waitFor();
});
