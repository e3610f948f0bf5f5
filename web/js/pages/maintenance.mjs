// Maintenance (/maintenance): the landing page every admin page sends
// people to while maintenance mode is on (SPEC S5, P13; app.mjs), with
// the Global Admin's message and expected end; a Global Admin
// (maintenance.manage) ends it here, or starts it when it is off
// (docs/web.md "Maintenance").
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { action } from "../form.mjs";
import { when } from "../format.mjs";
import { safeReturn } from "../return-path.mjs";
import { summary } from "../summary.mjs";

const $ = (id) => document.getElementById(id);

// The expected end typed in the page's own clock, as the API's UTC time.
function untilOf(value) {
  if (!value) return "";
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? value : t.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function show(m, back) {
  $("maintenance-on").hidden = !m.on;
  $("maintenance-off").hidden = m.on;
  $("heading").textContent = m.on ? "The admin tools are closed for maintenance" : "Maintenance";
  document.title = `${$("heading").textContent} – caremail`;
  $("on-back").href = back;
  $("off-back").href = back;
  if (m.on) {
    $("maintenance-message").textContent = m.message || "The service is being worked on.";
    $("maintenance-until").textContent = m.until
      ? `Expected to end: ${when(m.until)}.`
      : "No end time has been given yet.";
    summary($("maintenance-facts"), [
      ["Started", when(m.since)],
      ["Started by", m.updated_by || "Unknown"],
    ]);
  }
  $("end-form").hidden = !(m.on && m.may_set);
  $("start-form").hidden = !(!m.on && m.may_set);
}

page(async () => {
  const back = safeReturn(new URLSearchParams(window.location.search).get("return"));
  show(await api("GET", "/settings/maintenance"), back);
  action($("end-form"), () => api("DELETE", "/settings/maintenance"), () => {
    window.location.assign(back);
  });
  action($("start-form"), ({ message, until }) => api("PUT", "/settings/maintenance", { message, until: untilOf(until) }),
    (m) => {
      show(m, back);
      $("heading").focus();
    });
});
