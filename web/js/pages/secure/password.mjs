// A reader sets a password for next time (PUT /secure/password), the
// same strength rule as staff passwords; the two entries are compared
// here first.
import { api } from "../../api.mjs";
import { bindForm, FormError } from "../../form.mjs";
import { readerPage } from "../../reader.mjs";

readerPage((session) => {
  document.getElementById("reader-address").textContent = session.address;
  if (session.has_password) {
    document.getElementById("password-heading").textContent = "Change your password";
  }
  const form = document.getElementById("password-form");
  bindForm(form, async ({ password, confirm }) => {
    if (password !== confirm) throw new FormError("confirm", "The two passwords are not the same. Enter the same password twice.");
    await api("PUT", "/secure/password", { password });
    form.reset();
    document.getElementById("password-done-text").textContent =
      `Your password is saved. Next time, sign in as ${session.address} with it to read your secure messages.`;
    document.getElementById("password-done").hidden = false;
  });
});
