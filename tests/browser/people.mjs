// People Finder and Get help, by typing and clicking as a person with no
// admin role: Get help names the org's helpdesk and admin; typing finds
// people without pressing anything; past the limit the page says to
// refine, and "Show more people" adds the next pages; the tags show a
// leaver and an admin; a person's card opens and
// Back returns to the search; an unknown organisation is refused in the
// error summary, linked to its field.
// Env: CAREMAIL_URL, CAREMAIL_EMAIL, CAREMAIL_PASSWORD, CAREMAIL_ADMIN,
// CAREMAIL_LEAVER, CAREMAIL_LIMIT.
import { env, expect, run } from "./harness.mjs";

const email = env("CAREMAIL_EMAIL");
const password = env("CAREMAIL_PASSWORD");
const admin = env("CAREMAIL_ADMIN");
const leaver = env("CAREMAIL_LEAVER");
const limit = Number(env("CAREMAIL_LIMIT"));

await run(async (b) => {
  await b.goto("/people");
  await b.at("/sign-in");
  await b.fill("#email", email);
  await b.fill("#password", password);
  await b.submit("#sign-in-form");
  await b.at("/people");

  // Get help: the org's helpdesk and its Local Admin.
  await b.page.locator("#help-helpdesk a", { hasText: "01632 960999" }).waitFor();
  expect(/it@practice\.example/.test(await b.text("#help-helpdesk")), "no helpdesk email");
  expect(/Lee Admin — Local Administrator/.test(await b.text("#help-admins")), `no admin in Get help: ${await b.text("#help-admins")}`);
  await b.check("people");

  // Search as you type: nothing pressed; past the limit, "refine". Typed
  // faster than the debounce, four letters make one search, not four.
  const searches = [];
  b.page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/v1/people") searches.push(r.url());
  });
  await b.page.locator("#q").pressSequentially("walk", { delay: 40 });
  await b.page.locator("#refine").waitFor({ state: "visible" });
  await b.page.waitForTimeout(500);
  expect(searches.length === 1, `typing "walk" searched ${searches.length} times: ${searches}`);
  expect(/More than \d+ people match/.test(await b.text("#refine-text")), `no refine message: ${await b.text("#refine-text")}`);
  expect(await b.page.locator("#results > li").count() === limit, "not the limit's worth of results");
  expect(new URL(b.page.url()).searchParams.get("q") === "walk", "the search is not in the address");
  await b.check("people-refine");

  // Show more people: the next page below the first, by the reply's
  // cursor, focus on the first person added; at the end the button goes
  // and the status counts everyone, each once.
  const firstPage = await b.page.locator("#results h2 a").allTextContents();
  await b.page.locator("#more").click();
  await b.page.locator(`#results > li:nth-child(${limit + 1})`).waitFor();
  const focused = await b.page.evaluate(() => document.activeElement?.textContent);
  const afterMore = await b.page.locator("#results h2 a").allTextContents();
  expect(focused === afterMore[limit], `focus is not on the first person added: ${focused}`);
  while (await b.page.locator("#more").isVisible()) {
    const before = await b.page.locator("#results > li").count();
    await b.page.locator("#more").click();
    await b.page.locator(`#results > li:nth-child(${before + 1})`).waitFor();
  }
  const everyone = await b.page.locator("#results h2 a").allTextContents();
  expect(new Set(everyone).size === everyone.length, `someone shown twice: ${everyone}`);
  expect(everyone.length > limit && firstPage.every((n, i) => everyone[i] === n), `pages out of order: ${everyone}`);
  expect(await b.text("#results-status") === `${everyone.length} people found.`, `status: ${await b.text("#results-status")}`);
  await b.check("people-more");

  // More of the name: one person, tagged a leaver; no refine any more.
  // (Focus went to the people added: back to the end of the search box.)
  await b.page.locator("#q").press("End");
  await b.page.locator("#q").pressSequentially(" ann", { delay: 40 });
  await b.page.locator("#results-status", { hasText: "1 person found." }).waitFor();
  expect(await b.page.locator("#refine").isHidden(), "refine still shows");
  const tags = await b.page.locator("#results .nhsuk-tag").allTextContents();
  expect(tags.includes("Leaver"), `no leaver tag: ${tags}`);
  expect(await b.text("#results h2 a") === "Ann Walker", "not Ann Walker");

  // By keyboard, without waiting: type and press Enter at once.
  await b.page.fill("#q", "lee adm");
  await b.page.press("#q", "Enter");
  await b.page.locator("#results h2 a", { hasText: "Lee Admin" }).waitFor();
  const adminTags = await b.page.locator("#results .nhsuk-tag").allTextContents();
  expect(adminTags.some((t) => /Local Administrator \(X26001\)/.test(t)), `no admin tag: ${adminTags}`);
  expect(/Test Practice \(X26001\)/.test(await b.text("#results")), "no organisation in the result");
  expect(/Main Surgery/.test(await b.text("#results")), "no site in the result");
  await b.check("people-results");

  // A person's card, and back to the same search.
  await b.page.click("#results h2 a");
  await b.at("/person");
  await b.page.locator("#person-name", { hasText: "Lee Admin" }).waitFor();
  const card = await b.text("#person-card");
  for (const want of [admin, "Test Practice (X26001)", "Main Surgery", "0113 496 0123", "01632 960999"]) {
    expect(card.includes(want), `the card lacks ${want}: ${card}`);
  }
  await b.check("person");
  await b.page.click("#back");
  await b.at("/people");
  await b.page.locator("#results h2 a", { hasText: "Lee Admin" }).waitFor();
  expect(await b.page.inputValue("#q") === "lee adm", "the search was lost on the way back");

  // The leaver's card shows the tag too.
  await b.goto(`/person?address=${encodeURIComponent(leaver)}`);
  await b.page.locator("#person-tags .nhsuk-tag", { hasText: "Leaver" }).waitFor();

  // A refusal: an organisation that matches none, on its field.
  await b.goto("/people");
  await b.fill("#q", "walker");
  await b.fill("#org", "no such organisation anywhere");
  await b.submit("#search-form");
  const errors = await b.errors();
  expect(errors.length === 1 && errors[0].href === "#org", `unknown org not on its field: ${JSON.stringify(errors)}`);
  await b.check("people-error");

  // Nothing to look for, submitted: told, on the name field.
  await b.page.fill("#q", "");
  await b.page.fill("#org", "");
  await b.submit("#search-form");
  const empty = await b.errors();
  expect(empty[0].href === "#q", `empty search: ${JSON.stringify(empty)}`);
});
