// The Global Admin's users pages, by clicking: create a user (the
// temporary password shown once), find them in the list, page through a
// practice's people, open the user, edit them, reset the password and
// sign in with the one shown, disable then enable, mark as leaver, delete
// (refused until confirmed), find them among the deleted and restore
// them, unlock a locked user; and a filter the API refuses.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE (a signed-in session), CAREMAIL_ORG,
// CAREMAIL_OTHER (an org with CAREMAIL_MANY people), CAREMAIL_LOCKED (a
// locked user of CAREMAIL_ORG). Prints one JSON line:
// {"address", "temporary_password"} of the person created.
import { BASE, env, expect, run } from "./harness.mjs";
import { signedIn, statusOf, waitText } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const other = env("CAREMAIL_OTHER");
const many = Number(env("CAREMAIL_MANY"));
const locked = env("CAREMAIL_LOCKED");

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));

  // Create, from the list's link: a missing name is the API's sentence, linked to its field.
  await b.goto("/users");
  await b.page.click("#new-user-link");
  await b.at("/user-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  await b.check("user-new");
  await b.page.selectOption("#org", org);
  await b.page.locator('#site option[value="Main Surgery"]').waitFor({ state: "attached" });
  await b.fill("#first_name", "Jo");
  await b.submit("#new-user-form");
  const missing = await b.errors();
  expect(missing.length === 1 && missing[0].href === "#last_name", `no last name: ${JSON.stringify(missing)}`);
  await b.check("user-new-error");
  await b.fill("#last_name", "Smith");
  await b.page.selectOption("#site", "Main Surgery");
  await b.fill("#job_title", "Practice Nurse");
  await b.submit("#new-user-form");
  await b.page.locator("#created").waitFor({ state: "visible" });
  const address = await b.text("#created-address");
  const temporary = await b.text("#created-password");
  expect(/^jo\.smith\d*@/.test(address), `created address: ${address}`);
  expect(temporary.length >= 12, `no temporary password shown: ${temporary}`);
  expect(/will not be shown again/.test(await b.text("#created")), "no warning that the password is shown once");
  await b.check("user-new-created");

  // The list: the new user is there, with their status; the table's
  // cells carry their headings for the reflowed layout at 375 px.
  await b.page.click("a.nhsuk-back-link");
  await b.at("/users");
  await b.page.locator("#users-table tbody tr").first().waitFor();
  await b.page.selectOption("#org", org);
  await b.submit("#filter-form");
  await b.page.waitForURL((u) => u.searchParams.get("org") === org);
  const newRow = b.page.locator("#users-table tbody tr", { hasText: address });
  await newRow.waitFor();
  expect(/Active/.test(await newRow.textContent()), "the new user is not shown as active");
  await b.check("users");
  await b.page.setViewportSize({ width: 375, height: 900 });
  const heading = await newRow.locator(".nhsuk-table__heading").first();
  expect(await heading.isVisible(), "at 375 px the cells do not show their headings");
  await b.page.setViewportSize({ width: 1280, height: 900 });

  // Filter by org and page through it: Next, then Previous.
  await b.page.selectOption("#org", other);
  await b.submit("#filter-form");
  await b.page.waitForURL((u) => u.searchParams.get("org") === other);
  await b.page.locator("#users-table tbody tr").first().waitFor();
  const first = await b.page.locator("#users-table tbody tr").count();
  expect(first === 25, `first page has ${first} rows`);
  expect(await b.page.locator("#users-previous").isHidden(), "Previous shown on the first page");
  await b.page.click("#users-next");
  await b.page.waitForURL((u) => u.searchParams.getAll("page").length === 1);
  await b.page.waitForLoadState("networkidle");
  const second = await b.page.locator("#users-table tbody tr").count();
  expect(second === many - 25, `second page has ${second} rows, not ${many - 25}`);
  expect(await b.page.locator("#users-next").isHidden(), "Next shown on the last page");
  const orgs = await b.page.locator("#users-table tbody tr td:nth-child(3)").allTextContents();
  expect(orgs.every((t) => t.includes(other)), `another org in the filtered list: ${orgs}`);
  await b.check("users-page-2");
  await b.page.click("#users-previous");
  await b.page.waitForURL((u) => u.searchParams.getAll("page").length === 0 && u.searchParams.get("org") === other);
  await b.page.locator("#users-table tbody tr").nth(24).waitFor();

  // Open the user from the list.
  await b.goto(`/users?org=${org}`);
  await b.page.click(`#users-table a:has-text("Jo Smith")`);
  await b.at("/user");
  await b.page.locator("#user-record").waitFor({ state: "visible" });
  expect((await b.text("#user-heading")) === "Jo Smith", "heading is not the name");
  expect(/Main Surgery/.test(await b.text("#user-summary")), "site not in the summary");
  await b.check("user");

  // Edit.
  await b.fill("#department", "Nursing");
  await b.submit("#edit-form");
  await waitText(b, "#action-done", /saved/);
  expect(/Nursing/.test(await b.text("#user-summary")), "the edit is not shown");

  // Reset the password: shown once, with the warning; it works.
  await b.submit("#reset-form");
  await b.page.locator("#temporary-password").waitFor({ state: "visible" });
  const reset = await b.text("#temporary-value");
  expect(reset.length >= 12 && reset !== temporary, `reset password: ${reset}`);
  expect(/will not be shown again/.test(await b.text("#temporary-password")), "no warning on the reset password");
  await b.check("user-reset");
  const api = await b.page.context().browser().newContext({ ignoreHTTPSErrors: true });
  const signin = await api.request.post(`${BASE}/api/v1/session`, { data: { email: address, password: reset } });
  expect(signin.status() === 201 && (await signin.json()).must_change_password === true,
    `the reset password does not sign in: ${signin.status()}`);
  await api.close();

  // Disable, then enable; then mark as leaver.
  await b.submit("#disable-form");
  await waitText(b, "#action-done", /Disabled/);
  expect((await statusOf(b)) === "Disabled", "not shown disabled");
  expect(await b.page.locator("#enable-form").isVisible(), "no Enable once disabled");
  await b.check("user-disabled");
  await b.submit("#enable-form");
  await waitText(b, "#action-done", /Enabled/);
  expect((await statusOf(b)) === "Active", "not shown active");
  await b.submit("#leaver-form");
  await waitText(b, "#action-done", /leaver/);
  expect((await statusOf(b)) === "Leaver", "not shown as a leaver");
  expect(await b.page.locator("#enable-form").isHidden(), "Enable offered to a leaver");

  // Delete needs the box ticked: the page's own refusal, on the box.
  await b.submit("#delete-form");
  const confirm = await b.errors();
  expect(confirm[0].href === "#confirm_delete", `delete unconfirmed: ${JSON.stringify(confirm)}`);
  await b.check("user-error");
  await b.page.check("#confirm_delete");
  await b.submit("#delete-form");
  await waitText(b, "#action-done", /Deleted/);
  expect((await statusOf(b)) === "Deleted", "not shown deleted");
  expect(await b.page.locator("#edit-form").isHidden(), "a deleted user offered for editing");

  // Deleted people are listed only when asked for; then restored.
  await b.goto(`/users?org=${org}`);
  await b.page.locator("#users-table tbody tr").first().waitFor();
  expect(await b.page.locator("#users-table tbody tr", { hasText: address }).count() === 0, "a deleted user is listed");
  await b.page.check("#include_deleted");
  await b.submit("#filter-form");
  await b.page.waitForURL((u) => u.searchParams.get("include_deleted") === "true");
  const gone = b.page.locator("#users-table tbody tr", { hasText: address });
  await gone.waitFor();
  expect(/Deleted/.test(await gone.textContent()), "the deleted user is not tagged Deleted");
  await b.check("users-deleted");
  await gone.locator("a").click();
  await b.at("/user");
  await b.page.locator("#restore-form").waitFor({ state: "visible" });
  await b.submit("#restore-form");
  await waitText(b, "#action-done", /Restored/);
  expect((await statusOf(b)) === "Active", "not shown active after restore");

  // A locked account: tagged Locked in the list, and unlocked here.
  await b.goto(`/users?org=${org}`);
  const lockedRow = b.page.locator("#users-table tbody tr", { hasText: locked });
  await lockedRow.waitFor();
  expect(/Locked/.test(await lockedRow.textContent()), "a locked user is not tagged Locked");
  await lockedRow.locator("a").click();
  await b.at("/user");
  await b.page.locator("#unlock-form").waitFor({ state: "visible" });
  await b.check("user-locked");
  await b.submit("#unlock-form");
  await waitText(b, "#action-done", /Unlocked/);
  expect(!/Locked/.test(await b.text("#user-tags")), "still tagged Locked");
  expect(await b.page.locator("#unlock-form").isHidden(), "Unlock still offered");

  // A filter the API refuses: its sentence, on the org field.
  await b.goto("/users?org=NOSUCH1");
  const bad = await b.errors();
  expect(bad.length === 1 && bad[0].href === "#org", `bad org: ${JSON.stringify(bad)}`);

  console.log(JSON.stringify({ address, temporary_password: reset }));
});
