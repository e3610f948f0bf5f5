// Secrets the API shows once (an app password on /account, an API token
// on /tokens): the new one in an inset until the next action, and a
// "Revoke" button for each in the list, whose refusal is shown in the
// error summary.
import { ApiError } from "./api.mjs";
import { clearErrors, showErrors } from "./form.mjs";
import { el } from "./people.mjs";

// inset: the element with ID-label and ID-secret inside it.
export function showSecret(inset, label, secret) {
  document.getElementById(`${inset.id}-label`).textContent = label;
  document.getElementById(`${inset.id}-secret`).textContent = secret;
  inset.hidden = false;
}

export function hideSecret(inset) {
  inset.hidden = true;
  document.getElementById(`${inset.id}-secret`).textContent = "";
}

// A "Revoke" button for the secret named label; revoke() does it. A
// refusal goes in the error summary, linked to form's field (or its first
// input).
export function revokeButton(label, form, field, revoke) {
  const button = el("button", "nhsuk-button nhsuk-button--warning nhsuk-button--small app-revoke", "Revoke");
  button.type = "button";
  button.append(el("span", "nhsuk-u-visually-hidden", ` ${label}`));
  button.addEventListener("click", async () => {
    button.disabled = true;
    clearErrors(form);
    try {
      await revoke();
    } catch (err) {
      button.disabled = false;
      if (err instanceof ApiError) showErrors(form, [{ field, message: err.message }]);
      else throw err;
    }
  });
  return button;
}
