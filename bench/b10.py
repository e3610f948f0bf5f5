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
  outbound.port = the sink's port. Defaults otherwise (the outbound
  workers, connections per domain and messages per connection in force
  are in the JSON, from `caremail config defaults` and --set).
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
from benchlib import Caremail, measure, queued, self_cpu_s, status_kb, wait_port
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


def run(roots, port, sink, stub, settled=lambda: True):
    """B10's driver arguments, measured (benchlib.measure): until the sink
    has taken N; its CPU and this process's (the stub, the samplers) apart."""
    args = ["-n", a.n, "--size", a.size, "--rcpts", a.rcpts, "--to-domains", a.domains,
            "--from", SENDER, "--conc", a.conc] + ([] if a.one_per_message else ["--reuse"])
    q0 = len(stub.queries)
    res, _ = measure(roots, port, args, a.n, a.timeout, sink.count, settled,
                     counted="taken_by_sink",
                     also={"sink_cpu_s": sink.cpu_s, "harness_cpu_s": self_cpu_s})
    res.update({"system": a.system, "run": a.run, "domains": a.domains,
                "dns_queries": len(stub.queries) - q0})
    return res


OUTBOUND = ("workers", "max_per_destination", "messages_per_connection")


def outbound_settings():
    """The outbound.* settings the report names, as this run has them:
    `caremail config defaults`, then --set."""
    got, section = {}, None
    for ln in subprocess.run([a.bin, "config", "defaults"], check=True, capture_output=True,
                             text=True).stdout.splitlines():
        if ln.startswith("["):
            section = ln.strip("[]")
        elif section == "outbound" and "=" in ln and not ln.startswith("#"):
            k, _, v = ln.partition("=")
            got[k.strip()] = v.strip()
    for kv in a.set:
        k, _, v = kv.partition("=")
        if k.startswith("outbound."):
            got[k[len("outbound."):]] = v
    return {k: got[k] for k in OUTBOUND}


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
    srv = None
    try:
        srv = Caremail(a.bin, inst, a.pidfile, listen="relay", extra=[
            "relay.require_tls=off", "dns.servers=%s@53" % STUB_HOST, "dns.trust_anchor=",
            "outbound.port=%d" % sink.port, *a.set])
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(inst, "caremail.db"), uri=True,
                             timeout=10)

        def settled():  # and every row is written delivered
            return db.execute("SELECT COUNT(*) FROM queue WHERE status != 'delivered'"
                              ).fetchone()[0] == 0
        res = run([srv.pid], srv.port, sink, stub, settled)
        res["outbound"] = outbound_settings()
        res["peak_kb"] = status_kb(srv.pid, "VmHWM")
        res["threads"] = status_kb(srv.pid, "Threads")
        res["queue"] = dict(db.execute("SELECT status, COUNT(*) FROM queue GROUP BY status"))
        res["dkim_signed"] = db.execute("SELECT COUNT(*) FROM queue WHERE status = 'delivered'"
                                        " AND COALESCE(dkim_signature, '') != ''").fetchone()[0]
        db.close()
    finally:
        if srv is not None:
            srv.stop()
        sink.stop()
        stub.stop()
    with open(os.path.join(inst, "serve.log")) as f:
        res["log_warnings"] = sum(1 for ln in f if "level=warn" in ln or "level=error" in ln)
    res["server_exit"] = srv.proc.returncode
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
        return queued(self.spool)


def run_peer():
    stub, sink = start_stub(), Sink(SINK_HOST)
    peer = None
    try:
        peer = PeerForB10(sink.port)
        if peer.queued():
            raise SystemExit("peer: Postfix queue not empty before the run")
        maillog = os.path.join(peer.peers, "postfix/maillog")
        offset = os.path.getsize(maillog) if os.path.exists(maillog) else 0
        res = run([peer.master()], peer.port, sink, stub, lambda: peer.queued() == 0)
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
