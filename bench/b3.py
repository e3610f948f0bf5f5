#!/usr/bin/env python3
"""B3, IMAP on one mailbox of 50,000 messages; one step against one system;
prints one JSON object on stdout (progress on stderr).

  b3.py peer --prepare [--msgs N] [--boxuser user5000]
      fills the peer's big Maildir with ../shared/peers/imap_fill.py (skipped
      when it already holds N messages from an earlier invocation: its
      fill.stamp, as bench-imap.sh does), deletes Dovecot's index files of that
      mailbox, and opens it once ("initial" pass: Dovecot builds its index
      and cache, as LMTP delivery would have).
  b3.py caremail --prepare --bin BIN --instance DIR --maildir MAILDIR ...
      starts `caremail serve` on the instance and APPENDs every message of
      the peer's Maildir (the same bytes with CRLF line ends, the same flags
      and internal dates) over STARTTLS, indexes their text for SEARCH BODY
      and TEXT (`caremail jobs run`, timed: text_index_s), then one
      "initial" pass.
  b3.py peer|caremail --run N [--drop-caches] [--alone]
      restarts the server (Dovecot: its master by its pid file; caremail: a
      new `caremail serve`), drops the page cache (sync; echo 3 >
      /proc/sys/vm/drop_caches) when asked, then two passes of
      imap_bench.py bench on new connections: "cold" (the first after the
      restart) and "warm"; and the server's memory (caremail: VmHWM; peer:
      peak summed PSS of Dovecot's processes sampled at 1 Hz, as b1.py).
      With --alone, then each operation but SELECT once more "alone": restart,
      drop the cache, sign in, SELECT, that operation; so its cold figure does
      not depend on what the operations before it read into the page cache.
      With --append N, last: N messages of the big Maildir (the first by name)
      APPENDed one at a time, each waited for, to the INBOX of user000R
      (R = run + 1, a mailbox of its own each run; the peer's Maildir of that
      user removed first), on the warm server (imap_bench.py append).

The peer is driven in plaintext: ../shared/peers/setup.sh configures Dovecot
with `ssl = no`. caremail refuses LOGIN before TLS, so it is driven over
STARTTLS.
"""
import argparse, json, os, signal, subprocess, sys, time
import benchlib as bl

signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
ap = argparse.ArgumentParser()
ap.add_argument("system", choices=["caremail", "peer"])
ap.add_argument("--prepare", action="store_true")
ap.add_argument("--run", type=int, default=1)
ap.add_argument("--drop-caches", action="store_true")
ap.add_argument("--alone", action="store_true", help="also each operation alone after a restart")
ap.add_argument("--msgs", type=int, default=50000)
ap.add_argument("--boxuser", default="user%04d" % int(os.environ.get("NUSERS", "5000")))
ap.add_argument("--word", default="foo")
ap.add_argument("--bin")
ap.add_argument("--instance")
ap.add_argument("--pidfile")
ap.add_argument("--maildir")
ap.add_argument("--user", default="bigbox@bench.test")
ap.add_argument("--password")
ap.add_argument("--fill-conns", type=int, default=8)
ap.add_argument("--append", type=int, default=0, help="run: APPEND this many one at a time")
ap.add_argument("--timeout", type=float, default=900)
ap.add_argument("--pg-url", help="caremail: a PostgreSQL cluster's URL; the prepared instance is "
                "moved once onto a new database of it (a copy beside it, INSTANCE-pg) and served from there")
ap.add_argument("--pg-dir", help="the cluster's directory (scripts/pgcluster.sh): its postmaster's "
                "processes count as the server's CPU")
ap.add_argument("--nodes", type=int, default=1, help="with --pg-url: serve nodes on the database; "
                "the operations go to the first, the others run beside it")
a = ap.parse_args()
PEERS_DIR = os.environ.get("PEERS_DIR", os.path.join(bl.HERE, "..", "..", "shared", "peers"))


def imap_bench(mode, port, tls, user, password, extra=()):
    cmd = [sys.executable, os.path.join(bl.HERE, "imap_bench.py"), mode, "--port", str(port),
           "--tls", tls, "--user", user, "--password", password] + list(extra)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True, timeout=a.timeout)
    if p.returncode != 0 or not p.stdout.strip():
        raise SystemExit("imap_bench.py %s failed (rc %d)" % (mode, p.returncode))
    return json.loads(p.stdout.strip().splitlines()[-1])


