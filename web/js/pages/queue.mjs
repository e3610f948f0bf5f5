// Mail queue (/queue), for the Global Admin (queue.manage): where mail for
// other domains waits and why (GET /api/v1/queue/destinations), and the
// recipients one row each (GET /queue, ?all=true with history), with
// "Try now" (POST /queue/{id}/retry) and "Return" (DELETE /queue/{id}: the
// sender gets a report saying an operator removed it). Issue 11 item 7.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { actionButton, showErrors } from "../form.mjs";
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
          run: async () => { await api("DELETE", `/queue/${q.id}`); reload(`Mail to ${q.recipient} was removed; its sender is told.`); } }),
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
