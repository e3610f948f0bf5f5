// The Global Admin's contact pages, by clicking: create a contact (a
// hosted address refused on its field), rename it, create and delete
// another, see the list and search it by name or address.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_ORG, CAREMAIL_DOMAIN (the
// hosted domain).
import { env, expect, run } from "./harness.mjs";
import { signedIn, waitText } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const domain = env("CAREMAIL_DOMAIN");

// Fills /contact-new for the practice and submits it.
async function newContact(b, name, address) {
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  await b.page.selectOption("#org", org);
  await b.fill("#name", name);
  await b.fill("#address", address);
  await b.submit("#new-contact-form");
}

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));

  // Create (a hosted address refused on its field), then rename.
  await b.goto("/contacts");
  await b.page.click("#new-contact-link");
  await b.at("/contact-new");
  await newContact(b, "Pat Partner", `pat.partner@${domain}`);
  const hosted = await b.errors();
  expect(hosted.length === 1 && hosted[0].href === "#address" && /hosts/.test(hosted[0].text), `hosted address: ${JSON.stringify(hosted)}`);
  await b.check("contact-new-error");
  await b.fill("#address", "pat.partner@council.example.org");
  await b.submit("#new-contact-form");
  await b.at("/contact");
  await b.page.locator("#contact-record").waitFor({ state: "visible" });
  await waitText(b, "#action-done", /created/);
  await b.check("contact");
  await b.fill("#name", "Pat P.");
  await b.submit("#edit-form");
  await waitText(b, "#action-done", /saved/);
  expect((await b.text("#contact-heading")) === "Pat P.", "the new name is not shown");

  // Another contact, deleted once confirmed.
  await b.goto("/contact-new");
  await newContact(b, "Gone Soon", "gone.soon@council.example.org");
  await b.at("/contact");
  await b.page.locator("#contact-record").waitFor({ state: "visible" });
  await b.page.check("#confirm_delete");
  await b.submit("#delete-form");
  await b.page.locator("#deleted").waitFor({ state: "visible" });

  // The list: the renamed contact, not the deleted one.
  await b.goto(`/contacts?org=${org}`);
  const contactRow = b.page.locator("#contacts-table tbody tr", { hasText: "pat.partner@council.example.org" });
  await contactRow.waitFor();
  expect(/Pat P\./.test(await contactRow.textContent()), "the list does not show the new name");
  expect(await b.page.locator("#contacts-table tbody tr", { hasText: "gone.soon@" }).count() === 0, "a deleted contact is listed");
  await b.check("contacts");

  // Search by name or address, kept in the page's address.
  await b.fill("#q", "PARTNER");
  await b.submit("#filter-form");
  await b.page.waitForURL((u) => u.searchParams.get("q") === "PARTNER");
  await contactRow.waitFor();
  expect(await b.page.locator("#contacts-table tbody tr").count() === 1, "the search found more than Pat");
  expect((await b.page.inputValue("#q")) === "PARTNER", "the search is not kept in its box");
  await b.fill("#q", "gone.soon");
  await b.submit("#filter-form");
  await b.page.waitForURL((u) => u.searchParams.get("q") === "gone.soon");
  await b.page.locator("#contacts-empty").waitFor({ state: "visible" });
  expect(await b.page.locator("#contacts-table").isHidden(), "an empty search still shows the table");
  await b.check("contacts-none");
});
