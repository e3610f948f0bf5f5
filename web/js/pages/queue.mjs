// Mail queue (/queue), for the Global Admin (queue.manage): where mail for
// other domains waits and why (GET /api/v1/queue/destinations), and the
// recipients one row each (GET /queue, ?all=true with history), with
// "Try now" (POST /queue/{id}/retry), "Return to sender" (POST
// /queue/{id}/bounce: the sender gets a report saying an administrator
// returned it) and "Delete without a report" (DELETE /queue/{id} with a
// reason, after the #delete-form's box is ticked: nobody is told).
// Issue 11 items 7 and 11.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { action, actionButton, FormError, showErrors } from "../form.mjs";
import { el, tag } from "../dom.mjs";
import { when } from "../format.mjs";
import { filtersOf, showListing } from "../listing.mjs";
import { cell, fillTable, row } from "../table.mjs";

const $ = (id) => document.getElementById(id);
const STATUS = {
  queued: ["Waiting", "blue"],
  in_flight: ["Being sent", "aqua-green"],
  delivered: ["Delivered", "green"],
  failed: ["Returned", "red"],
};

function destinationRow(d) {
  return row(
    cell("Destination", d.domain),
    cell("Waiting", String(d.waiting)),
    cell("Deferred", String(d.deferred)),
    cell("Oldest waiting since", when(d.oldest_queued_at)),
    cell("Last error", d.last_error ?? "Not tried yet"),
  );
}

async function showDestinations(form) {
  try {
    const { items } = await api("GET", "/queue/destinations");
    fillTable($("destinations-table"), $("destinations-empty"), items.map(destinationRow));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    $("destinations-table").hidden = true;
    showErrors(form, [{ field: "all", message: err.message }]);
  }
}

page(async () => {
  const here = new URLSearchParams(window.location.search);
  const form = $("filter-form");
  const filters = filtersOf(here, ["all"], form);
  $("all").checked = filters.get("all") === "true";
  const reload = (text) => {
    sessionStorage.setItem("queue-done", text);
    window.location.reload();
  };
  $("queue-done").textContent = sessionStorage.getItem("queue-done") ?? "";
  sessionStorage.removeItem("queue-done");

  // "Delete without a report" opens #delete-section for the row chosen;
  // its form deletes only once the box is ticked, with the reason given.
  let chosen = null;
  const deleteOpener = (q) => {
    const button = el("button", "nhsuk-button nhsuk-button--warning nhsuk-button--small", "Delete without a report");
    button.type = "button";
    button.id = `delete-${q.id}`;
    button.append(el("span", "nhsuk-u-visually-hidden", ` mail to ${q.recipient}`));
    button.addEventListener("click", () => {
      chosen = q;
      $("delete-what").textContent = `This deletes the message from ${q.sender || "the service (a report)"} to ${q.recipient} from the queue.`;
      $("reason").value = "";
      $("confirm_delete").checked = false;
      $("delete-section").hidden = false;
      $("delete-heading").focus();
    });
    return button;
  };
  action($("delete-form"), (v) => {
    if (!v.confirm_delete) throw new FormError("confirm_delete", "Tick the box to confirm you want to delete this message without a report");
    return api("DELETE", `/queue/${chosen.id}`, { reason: v.reason.trim() });
  }, () => reload(`Mail to ${chosen.recipient} was deleted; nobody is told.`));

  const recipientRow = (q) => {
    const [words, colour] = STATUS[q.status] ?? [q.status, "grey"];
    const waiting = q.status === "queued" || q.status === "in_flight";
    const actions = el("span", "app-actions");
    if (waiting) {
      actions.append(
        actionButton({ id: `retry-${q.id}`, words: "Try now", hidden: `mail to ${q.recipient}`, form,
          classes: "nhsuk-button nhsuk-button--secondary nhsuk-button--small",
          run: async () => { await api("POST", `/queue/${q.id}/retry`); reload(`Mail to ${q.recipient} will be tried now.`); } }),
        actionButton({ id: `return-${q.id}`, words: "Return to sender", hidden: `mail to ${q.recipient}`, form,
          classes: "nhsuk-button nhsuk-button--warning nhsuk-button--small",
          run: async () => {
            const { reported } = await api("POST", `/queue/${q.id}/bounce`);
            reload(reported ? `Mail to ${q.recipient} was returned; its sender is told by a report.`
              : `Mail to ${q.recipient} was removed; no report went (it is a report itself, or its sender has no mailbox).`);
          } }),
        deleteOpener(q),
      );
    }
    return row(
      cell("Recipient", q.recipient),
      cell("Sender", q.sender || "The service (a report)"),
      cell("Status", tag(words, colour)),
      cell("Queued", when(q.queued_at)),
      cell("Attempts", String(q.attempts)),
      cell("Next attempt", waiting ? when(q.next_attempt_at) : "None"),
      cell("Last error", q.last_error ?? "None"),
      cell("Actions", actions),
    );
  };

  await showDestinations(form);
  await showListing({ prefix: "queue", pagePath: "/queue", apiPath: "/queue", form, filters, here, rowOf: recipientRow, field: "all" });
});
