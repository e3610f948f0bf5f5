// A Local Administrator of one practice: the menu offers Mailboxes and
// Contacts; the lists and every choice of organisation are that practice
// only; another practice's mailbox and contact, and a listing of that
// practice, are the API's sentence linked to the field.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_ORG (theirs), CAREMAIL_OTHER,
// CAREMAIL_OURS (a shared mailbox of theirs), CAREMAIL_THEIRS (one of
// CAREMAIL_OTHER), CAREMAIL_CONTACT (a contact of CAREMAIL_OTHER).
import { env, expect, run } from "./harness.mjs";
import { signedIn } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const other = env("CAREMAIL_OTHER");
const ours = env("CAREMAIL_OURS");
const theirs = env("CAREMAIL_THEIRS");
const contact = env("CAREMAIL_CONTACT");

// The page at path shows one error, the API's sentence for an org the
// caller does not administer, linked to #field.
async function refusedOn(b, path, field) {
  await b.goto(path);
  const errors = await b.errors();
  expect(errors.length === 1 && errors[0].href === `#${field}` && /not one you administer/.test(errors[0].text),
    `${path}: ${JSON.stringify(errors)}`);
}

const values = (b, selector) => b.page.locator(`${selector} option`).evaluateAll((os) => os.map((o) => o.value).filter(Boolean));

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));

  await b.goto("/");
  for (const href of ["/mailboxes", "/contacts"]) {
    expect(await b.page.locator(`.nhsuk-header__navigation-item:not([hidden]) a[href="${href}"]`).count() === 1,
      `no ${href} in the menu`);
  }

  // The list is their practice's only, and so is the org filter.
  await b.goto("/mailboxes");
  await b.page.locator("#mailboxes-table tbody tr", { hasText: ours }).waitFor();
  const listed = await b.page.locator("#mailboxes-table tbody tr td:nth-child(2)").allTextContents();
  expect(!listed.some((a) => a.includes(theirs)), "another practice's mailbox is listed");
  const filter = await values(b, "#org");
  expect(filter.length === 1 && filter[0] === org, `the org filter offers ${filter}`);
  await b.check("mailboxes-local-admin");

  // Another practice's mailbox: the API's sentence on the address, no record.
  await refusedOn(b, `/mailbox?address=${encodeURIComponent(theirs)}`, "address");
  expect(await b.page.locator("#mailbox-record").isHidden(), "the record is shown anyway");
  await b.check("mailbox-refused");

  // Listing another practice's mailboxes: the sentence on the org filter.
  await refusedOn(b, `/mailboxes?org=${other}`, "org");

  // Their own mailbox: it can move only within what they administer.
  await b.goto(`/mailbox?address=${encodeURIComponent(ours)}`);
  await b.page.locator("#mailbox-record").waitFor({ state: "visible" });
  const moves = await values(b, "#transfer-org");
  expect(moves.length === 1 && moves[0] === org, `transfer offers ${moves}`);

  // Another practice's contact, and creating one: only theirs.
  await refusedOn(b, `/contact?address=${encodeURIComponent(contact)}`, "address");
  expect(await b.page.locator("#contact-record").isHidden(), "the contact is shown anyway");
  await b.check("contact-refused");
  await b.goto("/contact-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  const creates = await values(b, "#org");
  expect(creates.length === 1 && creates[0] === org, `create offers ${creates}`);
});
