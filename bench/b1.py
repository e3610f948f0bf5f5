#!/usr/bin/env python3
"""B1, one run against one system; prints one JSON object on stdout.

  b1.py caremail --bin BIN --template DIR --instance DIR [common options]
  b1.py peer [common options]          (reads the peer's settings from env.sh's
                                        variables: PEERS, DOMAIN, SMTP_PORT)

caremail: copies the prepared template instance (1,000 empty mailboxes) to a
fresh directory, starts `caremail serve` on a free port, drives it, then waits
until `SELECT COUNT(*) FROM messages` reaches N, and stops it (SIGTERM). Its
peak RSS is VmHWM from /proc/PID/status just before the stop.

peer: empties the recipients' Maildirs (as bench-smtp.sh does), drives Postfix,
then waits until N files are in the Maildirs and the Postfix queue is empty.
Memory: the largest summed PSS (1 Hz) and summed RSS (4 Hz) of all Postfix +
Dovecot processes (the two masters and their descendants) seen by a sampler,
and the largest single-process VmHWM.

Both: the same driver (smtp_load.py) with the same arguments; a sampler tracks
RSS; CPU seconds of the server's process tree (utime+stime, plus cutime+cstime
so children reaped during the run count) and of the whole machine
(/proc/stat) are taken before and after. Delivery is polled only after the
driver has finished (nothing can be complete before the last 250), so the
poller takes no CPU away from the run.
"""
import argparse, json, os, shutil, signal, sqlite3, subprocess, sys
import benchlib as bl
from benchlib import HZ, Caremail, measure, pss_kb, queued, status_kb

# SIGTERM (from run.sh's trap) unwinds like an error, so `finally` stops the
# server and subprocess.run kills the driver.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

ap = argparse.ArgumentParser()
ap.add_argument("system", choices=["caremail", "peer"])
ap.add_argument("--run", type=int, default=1)
ap.add_argument("-n", type=int, default=20000)
ap.add_argument("--size", type=int, default=4096)
ap.add_argument("--rcpts", type=int, default=1000)
ap.add_argument("--conc", type=int, default=20)
ap.add_argument("--reuse", action="store_true")
ap.add_argument("--timeout", type=float, default=300)
ap.add_argument("--bin")
ap.add_argument("--template")
ap.add_argument("--instance")
ap.add_argument("--pidfile", help="caremail: write the server's PID here (for the caller's trap)")
ap.add_argument("--pg-url", help="caremail: a PostgreSQL cluster's URL; the template is moved onto a "
                "new database of it (caremail migrate) and served from there")
ap.add_argument("--pg-dir", help="the cluster's directory (scripts/pgcluster.sh): its postmaster's "
                "process tree counts as the server's CPU and memory")
ap.add_argument("--nodes", type=int, default=1,
                help="caremail on PostgreSQL: this many serve nodes, the driver's connections "
                     "spread over them in turn")
a = ap.parse_args()


def thread_cpu(pid):
    """CPU seconds per thread of one process over its lifetime: {"comm/tid": s}."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            st = open("/proc/%d/task/%s/stat" % (pid, tid)).read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        f = st[st.rindex(")") + 2:].split()
        out["main" if int(tid) == pid else "%s/%s" % (comm, tid)] = round((int(f[11]) + int(f[12])) / HZ, 2)
    st = open("/proc/%d/stat" % pid).read()
    f = st[st.rindex(")") + 2:].split()
    # threads that have exited (one per SMTP session) leave their time in the process total
    out["exited threads"] = round((int(f[11]) + int(f[12])) / HZ - sum(out.values()), 2)
    return out


def run(roots, port, domain, count, settled=lambda: True):
    """B1's driver arguments, measured (benchlib.measure)."""
    args = ["-n", a.n, "--size", a.size, "--rcpts", a.rcpts, "--conc", a.conc,
            "--domain", domain] + (["--reuse"] if a.reuse else [])
    res, t_end = measure(roots, port, args, a.n, a.timeout, count, settled)
    res.update({"system": a.system, "run": a.run})
    return res, t_end


class PgCount:
    """The same questions of the PostgreSQL store, through psql."""
    def __init__(self, url):
        self.url = url

    def one(self, sql):
        return int(subprocess.run(["psql", self.url, "-Atc", sql], check=True,
                                  capture_output=True, text=True).stdout.strip())


def onto_postgresql(inst):
    """Moves the fresh copy onto a new database of the cluster; its URL."""
    return bl.onto_postgresql(a.bin, inst, a.pg_url, "b1_%d_%d" % (os.getpid(), a.run))


