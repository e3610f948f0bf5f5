// SPEC L5 in a real browser (test_shared_confirm.py): the link in an
// inactive shared mailbox notice opens a page naming the mailbox and its
// deletion date with one button; opening it keeps nothing, the button
// keeps the mailbox. A link that is not ours gets the API's sentence and
// no button. A Local Administrator sees Last used and the deletion date
// on the mailbox's page and keeps it with its button. Each page passes
// axe at 375 px and 1280 px (b.check). Env: CAREMAIL_TOKEN (a good link's
// token), CAREMAIL_MAILBOX (its mailbox), CAREMAIL_OTHER (a noticed
// mailbox of the LA's practice), CAREMAIL_COOKIE (the LA),
// CAREMAIL_OWNER_COOKIE (the owner of both, no admin role).
import { env, expect, run } from "./harness.mjs";
import { signedIn, waitText } from "./users-steps.mjs";

const token = env("CAREMAIL_TOKEN");
const mailbox = env("CAREMAIL_MAILBOX");
const other = env("CAREMAIL_OTHER");

await run(async (b) => {
  // A link that is not ours: a sentence, nothing to press.
  await b.goto(`/shared/confirm#${"x".repeat(43)}`);
  await b.page.locator("#refused").waitFor();
  const said = await b.text("#refused");
  expect(/not valid/.test(said), `the refusal: ${said}`);
  expect(await b.page.getByRole("button", { name: "Keep this mailbox" }).isHidden(),
    "a bad link offers the button");
  await b.check("shared-confirm-refused");

  // The good link: the mailbox, its dates, one button.
  await b.goto(`/shared/confirm#${token}`);
  await b.page.locator("#about").waitFor();
  const about = await b.text("#about-list");
  expect(about.includes(mailbox) && /Will be deleted on/.test(about) && /Last used/.test(about),
    `the mailbox's details: ${about}`);
  await b.check("shared-confirm");
  await b.page.getByRole("button", { name: "Keep this mailbox" }).click();
  await b.page.locator("#kept").waitFor();
  expect((await b.text("#kept")).includes(mailbox), "the kept panel names the mailbox");
  await b.check("shared-confirm-kept");

  // The LA keeps another from its page.
  const la = await b.another();
  await signedIn(la, env("CAREMAIL_COOKIE"));
  await la.goto(`/mailbox?address=${encodeURIComponent(other)}`);
  await la.page.locator("#mailbox-record").waitFor({ state: "visible" });
  await waitText(la, "#mailbox-summary", /Will be deleted on/);
  expect(/Last used/.test(await la.text("#mailbox-summary")), "no Last used on the page");
  expect(/will be deleted on/.test(await la.text("#keep-text")), "the keep section does not say when");
  await la.check("mailbox-keep");
  await la.page.locator("#keep").click();
  await waitText(la, "#action-done", /Kept/);
  const after = await la.text("#mailbox-summary");
  expect(!/Will be deleted on/.test(after), `still to be deleted: ${after}`);
  await la.check("mailbox-kept");
  // The LA owns none: no menu item for it.
  expect(await la.page.locator('.nhsuk-header__navigation-item:not([hidden]) a[href="/account#shared-mailboxes"]').count() === 0,
    "the menu offers shared mailboxes to someone who owns none");

  // The owner, no admin role: the menu leads to My account's list of the
  // mailboxes they own, each a link to its page.
  const owner = await b.another();
  await signedIn(owner, env("CAREMAIL_OWNER_COOKIE"));
  await owner.goto("/");
  const shown = (href) => owner.page.locator(`.nhsuk-header__navigation-item:not([hidden]) a[href="${href}"]`);
  await shown("/account#shared-mailboxes").first().waitFor({ state: "attached" });
  expect(await shown("/account#shared-mailboxes").count() === 1, "no Your shared mailboxes in the menu");
  expect(await shown("/mailboxes").count() === 0, "an owner is offered every mailbox");
  await owner.goto("/account#shared-mailboxes");
  await owner.page.locator("#shared-mailboxes-section").waitFor({ state: "visible" });
  const listed = await owner.text("#shared-mailboxes-list");
  expect(listed.includes(mailbox) && listed.includes(other), `the owned list: ${listed}`);
  await owner.check("account-shared-mailboxes");
  await owner.page.getByRole("link", { name: new RegExp(other.replace(/[.]/g, "\\.")) }).click();
  await owner.page.locator("#mailbox-record").waitFor({ state: "visible" });
  expect((await owner.text("#mailbox-heading")).length > 0, "the mailbox page has no heading");
  expect((await owner.text("#mailbox-summary")).includes(other), "the page is not the mailbox's");
});
