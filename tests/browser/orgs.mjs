// The Global Admin's organisation pages, by clicking: add an
// organisation (a missing name refused on its field), open and edit it (a
// bad website refused on its field), add a site (an unknown type refused
// on its field), put an existing practice under it, appoint a Primary
// Local Administrator (someone outside it refused); register application
// servers (a block too wide, then one overlapping, refused on the field)
// and remove one.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_NEW (the ODS code to add),
// CAREMAIL_OURS (a practice), CAREMAIL_PERSON (a person of it),
// CAREMAIL_OUTSIDER (a person of neither).
import { env, expect, run } from "./harness.mjs";
import { menuShows, signedIn, waitText } from "./users-steps.mjs";

const fresh = env("CAREMAIL_NEW");
const ours = env("CAREMAIL_OURS");
const person = env("CAREMAIL_PERSON");
const outsider = env("CAREMAIL_OUTSIDER");

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));

  // The list, with its menu item and "Add an organisation".
  await b.goto("/orgs");
  expect(await menuShows(b, "/orgs") === 1 && await menuShows(b, "/tokens") === 1, "no Organisations or API tokens in the menu");
  await b.page.locator("#orgs-table tbody tr", { hasText: ours }).waitFor();
  await b.check("orgs");
  await b.page.setViewportSize({ width: 375, height: 900 });
  expect(await b.page.locator("#orgs-table tbody tr .nhsuk-table__heading").first().isVisible(), "at 375 px the cells do not show their headings");
  await b.page.setViewportSize({ width: 1280, height: 900 });

  // Add: the API's sentence for a missing name, then every field.
  await b.page.click("#new-org-link");
  await b.at("/org-new");
  await b.page.locator(`#parent option[value="${ours}"]`).waitFor({ state: "attached" });
  await b.check("org-new");
  await b.fill("#ods", fresh);
  await b.submit("#new-org-form");
  const noName = await b.errors();
  expect(noName.length === 1 && noName[0].href === "#name", `no name: ${JSON.stringify(noName)}`);
  await b.check("org-new-error");
  await b.fill("#name", "Northern Care Network");
  await b.fill("#type", "Primary Care Network");
  await b.fill("#postal_address", "1 High Street\nLeeds\nLS1 1AA");
  await b.fill("#description", "Six practices in north Leeds");
  await b.fill("#website", "https://northern.example.org");
  await b.fill("#helpdesk_phone", "0113 496 0000");
  await b.fill("#helpdesk_email", "it@northern.example.org");
  await b.fill("#default_quota_mb", "2048");
  await b.page.check("#off_pop3");
  await b.submit("#new-org-form");
  await b.page.locator("#created").waitFor({ state: "visible" });
  await b.check("org-new-created");
  await b.page.click("#created-link");
  await b.at("/org");

  // The record, as added.
  await b.page.locator("#org-record").waitFor({ state: "visible" });
  const summary = await b.text("#org-summary");
  for (const want of ["Northern Care Network", "Primary Care Network", "LS1 1AA", "2048 MB", "POP3", "0113 496 0000"]) {
    expect(summary.includes(want), `the summary lacks ${want}: ${summary}`);
  }
  expect(await b.page.locator('#org-summary a[href="#helpdesk_phone"]').count() === 1, "no Change link to the helpdesk phone");
  await b.check("org");

  // Edit: a bad website is the API's sentence on that field; then saved.
  await b.fill("#website", "northern dot org");
  await b.submit("#edit-form");
  const badSite = await b.errors();
  expect(badSite.length === 1 && badSite[0].href === "#website", `bad website: ${JSON.stringify(badSite)}`);
  await b.check("org-edit-error");
  await b.fill("#website", "https://www.northern.example.org");
  await b.fill("#helpdesk_phone", "0113 496 0999");
  await b.submit("#edit-form");
  await waitText(b, "#org-done", /saved/);
  expect((await b.text("#org-summary")).includes("0113 496 0999"), "the new helpdesk phone is not shown");

  // A site: an unknown type refused on its field, then added.
  await b.fill("#site-name", "Northern Hub");
  await b.fill("#site-type", "castle");
  await b.submit("#site-form");
  const badType = await b.errors();
  expect(badType.length === 1 && badType[0].href === "#site-type" && /gp_practice/.test(badType[0].text),
    `bad site type: ${JSON.stringify(badType)}`);
  await b.fill("#site-type", "other");
  await b.fill("#site-postal-address", "2 High Street\nLeeds");
  await b.submit("#site-form");
  await b.page.locator("#sites-table tbody tr", { hasText: "Northern Hub" }).waitFor();
  await b.check("org-site");

  // Application servers: a block wider than /24 is refused on its field;
  // two are registered; one overlapping the first is refused; the first
  // is removed.
  await b.fill("#relay-cidr", "192.0.2.0/16");
  await b.fill("#relay-label", "payroll");
  await b.submit("#relay-form");
  const wide = await b.errors();
  expect(wide.length === 1 && wide[0].href === "#relay-cidr" && /24/.test(wide[0].text), `too wide: ${JSON.stringify(wide)}`);
  await b.check("org-relay-error");
  for (const [cidr, label] of [["192.0.2.10", "payroll"], ["198.51.100.7", "rota system"]]) {
    await b.fill("#relay-cidr", cidr);
    await b.fill("#relay-label", label);
    await b.submit("#relay-form");
    await b.page.locator("#relays-table tbody tr", { hasText: cidr }).waitFor();
  }
  await b.fill("#relay-cidr", "192.0.2.0/28");
  await b.fill("#relay-label", "results");
  await b.submit("#relay-form");
  const overlap = await b.errors();
  expect(overlap.length === 1 && overlap[0].href === "#relay-cidr" && /payroll/.test(overlap[0].text),
    `overlapping: ${JSON.stringify(overlap)}`);
  await b.page.setViewportSize({ width: 375, height: 900 });
  expect(await b.page.locator("#relays-table tbody tr .nhsuk-table__heading").first().isVisible(), "at 375 px the servers' cells do not show their headings");
  await b.page.setViewportSize({ width: 1280, height: 900 });
  await b.page.locator("#relays-table tbody tr", { hasText: "192.0.2.10" }).getByRole("button", { name: /Remove/ }).click();
  await waitText(b, "#org-done", /removed/);
  expect(await b.page.locator("#relays-table tbody tr", { hasText: "192.0.2.10" }).count() === 0, "the removed server is still listed");
  await b.check("org-relays");

  // The practice goes under the new org (the parent: Global Admin only).
  await b.goto(`/org?ods=${ours}`);
  await b.page.locator("#org-record").waitFor({ state: "visible" });
  await b.page.selectOption("#parent", fresh);
  await b.submit("#edit-form");
  await waitText(b, "#org-done", /saved/);
  expect(await b.page.locator(`#org-summary a[href="/org?ods=${fresh}"]`).count() === 1, "the parent is not linked");
  await b.page.click(`#parent-item a`);
  await b.at("/org");
  await b.page.locator("#children li", { hasText: ours }).waitFor();

  // Devolve: someone outside it is refused on the field; then appointed.
  await b.fill("#devolve-address", outsider);
  await b.submit("#devolve-form");
  const outside = await b.errors();
  expect(outside.length === 1 && outside[0].href === "#devolve-address", `outsider: ${JSON.stringify(outside)}`);
  await b.fill("#devolve-address", person);
  await b.submit("#devolve-form");
  await waitText(b, "#org-done", /Primary Local Administrator/);
  expect((await b.text("#devolved-text")).includes(person), "the Primary Local Administrator is not shown");
  await b.check("org-devolved");
});
