// A Local Administrator of one practice at the audit and the devices
// report: only their practice's entries and devices, their practice alone
// to filter by, and another practice refused with the API's sentence
// linked to the Organisation field. Their audit download is saved for
// test_audit.py to read back.
// Env: CAREMAIL_URL, CAREMAIL_COOKIE, CAREMAIL_ORG (theirs), CAREMAIL_OTHER
// (another practice), CAREMAIL_DIR.
import path from "node:path";
import { env, expect, run } from "./harness.mjs";
import { signedIn } from "./users-steps.mjs";

const org = env("CAREMAIL_ORG");
const other = env("CAREMAIL_OTHER");

async function refusedOn(b, pathname) {
  await b.goto(`${pathname}?org=${other}`);
  const errors = await b.errors();
  expect(errors.length === 1 && /not one you administer/.test(errors[0].text) && errors[0].href === "#org",
    `${pathname} for ${other}: ${JSON.stringify(errors)}`);
  expect(await b.page.locator(`${pathname.replace("/", "#")}-table`).isHidden(), `${pathname}: a table beside the refusal`);
}

await run(async (b) => {
  await signedIn(b, env("CAREMAIL_COOKIE"));
  for (const [pathname, orgColumn] of [["/audit", 5], ["/devices", 3]]) {
    const table = `${pathname.replace("/", "#")}-table`;
    await b.goto(pathname);
    await b.page.locator(`${table} tbody tr`).first().waitFor();
    const orgs = (await b.page.locator(`${table} tbody tr td:nth-child(${orgColumn}) > span:last-child`).allTextContents()).map((t) => t.trim());
    expect(orgs.length >= 1 && orgs.every((o) => o === org), `${pathname} shows ${orgs}`);
    const options = await b.page.locator("#org option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    expect(options.length === 1 && options[0] === org, `${pathname} offers ${options}`);
    if (pathname === "/audit") {
      const [download] = await Promise.all([b.page.waitForEvent("download"), b.page.click("#audit-csv")]);
      await download.saveAs(path.join(env("CAREMAIL_DIR"), "local-audit.csv"));
    }
    await b.check(`${pathname.slice(1)}-local-admin`);
    await refusedOn(b, pathname);
    await b.check(`${pathname.slice(1)}-refused`);
  }
});
