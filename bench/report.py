#!/usr/bin/env python3
"""Summarise one bench/run.sh invocation (B1, B3, B4: whichever ran): medians
per system, the ratio to the peer, machine facts; print it, and with --record
append it as a dated section to bench/RESULTS.md (earlier sections are kept)."""
import argparse, datetime, json, os, platform, statistics
from benchlib import load_jsonl, record, sh

ap = argparse.ArgumentParser()
ap.add_argument("--b1", default="")
ap.add_argument("--b3", default="")
ap.add_argument("--b3-prep", default="")
ap.add_argument("--b4", default="")
ap.add_argument("--loadavg-b1", default="")
ap.add_argument("--loadavg-b3", default="")
ap.add_argument("--loadavg-b4", default="")
ap.add_argument("--drop-caches", default="0")
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


b1_rows, b3_rows, b3_prep, b4_rows = (load_jsonl(p) for p in (a.b1, a.b3, a.b3_prep, a.b4))
fs, fs2 = json.loads(a.fsync), json.loads(a.fsync_after)
now = datetime.datetime.now(datetime.timezone.utc)
mib = lambda kb: "%.1f MiB" % (kb / 1024)
done = [n for n, r in (("B1", b1_rows), ("B3", b3_rows), ("B4", b4_rows)) if r]
goals = []  # (benchmark, goal, met)

out = []
w = out.append
w("## %s — %s (`%s`)" % (now.strftime("%Y-%m-%d %H:%M UTC"), ", ".join(done) or "nothing", a.command))
w("")
w("- Command: `%s` (BENCH_RUNS=%d; %d s in all), caremail %s, build `%s` (release)"
  % (a.command, a.runs, a.elapsed, a.version, os.path.relpath(a.build, os.getcwd())
     if a.build else "?"))
w("- Machine: %s" % machine())
fsd = lambda f: "**%.0f /s** (p50 %.2f ms, p99 %.2f ms; median of %s)" % (
    f["ops_per_s"], f["p50_ms"], f["p99_ms"], "/".join("%.0f" % x for x in f["all_ops_per_s"]))
w("- Raw 4 KiB pwrite + fdatasync on the instance's filesystem (%d × %d appends): before %s; "
  "after %s" % (fs["reps"], fs["count"], fsd(fs), fsd(fs2)))
w("- Load average at start: %s%s. \"other CPU\" below is machine CPU time used by neither the "
  "server's processes nor the driver: other work on the shared box, plus kernel threads "
  "(writeback, flushes) working for the server." % (a.loadavg, "".join(
      "; at the start of %s: %s" % (n, l) for n, l in (("B1", a.loadavg_b1), ("B3", a.loadavg_b3),
                                                       ("B4", a.loadavg_b4)) if l)))
w("- Peer: %s, from `../shared/peers/setup.sh` on loopback (Postfix → LMTP → Dovecot Maildir)."
  % (a.peer_versions or "Postfix + Dovecot"))


def b1_label(r):
    """caremail on SQLite is "caremail"; on PostgreSQL it says so, and its nodes."""
    if r.get("store") == "postgresql":
        return "caremail, postgresql, %d node%s" % (r["nodes"], "" if r["nodes"] == 1 else "s")
    return r["system"]


