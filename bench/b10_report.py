#!/usr/bin/env python3
"""B10 summary from b10.py's JSON lines (and b10_sink.py's, the sink
alone): medians per system, the ratio, every run, the goal; printed and
(--record) appended to bench/RESULTS.md. Called by run.sh."""
import argparse
import datetime
import json
import os
import statistics

from benchlib import load_jsonl, machine, record, sh

ap = argparse.ArgumentParser()
ap.add_argument("--runs-file", required=True)
ap.add_argument("--sink-file", required=True)
ap.add_argument("--command", required=True)
ap.add_argument("--version", default="?")
ap.add_argument("--build", default="")
ap.add_argument("--workdir", default="/tmp")
ap.add_argument("--loadavg", default="")
ap.add_argument("--fsync", default="")
ap.add_argument("--elapsed", type=int, default=0)
ap.add_argument("--results", required=True)
ap.add_argument("--record", action="store_true")
a = ap.parse_args()
GOAL = 3.0


rows, sink = load_jsonl(a.runs_file), load_jsonl(a.sink_file)
now = datetime.datetime.now(datetime.timezone.utc)
peerv = sh("dpkg-query", "-W", "-f", "${Package} ${Version}", "postfix") or "?"
out = []
w = out.append
w("## %s — B10 (`%s`)" % (now.strftime("%Y-%m-%d %H:%M UTC"), a.command))
w("")
w("- Command: `%s` (%d s in all), caremail %s, build `%s` (release); peer %s from "
  "`../shared/peers/setup.sh`." % (a.command, a.elapsed, a.version,
                                   os.path.basename(a.build.rstrip("/")) or "?", peerv))
w("- Machine: %s. **2 cores shared with others**: \"other CPU\" below is what neither the "
  "system, the sink, the driver nor the harness (the DNS stub, the samplers) used." %
  machine(a.workdir))
w("- Load average at the start of B10: %s." % (a.loadavg or "?"))
if a.fsync:
    try:
        f = json.loads(a.fsync)
        fs = "%.0f /s (p50 %.2f ms, p99 %.2f ms; median of %s)" % (
            f["ops_per_s"], f["p50_ms"], f["p99_ms"], "/".join("%.0f" % x for x in f["all_ops_per_s"]))
    except (ValueError, KeyError, TypeError):
        fs = a.fsync
    w("- Raw 4 KiB pwrite + fdatasync on the instance's filesystem (3 × 2000 appends), before "
      "B10: **%s**; caremail's intake and its queue updates go through the store writer's "
      "group commit (a worker's outcomes in batches of up to 10 messages)." % fs)
if rows:
    r0 = rows[0]
    how = ("each keeping its connection, as an application server sending in bulk does; with one "
           "connection per message caremail's relay would pay its 200 ms greet pause per message"
           if r0.get("reuse") else "one connection per message, as B1")
    w("- Workload: %d messages of %d B submitted over SMTP by `bench/smtp_load.py` (%d sessions, "
      "%s) for %d remote domains `d001…d%03d.b10.example`, one recipient each, every domain in "
      "turn; until the remote servers have accepted all of them. Every domain's MX is in the "
      "tests' DNS stub (`tests/integration/dnsstub.py` on 127.0.10.53:53) and points at one "
      "Postfix `smtp-sink` on 127.0.0.2, which counts what it accepts (`bench/b10_sink.py`)."
      % (r0["n"], r0["size"], r0["conc"], how, r0["domains"], r0["domains"]))
ob = rows[0].get("outbound") if rows else None
outbound = ("outbound: %(workers)s workers, %(max_per_destination)s connections per domain, "
            "%(messages_per_connection)s messages per connection" % ob if ob
            else "`caremail config defaults`")
w("- caremail: the messages come in on its relay listener (127.0.0.1 registered for the org "
  "with `caremail relay add`, `relay.require_tls=off` as the peer takes them in clear too; "
  "`submission.greet_pause_ms` (200 ms) applies to it, once per connection), "
  "are DKIM-signed (RSA-2048) and sent by MX with `dns.servers` = the stub; defaults "
  "otherwise (%s)." % outbound)
w("- Peer: Postfix relays for 127.0.0.0/8; for the run `default_transport = smtp`, "
  "`smtp_tcp_port` = the sink's port, and it is restarted in a mount namespace whose "
  "/etc/resolv.conf names the stub (its resolver is the C library's: resolv.conf and port 53 "
  "only; the machine's own file is not touched), then restored. Defaults otherwise (up to 100 "
  "`smtp` processes, 20 per domain). **Postfix signs nothing** (no OpenDKIM): caremail's "
  "figures include an RSA signature per message, the peer's do not.")
