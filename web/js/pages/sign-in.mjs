// Sign in (docs/api.md "Signing in", "Two-factor sign-in"): the address and
// password, then, when the API asks for it, the code from the authenticator.
// After: the return path (a page on this site only), through the gates of
// a temporary password or two-factor set-up when the session has them.
import { page, markSignedIn } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { bindForm, clearErrors } from "../form.mjs";
import { safeReturn } from "../return-path.mjs";

const REASONS = {
  timeout: "You were signed out because you had not done anything for a while. Sign in again to go back to what you were doing.",
  "signed-out": "You have signed out.",
  "password-reset": "Your password has been changed. Sign in with your new password.",
  unlocked: "Your account is unlocked. Sign in with your password.",
};

function showNotice(params) {
  const text = REASONS[params.get("reason")];
  if (!text) return;
  const banner = document.getElementById("sign-in-notice");
  banner.querySelector(".nhsuk-notification-banner__content").replaceChildren();
  const p = document.createElement("p");
  p.className = "nhsuk-notification-banner__heading";
  p.textContent = text;
  banner.querySelector(".nhsuk-notification-banner__content").append(p);
  banner.hidden = false;
}

export function nextPage(session, back) {
  const query = back !== "/" ? `?return=${encodeURIComponent(back)}` : "";
  if (session.must_change_password) return `/new-password${query}`;
  if (session.mfa_setup_required) return `/set-up-two-factor${query}`;
  return back;
}

page(() => {
  const params = new URLSearchParams(window.location.search);
  const back = safeReturn(params.get("return"));
  showNotice(params);
  const signIn = document.getElementById("sign-in-form");
  const codeForm = document.getElementById("code-form");
  let credentials = null;

  const done = (session) => {
    markSignedIn();
    window.location.assign(nextPage(session, back));
  };

  bindForm(signIn, async ({ email, password }) => {
    try {
      done(await api("POST", "/session", { email, password }));
    } catch (err) {
      // The right password of an account with two-factor sign-in: ask
      // for the code next. Any other refusal is shown as it is.
      if (err instanceof ApiError && err.status === 401 && err.body?.mfa_required && err.field === "code") {
        credentials = { email, password };
        signIn.hidden = true;
        codeForm.hidden = false;
        clearErrors(signIn);
        document.getElementById("code").focus();
        return;
      }
      throw err;
    }
  });

  bindForm(codeForm, async ({ code }) => {
    done(await api("POST", "/session", { ...credentials, code: code.replace(/\s+/g, "") }));
  });
});
