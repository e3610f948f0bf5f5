// Import users (/imports): a CSV file for one org sent to POST
// /api/v1/imports (every row checked before any is applied), the per-row
// report with its CSV download, and the org's earlier imports and
// directory syncs (GET /imports, GET /orgs/{ods}/syncs).
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { link } from "../dom.mjs";
import { bindForm, FormError } from "../form.mjs";
import { fillOrgs } from "../orgs.mjs";
import { cell, fillTable, row } from "../table.mjs";

const OUTCOMES = { created: "Created", updated: "Updated", unchanged: "Unchanged", leaver: "Marked as leaver", joined: "Joined", error: "Problem" };

function countsText(c) {
  const parts = [`${c.rows} rows`];
  for (const [key, words] of [["created", "created"], ["updated", "updated"], ["unchanged", "unchanged"], ["leavers", "leavers"], ["joined", "joined"], ["errors", "with a problem"]]) {
    if (c[key]) parts.push(`${c[key]} ${words}`);
  }
  return parts.join(", ");
}

// A run with a summary was refused; a dry run without one would apply.
function resultText(run) {
  if (run.summary) return "Refused: nothing changed";
  return run.dry_run ? "Checked only" : "Applied";
}

function showReport(report) {
  const section = document.getElementById("report");
  const summary = document.getElementById("report-summary");
  summary.textContent = report.summary
    || `${report.dry_run ? "Checked only, nothing changed" : "Done"}: ${countsText(report.counts)}.`;
  document.getElementById("report-csv").href = `/api/v1/imports/${report.id}?format=csv`;
  // Problems first: they are what needs doing.
  const rows = [...report.rows].sort((a, b) => (a.outcome === "error" ? 0 : 1) - (b.outcome === "error" ? 0 : 1) || a.row - b.row);
  fillTable(document.getElementById("report-table"), null, rows.map((r) => row(
    cell("Row", r.row ? String(r.row) : "Not in the file"),
    cell("Outcome", OUTCOMES[r.outcome] ?? r.outcome),
    cell("Email address", r.address || "–"),
    cell("Problem", r.message || "–"),
  )));
  section.hidden = false;
  document.getElementById("report-heading").focus?.();
}

function historyRow(run) {
  return row(
    cell("When", new Date(run.created_at * 1000).toLocaleString("en-GB")),
    cell("By", run.actor),
    cell("Result", resultText(run)),
    cell("Counts", countsText(run.counts)),
    cell("Report", link("Download CSV", `/api/v1/imports/${run.id}?format=csv`)),
  );
}

async function showHistory(ods) {
  if (!ods) return;
  const imports = await api("GET", `/imports?org=${encodeURIComponent(ods)}`);
  fillTable(document.getElementById("history-table"), document.getElementById("history-empty"), imports.items.map(historyRow));
  const syncs = await api("GET", `/orgs/${encodeURIComponent(ods)}/syncs`);
  fillTable(document.getElementById("sync-table"), document.getElementById("sync-empty"), syncs.items.map(historyRow));
}

page(async () => {
  const form = document.getElementById("import-form");
  const orgSelect = document.getElementById("org");
  await fillOrgs(orgSelect, new URLSearchParams(window.location.search).get("org") ?? "");
  await showHistory(orgSelect.value);
  orgSelect.addEventListener("change", () => showHistory(orgSelect.value));
  const progress = document.getElementById("import-progress");
  bindForm(form, async (v) => {
    if (!v.org) throw new FormError("org", "Choose the organisation to load the people into");
    const file = document.getElementById("file").files[0];
    if (!file) throw new FormError("file", "Choose the CSV file to import");
    const csv = await file.text();
    progress.hidden = false;
    document.getElementById("report").hidden = true;
    let report;
    try {
      // The import is idempotent by its keys: a repeat changes nothing.
      report = await api("POST", "/imports", { org: v.org, csv, dry_run: v.dry_run === true });
    } catch (e) {
      // A refused file still has its report: show the rows at fault.
      if (!(e instanceof ApiError) || !e.body?.rows) throw e;
      report = e.body;
    } finally {
      progress.hidden = true;
    }
    showReport(report);
    await showHistory(v.org);
  });
});
