#!/usr/bin/env python3
"""B10, one run against one system; prints one JSON object on stdout.

  b10.py caremail --bin BIN --template DIR --instance DIR [common options]
  b10.py peer [common options]      (the peer's settings from env.sh's
                                     variables: PEERS, SMTP_PORT)

The workload (PERFORMANCE.md B10): N messages of SIZE bytes submitted over
SMTP for DOMAINS remote domains d001..dNNN.b10.example (one recipient
each, RCPTS people per domain, every domain in turn), CONC sessions each
keeping its connection (as an application server sending in bulk does;
--one-per-message for B1's way), by bench/smtp_load.py (B1's driver).
With one connection per message caremail's relay listener would pay its
greet pause (submission.greet_pause_ms, 200 ms) per message, capping
intake at CONC / 0.2 s whatever the outbound side does. Every
domain's MX is found in the DNS and is one mail server on loopback:

- the DNS: the tests' stub (tests/integration/dnsstub.py) on port 53 of
  127.0.10.53, answering `dNNN MX 10 mx.dNNN` and `mx.dNNN A 127.0.0.2`
  (TTL one hour);
- the mail server: Postfix's smtp-sink at 127.0.0.2 (b10_sink.py), which
  counts the messages it has accepted.

Measured: from the first connect until the sink has accepted all N
(messages/s end to end), the sender's own time, the CPU of the system,
the sink, the driver, this process (the stub and the samplers) and the
rest of the machine, and peak memory.

How each system gets there:
- caremail: the messages come in on its relay listener, as from a
  registered application server of the org (127.0.0.1, `caremail relay
  add`; relay.require_tls off, since the peer takes them in clear too),
  from user0001@bench.test, which has a DKIM key (RSA-2048), so every
  message is signed. dns.servers = the stub, dns.trust_anchor empty,
  outbound.port = the sink's port. Defaults otherwise: 4 workers, 2
  connections per domain, 50 messages per connection.
- peer: Postfix relays for 127.0.0.0/8 (mynetworks). For this run B10
  adds an `smtp` service to its master.cf and sets default_transport =
  smtp and smtp_tcp_port = the sink's port, and restarts it inside a
  mount namespace (`unshare -m`) where /etc/resolv.conf names the stub:
  its resolver is the C library's, which reads only that file and only
  port 53; the machine's own resolv.conf is not touched. Afterwards it is
  restarted as before with its settings restored. Defaults otherwise (up
  to 100 smtp processes, 20 per domain). Postfix signs nothing (no
  OpenDKIM here): caremail's figure includes the signing, the peer's not.
"""
import argparse, json, os, shutil, signal, sqlite3, subprocess, sys, time
from benchlib import HZ, Sampler, free_port, machine_busy_s, pss_kb, status_kb, tree, wait_port
from b10_sink import Sink

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from dnsstub import DnsStub  # noqa: E402

signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

ap = argparse.ArgumentParser()
ap.add_argument("system", choices=["caremail", "peer"])
ap.add_argument("--run", type=int, default=1)
ap.add_argument("-n", type=int, default=20000)
ap.add_argument("--size", type=int, default=4096)
ap.add_argument("--domains", type=int, default=200)
ap.add_argument("--rcpts", type=int, default=100, help="recipients per domain")
ap.add_argument("--conc", type=int, default=20)
ap.add_argument("--timeout", type=float, default=600)
ap.add_argument("--one-per-message", action="store_true",
                help="one SMTP connection per message (default: one per session)")
ap.add_argument("--bin")
ap.add_argument("--template")
ap.add_argument("--instance")
ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                help="caremail: one more setting for serve (experiments; the recorded runs use none)")
ap.add_argument("--pidfile", help="caremail: write the server's PID here (for the caller's trap)")
a = ap.parse_args()
SENDER = "user0001@bench.test"
DOMAINS = ["d%03d.b10.example" % (i + 1) for i in range(a.domains)]
STUB_HOST, SINK_HOST = "127.0.10.53", "127.0.0.2"


def start_stub():
    zone = {}
    for d in DOMAINS:
        zone[d] = {"MX": [[10, "mx." + d]], "ttl": 3600}
        zone["mx." + d] = {"A": [SINK_HOST], "ttl": 3600}
    try:
        return DnsStub(zone, host=STUB_HOST, port=53).start()
    except OSError as e:
        raise SystemExit("B10: cannot serve the DNS stub on %s:53 (%s)" % (STUB_HOST, e))


