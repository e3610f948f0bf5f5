// The Import users page, by clicking: download the template, check a file
// only (dry run), import it, see the report and the history, load it again
// (nothing changes), a file with a bad row refused with the row and column
// named; and a double-clicked "Create user" makes one person (the page
// sends one Idempotency-Key for both clicks).
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_ORG.
import { env, expect, run } from "./harness.mjs";
import { signedIn, waitText } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const GOOD = "external_id,first_name,last_name,job_title\r\nHR-1,Imma,Ported,Nurse\r\nHR-2,Ivy,Loaded,GP\r\n";
const BAD = "external_id,first_name,last_name,site\r\nHR-3,Bad,Site,Nowhere\r\n";

async function upload(b, name, text, dryRun = false) {
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  await b.page.selectOption("#org", org);
  await b.page.setInputFiles("#file", { name, mimeType: "text/csv", buffer: Buffer.from(text) });
  if (dryRun) await b.page.check("#dry-run");
  else await b.page.uncheck("#dry-run");
  await b.submit("#import-form");
}

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));
  await b.goto("/imports");
  const template = await b.page.evaluate(async () => (await fetch("/api/v1/imports/template")).text());
  expect(template.startsWith("action,external_id,email,org,first_name,last_name"), `template: ${template}`);

  await upload(b, "staff.csv", GOOD, true);
  await waitText(b, "#report-summary", /Checked only, nothing changed: 2 rows, 2 created/);
  await upload(b, "staff.csv", GOOD);
  await waitText(b, "#report-summary", /Done: 2 rows, 2 created/);
  const rows = await b.page.locator("#report-table tbody tr").count();
  expect(rows === 2, `report rows: ${rows}`);
  await b.page.locator("#history-table tbody tr").nth(1).waitFor();
  await b.check("imports");

  await upload(b, "staff.csv", GOOD);
  await waitText(b, "#report-summary", /Done: 2 rows, 2 unchanged/);

  await upload(b, "bad.csv", BAD);
  await waitText(b, "#report-summary", /1 of 1 rows have a problem; nothing was changed/);
  const problem = await b.text("#report-table tbody tr");
  expect(/row 2, column site: the organisation has no site called Nowhere/.test(problem), `problem: ${problem}`);
  await b.check("imports-refused");

  // A double click on Create user: one person.
  await b.goto("/user-new");
  await b.page.locator(`#org option[value="${org}"]`).waitFor({ state: "attached" });
  await b.page.selectOption("#org", org);
  await b.fill("#first_name", "Double");
  await b.fill("#last_name", "Clicked");
  await b.page.evaluate(() => {
    const form = document.getElementById("new-user-form");
    form.requestSubmit();
    form.requestSubmit();
  });
  await b.page.locator("#created").waitFor({ state: "visible" });
  await b.page.waitForLoadState("networkidle");
});
