// The distribution list pages by clicking: a person with no admin role
// requests a static list (the page says it waits for approval); a Local
// Administrator finds it in the approval queue, is told a rejection needs
// a reason, and approves it; builds a dynamic list with the rule editor,
// whose count follows the typing; and adds owners to a list up to the
// limit, which the page explains before and when it is reached; the
// owner's change to the approved list then waits, and the page says so.
// Env: CAREMAIL_URL, CAREMAIL_USER_COOKIE (no role, of CAREMAIL_ORG),
// CAREMAIL_LA_COOKIE (Local Administrator of CAREMAIL_ORG), CAREMAIL_GPS
// (how many GPs CAREMAIL_ORG has), CAREMAIL_CROWDED (a list with 24
// owners), CAREMAIL_NEW_OWNER. Prints one JSON line: {"requested",
// "dynamic"} addresses.
import { env, expect, run } from "./harness.mjs";
import { signedIn, waitText } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const gps = Number(env("CAREMAIL_GPS"));
const crowded = env("CAREMAIL_CROWDED");
const newOwner = env("CAREMAIL_NEW_OWNER");
const out = {};

await run(async (b) => {
  // A person with no role: the menu has Lists but not List approvals.
  await signedIn(b, env("CAREMAIL_USER_COOKIE"));
  await b.goto("/lists");
  expect(await b.page.locator('.nhsuk-header__navigation-item:not([hidden]) a[href="/lists"]').count() === 1, "no Lists in the menu");
  expect(await b.page.locator('.nhsuk-header__navigation-item:not([hidden]) a[href="/list-approvals"]').count() === 0,
    "List approvals is offered to a person with no role");
  await b.page.locator("#owned-empty").waitFor({ state: "visible" });
  expect(await b.page.locator("#admin-lists").isHidden(), "the admin listing is shown to a person with no role");
  expect(await b.text("#new-list-link") === "Request a list", "no Request a list");
  await b.check("lists-user");

  // Request a static list: it waits for approval, and the page says so.
  await b.page.click("#new-list-link");
  await b.at("/list-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  expect(/approves the list/.test(await b.text("#new-intro")), "the form does not say a request is approved");
  await b.check("list-new-request");
  await b.fill("#name", "Owl Club");
  await b.fill("#description", "Birdwatchers");
  await b.submit("#new-list-form");
  await b.page.locator("#created").waitFor({ state: "visible" });
  expect(await b.text("#created-heading") === "List requested", "not told the list was requested");
  expect(/waiting for an administrator/.test(await b.text("#created-text")), "not told it waits for approval");
  await b.check("list-new-requested");
  await b.page.click("#created-link");
  await b.at("/list");
  await b.page.locator("#list-record").waitFor({ state: "visible" });
  out.requested = await b.page.evaluate(() => new URLSearchParams(window.location.search).get("address"));
  expect(/Waiting for approval/.test(await b.text("#list-tags")), "the list is not shown as waiting");
  expect(/1 of 25 owners/.test(await b.text("#owners-count")), `owners: ${await b.text("#owners-count")}`);
  await b.check("list-requested");

  // The Local Administrator: the queue shows what is asked, by whom, when.
  await b.page.context().clearCookies();
  await signedIn(b, env("CAREMAIL_LA_COOKIE"));
  await b.goto("/list-approvals");
  expect(await b.page.locator('.nhsuk-header__navigation-item:not([hidden]) a[href="/list-approvals"]').count() === 1,
    "no List approvals in a Local Administrator's menu");
  const card = b.page.locator("#approvals li", { hasText: out.requested });
  await card.waitFor();
  const text = await card.textContent();
  expect(/A new static list/.test(text) && /Birdwatchers/.test(text), `the card does not say what is asked: ${text}`);
  expect(/Asked by/.test(text) && text.includes("nora"), `the card does not say who asked: ${text}`);
  await b.check("list-approvals");
  // A rejection needs a reason: said on the reason's field.
  await card.locator('button:has-text("Reject")').click();
  const noReason = await b.errors();
  expect(noReason.length === 1 && /reason/.test(noReason[0].text) && /reject-\d+-reason/.test(noReason[0].href),
    `reject with no reason: ${JSON.stringify(noReason)}`);
  await b.check("list-approvals-error");
  await card.locator('button:has-text("Approve")').click();
  await waitText(b, "#approvals-done", /Approved/);
  expect(await b.page.locator("#approvals li", { hasText: out.requested }).count() === 0, "still in the queue");

  // A dynamic list with the rule editor: the count follows the typing.
  await b.goto("/lists");
  expect(await b.text("#new-list-link") === "Create a list", "no Create a list for an admin");
  await b.page.locator("#lists-table tbody tr", { hasText: out.requested }).waitFor();
  await b.check("lists-admin");
  await b.page.click("#new-list-link");
  await b.at("/list-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  await b.page.selectOption("#org", org);
  await b.fill("#name", "Our GPs");
  await b.page.check("#kind-dynamic");
  await b.page.locator("#rule-editor").waitFor({ state: "visible" });
  await b.page.locator("#rule-job_titles").pressSequentially("gp", { delay: 50 });
  await waitText(b, "#rule-count", new RegExp(`Reaches ${gps} addresses`));
  const names = await b.page.locator("#rule-sample li").allTextContents();
  expect(names.length === Math.min(gps, 5) && names.every((n) => /GP\d/.test(n)), `sample: ${names}`);
  await b.check("list-new-dynamic");
  // A word that matches no job title: the count says so at once.
  await b.fill("#rule-job_titles", "gp, nobody");
  await b.fill("#rule-departments", "Nowhere");
  await waitText(b, "#rule-count", /no one/);
  await b.fill("#rule-departments", "");
  await waitText(b, "#rule-count", new RegExp(`Reaches ${gps} addresses`));
  await b.submit("#new-list-form");
  await b.page.locator("#created").waitFor({ state: "visible" });
  expect(await b.text("#created-heading") === "List created", "not told the list was created");
  await b.page.click("#created-link");
  await b.at("/list");
  out.dynamic = await b.page.evaluate(() => new URLSearchParams(window.location.search).get("address"));
  await waitText(b, "#reach-count", new RegExp(`Reaches ${gps} addresses`));
  expect(/Job titles: gp, nobody/.test(await b.text("#list-summary")), "the rule is not shown");
  await b.check("list-dynamic");

  // Owners up to the limit: "24 of 25" before, full and explained after.
  await b.goto(`/list?address=${encodeURIComponent(crowded)}`);
  await b.page.locator("#list-record").waitFor({ state: "visible" });
  expect(/^24 of 25 owners/.test(await b.text("#owners-count")), `owners: ${await b.text("#owners-count")}`);
  expect(await b.page.locator("#owners-full").isHidden(), "full before the limit");
  await b.fill("#person", newOwner);
  await b.submit("#owner-form");
  await waitText(b, "#owners-count", /^25 of 25 owners/);
  await b.page.locator("#owners-full").waitFor({ state: "visible" });
  expect(/the most allowed/.test(await b.text("#owners-full")), "the limit is not explained");
  expect(await b.page.locator("#owner-form").isHidden(), "the add form is offered at the limit");
  await b.check("list-owners-full");
  // Removing one makes room again.
  await b.page.click("#remove-owner-0");
  await waitText(b, "#owners-count", /^24 of 25 owners/);
  expect(await b.page.locator("#owner-form").isVisible(), "no add form below the limit");

  // The owner changes the approved list: it waits, and the page says so.
  await b.page.context().clearCookies();
  await signedIn(b, env("CAREMAIL_USER_COOKIE"));
  await b.goto(`/list?address=${encodeURIComponent(out.requested)}`);
  await b.page.locator("#list-record").waitFor({ state: "visible" });
  await b.fill("#description", "Birdwatchers and owls");
  await b.submit("#edit-form");
  await waitText(b, "#list-done", /waits for an administrator's approval/);
  expect(/Change waiting/.test(await b.text("#list-tags")), "the list is not shown with a change waiting");
  expect(/New description: Birdwatchers and owls/.test(await b.text("#list-summary")), "the waiting change is not shown");
  await b.check("list-change-waiting");
});

console.log(JSON.stringify(out));
