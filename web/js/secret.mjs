// Secrets the API shows once (an app password on /account, an API token
// on /tokens, a temporary password on /user): the new one in an inset
// until the next action, and a "Revoke" button for each in the list,
// whose refusal is shown in the error summary.
import { actionButton } from "./form.mjs";

// inset: the element with ID-label and ID-secret inside it (or the ids
// given, for /user's temporary password).
export function showSecret(inset, label, secret, ids = {}) {
  document.getElementById(ids.label ?? `${inset.id}-label`).textContent = label;
  document.getElementById(ids.secret ?? `${inset.id}-secret`).textContent = secret;
  inset.hidden = false;
}

export function hideSecret(inset, ids = {}) {
  inset.hidden = true;
  document.getElementById(ids.secret ?? `${inset.id}-secret`).textContent = "";
}

// A "Revoke" button for the secret named label (form.mjs's actionButton);
// revoke() does it. A refusal goes in form's error summary, linked to
// the button (id) or else form's first input.
export function revokeButton(label, form, id, revoke) {
  return actionButton({
    id, words: "Revoke", hidden: label, form, run: revoke,
    classes: "nhsuk-button nhsuk-button--warning nhsuk-button--small app-revoke",
  });
}
