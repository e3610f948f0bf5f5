// Forgotten password and self-service unlock (docs/api.md): the address,
// then the three security answers and the SMS code, then a new password
// or an unlock. The API says the same whether or not the address has an
// account, and so does this page. A locked account is told so only once
// answers and code are right, and may then unlock itself here.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { bindForm } from "../form.mjs";

page(() => {
  const start = document.getElementById("start-form");
  const proof = document.getElementById("proof-form");
  let email = null;
  let questions = [];
  const passwordGroup = document.getElementById("new-password-group");
  const showPassword = () => {
    passwordGroup.hidden = !document.getElementById("action").checked;
  };
  for (const radio of proof.querySelectorAll("input[name=action]")) radio.addEventListener("change", showPassword);

  bindForm(start, async (v) => {
    const reply = await api("POST", "/recovery/start", { email: v.email });
    email = v.email;
    questions = reply.questions;
    questions.forEach((q, i) => {
      document.querySelector(`label[for="answer-${i}"]`).textContent = q;
    });
    start.hidden = true;
    proof.hidden = false;
    document.getElementById("answer-0").focus();
  });

  bindForm(proof, async (v) => {
    const answers = questions.map((question, i) => ({ question, answer: v[`answer-${i}`] }));
    const code = v.code.replace(/\s+/g, "");
    if (v.action === "unlock") {
      await api("POST", "/recovery/unlock", { email, answers, code });
      window.location.assign("/sign-in?reason=unlocked");
      return;
    }
    try {
      await api("POST", "/recovery/complete", { email, answers, code, new_password: v.new_password });
    } catch (err) {
      // Right answers and code, but the account is locked: the API says
      // so and keeps the code, so offer the unlock at once.
      if (err instanceof ApiError && /locked/i.test(err.message)) {
        document.getElementById("action-2").checked = true;
        showPassword();
        throw new ApiError(err.status, { code: err.code, field: "action", message: err.message });
      }
      throw err;
    }
    window.location.assign("/sign-in?reason=password-reset");
  });
});