def drive(port):
    cmd = [sys.executable, os.path.join(HERE, "smtp_load.py"), "--port", str(port),
           "-n", str(a.n), "--size", str(a.size), "--rcpts", str(a.rcpts),
           "--to-domains", str(a.domains), "--from", SENDER, "--conc", str(a.conc),
           "--timeout", str(a.timeout), "--json"]
    if not a.one_per_message:
        cmd.append("--reuse")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=a.timeout + 60)
    if p.returncode != 0 or not p.stdout.strip():
        raise SystemExit("driver failed (rc %d): %s" % (p.returncode, p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def self_cpu_s():
    t = os.times()
    return t.user + t.system


def measure(roots, port, sink, stub, settled=lambda: True):
    subprocess.run(["sync"])
    time.sleep(2)
    cpu0 = sum(v[0] for v in tree(roots).values())
    sink0, self0, m0 = sink.cpu_s(), self_cpu_s(), machine_busy_s()
    q0 = len(stub.queries)
    sampler = Sampler(roots)
    sampler.start()
    t0 = time.perf_counter()
    drv = drive(port)
    t_sent = time.perf_counter() - t0
    while (sink.count() < a.n or not settled()) and time.perf_counter() - t0 < a.timeout:
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    taken = sink.count()
    t_end = tree(roots)
    sampler.finish()
    server = (sum(v[0] for v in t_end.values()) - cpu0) / HZ
    sink_cpu, harness = sink.cpu_s() - sink0, self_cpu_s() - self0
    machine = machine_busy_s() - m0
    res = {
        "system": a.system, "run": a.run, "n": a.n, "domains": a.domains,
        "taken_by_sink": taken, "complete": taken >= a.n, "wall_s": round(wall, 3),
        "sender_done_s": round(t_sent, 3), "rate": round(taken / wall, 1),
        "server_cpu_s": round(server, 2),
        "server_cpu_ms_per_msg": round(1000 * server / max(1, taken), 3),
        "sink_cpu_s": round(sink_cpu, 2), "harness_cpu_s": round(harness, 2),
        "other_cpu_s": round(machine - server - sink_cpu - harness - drv["driver_cpu_s"], 2),
        "dns_queries": len(stub.queries) - q0,
        "peak_pss_sampled_kb": max(sampler.peak_pss_kb, pss_kb(t_end)),
        "peak_rss_sampled_kb": sampler.peak_rss_kb,
        "largest_hwm_kb": max(list(sampler.hwm.values()) +
                              [status_kb(p, "VmHWM") for p in t_end] + [0]),
        "procs_at_end": len(t_end),
    }
    res.update({k: drv[k] for k in ("accepted", "errors", "accept_rate", "data250_p50_ms",
                                    "data250_p99_ms", "driver_cpu_s", "first_errors", "size",
                                    "conc", "reuse")})
    return res


def run_caremail():
    inst = a.instance
    shutil.rmtree(inst, ignore_errors=True)
    shutil.copytree(a.template, inst, symlinks=True)
    # Not timed: the org registers this host as its application server,
    # and the domain gets its DKIM key.
    subprocess.run([a.bin, "relay", "add", "--dir", inst, "--org", "BENCH1", "--cidr",
                    "127.0.0.1", "--label", "b10"], check=True, capture_output=True)
    if subprocess.run([a.bin, "dkim", "show", "--dir", inst, "--domain", "bench.test"],
                      capture_output=True).returncode != 0:
        subprocess.run([a.bin, "dkim", "keygen", "--dir", inst, "--domain", "bench.test"],
                       check=True, capture_output=True)
    stub, sink = start_stub(), Sink(SINK_HOST)
    port, hport = free_port(), free_port()
    sets = {"relay.listen": "127.0.0.1:%d" % port, "relay.require_tls": "off",
            "http.tls": "off", "http.listen": "127.0.0.1:%d" % hport, "log.level": "warn",
            "dns.servers": "%s@53" % STUB_HOST, "dns.trust_anchor": "",
            "outbound.port": str(sink.port)}
    for off in ("smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s"):
        sets[off + ".listen"] = "off"
    for kv in a.set:
        k, _, v = kv.partition("=")
        sets[k] = v
    cmd = [a.bin, "serve", "--dir", inst]
    for k, v in sets.items():
        cmd += ["--set", "%s=%s" % (k, v)]
    log = open(os.path.join(inst, "serve.log"), "w")
    srv = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
    if a.pidfile:
        open(a.pidfile, "w").write("%d\n" % srv.pid)
    try:
        wait_port(port, srv, "caremail serve")
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(inst, "caremail.db"), uri=True,
                             timeout=10)

        def settled():  # and every row is written delivered
            return db.execute("SELECT COUNT(*) FROM queue WHERE status != 'delivered'"
                              ).fetchone()[0] == 0
        res = measure([srv.pid], port, sink, stub, settled)
        res["peak_kb"] = status_kb(srv.pid, "VmHWM")
        res["threads"] = status_kb(srv.pid, "Threads")
        res["queue"] = dict(db.execute("SELECT status, COUNT(*) FROM queue GROUP BY status"))
        res["dkim_signed"] = db.execute("SELECT COUNT(*) FROM queue WHERE status = 'delivered'"
                                        " AND COALESCE(dkim_signature, '') != ''").fetchone()[0]
        db.close()
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(30)
        except subprocess.TimeoutExpired:
            srv.kill(); srv.wait()
        log.close()
        sink.stop()
        stub.stop()
        if a.pidfile and os.path.exists(a.pidfile):
            os.unlink(a.pidfile)
    with open(os.path.join(inst, "serve.log")) as f:
        res["log_warnings"] = sum(1 for ln in f if "level=warn" in ln or "level=error" in ln)
    res["server_exit"] = srv.returncode
    return res


class PeerForB10:
    """The peer's Postfix, restarted for one run with outbound delivery on
    and /etc/resolv.conf (in its own mount namespace) naming the stub;
    restarted as it was afterwards."""

    KEYS = ("default_transport", "smtp_tcp_port")

    def __init__(self, sink_port):
        self.peers = os.environ["PEERS"]
        self.etc = os.path.join(self.peers, "postfix/etc")
        self.spool = os.path.join(self.peers, "postfix/spool")
        self.pidfile = os.path.join(self.spool, "pid/master.pid")
        self.port = int(os.environ["SMTP_PORT"])
        self.saved = {k: self.postconf("-h", k) for k in self.KEYS}
        self.resolv = os.path.join(self.peers, "b10-resolv.conf")
        with open(self.resolv, "w") as f:
            f.write("nameserver %s\noptions timeout:2 attempts:2\n" % STUB_HOST)
        self.stop()
        self.postconf("-M", "smtp/unix=smtp unix - - n - - smtp")
        self.postconf("-e", "default_transport=smtp", "smtp_tcp_port=%d" % sink_port)
        subprocess.run(["unshare", "-m", "sh", "-c",
                        'mount --bind "$1" /etc/resolv.conf && exec postfix -c "$2" start',
                        "sh", self.resolv, self.etc], check=True, capture_output=True)
        self.wait_started()

    def postconf(self, *args):
        return subprocess.run(["postconf", "-c", self.etc, *args], check=True,
                              capture_output=True, text=True).stdout.strip()

    def master(self):
        try:
            pid = int(open(self.pidfile).read().strip())
        except (OSError, ValueError):
            return 0
        try:
            return pid if open("/proc/%d/comm" % pid).read().strip() == "master" else 0
        except OSError:
            return 0

    def stop(self):
        pid = self.master()
        if pid:
            subprocess.run(["postfix", "-c", self.etc, "stop"], capture_output=True)
            t0 = time.time()
            while os.path.exists("/proc/%d" % pid) and time.time() - t0 < 30:
                time.sleep(0.1)

    def wait_started(self):
        t0 = time.time()
        while not self.master() and time.time() - t0 < 30:
            time.sleep(0.1)
        wait_port(self.port, None, "postfix")

    def restore(self):
        self.stop()
        self.postconf("-MX", "smtp/unix")
        self.postconf("-e", *("%s=%s" % kv for kv in self.saved.items()))
        subprocess.run(["postfix", "-c", self.etc, "start"], check=True, capture_output=True)
        self.wait_started()
        os.unlink(self.resolv)

    def queued(self):
        n = 0
        for d in ("incoming", "active", "deferred", "hold", "maildrop"):
            for _, _, files in os.walk(os.path.join(self.spool, d)):
                n += len(files)
        return n


def run_peer():
    stub, sink = start_stub(), Sink(SINK_HOST)
    peer = None
    try:
        peer = PeerForB10(sink.port)
        if peer.queued():
            raise SystemExit("peer: Postfix queue not empty before the run")
        maillog = os.path.join(peer.peers, "postfix/maillog")
        offset = os.path.getsize(maillog) if os.path.exists(maillog) else 0
        res = measure([peer.master()], peer.port, sink, stub, lambda: peer.queued() == 0)
        res["peak_kb"] = res["peak_pss_sampled_kb"]
        res["left_in_queue"] = peer.queued()
        with open(maillog, errors="replace") as f:
            f.seek(offset)
            log = f.read()
        res["log_sent"] = log.count("status=sent")
        res["log_deferred"] = log.count("status=deferred")
        res["log_bounced"] = log.count("status=bounced")
    finally:
        if peer is not None:
            peer.restore()
        sink.stop()
        stub.stop()
    return res


print(json.dumps(run_caremail() if a.system == "caremail" else run_peer()))
