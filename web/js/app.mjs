// What every page runs first: the design system's scripts, and on a
// signed-in page the session check — no session sends the person to sign
// in and back here; a password to change or two-factor sign-in to set up
// sends them there first — then the menu items their roles allow, the
// sign-out button and the idle clock. A page module calls page(main), and
// main gets { session, me } once that is done (docs/web.md).
import { initAll } from "./nhsuk-frontend.min.js";
import { api, onReply, setCsrf } from "./api.mjs";
import { hereAsReturn } from "./return-path.mjs";
import { holds } from "./roles.mjs";

// What the design system's page template sets with an inline script, which
// the CSP forbids: here instead.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) document.body.classList.add("nhsuk-frontend-supported");

const access = document.body.dataset.access;
const thisPage = document.body.dataset.page;
// Set on signing in, so an ended session can be told from never signed in.
const SIGNED_IN_FLAG = "caremail-signed-in";
// Maintenance mode (SPEC S5): the landing page, and the pages that stay
// open while it is on — People Finder reads only, and the landing page
// itself. Every other page (the admin tools) sends the person there.
const MAINTENANCE_PAGE = "maintenance";
const OPEN_IN_MAINTENANCE = new Set([MAINTENANCE_PAGE, "people", "person"]);
// Where each gate of docs/api.md sends the person, by the API's code.
const GATES = {
  password_change_required: "new-password",
  mfa_setup_required: "set-up-two-factor",
};

export function markSignedIn() {
  sessionStorage.setItem(SIGNED_IN_FLAG, "1");
}

function returnQuery() {
  return `return=${encodeURIComponent(hereAsReturn(window.location))}`;
}

// Leaves for url; the promise never settles, so the page's work stops.
function leave(url) {
  window.location.assign(url);
  return new Promise(() => {});
}

function toMaintenance() {
  return leave(`/${MAINTENANCE_PAGE}?${returnQuery()}`);
}

function toSignIn() {
  const timedOut = sessionStorage.getItem(SIGNED_IN_FLAG) === "1";
  sessionStorage.removeItem(SIGNED_IN_FLAG);
  return leave(`/sign-in?${timedOut ? "reason=timeout&" : ""}${returnQuery()}`);
}

// The idle clock: the server ends a session idle for
// session.idle_timeout_s; once that much time has passed here with no
// request, the page asks whether the session still lives and, if not,
// goes to sign in with this page as the way back.
let idleMs = null;
let idleTimer = null;

function learnSession(session) {
  const left = Date.parse(session.expires_at) - Date.parse(session.last_seen_at);
  idleMs = Number.isFinite(left) && left > 0 ? left : null;
}

function restartIdle() {
  if (idleMs === null) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(checkIdle, Math.min(idleMs + 1000, 2 ** 31 - 1));
}

async function checkIdle() {
  const resp = await fetch("/api/v1/session", { credentials: "same-origin", cache: "no-store" });
  if (resp.status === 401) return toSignIn();
  if (resp.ok) learnSession(await resp.json());
  restartIdle();
}

onReply(async (status, error) => {
  if (access !== "signed-in") return;
  if (status === 401 && error?.code === "unauthenticated") await toSignIn();
  const gate = status === 403 ? GATES[error?.code] : undefined;
  if (gate && gate !== thisPage) await leave(`/${gate}?${returnQuery()}`);
  // Turned on while the page was open: the next change is refused. A
  // gate's page (a password to change) keeps its form and shows the
  // refusal, whose sentence has the message: the landing page would send
  // the person straight back to the gate.
  const gated = Object.values(GATES).includes(thisPage);
  if (status === 503 && error?.code === "maintenance" && !OPEN_IN_MAINTENANCE.has(thisPage) && !gated) await toMaintenance();
  restartIdle();
});

// Sends the person to the landing page when maintenance mode is on. A
// server that cannot say (an error) leaves the page as it is: the API
// still refuses changes.
async function checkMaintenance() {
  if (OPEN_IN_MAINTENANCE.has(thisPage)) return;
  let m = null;
  try {
    m = await api("GET", "/settings/maintenance");
  } catch (err) {
    console.error(err);
  }
  if (m?.on) await toMaintenance();
}

function showMenu(me) {
  for (const item of document.querySelectorAll(".nhsuk-header__navigation-item[data-needs]")) {
    item.hidden = !holds(me, item.dataset.needs);
  }
}

function showAccount(person) {
  const name = document.querySelector(".app-account-name");
  if (!name || !person) return;
  const icon = name.querySelector("svg");
  name.replaceChildren(...(icon ? [icon] : []), person.display_name || person.address);
}

function hideMenu() {
  document.querySelector(".nhsuk-header__navigation")?.setAttribute("hidden", "");
}

function bindSignOut() {
  for (const form of document.querySelectorAll(".nhsuk-header__account-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("DELETE", "/session");
      } finally {
        sessionStorage.removeItem(SIGNED_IN_FLAG);
        window.location.assign("/sign-in?reason=signed-out");
      }
    });
  }
}

async function start() {
  let session = null;
  let me = null;
  if (access === "signed-in") {
    session = await api("GET", "/session");
    setCsrf(session.csrf_token);
    showAccount(session.person);
    learnSession(session);
    restartIdle();
    let gate = null;
    if (session.must_change_password) gate = GATES.password_change_required;
    else if (session.mfa_setup_required) gate = GATES.mfa_setup_required;
    if (gate && gate !== thisPage) await leave(`/${gate}?${returnQuery()}`);
    if (gate) {
      // Until the gate is passed the API answers nothing else: no menu.
      hideMenu();
    } else {
      await checkMaintenance();
      me = await api("GET", "/me");
      showMenu(me);
    }
    bindSignOut();
  }
  initAll();
  return { session, me };
}

const ready = start();

// data-settled on the page's root once its main has run, or on a page
// with none once the session is checked: with api.mjs's data-api-pending
// at 0, the page has drawn what it loads (docs/web.md).
let hasMain = false;

function settled() {
  document.documentElement.dataset.settled = "true";
}

// A page module's entry: main({ session, me }) runs once the page is ready
// (on a public page both are null).
export function page(main) {
  hasMain = true;
  ready
    .then(main)
    .catch((err) => {
      console.error(err);
    })
    .finally(settled);
}

// Page modules run before DOMContentLoaded, so by then a page without one
// (404.html) is known. A failed start still fails as before (finally
// passes the rejection on).
document.addEventListener("DOMContentLoaded", () => {
  if (!hasMain) ready.finally(settled);
});
