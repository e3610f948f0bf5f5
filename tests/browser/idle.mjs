// Idle timeout: a page left alone past session.idle_timeout_s goes back to
// sign in by itself, says why, and after signing in returns to the page
// (with its query). A return path to another site is never followed.
// Env: CAREMAIL_URL, CAREMAIL_EMAIL, CAREMAIL_PASSWORD, CAREMAIL_IDLE_S.
import { env, expect, run } from "./harness.mjs";

const email = env("CAREMAIL_EMAIL");
const password = env("CAREMAIL_PASSWORD");
const idleMs = Number(env("CAREMAIL_IDLE_S")) * 1000;

async function signIn(b) {
  await b.fill("#email", email);
  await b.fill("#password", password);
  await b.submit("#sign-in-form");
}

await run(async (b) => {
  for (const evil of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]) {
    await b.goto(`/sign-in?return=${encodeURIComponent(evil)}`);
    await signIn(b);
    await b.at("/");
    expect(new URL(b.page.url()).search === "", `return=${evil} led to ${b.page.url()}`);
    await b.page.click(".nhsuk-header__account-button");
    await b.at("/sign-in");
  }

  await signIn(b);
  await b.at("/");
  await b.goto("/?tab=3");
  await b.page.locator("#welcome", { hasText: "Welcome," }).waitFor();
  // Nothing is done: the page notices the session has ended.
  await b.page.waitForURL((url) => url.pathname === "/sign-in", { timeout: idleMs + 15000 });
  await b.at("/sign-in");
  const url = new URL(b.page.url());
  expect(url.searchParams.get("reason") === "timeout", `no timeout reason: ${url}`);
  expect(url.searchParams.get("return") === "/?tab=3", `the page was not kept: ${url}`);
  expect(/had not done anything/.test(await b.text("#sign-in-notice")), "no timeout notice");
  await b.check("sign-in-timeout");
  await signIn(b);
  await b.at("/");
  expect(new URL(b.page.url()).search === "?tab=3", `not back where they were: ${b.page.url()}`);
});