def run_caremail():
    inst = a.instance
    shutil.rmtree(inst, ignore_errors=True)
    shutil.copytree(a.template, inst, symlinks=True)
    url = onto_postgresql(inst) if a.pg_url else None
    # IMAP and POP3 are not part of B1: only SMTP listens. The driver
    # opens one connection per message, and the peer's Postfix runs
    # without postscreen's pregreet wait: the MX greet pause (1 s by
    # default) would measure the pause, not intake.
    servers = []
    try:
        for i in range(a.nodes if url else 1):
            servers.append(Caremail(a.bin, inst, a.pidfile if i == 0 else None, listen="smtp",
                                    extra=["smtp.greet_pause_ms=0"]))
        if url:
            pg = PgCount(url)
            count = lambda: pg.one("SELECT COUNT(*) FROM messages")
        else:
            db = sqlite3.connect("file:%s?mode=ro" % os.path.join(inst, "caremail.db"),
                                 uri=True, timeout=10)
            count = lambda: db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        pids = [s.pid for s in servers]
        roots = list(pids)
        if url and a.pg_dir:   # PostgreSQL's work is the store's: the server's CPU
            roots.append(int(open(os.path.join(a.pg_dir, "data", "postmaster.pid")).readline()))
        res, _ = run(roots, ",".join(str(s.port) for s in servers), "bench.test", count)
        res["peak_rss_kb"] = max(status_kb(p, "VmHWM") for p in pids)
        res["thread_cpu_s"] = thread_cpu(pids[0])
        res["pss_at_end_kb"] = pss_kb(pids)
        res["threads"] = status_kb(pids[0], "Threads")
        if url:
            res["store"] = "postgresql"
            res["nodes"] = len(servers)
            res["mailboxes_hit"] = pg.one("SELECT COUNT(DISTINCT folder_id) FROM messages")
            res["db_bytes"] = pg.one("SELECT pg_database_size(current_database())")
        else:
            res["store"] = "sqlite"
            res["mailboxes_hit"] = db.execute(
                "SELECT COUNT(DISTINCT folder_id) FROM messages").fetchone()[0]
            res["db_bytes"] = sum(os.path.getsize(os.path.join(inst, f)) for f in os.listdir(inst)
                                  if f.startswith("caremail.db"))
            db.close()
    finally:
        for s in servers:
            s.stop()
        if url and not os.environ.get("B1_KEEP_DB"):
            subprocess.run(["psql", a.pg_url, "-qc", "DROP DATABASE IF EXISTS %s" %
                            url.rsplit("/", 1)[1]], capture_output=True)
    res["server_exit"] = max(s.proc.returncode for s in servers)
    return res


def run_peer():
    peers, domain = os.environ["PEERS"], os.environ["DOMAIN"]
    port = int(os.environ["SMTP_PORT"])
    spool = os.path.join(peers, "postfix/spool")
    mailroot = os.path.join(peers, "mail", domain)
    pidfiles = [os.path.join(spool, "pid/master.pid"), os.path.join(peers, "dovecot/run/master.pid")]
    roots = [int(open(f).read().strip()) for f in pidfiles]
    boxes = [os.path.join(mailroot, "user%04d" % i) for i in range(1, a.rcpts + 1)]
    for b in boxes:  # fresh, empty recipient mailboxes
        shutil.rmtree(b, ignore_errors=True)

    if queued(spool):
        raise SystemExit("peer: Postfix queue not empty before the run")

    def count():
        n = 0
        for b in boxes:
            for sub in ("new", "cur"):
                try:
                    n += sum(1 for _ in os.scandir(os.path.join(b, "Maildir", sub)))
                except FileNotFoundError:
                    pass
        return n

    res, t_end = run(roots, port, domain, count, lambda: queued(spool) == 0)
    res["peak_rss_kb"] = max([status_kb(p, "VmHWM") for p in t_end] or [0])  # largest single process
    res["peak_rss_sum_hwm_kb"] = sum(status_kb(p, "VmHWM") for p in t_end)
    res["pss_at_end_kb"] = pss_kb(t_end)
    res["mailboxes_hit"] = sum(1 for b in boxes if os.path.isdir(os.path.join(b, "Maildir")))
    res["store_bytes"] = sum(os.path.getsize(os.path.join(r, f))
                             for b in boxes for r, _, fs in os.walk(b) for f in fs)
    return res


print(json.dumps(run_caremail() if a.system == "caremail" else run_peer()))
