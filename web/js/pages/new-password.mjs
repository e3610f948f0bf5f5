// First sign-in with a temporary password (or an expired one): the API
// allows nothing else until it is changed (docs/api.md "Password changes").
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { bindForm, FormError } from "../form.mjs";
import { safeReturn } from "../return-path.mjs";

page(() => {
  const back = safeReturn(new URLSearchParams(window.location.search).get("return"));
  bindForm(document.getElementById("password-form"), async ({ current, new: fresh, confirm }) => {
    if (fresh !== confirm) throw new FormError("confirm", "The two new passwords are not the same; type the new password again.");
    await api("POST", "/me/password", { current, new: fresh });
    const session = await api("GET", "/session");
    const query = back !== "/" ? `?return=${encodeURIComponent(back)}` : "";
    window.location.assign(session.mfa_setup_required ? `/set-up-two-factor${query}` : back);
  });
});
