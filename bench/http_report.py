#!/usr/bin/env python3
"""B5 and B9 summary from http_load.py's JSON lines: medians per benchmark
and transport, every run, the goals; printed and (--record) appended to
bench/RESULTS.md. Called by run.sh."""
import argparse
import datetime
import os
import statistics

from benchlib import load_jsonl, machine, record, sh

ap = argparse.ArgumentParser()
ap.add_argument("--runs-file", required=True)
ap.add_argument("--command", required=True)
ap.add_argument("--version", default="?")
ap.add_argument("--build", default="")
ap.add_argument("--workdir", default="/tmp")
ap.add_argument("--loadavg", default="")
ap.add_argument("--elapsed", type=int, default=0)
ap.add_argument("--results", required=True)
ap.add_argument("--record", action="store_true")
a = ap.parse_args()

GOALS = {"B5": (5000, 10.0), "B9": (10000, 20.0)}  # (req/s at least, p99 ms below)
WHAT = {"B5": "People Finder (`GET /api/v1/people?q=…`, org and site type filters)",
        "B9": "API reads (`GET /api/v1/users/{address}`)"}


rows = load_jsonl(a.runs_file)
now = datetime.datetime.now(datetime.timezone.utc)
benches = [b for b in ("B5", "B9") if any(r["bench"] == b for r in rows)]
wrkv = sh("dpkg-query", "-W", "-f", "${Version}", "wrk") or "?"
out = []
w = out.append
w("## %s — %s (`%s`)" % (now.strftime("%Y-%m-%d %H:%M UTC"), ", ".join(benches) or "nothing",
                         a.command))
w("")
w("- Command: `%s` (%d s in all), caremail %s, build `%s` (release); load driver wrk %s "
  "(Debian), `bench/http_load.py` + `bench/wrk_paths.lua`" % (a.command, a.elapsed, a.version,
                                                             os.path.basename(a.build.rstrip("/")) or "?", wrkv))
w("- Machine: %s. wrk runs on the same 2 cores as the server (2 threads); its CPU is in the "
  "tables (\"wrk cores\")." % machine(a.workdir))
w("- Load average at start: %s (per run in the tables). During a run it counts the server's own "
  "runnable threads (one per connection: 16 or 64), so it says little about others; \"other\" "
  "CPU (used by neither the server nor wrk) does: near 0 means the machine was ours." % a.loadavg)
w("- Peer: — (PERFORMANCE.md names none for B5 and B9).")
if rows:
    r0 = rows[0]
    w("- Data: %d people in %d orgs (one site each, five site types), written in SQL by "
      "`b5_finder.fill()` (%s s), People Finder index built by the migration at the next open (%s s). "
      "Server: `caremail serve` with only HTTP on, `ratelimit.search_per_person=1000000` (one "
      "session serves all of B5's connections), loopback."
      % (r0["people"], r0["orgs"], r0.get("fill_s", "?"), r0.get("migration_s", "?")))
w("")
goal_lines = []
for b in benches:
    br = [r for r in rows if r["bench"] == b]
    conns = br[0]["conns"]
    rps_goal, p99_goal = GOALS[b]
    w("### %s — %s, %d connections" % (b, WHAT[b], conns))
    w("")
    if b == "B5":
        mix = br[0].get("mix") or {}
        w("- As a plain person (no admin tags in the results). %d search paths rotated, made from "
          "the fill's name lists: %s. Mean results per search %s (the default page: 100 before 2026-12-04, then dir.people_search_page = 25)."
          % (br[0]["paths"], ", ".join("%s %d" % kv for kv in mix.items()),
             br[0]["check"].get("items_mean")))
    else:
        w("- As the Global Admin (TOTP enrolled). %d addresses of people picked at random from all "
          "orgs, rotated." % br[0]["paths"])
    w("- Each run: `wrk -t%d -c%d -d%ds --latency -s bench/wrk_paths.lua` after a %s warm-up; "
      "latency is wrk's (from sending to the whole reply). Before the runs, 200 of the paths "
      "one at a time (all must be 200): \"serial\"."
      % (br[0]["threads"], conns, round(br[0]["duration_s"]), "%s s" % br[0].get("warmup_s", "?")))
    w("")
    w("| %s (median of runs) | requests/s | p50 ms | p99 ms | serial p50 / p99 ms | server cores "
      "| server CPU per request | wrk cores | goal (≥ %d/s, p99 < %g ms) |" % (b, rps_goal, p99_goal))
    w("|---|---|---|---|---|---|---|---|---|")
    for tls, paced in ((False, 0), (True, 0), (False, 1), (True, 1)):
        # Runs paced at a rate (http_load.py --b5-rate/--b9-rate) apart
        # from those as fast as the connections go.
        tr = [r for r in br if r["tls"] == tls and bool(r.get("rate_asked")) == bool(paced)]
        if not tr:
            continue
        med = lambda k: statistics.median(r[k] for r in tr)
        rps, p50, p99 = med("rps"), med("p50_ms"), med("p99_ms")
        ok_r, ok_p = rps >= rps_goal, p99 < p99_goal
        goal = "%s; %s" % ("req/s met" if ok_r else "**req/s not met**",
                           "p99 met" if ok_p else "**p99 not met**")
        name = "HTTPS (TLS)" if tls else "HTTP (plain)"
        if paced:
            name += ", paced at %g/s" % tr[0]["rate_asked"]
        goal_lines.append("%s %s req/s ≥ %d: %s; p99 < %g ms: %s" % (
            b, name, rps_goal, "met" if ok_r else "**not met**", p99_goal,
            "met" if ok_p else "**not met**"))
        w("| %s | **%.0f** | %.2f | **%.2f** | %.2f / %.2f | %.2f | %.3f ms | %.2f | %s |" % (
            name, rps, p50, p99, tr[0]["check"]["serial_p50_ms"], tr[0]["check"]["serial_p99_ms"],
            med("server_cores"), med("server_cpu_per_req_ms"), med("wrk_cores"), goal))
    w("")
    w("| run | transport | load | requests | req/s | p50 / p90 / p99 / p99.9 / max ms | errors "
      "(non-2xx) | CPU server / wrk / other | server threads (peak), VmHWM |")
    w("|---|---|---|---|---|---|---|---|---|")
    for r in br:
        w("| %d | %s%s | %.2f | %d | %.0f | %.2f / %.2f / %.2f / %.2f / %.1f | %d (%d) | %.1f / %.1f / "
          "%.1f s in %.1f s | %d, %.1f MiB |" % (
              r["run"], "TLS" if r["tls"] else "plain",
              ", paced at %g/s" % r["rate_asked"] if r.get("rate_asked") else "", r["load1"], r["requests"], r["rps"],
              r["p50_ms"], r["p90_ms"], r["p99_ms"], r["p999_ms"], r["max_ms"], r["errors"],
              r["non2xx"], r["server_cpu_s"], r["client_cpu_s"], r["other_cpu_s"], r["wall_s"],
              r["threads_peak"], r["vmhwm_kb"] / 1024))
    w("")
w("Goals: " + "; ".join(goal_lines) + ".")
w("")
text = "\n".join(out)
print(text)
if a.record:
    record(text, a.results)
