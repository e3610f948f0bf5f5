// Lifecycle preview (/jobs-preview): the dry run of the scheduled jobs for
// the orgs the admin administers (GET /api/v1/jobs/preview, ?org= and
// ?at=): each account's change and the mails that would be sent, with who
// would get them, shared mailboxes' too (SPEC L5). Nothing is changed. docs/lifecycle.md, issue 13 item 9.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { showErrors } from "../form.mjs";
import { when } from "../format.mjs";
import { filtersOf } from "../listing.mjs";
import { fillOrgs } from "../orgs.mjs";
import { cell, fillTable, row } from "../table.mjs";

const $ = (id) => document.getElementById(id);

// An action of the report in words (docs/lifecycle.md "Running the jobs").
function actionWords(action, step) {
  // SPEC L5: an unused shared mailbox's notice, reminders and deletion.
  if (step === "shared") {
    const days = /^warn-(\d+)$/.exec(action);
    if (days) return `Reminder email: shared mailbox deleted in ${days[1]} day${days[1] === "1" ? "" : "s"} unless kept`;
    if (action === "notice") return "Email: unused shared mailbox will be deleted unless kept";
    if (action === "delete") return "Shared mailbox deleted (unused, not kept)";
  }
  const warn = /^warn-(\w+)-(\d+)$/.exec(action);
  if (warn) return `Warning email: ${warn[2]} day${warn[2] === "1" ? "" : "s"} before ${warn[1] === "delete" ? "deletion" : warn[1] === "purge" ? "the purge" : "becoming inactive"}`;
  return {
    inactive: "Becomes inactive",
    delete: "Deleted",
    purge: "Mail destroyed (purged)",
    reactivate: "Active again",
    leaver: "Leaver notice email",
    digest: "Digest email of the changes",
  }[action] ?? action;
}

function itemRow(i) {
  return row(
    cell("Account", i.address),
    cell("What happens", actionWords(i.action, i.step)),
    cell("Rule", i.rule),
    cell("Due", when(i.at)),
    cell("Who is told", i.told ? i.told.split(",").join(", ") : "Nobody"),
  );
}

page(async () => {
  const here = new URLSearchParams(window.location.search);
  const form = $("filter-form");
  const filters = filtersOf(here, ["org", "at"], form);
  await fillOrgs($("org"), filters.get("org") ?? "");
  $("at").value = filters.get("at") ?? "";
  const query = new URLSearchParams();
  for (const name of ["org", "at"]) if (filters.get(name)) query.set(name, filters.get(name));
  try {
    const reply = await api("GET", `/jobs/preview${query.size ? `?${query}` : ""}`);
    $("preview-as-of").textContent = `As of ${when(reply.at)}: ${reply.items.length} change${reply.items.length === 1 ? "" : "s"} and email${reply.items.length === 1 ? "" : "s"}.`;
    fillTable($("preview-table"), $("preview-empty"), reply.items.map(itemRow));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    $("preview-table").hidden = true;
    showErrors(form, [{ field: err.field || "org", message: err.message }]);
  }
});
