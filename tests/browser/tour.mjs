// The README's API tour ("The portal API, step by step") done again by
// clicking, each person in a browser context of their own: after opening
// the site, no one types a URL or a line of JSON (one exception, said
// where it is: a person with no role typing an admin page's address).
//  1. The Global Admin signs in and sets up two-factor sign-in from the
//     key the page shows.
//  2. Makes Robin a person of Riverside Surgery and its Local Administrator.
//  3. Robin signs in with the temporary password, chooses a new one and
//     sets up two-factor sign-in.
//  4. Robin creates Sam, finds them in People Finder, grants them Full
//     Access on the Reception mailbox, marks them a leaver (People Finder
//     tags them); Robin is not offered Abbey Medical Centre to join them
//     to, so the Global Admin does it and sees what Sam still holds at
//     Riverside; the audit shows the steps.
//  5. Robin creates Alex and a shared mailbox with an owner and a member.
//  6. Alex signs in, requests a list; Robin approves it; the audit shows it.
//  7. The refusals: another practice's user, Alex at an admin page, a
//     duplicate mailbox, the 26th owner of a list.
// Env: CAREMAIL_URL, CAREMAIL_EMAIL and CAREMAIL_PASSWORD (the Global
// Admin's), CAREMAIL_ORG and CAREMAIL_OTHER (two practices),
// CAREMAIL_THEIRS (a person of CAREMAIL_OTHER), CAREMAIL_OWNERS (24
// addresses, comma-separated, to fill a list's owners). Prints one JSON
// line: the addresses of robin, sam, alex, box and list.
import { env, expect, run, totp } from "./harness.mjs";
import { menu, statusOf, waitText } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const other = env("CAREMAIL_OTHER");
const theirs = env("CAREMAIL_THEIRS");
const owners = env("CAREMAIL_OWNERS").split(",");
const NEW = "a long new passphrase for the tour";
const out = {};
const started = Date.now();

