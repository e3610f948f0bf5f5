// An admin at the audit and the devices report: filters the audit by who
// did it and what, sees only matching entries, reads one's details, pages
// on, and downloads the search as CSV; then the devices report and its
// CSV. The downloads are saved for test_audit.py to read back.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_ACTOR (an admin with more
// than one page of "other" entries and some "update" ones), CAREMAIL_DIR
// (where to save audit.csv and devices.csv).
import path from "node:path";
import { env, expect, run } from "./harness.mjs";
import { signedIn } from "./users-steps.mjs";

const actor = env("CAREMAIL_ACTOR");
const dir = env("CAREMAIL_DIR");

async function column(b, table, n) {
  return (await b.page.locator(`#${table} tbody tr td:nth-child(${n}) > span:last-child`).allTextContents()).map((t) => t.trim());
}

async function save(b, linkSelector, name) {
  const [download] = await Promise.all([
    b.page.waitForEvent("download"),
    b.page.click(linkSelector),
  ]);
  expect(/^(audit|devices)-\d{8}\.csv$/.test(download.suggestedFilename()), `the download is named ${download.suggestedFilename()}`);
  await download.saveAs(path.join(dir, name));
}

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));
  await b.goto("/");
  for (const href of ["/audit", "/devices"]) {
    expect(await b.page.locator(`.nhsuk-header__navigation-item:not([hidden]) a[href="${href}"]`).count() === 1,
      `no ${href} in the menu`);
  }

  // Everything, newest first.
  await b.goto("/audit");
  await b.page.locator("#audit-table tbody tr").first().waitFor();
  await b.check("audit");

  // Who and what: only their updates.
  await b.fill("#actor", actor);
  await b.page.selectOption("#action", "update");
  await b.submit("#filter-form");
  await b.at("/audit");
  const url = new URL(b.page.url());
  expect(url.searchParams.get("actor") === actor && url.searchParams.get("action") === "update",
    `the filters are not in the address: ${url}`);
  await b.page.locator("#audit-table tbody tr").first().waitFor();
  expect(await b.page.inputValue("#actor") === actor, "the actor filter was not kept");
  expect(await b.page.inputValue("#action") === "update", "the action filter was not kept");
  const by = await column(b, "audit-table", 2);
  const actions = await column(b, "audit-table", 3);
  expect(by.length >= 1 && by.every((a) => a === actor), `rows by others: ${by}`);
  expect(actions.every((a) => a === "Update"), `other actions: ${actions}`);
  expect(await b.page.locator("#audit-next").isHidden(), "a next page for one page of updates");

  // An entry's details: what changed and which request did it.
  const first = b.page.locator("#audit-table tbody tr").first();
  await first.locator("summary").click();
  const details = await first.locator(".nhsuk-details__text").innerText();
  expect(/job_title: from Nurse to Practice Nurse/.test(details) && /request_id: [0-9a-f]{16}/.test(details),
    `the details say: ${details}`);
  await b.check("audit-filtered");

  // The same search as a file.
  const href = await b.page.getAttribute("#audit-csv", "href");
  expect(href.startsWith("/api/v1/audit?") && href.includes("format=csv") && href.includes("action=update"),
    `Download CSV is ${href}`);
  await save(b, "#audit-csv", "audit.csv");

  // Their refusals are more than a page: Next and Previous keep the filters.
  await b.page.selectOption("#action", "other");
  await b.submit("#filter-form");
  await b.at("/audit");
  await b.page.locator("#audit-table tbody tr").first().waitFor();
  const page1 = await column(b, "audit-table", 1);
  expect(page1.length === 25, `page 1 has ${page1.length} rows`);
  await b.page.click("#audit-next");
  await b.at("/audit");
  await b.page.locator("#audit-table tbody tr").first().waitFor();
  const again = new URL(b.page.url());
  expect(again.searchParams.get("actor") === actor && again.searchParams.getAll("page").length === 1,
    `page 2's address: ${again}`);
  const by2 = await column(b, "audit-table", 2);
  expect(by2.length >= 1 && by2.every((a) => a === actor), `page 2 rows by others: ${by2}`);
  expect(await b.page.locator("#audit-previous").isVisible(), "no Previous on page 2");
  await b.check("audit-page-2");

  // The devices report, and its file.
  await b.goto("/devices");
  await b.page.locator("#devices-table tbody tr").first().waitFor();
  await b.check("devices");
  await save(b, "#devices-csv", "devices.csv");
});
