// What every browser scenario shares (docs/web.md, "Browser tests"): a
// headless Debian Chromium through playwright-core, and for every page it
// visits the checks the issue asks of every page:
//   - no console error and no uncaught exception (a CSP violation is one);
//   - no failed request, and no request leaving the origin: every request
//     is intercepted, and one to another origin is refused and counted;
//   - axe-core finds no WCAG 2.1 A/AA violation at 375 px and 1280 px;
//   - nothing makes the page scroll sideways at either width (1.4.10);
//   - a screenshot at each width in $CAREMAIL_SCREENSHOTS (none when
//     it is set empty, as `make test` does).
// Scenarios are node scripts run by tests/browser/test_*.py with the
// server's URL and credentials in the environment; a scenario fails by
// throwing, and its message is the test's.
import { createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.join(here, "..", "..", "web");
const require = createRequire(path.join(web, "package.json"));
const { chromium } = require("playwright-core");
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const env = (name) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

export const BASE = env("CAREMAIL_URL");
const origin = new URL(BASE).origin;
// Screenshots are for people to look at, not a check: "" takes none
// (`make test`: writing them was a quarter of the suite's time).
const shots = process.env.CAREMAIL_SCREENSHOTS ?? path.join(here, "..", "..", "build", "screenshots");
const WIDTHS = [375, 1280];
const WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

export function fail(message) {
  throw new Error(message);
}

export function expect(condition, message) {
  if (!condition) fail(message);
}

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s), as an authenticator app computes
// it; step moves a whole 30-second step (a code is accepted once).
export function totp(secret, step = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/[\s=]/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + step));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}

// A browser with one page, watched. run(fn) calls fn(b) and closes it;
// any problem seen on the way fails the scenario.
export async function run(fn) {
  const args = ["--ignore-certificate-errors", "--no-first-run", "--disable-gpu"];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args,
  });
  const problems = [];
  // Pages a scenario opens knowing they are not there (b.gotoMissing):
  // their 404 is the answer under test, not a fault.
  const missing = new Set();
  try {
    const page = await watchedPage(browser, problems, missing);
    const b = new Scenario(page, problems, missing, browser);
    await fn(b);
    if (problems.length) fail(problems.join("\n"));
  } finally {
    await browser.close();
  }
}

// A new browser context (its own cookies: another person) with one page,
// whose every problem is added to problems.
async function watchedPage(browser, problems, missing) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== origin) {
      problems.push(`a request left the origin: ${url}`);
      return route.abort("blockedbyclient");
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location()?.url ?? "";
    // Chromium reports an API refusal (a 401 for a wrong password, say)
    // as a resource that failed to load: those are answers the page
    // shows, not faults. Any other failed load is a fault.
    const failedLoad = /^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text());
    const path = new URL(where, BASE).pathname;
    if (failedLoad && (path.startsWith("/api/v1/") || missing.has(path))) return;
    problems.push(`console error on ${page.url()}: ${msg.text()} ${where}`);
  });
  page.on("pageerror", (err) => problems.push(`uncaught exception on ${page.url()}: ${err.message}`));
  page.on("requestfailed", (req) => {
    const why = req.failure()?.errorText ?? "";
    // Cancelled by the browser because the page moved on (a favicon
    // or a fetch still in flight): not an answer from the server.
    if (why === "net::ERR_ABORTED") return;
    if (why === "net::ERR_BLOCKED_BY_CLIENT") return;	// counted above
    problems.push(`request failed: ${req.url()} ${why}`);
  });
  page.on("response", (resp) => {
    const url = new URL(resp.url());
    const api = url.pathname.startsWith("/api/v1/");
    if (resp.status() === 404 && missing.has(url.pathname)) return;
    if (resp.status() >= 500 || (!api && resp.status() >= 400)) problems.push(`${resp.status()} for ${resp.url()}`);
  });
  return page;
}

class Scenario {
  constructor(page, problems, missing, browser) {
    this.page = page;
    this.problems = problems;
    this.missing = missing;
    this.browser = browser;
  }

  // Another person in the same browser: a context of their own (no
  // cookies shared), watched like the first.
  async another() {
    const page = await watchedPage(this.browser, this.problems, this.missing);
    return new Scenario(page, this.problems, this.missing, this.browser);
  }

  // Opens a page that is not there: the server must answer 404 with the
  // build's HTML page, which is then checked like any other.
  async gotoMissing(pathname) {
    this.missing.add(pathname);
    const resp = await this.page.goto(BASE + pathname, { waitUntil: "networkidle" });
    expect(resp.status() === 404, `${pathname}: ${resp.status()}, not 404`);
    expect(/html/.test(resp.headers()["content-type"] ?? ""), `${pathname}: not an HTML page`);
  }

