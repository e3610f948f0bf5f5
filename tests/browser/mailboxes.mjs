// The Global Admin's mailbox pages, by clicking: create a shared mailbox
// (a missing name refused on its field), add an owner and a member (an
// unknown person refused on the field), grant two permissions, edit the
// name and quota, remove the owner, revoke one permission, find it in the
// list and page through another practice's mailboxes, move it to that
// practice; create a resource mailbox, find it under its kind and delete
// it (refused until confirmed).
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_ORG, CAREMAIL_OTHER (with
// CAREMAIL_MANY shared mailboxes), CAREMAIL_OWNER, CAREMAIL_MEMBER
// (people of CAREMAIL_ORG), CAREMAIL_DOMAIN (the hosted domain). Prints
// one JSON line: {"shared", "resource"} addresses.
import { env, expect, run } from "./harness.mjs";
import { signedIn, waitText } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const other = env("CAREMAIL_OTHER");
const many = Number(env("CAREMAIL_MANY"));
const owner = env("CAREMAIL_OWNER");
const member = env("CAREMAIL_MEMBER");
const domain = env("CAREMAIL_DOMAIN");

// The row of a summary list that holds text.
const rowOf = (b, list, text) => b.page.locator(`${list} .nhsuk-summary-list__row`, { hasText: text });

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));

  // Create a shared mailbox from the list's link.
  await b.goto("/mailboxes");
  await b.page.click("#new-shared-link");
  await b.at("/mailbox-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  expect(await b.page.isChecked("#kind"), "Shared is not chosen from its link");
  await b.page.selectOption("#org", org);
  await b.submit("#new-mailbox-form");
  const noName = await b.errors();
  expect(noName.length === 1 && noName[0].href === "#name", `no name: ${JSON.stringify(noName)}`);
  await b.check("mailbox-new-error");
  await b.fill("#name", "Riverside Reception");
  await b.submit("#new-mailbox-form");
  await b.at("/mailbox");
  await b.page.locator("#mailbox-record").waitFor({ state: "visible" });
  await waitText(b, "#action-done", /created/);
  const shared = await b.text("#mailbox-summary .nhsuk-summary-list__value");
  expect(shared.startsWith("riverside.reception@"), `address made from the name: ${shared}`);
  expect((await b.text("#mailbox-heading")) === "Riverside Reception", "heading is not the name");
  expect(/Full access/.test(await b.text("#rights-explained")) && /on behalf of/.test(await b.text("#rights-explained")),
    "the permissions are not explained");

  // Owners and members, added by address; an unknown person is the API's
  // sentence on the field.
  await b.fill("#owner-person", `nobody.here@${domain}`);
  await b.submit("#owner-form");
  const unknown = await b.errors();
  expect(unknown.length === 1 && unknown[0].href === "#owner-person", `unknown owner: ${JSON.stringify(unknown)}`);
  await b.check("mailbox-error");
  await b.fill("#owner-person", owner);
  await b.submit("#owner-form");
  await waitText(b, "#action-done", /Owner added/);
  await b.fill("#member-person", member);
  await b.submit("#member-form");
  await waitText(b, "#action-done", /Member added/);
  expect(await rowOf(b, "#owners-list", owner).count() === 1, "the owner is not listed");
  expect(await rowOf(b, "#members-list", member).count() === 1, "the member is not listed");

  // Permissions: the right must be chosen; then two granted.
  await b.fill("#grant-person", member);
  await b.submit("#grant-form");
  const noRight = await b.errors();
  expect(noRight.length === 1 && noRight[0].href === "#right", `no right: ${JSON.stringify(noRight)}`);
  await b.page.check("#right-send_as");
  await b.submit("#grant-form");
  await waitText(b, "#action-done", /granted/);
  await b.fill("#grant-person", owner);
  await b.page.check("#right");
  await b.submit("#grant-form");
  await b.page.locator("#grants-list .nhsuk-summary-list__row", { hasText: "full_access" }).waitFor();
  expect(/Send as \(send_as\)/.test(await b.text("#grants-list")), "send_as is not shown");
  await b.check("mailbox-people");

  // Edit the name and quota.
  await b.fill("#name", "Front Desk");
  await b.fill("#quota_mb", "2 GB");
  await b.submit("#edit-form");
  const badQuota = await b.errors();
  expect(badQuota.length === 1 && badQuota[0].href === "#quota_mb", `bad quota: ${JSON.stringify(badQuota)}`);
  await b.fill("#quota_mb", "2048");
  await b.submit("#edit-form");
  await waitText(b, "#action-done", /saved/);
  expect((await b.text("#mailbox-heading")) === "Front Desk", "the new name is not shown");
  expect(/2 GB/.test(await b.text("#mailbox-summary")), "the new quota is not shown");

  // Remove the owner and revoke their full access, each from its row.
  await rowOf(b, "#owners-list", owner).locator("button").click();
  await waitText(b, "#action-done", /no longer an owner/);
  const focused = await b.page.evaluate(() => document.activeElement?.id);
  expect(focused === "owners-heading", `focus after Remove is on ${focused}, not the Owners heading`);
  expect(await rowOf(b, "#owners-list", owner).count() === 0, "the owner is still listed");
  await rowOf(b, "#grants-list", owner).locator("button").click();
  await waitText(b, "#action-done", /revoked/);
  expect(await rowOf(b, "#grants-list", owner).count() === 0, "the revoked permission is still listed");

  // The list: the mailbox is there, the cells carry their headings at 375 px.
  await b.page.click("a.nhsuk-back-link");
  await b.at("/mailboxes");
  await b.page.selectOption("#org", org);
  await b.submit("#filter-form");
  await b.page.waitForURL((u) => u.searchParams.get("org") === org);
  const row = b.page.locator("#mailboxes-table tbody tr", { hasText: shared });
  await row.waitFor();
  expect(/Front Desk/.test(await row.textContent()), "the list does not show the new name");
  await b.check("mailboxes");
  await b.page.setViewportSize({ width: 375, height: 900 });
  expect(await row.locator(".nhsuk-table__heading").first().isVisible(), "at 375 px the cells do not show their headings");
  await b.page.setViewportSize({ width: 1280, height: 900 });

  // Another practice's mailboxes, a page at a time.
  await b.page.selectOption("#org", other);
  await b.submit("#filter-form");
  await b.page.waitForURL((u) => u.searchParams.get("org") === other);
  await b.page.locator("#mailboxes-table tbody tr").nth(24).waitFor();
  expect(await b.page.locator("#mailboxes-previous").isHidden(), "Previous shown on the first page");
  await b.page.click("#mailboxes-next");
  await b.page.waitForURL((u) => u.searchParams.getAll("page").length === 1 && u.searchParams.get("kind") === "shared");
  await b.page.waitForLoadState("networkidle");
  const second = await b.page.locator("#mailboxes-table tbody tr").count();
  expect(second === many - 25, `the second page has ${second} rows, not ${many - 25}`);
  expect(await b.page.locator("#mailboxes-next").isHidden(), "Next shown on the last page");

  // Open it from the list and move it to the other practice.
  await b.goto(`/mailboxes?org=${org}`);
  await b.page.click(`#mailboxes-table a:has-text("Front Desk")`);
  await b.at("/mailbox");
  await b.page.locator(`#transfer-org option[value="${other}"]`).waitFor({ state: "attached" });
  await b.page.selectOption("#transfer-org", other);
  await b.submit("#transfer-form");
  await waitText(b, "#action-done", /Moved to/);
  expect((await b.text("#mailbox-summary")).includes(`(${other})`), "the new org is not shown");

  // A resource mailbox: what the API supports for it, and delete.
  await b.goto("/mailboxes");
  await b.page.click("#new-resource-link");
  await b.at("/mailbox-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  expect(await b.page.isChecked("#kind-resource"), "Resource is not chosen from its link");
  await b.page.selectOption("#org", org);
  await b.fill("#name", "Seminar Room 2");
  await b.submit("#new-mailbox-form");
  await b.at("/mailbox");
  await b.page.locator("#mailbox-record").waitFor({ state: "visible" });
  const resource = await b.text("#mailbox-summary .nhsuk-summary-list__value");
  // Listed under its kind, and opened from there as a resource mailbox.
  await b.goto(`/mailboxes?kind=resource&org=${org}`);
  await b.page.click(`#mailboxes-table a:has-text("Seminar Room 2")`);
  await b.at("/mailbox");
  await b.page.locator("#mailbox-record").waitFor({ state: "visible" });
  expect((await b.text("#mailbox-tags")) === "Resource mailbox", "not opened as a resource mailbox");
  expect(await b.page.locator("#resource-note").isVisible(), "no note on what a resource mailbox lacks");
  expect(await b.page.locator("#owner-form").isHidden(), "owners offered on a resource mailbox");
  await b.check("mailbox-resource");
  await b.submit("#delete-form");
  const unconfirmed = await b.errors();
  expect(unconfirmed.length === 1 && unconfirmed[0].href === "#confirm_delete", `delete unconfirmed: ${JSON.stringify(unconfirmed)}`);
  await b.page.check("#confirm_delete");
  await b.submit("#delete-form");
  await b.page.locator("#deleted").waitFor({ state: "visible" });
  expect(await b.page.locator("#mailbox-record").isHidden(), "the deleted mailbox is still shown");
  await b.check("mailbox-deleted");

  console.log(JSON.stringify({ shared, resource }));
});
