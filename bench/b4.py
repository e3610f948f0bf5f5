#!/usr/bin/env python3
"""B4, memory per idle IMAP connection; one run against one system; prints
one JSON object on stdout (progress on stderr).

  b4.py caremail --bin BIN --instance DIR --password PW [--conns 1000] [--run N]
      [--parallel 4] [--pg-url URL]
  b4.py peer [--conns 1000] [--run N]      (env.sh's variables: PEERS, DOMAIN, IMAP_PORT)

With --pg-url, caremail serves a copy of the instance moved once onto a new
database of that cluster (INSTANCE-pg beside it, as b3.py's): each sign-in
there writes its time and announces it (NOTIFY), which PostgreSQL
serialises at commit; "open_s", the time to sign in and IDLE all CONNS
(--parallel at a time), says what that costs against SQLite's.

Each run starts the server afresh (caremail: a new `caremail serve` with
imap.max_sessions = conns + 100; peer: the Dovecot master restarted), signs
in and out once (one-off start-up work is not per connection), measures, then
imap_bench.py idle opens CONNS connections as user0001..userCONNS (LOGIN,
SELECT INBOX, IDLE) and measures again.

Per connection = (with CONNS idle - before) / CONNS of:
  caremail: VmRSS of its one process (PSS alongside);
  peer: summed PSS of the Dovecot master and all its descendants (the imap
  processes it forks, one per connection), the method b1.py uses for the
  peer's memory; summed RSS alongside (it counts shared pages once per
  process, so it overstates).
The recipients' mailboxes are empty on both (the peer's Maildirs of
user0001..userCONNS are removed first; caremail's are new).
"""
import argparse, json, os, shutil, signal, subprocess, sys, time
import benchlib as bl

signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
ap = argparse.ArgumentParser()
ap.add_argument("system", choices=["caremail", "peer"])
ap.add_argument("--run", type=int, default=1)
ap.add_argument("--conns", type=int, default=1000)
ap.add_argument("--parallel", type=int, default=4)
ap.add_argument("--bin")
ap.add_argument("--instance")
ap.add_argument("--pidfile")
ap.add_argument("--domain", default="bench.test")
ap.add_argument("--password")
ap.add_argument("--timeout", type=float, default=600)
ap.add_argument("--pg-url", help="caremail: serve a copy of the instance moved onto a new database "
                "of this PostgreSQL cluster (once; INSTANCE-pg)")
a = ap.parse_args()




def idle(port, tls, user_fmt, password, pid, mem, warmup):
    cmd = [sys.executable, os.path.join(bl.HERE, "imap_bench.py"), "idle", "--port", str(port),
           "--tls", tls, "--user-fmt", user_fmt, "--password", password, "--conns", str(a.conns),
           "--parallel", str(a.parallel), "--server-pid", str(pid), "--mem", mem,
           "--warmup-user", warmup, "--settle", "5"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True, timeout=a.timeout)
    if p.returncode != 0 or not p.stdout.strip():
        raise SystemExit("imap_bench.py idle failed (rc %d)" % p.returncode)
    return json.loads(p.stdout.strip().splitlines()[-1])


def peer():
    p = bl.Peer()
    for i in range(1, a.conns + 1):  # empty mailboxes, as caremail's
        shutil.rmtree(os.path.join(p.mailroot, "user%04d" % i), ignore_errors=True)
    pid = p.restart_dovecot()
    time.sleep(1)
    cpu = bl.CpuSplit([pid])
    r = idle(p.imap_port, "none", "user%04d@" + p.domain, os.environ.get("PASSWORD", "pass"),
             pid, "tree", "user%04d@%s" % (a.conns + 1, p.domain))
    r.update(cpu.done())
    r.update({"system": "peer", "run": a.run, "method": "summed PSS of the Dovecot master's tree"})
    r["per_conn_kb"] = r.get("pss_per_conn_kb")
    return r


def caremail():
    inst = bl.onto_postgresql_copy(a.bin, a.instance, a.pg_url, "b4")[0] if a.pg_url \
        else a.instance
    srv = bl.Caremail(a.bin, inst, a.pidfile,
                      extra=["imap.max_sessions=%d" % (a.conns + 100),
                             "imap.max_per_ip=0"])
    try:
        cpu = bl.CpuSplit([srv.pid])
        r = idle(srv.port, "starttls", "user%04d@" + a.domain, a.password, srv.pid, "single",
                 "warmup@%s" % a.domain)
        r.update(cpu.done())
        r["peak_rss_kb"] = bl.status_kb(srv.pid, "VmHWM")
    finally:
        r_exit = srv.stop()
    r.update({"system": "caremail", "run": a.run, "method": "VmRSS of the one process",
              "server_exit": r_exit, "store": "postgresql" if a.pg_url else "sqlite",
              "parallel": a.parallel})
    r["per_conn_kb"] = round((r["vmrss_with_kb"] - r["vmrss_before_kb"]) / max(1, r["conns"]), 1)
    return r


LOADAVG = " ".join(open("/proc/loadavg").read().split()[:3])
out = peer() if a.system == "peer" else caremail()
out["loadavg"] = LOADAVG
print(json.dumps(out))
