#!/usr/bin/env python3
"""Summarise one bench/run.sh invocation: medians per system, the ratio to the
peer, machine facts; print it, and with --record append it as a dated section
to bench/RESULTS.md (earlier sections are kept)."""
import argparse, datetime, json, os, platform, statistics, subprocess

ap = argparse.ArgumentParser()
ap.add_argument("--b1", required=True)
ap.add_argument("--fsync", required=True)
ap.add_argument("--fsync-after", required=True)
ap.add_argument("--command", required=True)
ap.add_argument("--runs", type=int, required=True)
ap.add_argument("--version", default="unknown")
ap.add_argument("--build", default="")
ap.add_argument("--workdir", required=True)
ap.add_argument("--loadavg", default="")
ap.add_argument("--peer-versions", default="")
ap.add_argument("--elapsed", type=int, default=0)
ap.add_argument("--results", required=True)
ap.add_argument("--record", action="store_true")
a = ap.parse_args()


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def machine():
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), platform.machine())
    src, fstype = (sh("findmnt", "-no", "SOURCE,FSTYPE", "-T", a.workdir).split() + ["?", "?"])[:2]
    dev = os.path.basename(src)
    rot = sh("cat", "/sys/block/%s/queue/rotational" % dev) or "?"
    size = sh("lsblk", "-dno", "SIZE", src) or "?"
    return ("%d CPUs (%s), %.1f GiB RAM, Linux %s; instance filesystem %s on %s (%s, %s, "
            "rotational=%s)" % (len(os.sched_getaffinity(0)), model, mem / 1048576,
                                platform.release(), sh("findmnt", "-no", "TARGET", "-T", a.workdir),
                                src, fstype, size, rot))


rows = [json.loads(l) for l in open(a.b1) if l.strip()]
fs, fs2 = json.loads(a.fsync), json.loads(a.fsync_after)
by = {s: [r for r in rows if r["system"] == s] for s in ("caremail", "peer")}
med = lambda s, k: statistics.median(r[k] for r in by[s]) if by[s] else float("nan")
mib = lambda kb: "%.1f MiB" % (kb / 1024)

c_rate, p_rate = med("caremail", "rate"), med("peer", "rate")
ratio = c_rate / p_rate if p_rate else float("nan")
pair = []
for r in by["caremail"]:
    p = next((x for x in by["peer"] if x["run"] == r["run"]), None)
    if p and p["rate"]:
        pair.append(r["rate"] / p["rate"])
c_p99, p_p99 = med("caremail", "data250_p99_ms"), med("peer", "data250_p99_ms")
complete = all(r["complete"] and r["errors"] == 0 for r in rows)
n0 = rows[0]
now = datetime.datetime.now(datetime.timezone.utc)

out = []
w = out.append
w("## %s — B1 (`%s`)" % (now.strftime("%Y-%m-%d %H:%M UTC"), a.command))
w("")
w("- Command: `%s` (BENCH_RUNS=%d; %d s in all), caremail %s, build `%s` (release)"
  % (a.command, a.runs, a.elapsed, a.version, os.path.relpath(a.build, os.getcwd())
     if a.build else "?"))
w("- Machine: %s" % machine())
fsd = lambda f: "**%.0f /s** (p50 %.2f ms, p99 %.2f ms; median of %s)" % (
    f["ops_per_s"], f["p50_ms"], f["p99_ms"], "/".join("%.0f" % x for x in f["all_ops_per_s"]))
w("- Raw 4 KiB pwrite + fdatasync on the instance's filesystem (%d × %d appends): before %s; "
  "after %s" % (fs["reps"], fs["count"], fsd(fs), fsd(fs2)))
w("- Load average at start: %s. \"other CPU\" below is machine CPU time used by neither the "
  "server's processes nor the driver: other work on the shared box, plus kernel threads "
  "(writeback, flushes) working for the server." % a.loadavg)
w("- Peer: %s, from `../shared/peers/setup.sh` on loopback (Postfix → LMTP → Dovecot Maildir)."
  % (a.peer_versions or "Postfix + Dovecot"))
w("- Workload: %d messages of %d B to %d mailboxes over %d concurrent sessions, %s, driven by "
  "`bench/smtp_load.py` with the same arguments for both. End to end = from the first connect "
  "until all %d are visible (caremail: `COUNT(*) FROM messages`; peer: files in the Maildirs "
  "and an empty Postfix queue). DATA→250 = from sending `DATA` to the 250 after the final dot."
  % (n0["n"], n0["size"], n0["rcpts"], n0["conc"], "persistent connection per session"
     if n0.get("reuse") else "one connection per message", n0["n"]))
