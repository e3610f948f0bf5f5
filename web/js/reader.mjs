// What the secure message portal's reader pages share (docs/secure-portal.md,
// "Using the pages").
// A reader is someone outside the platform who was sent a sealed message:
// not a person of the directory, so never the staff session, menu or
// sign-in. Their own session (cookie caremail_secure, set by POST
// /api/v1/secure/session) is checked here: readerPage(main) on a page
// with access "reader" asks GET /secure/session first and sends anyone
// without one to /secure/sign-in?return=THIS_PAGE; main gets the session
// ({ address, csrf_token, has_password }). On "reader-public" pages (the
// link, sign-in) main gets null. app.mjs still runs first on every page
// (the design system's scripts), and does nothing else for a reader.
import { api, ApiError, onReply, setCsrf } from "./api.mjs";

const access = document.body.dataset.access;

function leave(url) {
  window.location.assign(url);
  return new Promise(() => {});
}

function toSignIn() {
  const here = window.location.pathname + window.location.search;
  return leave(`/secure/sign-in?return=${encodeURIComponent(here)}`);
}

// A session that ends while a page is open (30 minutes idle, 12 hours
// in all) sends the reader to sign in and back here, as app.mjs does
// for staff.
onReply(async (status, error) => {
  if (access === "reader" && status === 401 && error?.code === "unauthenticated") await toSignIn();
});

function showReader(session) {
  const name = document.querySelector(".app-reader-name");
  if (!name) return;
  const icon = name.querySelector("svg");
  name.replaceChildren(...(icon ? [icon] : []), session.address);
}

function bindSignOut() {
  for (const form of document.querySelectorAll(".nhsuk-header__account-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("DELETE", "/secure/session");
      } finally {
        window.location.assign("/secure/sign-in?reason=signed-out");
      }
    });
  }
}

async function start() {
  if (access !== "reader") return null;
  let session;
  try {
    session = await api("GET", "/secure/session");
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    return toSignIn();
  }
  setCsrf(session.csrf_token);
  showReader(session);
  bindSignOut();
  return session;
}

const ready = start();

// A reader page's entry: main(session) once the session is known.
export function readerPage(main) {
  ready.then(main).catch((err) => {
    console.error(err);
  });
}

// Shows the panel that replaces a page's content when the API refuses the
// link or the message for good (unknown, withdrawn, expired): its heading
// and the API's own sentence, and hides the rest (the elements listed).
export function refusedPanel(err, hide) {
  const panel = document.getElementById("refused");
  const headings = {
    not_found: "We cannot find this message",
    revoked: "This message has been withdrawn",
    expired: "This message has expired",
  };
  panel.querySelector("h2").textContent = headings[err.code] ?? "You cannot open this message";
  panel.querySelector("[data-refused=message]").textContent = err.message;
  for (const node of hide) node.hidden = true;
  panel.hidden = false;
  panel.focus();
}

// Whether a refusal is one refusedPanel shows (the message is gone for
// good or was never there), rather than one to fix and try again.
export function isFinal(err) {
  return err instanceof ApiError && ["not_found", "revoked", "expired"].includes(err.code) &&
    (err.status === 404 || err.status === 410);
}