if sink:
    w("- The sink alone (`bench/b10_sink.py`, driven by Postfix's `smtp-source` in C): " +
      "; ".join("%d sessions %s: %d msg/s, %.3f ms of sink CPU per message" % (
          s["sessions"], "reusing connections" if s["reuse"] else "one connection per message",
          s["rate"], s["sink_cpu_ms_per_msg"]) for s in sink) + ".")
w("")
goal_line = "B10 ≥ %g× peer: not measured" % GOAL
by = {s: [r for r in rows if r["system"] == s] for s in ("caremail", "peer")}
if by["caremail"] and by["peer"]:
    med = lambda s, k: statistics.median(r[k] for r in by[s])
    rc, rp = med("caremail", "rate"), med("peer", "rate")
    ratio = rc / rp if rp else float("inf")
    per_run = ", ".join("%.2f" % (c["rate"] / p["rate"]) for c, p in
                        zip(sorted(by["caremail"], key=lambda r: r["run"]),
                            sorted(by["peer"], key=lambda r: r["run"])) if p["rate"])
    met = ratio >= GOAL
    goal_line = "B10 messages/s ≥ %g× peer: %s (%.2f×)" % (GOAL, "met" if met else "**not met**",
                                                          ratio)
    w("| B10 (median of %d) | caremail | peer | caremail / peer | goal |" % len(by["caremail"]))
    w("|---|---|---|---|---|")
    w("| messages/s until all accepted remotely | **%.0f** | **%.0f** | **%.2f×** (per run: %s) "
      "| ≥ %g× → %s |" % (rc, rp, ratio, per_run, GOAL, "met" if met else "**not met**"))
    w("| sender done (all submitted) | %.1f s | %.1f s | | |" % (
        med("caremail", "sender_done_s"), med("peer", "sender_done_s")))
    w("| server CPU per message | %.2f ms | %.2f ms | %.2f | |" % (
        med("caremail", "server_cpu_ms_per_msg"), med("peer", "server_cpu_ms_per_msg"),
        med("caremail", "server_cpu_ms_per_msg") / max(0.001, med("peer",
                                                                  "server_cpu_ms_per_msg"))))
    w("| peak memory | %.1f MiB (VmHWM; one process) | %.1f MiB (peak summed PSS of the "
      "Postfix processes, 1 Hz; largest single VmHWM %.1f MiB) | %.2f | |" % (
          med("caremail", "peak_kb") / 1024, med("peer", "peak_kb") / 1024,
          med("peer", "largest_hwm_kb") / 1024,
          med("caremail", "peak_kb") / max(1, med("peer", "peak_kb"))))
    w("| all accepted by the sink, no errors | %s | %s | | |" % tuple(
        "yes" if all(r["complete"] and not r["errors"] for r in by[s]) else "**no**"
        for s in ("caremail", "peer")))
    w("")
if rows:
    w("| run | system | accepted by sink | end to end | sender done | msg/s | DATA→250 p50 / p99 "
      "ms | CPU system / sink / driver / harness / other | DNS queries | peak memory | notes |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r["system"] == "caremail":
            mem = "%.1f MiB HWM" % (r["peak_kb"] / 1024)
            notes = "queue %s; DKIM-signed %d; %d threads; %d log warnings" % (
                json.dumps(r.get("queue", {})), r.get("dkim_signed", 0), r.get("threads", 0),
                r.get("log_warnings", 0))
        else:
            mem = "%.1f MiB PSS (RSS sum %.1f MiB)" % (r["peak_kb"] / 1024,
                                                       r["peak_rss_sampled_kb"] / 1024)
            notes = "maillog sent %d, deferred %d, bounced %d; left in queue %d" % (
                r.get("log_sent", 0), r.get("log_deferred", 0), r.get("log_bounced", 0),
                r.get("left_in_queue", 0))
        w("| %d | %s | %d/%d | %.1f s | %.1f s | %.0f | %.1f / %.1f | %.1f / %.1f / %.1f / %.1f / "
          "%.1f s | %d | %s | %s |" % (
              r["run"], r["system"], r["taken_by_sink"], r["n"], r["wall_s"], r["sender_done_s"],
              r["rate"], r["data250_p50_ms"], r["data250_p99_ms"], r["server_cpu_s"],
              r["sink_cpu_s"], r["driver_cpu_s"], r["harness_cpu_s"], r["other_cpu_s"],
              r["dns_queries"], mem, notes))
    w("")
w("Goal: " + goal_line + ".")
w("")
text = "\n".join(out)
print(text)
if a.record:
    record(text, a.results)
