// The guests page (/guests) as a person of the practice: an invitation
// refused with a sentence on the field (an address of this service), then
// made; the guest listed with the date to confirm by; "Confirm" records
// the attestation. Then the licences page as a Local Administrator: the
// add-on listed, a licence given and one refused past the quota.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE (the inviter), CAREMAIL_OURS (an
// address of this service), CAREMAIL_GUEST, CAREMAIL_LA_COOKIE,
// CAREMAIL_HOLDER, CAREMAIL_EXTRA (a second person: past the quota).
import { env, expect, run } from "./harness.mjs";
import { menu, menuShows, signedIn, waitText } from "./users-steps.mjs";

const guest = env("CAREMAIL_GUEST");

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));
  await b.goto("/");
  expect(await menuShows(b, "/licences") === 0, "Add-on licences in a person's menu");
  await menu(b, "Guests");
  await b.page.locator("#guests-empty").waitFor();
  await b.check("guests-empty");

  await b.fill("#display_name", "Sam Visitor");
  await b.fill("#address", env("CAREMAIL_OURS"));
  await b.submit("#invite-form");
  const refused = await b.errors();
  expect(refused.length === 1 && /outside/.test(refused[0].text) && refused[0].href === "#address",
    `refused: ${JSON.stringify(refused)}`);
  await b.check("guests-refused");

  await b.fill("#address", guest);
  await b.submit("#invite-form");
  await waitText(b, "#guests-done", /Sam Visitor is invited/);
  // The table is drawn again after the notice: wait for the new row.
  await b.page.locator("#guests-table tbody tr", { hasText: guest }).first().waitFor();
  const rows = await b.page.locator("#guests-table tbody tr").allTextContents();
  expect(rows.length === 1 && rows[0].includes(guest), `rows: ${rows}`);
  await b.page.getByRole("button", { name: "Confirm Sam Visitor still needs access" }).click();
  await waitText(b, "#guests-done", /Sam Visitor is confirmed/);
  await b.check("guests");

  const la = await b.another();
  await signedIn(la, env("CAREMAIL_LA_COOKIE"));
  await la.goto("/");
  await menu(la, "Add-on licences");
  await la.page.locator("#licences-table tbody tr").first().waitFor();
  await la.fill("#address", env("CAREMAIL_HOLDER"));
  await la.submit("#give-form");
  await waitText(la, "#licences-done", /now holds Visio/);
  // As for the guests: the table is drawn again after the notice.
  await la.page.locator("#licences-table tbody tr", { hasText: env("CAREMAIL_HOLDER") })
    .first().waitFor();
  const held = await la.text("#licences-table tbody tr");
  expect(held.includes("1 of 1") && held.includes(env("CAREMAIL_HOLDER")), `held: ${held}`);
  await la.fill("#address", env("CAREMAIL_EXTRA"));
  await la.submit("#give-form");
  const over = await la.errors();
  expect(over.length === 1 && /raise the quota/.test(over[0].text), `over: ${JSON.stringify(over)}`);
  await la.check("licences");
});