def passes(port, tls, user, password, pid, mem, labels, ops=""):
    return imap_bench("bench", port, tls, user, password,
                      ["--passes", str(len(labels)), "--labels", ",".join(labels), "--word", a.word,
                       "--server-pid", str(pid), "--mem", mem] + (["--ops", ops] if ops else []))["passes"]


# After the cold and warm passes: each operation again alone, the first after a
# restart (and the cache drop), so its cold figure does not depend on what the
# operations before it brought into the page cache.
ALONE = ["fetch_flags", "fetch_envelope", "search_subject", "search_text"]


def alone_merge(res, key, p):
    d = res.setdefault("alone", {})
    d[key + "_s"] = p[key + "_s"]
    if key + "_server_cpu_s" in p:
        d[key + "_server_cpu_s"] = p[key + "_server_cpu_s"]


def du(path):
    n = 0
    for r, _, fs in os.walk(path):
        for f in fs:
            try:
                n += os.path.getsize(os.path.join(r, f))
            except OSError:
                pass
    return n


def peer():
    p = bl.Peer()
    home = os.path.join(p.mailroot, a.boxuser)
    box = os.path.join(home, "Maildir")
    user = "%s@%s" % (a.boxuser, p.domain)
    password = os.environ.get("PASSWORD", "pass")
    res = {"system": "peer", "run": a.run, "tls": "none", "user": user}
    if a.prepare:
        stamp = os.path.join(home, "fill.stamp")
        filled = False
        try:
            filled = open(stamp).read().strip() == str(a.msgs)
        except OSError:
            pass
        if not filled:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(PEERS_DIR, "imap_fill.py"), box, str(a.msgs),
                            "--to", user], check=True, stdout=sys.stderr)
            open(stamp, "w").write("%d\n" % a.msgs)
            subprocess.run(["sync"])
            res["fill_s"] = round(time.perf_counter() - t0, 1)
        res["refilled"] = not filled
        for d in (box, home):  # no Dovecot index yet: built by the initial pass
            for f in os.listdir(d):
                if f.startswith("dovecot") and os.path.isfile(os.path.join(d, f)):
                    os.unlink(os.path.join(d, f))
        pid = p.restart_dovecot()
        res["initial"] = passes(p.imap_port, "none", user, password, pid, "tree", ["initial"])[0]
        res["maildir_bytes"] = du(box)
        res["index_bytes"] = sum(os.path.getsize(os.path.join(box, f)) for f in os.listdir(box)
                                 if f.startswith("dovecot") and os.path.isfile(os.path.join(box, f)))
        res["messages"] = sum(1 for _ in os.scandir(os.path.join(box, "cur")))
        return res
    pid = p.restart_dovecot()
    time.sleep(1)
    if a.drop_caches:
        bl.drop_caches()
    res["drop_caches"] = a.drop_caches
    s = bl.Sampler([pid])
    s.start()
    cpu = bl.CpuSplit([pid])
    res["passes"] = passes(p.imap_port, "none", user, password, pid, "tree", ["cold", "warm"])
    res.update(cpu.done())
    s.finish()
    res["peak_pss_sampled_kb"] = s.peak_pss_kb
    res["peak_rss_sampled_kb"] = s.peak_rss_kb
    res["peak_rss_kb"] = max(s.hwm.values() or [0])  # largest single process
    if a.alone:
        for key in ALONE:
            pid = p.restart_dovecot()
            time.sleep(1)
            if a.drop_caches:
                bl.drop_caches()
            alone_merge(res, key, passes(p.imap_port, "none", user, password, pid, "tree",
                                         ["alone"], key)[0])
    if a.append:
        target = "user%04d" % (a.run + 1)
        subprocess.run(["rm", "-rf", os.path.join(p.mailroot, target, "Maildir")], check=True)
        p.restart_dovecot()
        time.sleep(1)
        res["append"] = imap_bench("append", p.imap_port, "none", "%s@%s" % (target, p.domain),
                                   password, ["--maildir", box, "--limit", str(a.append)])
    return res


def onto_postgresql():
    """The prepared instance moved onto a database of the cluster, once: a
    copy beside it (INSTANCE-pg) whose store is that database; its path."""
    t0 = time.perf_counter()

    def index_text(inst, url):
        print("b3: instance moved onto %s in %.0f s" % (url, time.perf_counter() - t0),
              file=sys.stderr)
        # The copy's bodies are all pending for the text index: index them
        # now, as on SQLite after the fill.
        t1 = time.perf_counter()
        subprocess.run([a.bin, "jobs", "run", "--dir", inst], check=True,
                       stdout=subprocess.DEVNULL)
        print("b3: text index made on postgresql in %.0f s" % (time.perf_counter() - t1),
              file=sys.stderr)

    return bl.onto_postgresql_copy(a.bin, a.instance, a.pg_url, "b3", index_text)


