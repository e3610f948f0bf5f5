// My account (SPEC P11, A7): the person's details and mobile number,
// password, security questions, the Acceptable Use Policy, their devices
// and app passwords, each through the API's /me endpoints (docs/api.md
// "Self-service", "App passwords", "Devices"), and the shared mailboxes
// they own, each linked to its page.
import { page } from "../app.mjs";
import { api, create } from "../api.mjs";
import { bindForm, clearErrors, FormError } from "../form.mjs";
import { showDevices } from "../devices.mjs";
import { when } from "../format.mjs";
import { hideSecret, revokeButton, showSecret } from "../secret.mjs";
import { cell, fillTable, row } from "../table.mjs";
import { link } from "../dom.mjs";

const $ = (id) => document.getElementById(id);

function notice(text) {
  $("account-notice-text").textContent = text;
  $("account-notice").hidden = false;
}

function set(key, text) {
  document.querySelector(`[data-me="${key}"]`).textContent = text;
}

function showMe(me) {
  set("name", me.display_name || `${me.first_name ?? ""} ${me.last_name ?? ""}`.trim() || me.address);
  set("address", me.address);
  set("org", me.org ? `${me.org.name} (${me.org.ods})` : "None");
  set("mobile", me.mobile || "None given");
  set("mobile_hidden", me.mobile_hidden ? "Hidden" : "Shown to everyone signed in");
  $("mobile").value = me.mobile ?? "";
  $("mobile_hidden").checked = Boolean(me.mobile_hidden);

  const list = document.querySelector('[data-me="questions"]');
  list.replaceChildren();
  for (const q of me.security_questions ?? []) {
    const li = document.createElement("li");
    li.textContent = q;
    list.append(li);
  }
  if (!list.children.length) {
    const li = document.createElement("li");
    li.textContent = "Not chosen yet: you cannot reset a forgotten password until you choose them.";
    list.append(li);
  }

  const aup = me.aup ?? {};
  const accepted = aup.current_accepted;
  set("aup", accepted
    ? `You accepted version ${aup.accepted_version} on ${when(aup.accepted_at)}.`
    : aup.accepted_version
      ? `The policy has changed to version ${aup.current_version} since you accepted version ${aup.accepted_version}. Read it and accept it again.`
      : `You have not accepted the policy (version ${aup.current_version}) yet. Read it and accept it.`);
  $("aup-form").hidden = Boolean(accepted);

  // SPEC L5: the shared mailboxes theirs to look after and keep.
  const owned = me.shared_mailboxes_owned ?? [];
  $("shared-mailboxes-list").replaceChildren(...owned.map((m) => {
    const li = document.createElement("li");
    li.append(link(m.display_name ? `${m.display_name} (${m.address})` : m.address,
      `/mailbox?address=${encodeURIComponent(m.address)}&kind=shared`));
    return li;
  }));
  $("shared-mailboxes-section").hidden = owned.length === 0;
  $("shared-mailboxes-jump").hidden = owned.length === 0;
}

async function loadQuestions(me) {
  const { questions } = await api("GET", "/me/security-questions/choices");
  const chosen = me.security_questions ?? [];
  for (const n of [1, 2, 3]) {
    const sel = $(`question${n}`);
    sel.replaceChildren();
    const none = document.createElement("option");
    none.value = "";
    none.textContent = "Choose a question";
    sel.append(none);
    for (const q of questions) {
      const opt = document.createElement("option");
      opt.value = q;
      opt.textContent = q;
      sel.append(opt);
    }
    sel.value = chosen[n - 1] ?? "";
  }
}

async function loadAppPasswords() {
  const { app_passwords: items } = await api("GET", "/me/app-passwords");
  fillTable($("app-passwords-table"), $("app-passwords-none"), items.map((p) => {
    const used = p.last_used_at ? `${when(p.last_used_at)} (${String(p.last_used_protocol ?? "").toUpperCase()})` : "Never";
    const revoke = revokeButton(p.label, $("app-password-form"), null, async () => {
      await api("DELETE", `/me/app-passwords/${encodeURIComponent(p.id)}`);
      hideSecret($("app-password-new"));
      notice(`The app password ${p.label} is revoked: a program using it can no longer sign in.`);
      await loadAppPasswords();
    });
    return row(cell("Name", p.label), cell("Made", when(p.created_at)), cell("Last used", used), cell("Action", revoke));
  }));
}

page(async ({ me: first }) => {
  let me = first;
  showMe(me);
  const refresh = async () => {
    me = await api("GET", "/me");
    showMe(me);
  };

  // One error summary serves every form here: a new submit clears the
  // marks an earlier refusal left on another form's fields.
  document.addEventListener("submit", () => {
    for (const form of document.querySelectorAll("main form")) clearErrors(form);
  }, true);

  bindForm($("profile-form"), async ({ mobile, mobile_hidden }) => {
    await api("PATCH", "/me", { mobile: mobile.trim(), mobile_hidden });
    await refresh();
    notice("Your details are saved.");
    $("details").scrollIntoView();
  });

  bindForm($("password-form"), async ({ current, new: fresh, confirm }) => {
    if (fresh !== confirm) throw new FormError("confirm", "The two new passwords are not the same; type the new password again.");
    await api("POST", "/me/password", { current, new: fresh });
    for (const id of ["password-current", "password-new", "password-confirm"]) $(id).value = "";
    notice("Your password is changed. Use the new one next time you sign in.");
  });

  bindForm($("questions-form"), async (v) => {
    const answers = [1, 2, 3].map((n) => ({ question: v[`question${n}`], answer: v[`answer${n}`] }));
    const missing = answers.findIndex((a) => !a.question);
    if (missing >= 0) throw new FormError(`question${missing + 1}`, `Choose question ${missing + 1}.`);
    const empty = answers.findIndex((a) => !a.answer.trim());
    if (empty >= 0) throw new FormError(`answer${empty + 1}`, `Type your answer to question ${empty + 1}.`);
    await api("PUT", "/me/security-questions", { current: v.current, answers });
    for (const id of ["answer1", "answer2", "answer3", "questions-current"]) $(id).value = "";
    await refresh();
    notice("Your security questions are saved.");
  });

  bindForm($("aup-form"), async ({ accepted }) => {
    if (!accepted) throw new FormError("accepted", "Tick the box to say you have read the policy and agree to follow it.");
    await api("POST", "/me/aup", { accepted: true });
    await refresh();
    notice("Thank you: you have accepted the Acceptable Use Policy.");
  });

  bindForm($("app-password-form"), async ({ label }) => {
    const made = await create("/me/app-passwords", { label: label.trim() });
    $("label").value = "";
    showSecret($("app-password-new"), made.label, made.password);
    $("account-notice").hidden = true;
    await loadAppPasswords();
  });

  if (!me.mfa_enrolled) {
    // The API makes app passwords only once two-factor sign-in is set up:
    // say so rather than offer a form it would refuse.
    $("app-password-form").hidden = true;
    $("app-passwords-mfa").hidden = false;
  }
  await Promise.all([loadQuestions(me), showDevices("/me/devices"), loadAppPasswords()]);
});
