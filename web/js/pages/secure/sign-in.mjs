// A returning reader signs in with the address their messages were sent
// to and the password they set (POST /secure/session with email and
// password), then goes back to the reader page they came from, or to
// their messages.
import { api } from "../../api.mjs";
import { bindForm } from "../../form.mjs";
import { readerPage } from "../../reader.mjs";
import { readerReturn } from "../../return-path.mjs";

const REASONS = {
  "signed-out": "You have signed out.",
};

readerPage(() => {
  const params = new URLSearchParams(window.location.search);
  const notice = document.getElementById("reader-notice");
  const reason = REASONS[params.get("reason")];
  if (reason) {
    notice.textContent = reason;
    notice.hidden = false;
  } else if (params.get("return")) {
    notice.textContent = "Sign in to read your secure messages. Your session ends after 30 minutes without use.";
    notice.hidden = false;
  }
  const email = document.getElementById("email");
  if (!email.value) email.value = sessionStorage.getItem("caremail-secure-email") ?? "";
  bindForm(document.getElementById("reader-sign-in-form"), async ({ email: address, password }) => {
    await api("POST", "/secure/session", { email: address, password });
    window.location.assign(readerReturn(params.get("return")));
  });
});
