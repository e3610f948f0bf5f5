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
import argparse, json, os, shutil, signal, socket, sqlite3, subprocess, sys, threading, time
from benchlib import free_port, pss_kb, stat_of, tree  # shared with b3/b4

HERE = os.path.dirname(os.path.abspath(__file__))
# SIGTERM (from run.sh's trap) unwinds like an error, so `finally` stops the
# server and subprocess.run kills the driver.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
HZ = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

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
a = ap.parse_args()


def hwm_kb(pid):
    try:
        for ln in open("/proc/%d/status" % pid):
            if ln.startswith("VmHWM:"):
                return int(ln.split()[1])
    except OSError:
        pass
    return 0


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


def machine_cpu():
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)
    return busy, f[4], sum(f[:8])


class Sampler(threading.Thread):
    """Peak summed RSS (4 Hz) and summed PSS (1 Hz) of the server's processes.
    RSS summed over processes counts shared pages once per process; PSS
    shares them out, so its sum is the fair figure for a multi-process server."""
    def __init__(self, roots):
        super().__init__(daemon=True)
        self.roots, self.stop = roots, threading.Event()
        self.peak_rss_kb = self.peak_pss_kb = 0

    def run(self):
        i = 0
        while True:
            t = tree(self.roots)
            self.peak_rss_kb = max(self.peak_rss_kb, sum(v[1] for v in t.values()))
            if i % 4 == 0:
                self.peak_pss_kb = max(self.peak_pss_kb, pss_kb(t))
            i += 1
            if self.stop.wait(0.25):
                break


def drive(port, domain):
    cmd = [sys.executable, os.path.join(HERE, "smtp_load.py"), "--port", str(port),
           "-n", str(a.n), "--size", str(a.size), "--rcpts", str(a.rcpts),
           "--conc", str(a.conc), "--domain", domain, "--timeout", str(a.timeout), "--json"]
    if a.reuse:
        cmd.append("--reuse")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=a.timeout + 60)
    if p.returncode != 0 or not p.stdout.strip():
        raise SystemExit("driver failed (rc %d): %s" % (p.returncode, p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def measure(roots, port, domain, count_fn, settled_fn=lambda: True):
    """Drive the server, wait for delivery; returns the result dict."""
    subprocess.run(["sync"])
    time.sleep(2)
    cpu0 = sum(v[0] for v in tree(roots).values())
    m0 = machine_cpu()
    sampler = Sampler(roots)
    sampler.start()
    t0 = time.perf_counter()
    drv = drive(port, domain)
    t_sent = time.perf_counter() - t0
    delivered = count_fn()
    while (delivered < a.n or not settled_fn()) and time.perf_counter() - t0 < a.timeout:
        time.sleep(0.02)
        delivered = count_fn()
    wall = time.perf_counter() - t0
    t_end = tree(roots)
    sampler.stop.set()
    sampler.join()
    cpu1 = sum(v[0] for v in t_end.values())
    m1 = machine_cpu()
    dt_ticks = max(1, m1[2] - m0[2])
    server_cpu = (cpu1 - cpu0) / HZ
    machine_busy = (m1[0] - m0[0]) / HZ
    res = {
        "system": a.system, "run": a.run, "n": a.n, "delivered": delivered,
        "complete": delivered >= a.n, "wall_s": round(wall, 3), "sender_done_s": round(t_sent, 3),
        "rate": round(delivered / wall, 1),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_msg": round(1000 * server_cpu / max(1, delivered), 3),
        "machine_busy_pct": round(100 * (m1[0] - m0[0]) / dt_ticks, 1),
        "machine_iowait_pct": round(100 * (m1[1] - m0[1]) / dt_ticks, 1),
        # CPU used by anything but the server and the driver: other people's work on the box
        "other_cpu_s": round(machine_busy - server_cpu - drv["driver_cpu_s"], 2),
        "peak_rss_sampled_kb": sampler.peak_rss_kb,
        "peak_pss_sampled_kb": max(sampler.peak_pss_kb, pss_kb(t_end)),
        "procs_at_end": len(t_end),
    }
    res.update({k: drv[k] for k in ("accepted", "errors", "accept_rate", "data250_p50_ms",
                                    "data250_p99_ms", "data250_max_ms", "dot250_p50_ms",
                                    "dot250_p99_ms", "txn_p50_ms", "txn_p99_ms", "driver_cpu_s",
                                    "first_errors", "reuse", "size", "rcpts", "conc")})
    return res, t_end


def run_caremail():
    inst = a.instance
    shutil.rmtree(inst, ignore_errors=True)
    shutil.copytree(a.template, inst, symlinks=True)
    port, hport = free_port(), free_port()
    log = open(os.path.join(inst, "serve.log"), "w")
    srv = subprocess.Popen(
        [a.bin, "serve", "--dir", inst, "--set", "smtp.listen=127.0.0.1:%d" % port,
         "--set", "http.tls=off", "--set", "http.listen=127.0.0.1:%d" % hport,
         "--set", "submission.listen=off", "--set", "submissions.listen=off",
         # IMAP and POP3 are not part of B1; off, so they cannot collide with
         # a developer's caremail on the default ports
         "--set", "imap.listen=off", "--set", "imaps.listen=off",
         "--set", "pop3.listen=off", "--set", "pop3s.listen=off",
         "--set", "log.level=warn"],
        stdout=log, stderr=log, start_new_session=True)
    if a.pidfile:
        open(a.pidfile, "w").write("%d\n" % srv.pid)
    try:
        for _ in range(200):  # wait for the SMTP listener
            if srv.poll() is not None:
                raise SystemExit("caremail serve exited: rc %d" % srv.returncode)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(inst, "caremail.db"), uri=True,
                             timeout=10)
        count = lambda: db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        res, _ = measure([srv.pid], port, "bench.test", count)
        res["peak_rss_kb"] = hwm_kb(srv.pid)
        res["thread_cpu_s"] = thread_cpu(srv.pid)
        res["pss_at_end_kb"] = pss_kb([srv.pid])
        res["threads"] = int(next(l.split()[1] for l in open("/proc/%d/status" % srv.pid)
                                  if l.startswith("Threads:")))
        res["mailboxes_hit"] = db.execute(
            "SELECT COUNT(DISTINCT folder_id) FROM messages").fetchone()[0]
        res["db_bytes"] = sum(os.path.getsize(os.path.join(inst, f)) for f in os.listdir(inst)
                              if f.startswith("caremail.db"))
        db.close()
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(30)
        except subprocess.TimeoutExpired:
            srv.kill(); srv.wait()
        log.close()
        if a.pidfile:
            os.unlink(a.pidfile)
    res["server_exit"] = srv.returncode
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

    def queued():
        n = 0
        for d in ("incoming", "active", "deferred", "hold", "maildrop"):
            for _, _, files in os.walk(os.path.join(spool, d)):
                n += len(files)
        return n

    if queued():
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

    res, t_end = measure(roots, port, domain, count, lambda: queued() == 0)
    res["peak_rss_kb"] = max([hwm_kb(p) for p in t_end] or [0])  # largest single process
    res["peak_rss_sum_hwm_kb"] = sum(hwm_kb(p) for p in t_end)
    res["pss_at_end_kb"] = pss_kb(t_end)
    res["mailboxes_hit"] = sum(1 for b in boxes if os.path.isdir(os.path.join(b, "Maildir")))
    res["store_bytes"] = sum(os.path.getsize(os.path.join(r, f))
                             for b in boxes for r, _, fs in os.walk(b) for f in fs)
    return res


print(json.dumps(run_caremail() if a.system == "caremail" else run_peer()))