w("")
w("| B1 (median of %d) | caremail | peer | caremail / peer | goal |" % a.runs)
w("|---|---|---|---|---|")
w("| messages/s end to end | **%.0f** | **%.0f** | **%.2f×** (per run: %s) | ≥ 3× → %s |"
  % (c_rate, p_rate, ratio, ", ".join("%.2f" % x for x in pair),
     "met" if ratio >= 3 else "not met"))
w("| DATA→250 p50 | %.1f ms | %.1f ms | %.2f | |" % (med("caremail", "data250_p50_ms"),
  med("peer", "data250_p50_ms"), med("caremail", "data250_p50_ms") / med("peer", "data250_p50_ms")))
w("| DATA→250 p99 | %.1f ms | %.1f ms | %.2f | ≤ peer → %s |" % (c_p99, p_p99, c_p99 / p_p99,
  "met" if c_p99 <= p_p99 else "not met"))
w("| dot→250 p99 (commit wait) | %.1f ms | %.1f ms | | |" % (med("caremail", "dot250_p99_ms"),
  med("peer", "dot250_p99_ms")))
w("| server CPU per message | %.2f ms | %.2f ms | %.2f | |" % (
  med("caremail", "server_cpu_ms_per_msg"), med("peer", "server_cpu_ms_per_msg"),
  med("caremail", "server_cpu_ms_per_msg") / med("peer", "server_cpu_ms_per_msg")))
w("| peak memory | %s (VmHWM; one process) | %s (peak summed PSS of all Postfix + Dovecot "
  "processes, sampled at 1 Hz; summed RSS %s; largest single process VmHWM %s) | %.2f (PSS) | |" % (
      mib(med("caremail", "peak_rss_kb")), mib(med("peer", "peak_pss_sampled_kb")),
      mib(med("peer", "peak_rss_sampled_kb")), mib(med("peer", "peak_rss_kb")),
      med("caremail", "peak_pss_sampled_kb") / med("peer", "peak_pss_sampled_kb")))
w("| all delivered, no errors | %s | %s | | |" % (
  "yes" if all(r["complete"] and not r["errors"] for r in by["caremail"]) else "**NO**",
  "yes" if all(r["complete"] and not r["errors"] for r in by["peer"]) else "**NO**"))
w("")
w("| run | system | delivered | end to end | sender done | msg/s | DATA→250 p50 / p99 / max ms "
  "| server CPU | driver CPU | other CPU | machine busy / iowait | peak memory |")
w("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in sorted(rows, key=lambda r: (r["run"], r["system"])):
    rss = (mib(r["peak_rss_kb"]) + " HWM" if r["system"] == "caremail" else
           mib(r["peak_pss_sampled_kb"]) + " PSS (RSS sum " + mib(r["peak_rss_sampled_kb"]) + ")")
    w("| %d | %s | %d/%d%s | %.1f s | %.1f s | %.0f | %.1f / %.1f / %.1f | %.1f s | %.1f s | "
      "%.1f s | %.0f%% / %.0f%% | %s |" % (
          r["run"], r["system"], r["delivered"], r["n"],
          (" (%d errors)" % r["errors"]) if r["errors"] else "", r["wall_s"], r["sender_done_s"],
          r["rate"], r["data250_p50_ms"], r["data250_p99_ms"], r["data250_max_ms"],
          r["server_cpu_s"], r["driver_cpu_s"], r["other_cpu_s"], r["machine_busy_pct"],
          r["machine_iowait_pct"], rss))
threads = [r for r in by["caremail"] if r.get("thread_cpu_s")]
if threads:
    w("")
    w("caremail CPU by thread over each run (s): " + "; ".join(
        "run %d: %s" % (r["run"], ", ".join("%s %.1f" % (k, v) for k, v in
                                           sorted(r["thread_cpu_s"].items(), key=lambda kv: -kv[1]) if v >= 0.05))
        for r in threads))
if not complete:
    w("")
    w("**Warning:** not every run delivered all messages without errors: %s" % "; ".join(
        "%s run %d: %s" % (r["system"], r["run"], r["first_errors"][:2]) for r in rows
        if r["errors"] or not r["complete"]))
text = "\n".join(out) + "\n"
print()
print(text)
if a.record:
    new = not os.path.exists(a.results) or os.path.getsize(a.results) == 0
    with open(a.results, "a") as f:
        if new:
            f.write("# caremail benchmark results\n\nOne section per `bench/run.sh` run, appended "
                    "(oldest first); see bench/README.md for what each figure means.\n\n")
        else:
            f.write("\n")
        f.write(text)
    print("recorded in %s" % a.results)