def b1_report(rows):
    pg_rows = [r for r in rows if r.get("store") == "postgresql"]
    rows = [r for r in rows if r.get("store") != "postgresql"]
    by = {s: [r for r in rows if r["system"] == s] for s in ("caremail", "peer")}
    med = lambda s, k: statistics.median(r[k] for r in by[s]) if by[s] else float("nan")

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

    w("")
    w("### B1 — SMTP intake")
    w("")
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
    for r in sorted(rows + pg_rows, key=lambda r: (r["run"], b1_label(r))):
        rss = (mib(r["peak_rss_kb"]) + " HWM" if r["system"] == "caremail" else
               mib(r["peak_pss_sampled_kb"]) + " PSS (RSS sum " + mib(r["peak_rss_sampled_kb"]) + ")")
        w("| %d | %s | %d/%d%s | %.1f s | %.1f s | %.0f | %.1f / %.1f / %.1f | %.1f s | %.1f s | "
          "%.1f s | %.0f%% / %.0f%% | %s |" % (
              r["run"], b1_label(r), r["delivered"], r["n"],
              (" (%d errors)" % r["errors"]) if r["errors"] else "", r["wall_s"], r["sender_done_s"],
              r["rate"], r["data250_p50_ms"], r["data250_p99_ms"], r["data250_max_ms"],
              r["server_cpu_s"], r["driver_cpu_s"], r["other_cpu_s"], r["machine_busy_pct"],
              r["machine_iowait_pct"], rss))
    if pg_rows:
        w("")
        w("On PostgreSQL (BENCH_PG=1; the same template moved by `caremail migrate` onto a "
          "throwaway PostgreSQL 15 cluster on this machine, `synchronous_commit = on`): the "
          "server CPU counts the postmaster's processes too; with two nodes the driver's "
          "connections alternate between them. No goal is set apart for PostgreSQL; the "
          "peer's figure is the one above.")
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
    goals.append(("B1", "messages/s ≥ 3× peer", ratio >= 3))
    goals.append(("B1", "DATA→250 p99 ≤ peer", c_p99 <= p_p99))


OPS = [("select", "SELECT INBOX", 1.0), ("fetch_flags", "UID FETCH 1:* (FLAGS)", 1.0),
       ("fetch_envelope", "FETCH 1:* (ENVELOPE)", 1.0), ("search_subject", "UID SEARCH SUBJECT foo", 1.0),
       ("search_text", "UID SEARCH TEXT foo", 0.25)]


def ms(x):
    return "%.0f ms" % (x * 1000) if x >= 0.1 else "%.1f ms" % (x * 1000)


