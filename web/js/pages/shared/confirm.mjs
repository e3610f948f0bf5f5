// The link in an inactive shared mailbox notice (/shared/confirm#TOKEN,
// SPEC L5): the mailbox the link names and when it will be deleted (POST
// /shared-confirm/mailbox), then one button that keeps it (POST
// /shared-confirm). Opening the page keeps nothing: mail scanners open
// links in mail. A link the API refuses (unknown, expired, the mailbox
// gone) is its sentence in a panel. The token is read from the fragment,
// which no request carries, and is sent only in request bodies.
import { page } from "../../app.mjs";
import { api, ApiError } from "../../api.mjs";
import { action } from "../../form.mjs";
import { when } from "../../format.mjs";
import { summary } from "../../summary.mjs";

function refused(err, hide) {
  const panel = document.getElementById("refused");
  panel.querySelector("[data-refused=message]").textContent = err.message;
  for (const node of hide) node.hidden = true;
  panel.hidden = false;
  panel.focus();
}

// Another link pasted over this one changes only the fragment.
window.addEventListener("hashchange", () => window.location.reload());

page(async () => {
  const loading = document.getElementById("confirm-loading");
  const about = document.getElementById("about");
  const token = decodeURIComponent(window.location.hash.replace(/^#/, "")).trim();
  if (!token) {
    loading.hidden = true;
    document.getElementById("no-link").hidden = false;
    return;
  }
  let info;
  try {
    info = await api("POST", "/shared-confirm/mailbox", { token });
  } catch (err) {
    loading.hidden = true;
    if (err instanceof ApiError && err.status === 404) return refused(err, [about]);
    loading.textContent = err.message;
    loading.hidden = false;
    return;
  }
  loading.hidden = true;
  summary(document.getElementById("about-list"), [
    ["Mailbox", info.address],
    ["Name", info.display_name || "None"],
    ["Last used", when(info.last_used_at)],
    ["Will be deleted on", info.delete_at ? when(info.delete_at) : "Not planned"],
  ]);
  about.hidden = false;
  action(document.getElementById("keep-form"), () => api("POST", "/shared-confirm", { token }), (reply) => {
    about.hidden = true;
    document.getElementById("kept-address").textContent = reply.address;
    const kept = document.getElementById("kept");
    kept.hidden = false;
    kept.focus();
  });
});