def caremail():
    if a.pg_url and not a.prepare:
        return caremail_pg()
    res = {"system": "caremail", "run": a.run, "tls": "starttls", "user": a.user}
    srv = bl.Caremail(a.bin, a.instance, a.pidfile)
    try:
        if a.prepare:
            t0 = time.perf_counter()
            f = imap_bench("fill", srv.port, "starttls", a.user, a.password,
                           ["--maildir", a.maildir, "--conns", str(a.fill_conns)])
            res["fill_s"] = round(time.perf_counter() - t0, 1)
            res["fill"] = f
            # The text index (SEARCH BODY and TEXT) catches up with what the
            # fill stored, as serve's text-index step would within a minute:
            # `jobs run` indexes every pending body now, timed.
            t0 = time.perf_counter()
            subprocess.run([a.bin, "jobs", "run", "--dir", a.instance], check=True,
                           stdout=subprocess.DEVNULL)
            res["text_index_s"] = round(time.perf_counter() - t0, 1)
            res["initial"] = passes(srv.port, "starttls", a.user, a.password, srv.pid, "single",
                                    ["initial"])[0]
            res["messages"] = f["appended"]
        else:
            time.sleep(1)
            if a.drop_caches:
                bl.drop_caches()
            res["drop_caches"] = a.drop_caches
            cpu = bl.CpuSplit([srv.pid])
            res["passes"] = passes(srv.port, "starttls", a.user, a.password, srv.pid, "single",
                                   ["cold", "warm"])
            res.update(cpu.done())
        res["peak_rss_kb"] = bl.status_kb(srv.pid, "VmHWM")
        res["threads"] = bl.status_kb(srv.pid, "Threads")
    finally:
        res["server_exit"] = srv.stop()
    if a.alone and not a.prepare:
        for key in ALONE:
            srv = bl.Caremail(a.bin, a.instance, a.pidfile)
            try:
                time.sleep(1)
                if a.drop_caches:
                    bl.drop_caches()
                alone_merge(res, key, passes(srv.port, "starttls", a.user, a.password, srv.pid,
                                             "single", ["alone"], key)[0])
            finally:
                srv.stop()
    if a.append and not a.prepare:
        srv = bl.Caremail(a.bin, a.instance, a.pidfile)
        try:
            time.sleep(1)
            target = "user%04d@%s" % (a.run + 1, a.user.split("@", 1)[1])
            res["append"] = imap_bench("append", srv.port, "starttls", target, a.password,
                                       ["--maildir", a.maildir, "--limit", str(a.append)])
        finally:
            srv.stop()
    res["db_bytes"] = sum(os.path.getsize(os.path.join(a.instance, f)) for f in os.listdir(a.instance)
                          if f.startswith("caremail.db"))
    return res


def caremail_pg():
    """The cold and warm passes against a node on PostgreSQL (the first of
    a.nodes); the server's CPU includes PostgreSQL's processes."""
    inst, url = onto_postgresql()
    res = {"system": "caremail-pg", "store": "postgresql", "nodes": a.nodes, "run": a.run,
           "tls": "starttls", "user": a.user}
    nodes = []
    try:
        for i in range(a.nodes):
            nodes.append(bl.Caremail(a.bin, inst, a.pidfile if i == 0 else None))
        srv = nodes[0]
        time.sleep(1)
        if a.drop_caches:
            bl.drop_caches()
        res["drop_caches"] = a.drop_caches
        roots = [srv.pid]
        if a.pg_dir:
            roots.append(int(open(os.path.join(a.pg_dir, "data", "postmaster.pid")).readline()))
        cpu = bl.CpuSplit(roots)
        res["passes"] = passes(srv.port, "starttls", a.user, a.password, srv.pid, "single",
                               ["cold", "warm"])
        res.update(cpu.done())
        res["peak_rss_kb"] = bl.status_kb(srv.pid, "VmHWM")
    finally:
        res["server_exit"] = [n.stop() for n in nodes]
    res["db_bytes"] = int(subprocess.run(
        ["psql", url, "-Atc", "SELECT pg_database_size(current_database())"], check=True,
        capture_output=True, text=True).stdout.strip())
    return res


LOADAVG = " ".join(open("/proc/loadavg").read().split()[:3])
out = peer() if a.system == "peer" else caremail()
out["loadavg"] = LOADAVG
print(json.dumps(out))
