// The link in a secure message notice (/secure/open#TOKEN): who sent the
// message and to which address (POST /secure/link), then a code emailed
// to that address (POST /secure/codes), then the code typed here (POST
// /secure/session) opens a reader session and the message. A link the API
// refuses for good (unknown, withdrawn, expired) is its sentence in a
// panel, and nothing more is offered. The token is read from the
// fragment, which no request carries, and is sent only in request bodies.
import { api, ApiError } from "../../api.mjs";
import { action, bindForm, clearErrors } from "../../form.mjs";
import { when } from "../../format.mjs";
import { summary } from "../../summary.mjs";
import { isFinal, readerPage, refusedPanel } from "../../reader.mjs";

// Read by /secure/sign-in to fill in the address for a returning reader.
const EMAIL_KEY = "caremail-secure-email";

// The message this link is for, among the reader's messages once signed
// in: the API's id when the link's reply gives it, or else the one sent
// at that time (from that sender, whose address the From header holds).
async function messageOf(about) {
  if (about.message_id) return about.message_id;
  const { items } = await api("GET", "/secure/messages");
  const sender = about.sender.toLowerCase();
  const at = items.filter((m) => m.sent_at === about.sent_at);
  const found = at.find((m) => m.from.toLowerCase().includes(sender)) ?? at[0];
  return found?.id ?? null;
}

async function openMessage(about) {
  const id = await messageOf(about);
  window.location.assign(id ? `/secure/message?id=${encodeURIComponent(id)}` : "/secure/messages");
}

// The reader's session when there is one, quietly: null for none.
async function currentSession() {
  try {
    return await api("GET", "/secure/session");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

function showAbout(about) {
  for (const node of document.querySelectorAll("[data-about=recipient]")) node.textContent = about.recipient;
  summary(document.getElementById("about-list"), [
    ["From", about.sender],
    ["To", about.recipient],
    ["Sent", when(about.sent_at)],
    ["Can be read until", when(about.expires_at)],
  ]);
  document.getElementById("about").hidden = false;
}

// Another link typed or pasted over this one changes only the fragment,
// which loads nothing: start again with it.
window.addEventListener("hashchange", () => window.location.reload());

readerPage(async () => {
  const loading = document.getElementById("open-loading");
  const about = document.getElementById("about");
  const requestForm = document.getElementById("request-form");
  const codeForm = document.getElementById("code-form");
  const againForm = document.getElementById("again-form");
  const link = decodeURIComponent(window.location.hash.replace(/^#/, "")).trim();

  if (!link) {
    loading.hidden = true;
    document.getElementById("no-link").hidden = false;
    return;
  }
  let info;
  try {
    info = await api("POST", "/secure/link", { link });
  } catch (err) {
    loading.hidden = true;
    if (isFinal(err)) return refusedPanel(err, [about, codeForm, againForm]);
    loading.textContent = err.message;
    return;
  }
  loading.hidden = true;
  showAbout(info);
  sessionStorage.setItem(EMAIL_KEY, info.recipient);
  document.getElementById("password-option").hidden = !info.has_password;

  // Already signed in as this recipient (an earlier link, a password):
  // no code is needed.
  const session = await currentSession();
  if (session && session.address.toLowerCase() === info.recipient.toLowerCase()) {
    requestForm.hidden = true;
    document.getElementById("password-option").hidden = true;
    document.getElementById("signed-in-option").hidden = false;
    document.getElementById("read-now").addEventListener("click", (event) => {
      event.preventDefault();
      openMessage(info);
    });
  }

  const sendCode = async () => {
    try {
      return await api("POST", "/secure/codes", { link });
    } catch (err) {
      if (isFinal(err)) {
        refusedPanel(err, [about, codeForm, againForm]);
        return null;
      }
      throw err;
    }
  };
  const codeSent = (reply) => {
    if (!reply) return;
    const minutes = Math.round((reply.expires_in_s ?? 900) / 60);
    document.getElementById("code-sent").textContent =
      `We have sent a 6-digit code to ${reply.sent_to}. It can be used for ${minutes} minutes, in this browser only.`;
    about.hidden = true;
    codeForm.hidden = false;
    againForm.hidden = false;
    const code = document.getElementById("code");
    code.value = "";
    code.focus();
  };
  action(requestForm, sendCode, codeSent);
  action(againForm, sendCode, (reply) => {
    clearErrors(codeForm);
    codeSent(reply);
  });

  bindForm(codeForm, async ({ code }) => {
    try {
      await api("POST", "/secure/session", { link, code: code.replace(/\s+/g, "") });
    } catch (err) {
      if (isFinal(err)) return refusedPanel(err, [about, codeForm, againForm]);
      throw err;
    }
    await openMessage(info);
  });
});