  async goto(pathname) {
    await this.page.goto(BASE + pathname, { waitUntil: "load" });
    await this.settled();
  }

  // Waits until the page is at pathname (after the page's own redirects).
  async at(pathname, timeout = 10000) {
    await this.page.waitForURL((url) => url.pathname === pathname, { timeout, waitUntil: "load" });
    await this.settled();
  }

  // Waits until the page has drawn what it loads: its main has run
  // (app.mjs's data-settled) and no API call is on its way (api.mjs's
  // data-api-pending). Playwright's "networkidle" waited for half a second
  // of quiet after every load: a third of the tour's time. A page that
  // moves on meanwhile (a gate, an ended session) is waited for where it
  // lands: waitForFunction asks again in the new document, maybe before
  // its head is parsed, so a document still loading is not settled. A
  // page without app.mjs (test_harness.py's) is settled once parsed.
  async settled(timeout = 15000) {
    await this.page.waitForFunction(() => {
      if (document.readyState === "loading" || !document.documentElement) return false;
      if (!document.querySelector('script[type="module"][src$="/js/app.mjs"]')) return true;
      const d = document.documentElement.dataset;
      return d.settled === "true" && (d.apiPending ?? "0") === "0";
    }, null, { polling: "raf", timeout });
  }

  async fill(selector, value) {
    await this.page.fill(selector, value);
  }

  async submit(formSelector) {
    await this.page.click(`${formSelector} button[type=submit]`);
  }

  // The error summary's items, once it shows; each must link to a field
  // that exists on the page.
  async errors() {
    const summary = this.page.locator("#error-summary");
    await summary.waitFor({ state: "visible", timeout: 10000 });
    const items = await summary.locator("li").evaluateAll((lis) => lis.map((li) => {
      const a = li.querySelector("a");
      const target = a ? document.querySelector(a.getAttribute("href")) : null;
      return { text: li.textContent.trim(), href: a?.getAttribute("href") ?? null, linked: Boolean(target) };
    }));
    for (const item of items) expect(item.linked, `error "${item.text}" is not linked to a field (${item.href})`);
    const focused = await this.page.evaluate(() => document.activeElement?.id);
    expect(focused === "error-summary", `the error summary did not take focus (${focused})`);
    return items;
  }

  async text(selector) {
    return (await this.page.locator(selector).first().textContent())?.trim() ?? "";
  }

  // The page's checks: axe at each width and a screenshot named name.
  async check(name) {
    if (this.problems.length) fail(this.problems.join("\n"));
    if (shots) fs.mkdirSync(shots, { recursive: true });
    const original = this.page.viewportSize();
    for (const width of WIDTHS) {
      await this.page.setViewportSize({ width, height: 900 });
      // The header moves the links that no longer fit into its menu at
      // the next animation frame after a resize, and its ResizeObserver
      // asks again (nhsuk-frontend's header.mjs): checked before then, a
      // link still outside the bar is on the wrong background.
      await this.page.evaluate(() => new Promise((settled) => {
        let frames = 3;
        const next = () => (--frames ? requestAnimationFrame(next) : settled());
        requestAnimationFrame(next);
      }));
      // Evaluated through the DevTools protocol, which the page's CSP
      // does not govern: the page itself still runs no inline script.
      // Once a document: the second width checks the same one.
      if (!(await this.page.evaluate(() => "axe" in window))) await this.page.evaluate(axeSource);
      // Only the violations are wanted: collecting every rule's passes
      // and incompletes was half of axe's time.
      const result = await this.page.evaluate((tags) =>
        window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }), WCAG);
      if (result.violations.length) {
        const lines = result.violations.map((v) =>
          `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
        fail(`${name} at ${width}px has WCAG 2.1 A/AA violations:\n${lines.join("\n")}`);
      }
      // WCAG 2.1 1.4.10 Reflow, which axe does not test: at this width
      // nothing makes the page scroll sideways (tables reflow, long
      // addresses wrap).
      const wide = await this.page.evaluate(() => {
        const limit = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= limit) return null;
        const over = [...document.body.querySelectorAll("*")]
          .filter((e) => e.getBoundingClientRect().right > limit + 1)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : ""}`);
        return { width: document.documentElement.scrollWidth, limit, over: over.slice(-3) };
      });
      if (wide) fail(`${name} at ${width}px scrolls sideways (${wide.width}px wide for ${wide.limit}px): ${wide.over.join(", ")}`);
      if (shots) await this.page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
    }
    await this.page.setViewportSize(original);
    if (this.problems.length) fail(this.problems.join("\n"));
  }
}