def b3_report(rows, prep):
    by = {s: [r for r in rows if r["system"] == s] for s in ("caremail", "peer")}
    pr = {r["system"]: r for r in prep}

    def vals(sysname, label, key):
        return [p[key] for r in by[sysname] for p in r["passes"] if p["label"] == label and key in p]

    def med(sysname, label, key):
        v = vals(sysname, label, key)
        return statistics.median(v) if v else float("nan")

    n = pr.get("caremail", {}).get("messages") or pr.get("peer", {}).get("messages") or "?"
    w("")
    w("### B3 — IMAP on one mailbox of %s messages" % n)
    w("")
    w("- Corpus: `../shared/peers/imap_fill.py` (deterministic: subjects and bodies from a word list, "
      "500–8,000 B bodies, ~70%% \\Seen, 5%% \\Flagged; `foo` in 1 subject in 100 and 1 body in 100) "
      "written into the peer's Maildir%s; caremail got the same files by IMAP APPEND (LF → CRLF, the same "
      "flags and internal dates)%s. Neither fill is timed into the results."
      % (" (%.0f s)" % pr["peer"]["fill_s"] if pr.get("peer", {}).get("fill_s") else
         " (kept from an earlier invocation)" if pr.get("peer") else "",
         " in %.0f s (%d connections, group commit)" % (pr["caremail"]["fill_s"],
                                                          8) if pr.get("caremail") else ""))
    w("- Storage: caremail's database %s; the peer's Maildir %s, of which Dovecot's index and cache %s."
      % (mib(pr.get("caremail", {}).get("db_bytes", 0) / 1024), mib(pr.get("peer", {}).get("maildir_bytes", 0) / 1024),
         mib(pr.get("peer", {}).get("index_bytes", 0) / 1024)))
    w("- Each run, per system: the server restarted (caremail: a new `caremail serve`; peer: the Dovecot "
      "master stopped and started), %s then two passes of `bench/imap_bench.py bench`, each on a new "
      "connection: **cold** (the first after the restart) and **warm**. Each operation is timed from "
      "sending the command to reading its tagged OK (the response streamed and counted, not parsed, as "
      "the peer's `imap_bench.py` does). The peer's index was built once beforehand (\"initial\" below: "
      "as LMTP delivery would have), so cold measures %s, not index building."
      % ("the page cache dropped (`sync; echo 3 > /proc/sys/vm/drop_caches`, for both),"
         if a.drop_caches == "1" else "the page cache **not** dropped,",
         "a cold page cache and a new server process" if a.drop_caches == "1" else
         "a new server process only (the page cache was not dropped)"))
    w("- Transport: caremail over **STARTTLS** (it refuses LOGIN in plaintext); the peer in "
      "**plaintext**: `setup.sh` configures Dovecot with `ssl = no`, so it cannot do TLS. On loopback "
      "TLS adds little next to these operations (its cost is in caremail's figures, not the peer's).")
    w("")
    def med_alone(sysname, key):
        v = [r["alone"][key] for r in by[sysname] if key in r.get("alone", {})]
        return statistics.median(v) if v else float("nan")

    has_alone = any("alone" in r for r in rows)
    w("| B3 operation (median of %d) | caremail cold | peer cold | ratio | caremail warm | peer warm "
      "| ratio | %sgoal |" % (a.runs, "caremail cold, alone | peer cold, alone | ratio | " if has_alone else ""))
    w("|---|---|---|---|---|---|---|%s---|" % ("---|---|---|" if has_alone else ""))
    for key, name, goal in OPS:
        cc, pc = med("caremail", "cold", key + "_s"), med("peer", "cold", key + "_s")
        cw, pw = med("caremail", "warm", key + "_s"), med("peer", "warm", key + "_s")
        met = cc <= goal * pc and cw <= goal * pw
        alone = ""
        note = ""
        if has_alone:
            if key == "select":
                alone = "(as cold) | | | "
            else:
                ca, pa = med_alone("caremail", key + "_s"), med_alone("peer", key + "_s")
                alone = "%s | %s | **%.2f** | " % (ms(ca), ms(pa), ca / pa)
                note = " (alone cold: %s)" % ("met" if ca <= goal * pa else "not met")
        goals.append(("B3", "%s ≤ %speer (cold and warm)" % (name, "¼ of " if goal < 1 else ""),
                      ("met" if met else "**not met**") + note))
        w("| %s | %s | %s | **%.2f** | %s | %s | **%.2f** | %s%s → %s%s |" % (
            name, ms(cc), ms(pc), cc / pc, ms(cw), ms(pw), cw / pw, alone,
            "≤ ¼ of peer" if goal < 1 else "≤ peer", "met" if met else "**not met**", note))

    cl, pl = med("caremail", "warm", "connect_login_s"), med("peer", "warm", "connect_login_s")
    w("| (connect + TLS + LOGIN, warm) | | | | %s | %s | %.2f | %s— |" % (ms(cl), ms(pl), cl / pl,
                                                                       "| | | " if has_alone else ""))
    def med_append(sysname, key):
        v = [r["append"][key] for r in by[sysname] if key in r.get("append", {})]
        return statistics.median(v) if v else float("nan")

    if any("append" in r for r in rows):
        na = med_append("caremail", "appended")
        ca, pa = med_append("caremail", "wall_s"), med_append("peer", "wall_s")
        met = ca <= pa
        goals.append(("B3", "APPEND of %d messages one at a time ≤ peer" % na,
                      "met" if met else "**not met**"))
        w("| APPEND %d messages one at a time (total; p50 / p99 each) | | | | %s (%.1f / %.1f ms) "
          "| %s (%.1f / %.1f ms) | **%.2f** | %s≤ peer → %s |" % (
              na, ms(ca), med_append("caremail", "p50_ms"), med_append("caremail", "p99_ms"),
              ms(pa), med_append("peer", "p50_ms"), med_append("peer", "p99_ms"), ca / pa,
              "| | | " if has_alone else "", "met" if met else "**not met**"))
    if has_alone:
        w("")
        w("Cold is the first pass after the restart, in the order above (as the peer's `imap_bench.py` "
          "runs them), so an operation's cold figure also depends on what the ones before it read "
          "into the page cache. \"Cold, alone\" runs each operation once more as the only one after "
          "its own restart and cache drop (sign in, SELECT, the operation): the cost of that "
          "operation on a cold cache by itself. The goal is judged on cold and warm as PERFORMANCE.md "
          "defines them; the alone figures are shown beside it.")
    hits = {}
    for sname in ("caremail", "peer"):
        for k in ("search_subject_hits", "search_text_hits", "fetch_envelope_responses", "fetch_flags_responses"):
            hits.setdefault(k, {})[sname] = sorted(set(vals(sname, "cold", k) + vals(sname, "warm", k)))
    w("")
    w("Answers (each must be the same on both): %s." % "; ".join(
        "%s caremail %s, peer %s%s" % (k.replace("_", " "), "/".join(map(str, v["caremail"])),
                                       "/".join(map(str, v["peer"])),
                                       "" if v["caremail"] == v["peer"] else " **DIFFER**")
        for k, v in hits.items()))
    w("Bytes sent: FETCH FLAGS caremail %.2f MB, peer %.2f MB; FETCH ENVELOPE caremail %.2f MB, peer %.2f MB."
      % (med("caremail", "warm", "fetch_flags_bytes") / 1e6, med("peer", "warm", "fetch_flags_bytes") / 1e6,
         med("caremail", "warm", "fetch_envelope_bytes") / 1e6, med("peer", "warm", "fetch_envelope_bytes") / 1e6))
    if pr:
        w("First open after the fill (\"initial\", one pass, not a goal; the peer's includes building "
          "Dovecot's index and cache from the Maildir): " + "; ".join(
              "%s: %s" % (sname, ", ".join("%s %s" % (name.split(" ")[0] if key == "select" else name, ms(pr[sname]["initial"][key + "_s"]))
                                         for key, name, _ in OPS if key + "_s" in pr[sname]["initial"]))
              for sname in ("caremail", "peer") if sname in pr and "initial" in pr[sname]) + ".")
    w("")
    w("| run | system | pass | load | SELECT | FETCH FLAGS | FETCH ENVELOPE | SEARCH SUBJECT | SEARCH TEXT "
      "| server CPU (SELECT / FLAGS / ENV / SUBJ / TEXT) | peak memory; CPU over both passes: server / client / other |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["run"], r["system"])):
        mem = (mib(r["peak_rss_kb"]) + " HWM" if r["system"] != "peer" else
               mib(r["peak_pss_sampled_kb"]) + " PSS (RSS sum %s, largest process %s)" % (
                   mib(r["peak_rss_sampled_kb"]), mib(r["peak_rss_kb"])))
        for p in r["passes"]:
            w("| %d | %s | %s | %s | %s | %s |" % (
                r["run"], r["system"], p["label"], r.get("loadavg", "").split(" ")[0],
                " | ".join(ms(p[k + "_s"]) for k, _, _ in OPS),
                " / ".join("%.2f" % p.get(k + "_server_cpu_s", float("nan")) for k, _, _ in OPS)
                + " s" + (" | " + mem if p["label"] == "cold" else
                          " | %s" % ("CPU %.1f / %.1f / %.1f s in %.1f s" % (
                              r["server_cpu_s"], r["client_cpu_s"], r["other_cpu_s"], r["wall_s"])
                              if "other_cpu_s" in r else ""))))
    pg = [r for r in rows if r["system"] == "caremail-pg"]
    if pg:
        w("")
        w("caremail on **PostgreSQL** (`BENCH_PG=1`: the same instance moved by `caremail migrate` "
          "onto a throwaway cluster on this machine; the operations go to one node, beside which "
          "the others run), medians, beside SQLite and the peer from the same invocation. Server "
          "CPU over both passes includes PostgreSQL's processes.")
        w("")
        w("| B3 operation | nodes | PostgreSQL cold | warm | SQLite cold | warm | peer cold | warm |")
        w("|---|---|---|---|---|---|---|---|")
        for nodes in sorted({r["nodes"] for r in pg}):
            rs = [r for r in pg if r["nodes"] == nodes]
            for key, name, _ in OPS:
                def pmed(label):
                    v = [p[key + "_s"] for r in rs for p in r["passes"] if p["label"] == label]
                    return statistics.median(v) if v else float("nan")
                w("| %s | %d | %s | %s | %s | %s | %s | %s |" % (
                    name, nodes, ms(pmed("cold")), ms(pmed("warm")),
                    ms(med("caremail", "cold", key + "_s")), ms(med("caremail", "warm", key + "_s")),
                    ms(med("peer", "cold", key + "_s")), ms(med("peer", "warm", key + "_s"))))
            w("| (server + PostgreSQL CPU, both passes; database size) | %d | %.1f s | | | | | %s |" % (
                nodes, statistics.median(r["server_cpu_s"] for r in rs),
                mib(statistics.median(r["db_bytes"] for r in rs) / 1024)))
    w("")
    w("Peak memory over B3 (median): caremail %s (VmHWM, one process); peer %s (peak summed PSS of "
      "Dovecot's processes, 1 Hz; largest single process VmHWM %s)." % (
          mib(statistics.median(r["peak_rss_kb"] for r in by["caremail"])),
          mib(statistics.median(r["peak_pss_sampled_kb"] for r in by["peer"])),
          mib(statistics.median(r["peak_rss_kb"] for r in by["peer"]))))


def b4_report(rows):
    by = {s: [r for r in rows if r["system"] == s] for s in ("caremail", "peer")}
    med = lambda s, k: statistics.median(r[k] for r in by[s] if k in r) if by[s] else float("nan")
    k = by["caremail"][0]["conns_wanted"] if by["caremail"] else by["peer"][0]["conns_wanted"]
    w("")
    w("### B4 — %d idle IMAP connections (IDLE)" % k)
    w("")
    w("- Each run, per system: the server started afresh (caremail with `imap.max_sessions=%d` and `imap.max_per_ip=0`; "
      "peer: Dovecot restarted), one sign-in and out (one-off start-up work), memory measured, then "
      "%d connections opened by `bench/imap_bench.py idle` (4 at a time): LOGIN as user0001… "
      "(each its own person), SELECT INBOX (empty on both), IDLE, and the \"+ idling\" awaited; "
      "5 s to settle, memory measured again. Per connection = (with %d idle − before) / %d."
      % (k + 100, k, k, k))
    w("- caremail: **VmRSS of its one process** (`/proc/PID/status`; its PSS alongside). Peer: "
      "**summed PSS of the Dovecot master and all its descendants** (one `imap` process per "
      "connection), the method B1 uses for the peer's memory; their summed RSS alongside (it "
      "counts shared pages once per process). caremail's connections are over STARTTLS (so its "
      "figure includes each connection's TLS state); the peer's are in plaintext (`ssl = no`).")
    w("")
    c, p = med("caremail", "per_conn_kb"), med("peer", "per_conn_kb")
    met = c <= 0.2 * p  # PERFORMANCE.md: ≤ ⅕ of the peer (≤ ½ was the goal before)
    goals.append(("B4", "memory per idle connection ≤ ⅕ peer", met))
    w("| B4 (median of %d) | caremail | peer | caremail / peer | goal |" % a.runs)
    w("|---|---|---|---|---|")
    w("| **memory per idle connection** | **%.0f KiB** (VmRSS) | **%.0f KiB** (summed PSS) | **%.2f** "
      "| ≤ ⅕ → %s |" % (c, p, c / p, "met" if met else "**not met**"))
    w("| … as RSS | %.0f KiB | %.0f KiB (summed RSS) | | |" % (med("caremail", "rss_per_conn_kb"),
                                                          med("peer", "rss_per_conn_kb")))
    w("| … as PSS | %.0f KiB | %.0f KiB | %.2f | |" % (med("caremail", "pss_per_conn_kb"),
                                                      med("peer", "pss_per_conn_kb"),
                                                      med("caremail", "pss_per_conn_kb") / med("peer", "pss_per_conn_kb")))
    w("| … as the machine's MemAvailable drop (noisy) | %.0f KiB | %.0f KiB | | |" % (
        med("caremail", "memavail_per_conn_kb"), med("peer", "memavail_per_conn_kb")))
    w("| server CPU while %d sessions idle | %.1f%% of a core | %.1f%% of a core | | |" % (
        k, med("caremail", "idle_cpu_pct"), med("peer", "idle_cpu_pct")))
    w("| time to open all (TLS/plain + LOGIN + SELECT + IDLE) | %.1f s | %.1f s | | |" % (
        med("caremail", "open_s"), med("peer", "open_s")))
    if all("done_p50_ms" in r for r in rows):
        w("| DONE → tagged OK (50 connections one at a time), p50 / max | %.1f / %.1f ms | %.1f / %.1f ms | | |" % (
            med("caremail", "done_p50_ms"), med("caremail", "done_max_ms"),
            med("peer", "done_p50_ms"), med("peer", "done_max_ms")))
    w("")
    w("| run | system | load | connections (errors) | processes / threads before → with | "
      "RSS before → with | PSS before → with | per connection (goal figure) | CPU server / client / other |")
    w("|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["run"], r["system"])):
        if r["system"] == "caremail":
            before, with_ = r["vmrss_before_kb"], r["vmrss_with_kb"]
        else:
            before, with_ = r["pss_before_kb"], r["pss_with_kb"]
        w("| %d | %s | %s | %d%s | %d / %d → %d / %d | %s → %s | %s → %s | %.0f KiB (%s %s → %s) |" % (
            r["run"], r["system"], r.get("loadavg", "").split(" ")[0], r["conns"],
            " (%d errors)" % r["errors"] if r["errors"] else "",
            r["procs_before"], r["threads_before"], r["procs_with"], r["threads_with"],
            mib(r["rss_before_kb"]), mib(r["rss_with_kb"]), mib(r["pss_before_kb"]), mib(r["pss_with_kb"]),
            r["per_conn_kb"], "VmRSS" if r["system"] == "caremail" else "PSS sum", mib(before), mib(with_))
          + (" %.1f / %.1f / %.1f s in %.0f s |" % (r["server_cpu_s"], r["client_cpu_s"], r["other_cpu_s"],
                                                   r["wall_s"]) if "other_cpu_s" in r else " |"))
    errs = [r for r in rows if r["errors"] or r["conns"] != r["conns_wanted"]]
    if errs:
        w("")
        w("**Warning:** not every connection went idle: %s" % "; ".join(
            "%s run %d: %s" % (r["system"], r["run"], r["first_errors"][:2]) for r in errs))


if b1_rows:
    b1_report(b1_rows)
if b3_rows:
    b3_report(b3_rows, b3_prep)
if b4_rows:
    b4_report(b4_rows)
if goals:
    w("")
    w("Goals: " + "; ".join("%s %s: %s" % (b, g, m if isinstance(m, str) else "met" if m else "**not met**")
                            for b, g, m in goals) + ".")

text = "\n".join(out) + "\n"
print()
print(text)
if a.record:
    record(text, a.results)