// Each step's time on stderr, which the test shows when it fails.
function step(name) {
  process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s: ${name}\n`);
}

function offered(b, select) {
  return b.page.locator(`${select} option`).evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
}

// Opens the site and signs in with a password; a temporary one is
// replaced; an admin sets up two-factor sign-in from the key the page
// shows (as a phone app would read the QR code). Ends at home.
async function signIn(b, email, password, name) {
  await b.goto("/");
  await b.at("/sign-in");
  await b.page.getByLabel("Email address").fill(email);
  await b.page.getByLabel("Password", { exact: true }).fill(password);
  await b.page.getByRole("button", { name: "Sign in" }).click();
  await b.page.waitForURL((u) => u.pathname !== "/sign-in");
  if (new URL(b.page.url()).pathname === "/new-password") {
    await b.at("/new-password");
    await b.fill("#current", password);
    await b.fill("#new", NEW);
    await b.fill("#confirm", NEW);
    await b.submit("#password-form");
    await b.page.waitForURL((u) => u.pathname !== "/new-password");
  }
  if (new URL(b.page.url()).pathname === "/set-up-two-factor") {
    await b.at("/set-up-two-factor");
    await b.page.locator("#qr-code svg path").waitFor({ state: "attached" });
    const secret = (await b.text("#secret")).replace(/\s+/g, "");
    expect(/^[A-Z2-7]{16,}$/.test(secret), `${name}: no key shown: ${secret}`);
    if (name === "ga") await b.check("tour-set-up-two-factor");
    await b.fill("#code", totp(secret));
    await b.submit("#verify-form");
  }
  await b.at("/");
  await b.page.locator("#welcome", { hasText: "Welcome," }).waitFor();
}

// Users → Create a user, once the organisations are offered.
async function openCreateUser(b) {
  await menu(b, "Users");
  await b.at("/users");
  await b.page.getByRole("link", { name: "Create a user" }).click();
  await b.at("/user-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
}

// Mailboxes → Create a shared mailbox of org named name, submitted.
async function newMailbox(b, name) {
  await menu(b, "Mailboxes");
  await b.at("/mailboxes");
  await b.page.getByRole("link", { name: "Create a shared mailbox" }).click();
  await b.at("/mailbox-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  await b.page.selectOption("#org", org);
  await b.page.getByLabel("Name", { exact: true }).fill(name);
  await b.submit("#new-mailbox-form");
}

// Creates a person of org from Users → Create a user; returns their
// address and the temporary password the page shows once.
async function createUser(b, first, last, job, shot) {
  await openCreateUser(b);
  await b.page.selectOption("#org", org);
  await b.page.getByLabel("First name").fill(first);
  await b.page.getByLabel("Last name").fill(last);
  if (job) await b.page.getByLabel("Job title").fill(job);
  await b.submit("#new-user-form");
  await b.page.locator("#created").waitFor({ state: "visible" });
  const user = { address: await b.text("#created-address"), password: await b.text("#created-password") };
  expect(user.password.length >= 12, `no temporary password for ${first}`);
  if (shot) await b.check(shot);
  return user;
}

// Users → "Open a user by email address".
async function openUser(b, address) {
  await menu(b, "Users");
  await b.at("/users");
  await b.page.getByLabel("Open a user by email address").fill(address);
  await b.submit("#find-form");
  await b.at("/user");
}

// Audit, filtered by what it was done to (and by whom): the table's text.
async function audit(b, objectType, actor) {
  await menu(b, "Audit");
  await b.at("/audit");
  await b.page.selectOption("#object_type", objectType);
  if (actor) await b.fill("#actor", actor);
  await b.submit("#filter-form");
  await b.page.waitForURL((u) => u.searchParams.get("object_type") === objectType);
  await b.page.locator("#audit-table tbody tr").first().waitFor();
  return b.page.locator("#audit-table tbody").innerText();
}

await run(async (ga) => {
  step("the Global Admin signs in");
  // 1. The Global Admin: password, then two-factor set-up, then home.
  await signIn(ga, env("CAREMAIL_EMAIL"), env("CAREMAIL_PASSWORD"), "ga");
  expect(/Global Administrator/.test(await ga.text("[data-me=roles]")), "home does not say Global Administrator");
  await ga.check("tour-home");

  step("Robin is made");
  // 2. Robin, a person of Riverside, then its Local Administrator.
  const robin = await createUser(ga, "Robin", "Ward", "", "tour-user-created");
  out.robin = robin.address;
  await ga.page.click("#created-link");
  await ga.at("/user");
  await ga.page.locator("#add-role-form").waitFor({ state: "visible" });
  await ga.page.selectOption("#role-name", "local_admin");
  expect(await ga.page.inputValue("#role-org") === org, "the role's org is not Robin's");
  await ga.submit("#add-role-form");
  await waitText(ga, "#action-done", /added/);
  expect(/Local Administrator/.test(await ga.text("#roles-table tbody")), "Robin's role is not listed");

  step("Robin signs in");
  // 3. Robin: temporary password, a new one, two-factor set-up.
  const rb = await ga.another();
  await signIn(rb, robin.address, robin.password, "robin");
  expect(/Local Administrator/.test(await rb.text("[data-me=roles]")), "Robin's home does not say Local Administrator");

  step("Sam joins");
  // 4. A joiner, found at once in People Finder.
  const sam = await createUser(rb, "Sam", "Okafor", "Practice Nurse");
  out.sam = sam.address;
  await menu(rb, "People Finder");
  await rb.at("/people");
  await rb.page.getByLabel("Name or email address").pressSequentially("oka sa", { delay: 30 });
  const samResult = rb.page.locator("#results > li", { hasText: "Sam Okafor" });
  await samResult.waitFor();
  const found = await samResult.innerText();
  expect(found.includes(sam.address) && found.includes("Practice Nurse") && found.includes(org), `Sam in People Finder: ${found}`);

  step("Sam is granted Reception");
  // Sam may read the practice's Reception mailbox (Full Access).
  await menu(rb, "Mailboxes");
  await rb.at("/mailboxes");
  const reception = rb.page.locator("#mailboxes-table tbody tr", { hasText: "riverside.reception@" });
  await reception.getByRole("link").click();
  await rb.at("/mailbox");
  await rb.page.locator("#mailbox-record").waitFor({ state: "visible" });
  await rb.fill("#grant-person", sam.address);
  await rb.page.check("#right");
  await rb.submit("#grant-form");
  await waitText(rb, "#action-done", /granted/);
  expect(/full_access/.test(await rb.page.locator("#grants-list .nhsuk-summary-list__row", { hasText: sam.address }).innerText()),
    "Sam's Full Access is not listed");

  step("Sam leaves");
  // 5. Sam leaves Riverside: a leaver at once, tagged in People Finder.
  await openUser(rb, sam.address);
  await rb.page.locator("#leaver-form").waitFor({ state: "visible" });
  await rb.submit("#leaver-form");
  await waitText(rb, "#action-done", /leaver/);
  expect(await statusOf(rb) === "Leaver", "Sam is not shown as a leaver");
  // 6. Robin runs only Riverside: Abbey is not offered to join Sam to.
  const joinable = await offered(rb, "#join-org");
  expect(!joinable.includes(other) && joinable.every((o) => o === org), `Robin is offered to join Sam to ${joinable}`);
  await menu(rb, "People Finder");
  await rb.at("/people");
  await rb.page.getByLabel("Name or email address").pressSequentially("okafor", { delay: 30 });
  const leaver = rb.page.locator("#results > li", { hasText: "Sam Okafor" });
  await leaver.locator(".nhsuk-tag", { hasText: "Leaver" }).waitFor();
  await rb.check("tour-people");

  step("Sam joins Abbey");
  // The Global Admin joins Sam to Abbey and is told what Sam still holds.
  await openUser(ga, sam.address);
  await ga.page.locator("#join-section").waitFor({ state: "visible" });
  await ga.page.selectOption("#join-org", other);
  await ga.submit("#join-form");
  const joined = await waitText(ga, "#action-done", /Joined/);
  expect(joined.includes(other) && /still hold 1 mailbox or list/.test(joined), `after joining: ${joined}`);
  const held = await ga.page.locator("#holdings-table tbody").innerText();
  expect(held.includes("riverside.reception@") && held.includes(org), `what Sam holds elsewhere: ${held}`);
  expect(await statusOf(ga) === "Active", "Sam is not active after joining");
  await ga.check("tour-user-joined");

  step("the audit of users");
  // What Robin did to users, in the audit.
  const steps = await audit(rb, "user_mailbox", robin.address);
  for (const want of [sam.address, "Create", "Update"]) expect(steps.includes(want), `Robin's audit lacks ${want}: ${steps}`);
  const update = rb.page.locator("#audit-table tbody tr", { hasText: "Update" }).filter({ hasText: sam.address }).first();
  await update.locator("summary").click();
  const change = await update.locator(".nhsuk-details__text").innerText();
  expect(/leaver/.test(change), `the leaver's entry says: ${change}`);
  await rb.check("tour-audit");

  step("Alex and the shared mailbox");
  // 7. Alex, and a shared mailbox with an owner and a member.
  const alex = await createUser(rb, "Alex", "Reed");
  out.alex = alex.address;
  await newMailbox(rb, "Home Visits");
  await rb.at("/mailbox");
  await waitText(rb, "#action-done", /created/);
  out.box = await rb.text("#mailbox-summary .nhsuk-summary-list__value");
  await rb.fill("#owner-person", robin.address);
  await rb.submit("#owner-form");
  await waitText(rb, "#action-done", /Owner added/);
  await rb.fill("#member-person", alex.address);
  await rb.submit("#member-form");
  await waitText(rb, "#action-done", /Member added/);
  expect((await rb.text("#owners-list")).includes(robin.address), "Robin is not listed as an owner");
  expect((await rb.text("#members-list")).includes(alex.address), "Alex is not listed as a member");
  await rb.check("tour-mailbox");

  step("Alex requests a list");
  // 8. Alex (no admin role) asks for a static list: it waits for Robin.
  const ax = await ga.another();
  await signIn(ax, alex.address, alex.password, "alex");
  await menu(ax, "Lists");
  await ax.at("/lists");
  await ax.page.getByRole("link", { name: "Request a list" }).click();
  await ax.at("/list-new");
  await ax.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  await ax.page.getByLabel("Name", { exact: true }).fill("Nurses");
  await ax.submit("#new-list-form");
  await ax.page.locator("#created").waitFor({ state: "visible" });
  expect(/waiting for an administrator/.test(await ax.text("#created-text")), "Alex is not told the list waits");
  await ax.page.click("#created-link");
  await ax.at("/list");
  await ax.page.locator("#list-record").waitFor({ state: "visible" });
  out.list = (await ax.page.locator("#list-summary .nhsuk-summary-list__row", { hasText: "Address" })
    .locator(".nhsuk-summary-list__value").innerText()).trim();
  expect(out.list.startsWith("nurses"), `the list's address: ${out.list}`);
  expect(/Waiting for approval/.test(await ax.text("#list-tags")), "the list is not shown as waiting");
  await ax.check("tour-list-requested");

  await menu(rb, "List approvals");
  await rb.at("/list-approvals");
  const card = rb.page.locator("#approvals li", { hasText: out.list });
  await card.waitFor();
  expect((await card.innerText()).includes(alex.address), "the request does not say Alex asked");
  await rb.check("tour-list-approvals");
  await card.getByRole("button", { name: /Approve/ }).click();
  await waitText(rb, "#approvals-done", /Approved/);
  const listSteps = await audit(rb, "distribution_list");
  expect(listSteps.includes(out.list) && listSteps.includes(alex.address) && listSteps.includes(robin.address),
    `the lists audit: ${listSteps}`);

  step("another practice's user");
  // 9. Refusals, each a sentence in the error summary, linked to a field.
  // Another practice's person: Robin may not open them.
  await openUser(rb, theirs);
  const notMine = await rb.errors();
  expect(notMine.length === 1 && notMine[0].href === "#address" && /not one you administer/.test(notMine[0].text),
    `another practice's user: ${JSON.stringify(notMine)}`);
  step("creating there");
  // Nor create anyone there: only Riverside is offered.
  await openCreateUser(rb);
  const creatable = await offered(rb, "#org");
  expect(creatable.length === 1 && creatable[0] === org, `Robin may create users in ${creatable}`);

  step("Alex at an admin page");
  // Alex has no admin role: no Users in the menu; typing the create
  // page's address (the one URL typed here) gets the API's refusal, on
  // the organisation (Alex may read none), and a try changes nothing.
  const nav = ax.page.getByRole("navigation", { name: "Menu" });
  expect(await nav.getByRole("link", { name: "Users", exact: true }).count() === 0, "Alex is offered Users");
  await ax.goto("/user-new");
  await ax.at("/user-new");
  await ax.page.getByLabel("First name").fill("No");
  await ax.page.getByLabel("Last name").fill("Role");
  await ax.submit("#new-user-form");
  const noRole = await ax.errors();
  expect(noRole.length === 1 && noRole[0].href === "#org" && /role does not allow/.test(noRole[0].text),
    `Alex creating a user: ${JSON.stringify(noRole)}`);
  expect(await ax.page.locator("#created").isHidden(), "a user was shown as created for Alex");

  step("the same mailbox twice");
  // The same mailbox name again: the API's 409 sentence on the name.
  await newMailbox(rb, "Home Visits");
  const duplicate = await rb.errors();
  // The address is made from the name, so the sentence is on the address.
  expect(duplicate.length === 1 && /already taken/.test(duplicate[0].text) && ["#name", "#address"].includes(duplicate[0].href),
    `a second Home Visits: ${JSON.stringify(duplicate)}`);
  await rb.check("tour-mailbox-duplicate");

  step("the 26th owner");
  // A list has at most 25 owners: the page counts them, and at 25 says
  // why it offers no more.
  await menu(rb, "Lists");
  await rb.at("/lists");
  await rb.page.locator("#lists-table tbody tr", { hasText: out.list }).getByRole("link").first().click();
  await rb.at("/list");
  await rb.page.locator("#list-record").waitFor({ state: "visible" });
  const field = rb.page.getByLabel("Add an owner");
  for (const [i, person] of owners.entries()) {
    await field.fill(person);
    await rb.submit("#owner-form");
    const count = rb.page.locator("#owners-count", { hasText: new RegExp(`^${i + 2} of 25 owners`) });
    await Promise.race([count.waitFor(), rb.page.locator("#error-summary").waitFor({ state: "visible" })]);
    expect(await count.count() === 1, `adding ${person} as owner ${i + 2}: ${await rb.text("#error-summary")}`);
    // The page empties the field once it has shown the new owner.
    while (i < 23 && await field.inputValue() !== "") await rb.page.waitForTimeout(50);
  }
  await rb.page.locator("#owners-full").waitFor({ state: "visible" });
  expect(/the most allowed/.test(await rb.text("#owners-full")), "the limit is not explained");
  expect(await rb.page.locator("#owner-form").isHidden(), "a 26th owner is offered");
});

step("done");
console.log(JSON.stringify(out));
