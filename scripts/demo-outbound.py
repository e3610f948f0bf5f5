#!/usr/bin/python3
"""`make demo-outbound`: the demo of `make run` (var/demo, served the same
way by scripts/run-demo.sh), with its mail to other domains going to
servers on this machine instead of the internet (README, "Mail to other
domains"; docs/outbound.md, "Trying it on one machine").

It starts, on loopback, the DNS stub and SMTP sinks the integration tests
use (tests/integration/dnsstub.py, smtpsink.py), points the demo's
resolver at the stub (dns.servers, no trust anchor: the stub signs
nothing) and its MX port at the sinks (outbound.port), then serves:

    elsewhere.example    a server at 127.0.0.2 that takes every message and
                         saves it in DIR/sinks/elsewhere.example/NNNN.eml
    unreachable.example  MX 127.0.0.3, where nothing listens: mail waits,
                         the sender gets delay notices, then a report
    nhs.net              a secure domain (outbound.secure_domains) whose
                         server, at 127.0.0.4, offers no STARTTLS: its mail
                         waits and is never sent in clear
    anything else        does not exist (NXDOMAIN): nothing leaves here

The settings `caremail queue run` needs to reach the same stub and sinks
are in DIR/demo-outbound.set (`--set ...` words) while it runs. Arguments
are section.key=value overrides, passed to scripts/run-demo.sh as `make
run`'s are. Ctrl-C (or SIGTERM) stops the server, then the stub and sinks.
Environment: CAREMAIL_BIN, CAREMAIL_DEMO_DIR as for scripts/run-demo.sh.
"""
import os
import pathlib
import shlex
import signal
import socket
import subprocess
import sys
import threading

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from dnsstub import DnsStub      # noqa: E402  (after the path is set)
from smtpsink import Sink        # noqa: E402

DOMAIN = "demo.caremail.test"   # scripts/run-demo.sh's
HOSTS = {"elsewhere.example": "127.0.0.2",
         "unreachable.example": "127.0.0.3",
         "nhs.net": "127.0.0.4"}


def zone():
    z = {}
    for domain, address in HOSTS.items():
        z[domain] = {"MX": [[10, f"mx.{domain}"]]}
        z[f"mx.{domain}"] = {"A": [address]}
    return z


def sink_port():
    """A port free on all three addresses. The socket at 127.0.0.3 stays
    bound and never listens, so a connection there is refused (and no
    one else can listen there) for as long as the demo runs."""
    for _ in range(50):
        probe = socket.socket()
        probe.bind((HOSTS["elsewhere.example"], 0))
        port = probe.getsockname()[1]
        held = []
        try:
            for address in (HOSTS["unreachable.example"], HOSTS["nhs.net"]):
                s = socket.socket()
                s.bind((address, port))
                held.append(s)
        except OSError:
            for s in held:
                s.close()
            probe.close()
            continue
        probe.close()
        held[1].close()       # the nhs.net sink listens there next
        return port, held[0]
    raise SystemExit("demo-outbound: no port free on 127.0.0.2-4")


class Saver:
    """Writes each message a sink takes into its own directory, numbered,
    and says where, with the one line that checks its DKIM signature."""

    def __init__(self, directory, bin_path, instance, warn=None):
        self.dir = directory
        self.bin = bin_path
        self.instance = instance
        self.warn = warn
        self.lock = threading.Lock()

    def __call__(self, received):
        with self.lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            n = len(list(self.dir.glob("*.eml"))) + 1
            path = self.dir / f"{n:04d}.eml"
            path.write_bytes(received.data)
        signed = received.data.startswith(b"DKIM-Signature:")
        lines = [f"{self.dir.name}: a message from {received.mail_from} "
                 f"for {', '.join(received.rcpt_tos)}, "
                 f"{'DKIM-signed' if signed else 'NOT signed'}, saved as "
                 f"{path}"]
        if self.warn:
            lines.insert(0, self.warn)
        if signed:
            record = (f"$({shlex.quote(self.bin)} dkim show --dir "
                      f"{shlex.quote(str(self.instance))} --domain {DOMAIN}"
                      " --json | jq -r .record)")
            lines.append("  check its signature with python3-dkim: " +
                         verify_command(shlex.quote(str(path)), record))
        print("\n".join(lines), flush=True)


def verify_command(path, record):
    """The one line that checks a saved message's DKIM signature against
    the record `caremail dkim show` prints (the record the domain would
    publish in DNS; here it is handed to dkim.verify directly)."""
    code = ("import dkim,sys; m=open(sys.argv[1],'rb').read(); "
            "ok=dkim.verify(m, dnsfunc=lambda name, timeout=5: "
            "sys.argv[2].encode()); "
            "print('DKIM signature verifies' if ok else "
            "'DKIM signature does NOT verify'); sys.exit(0 if ok else 1)")
    return f"/usr/bin/python3 -c \"{code}\" {path} \"{record}\""


def main():
    os.chdir(ROOT)
    bin_path = os.environ.get("CAREMAIL_BIN", "build/caremail")
    instance = pathlib.Path(os.environ.get("CAREMAIL_DEMO_DIR", "var/demo"))
    run_demo = [str(ROOT / "scripts" / "run-demo.sh")]

    # The demo instance first (as `make run` makes it), so the settings
    # file can go in it; the arguments are checked there too.
    prepare = subprocess.run(run_demo + sys.argv[1:],
                             env=dict(os.environ,
                                      CAREMAIL_DEMO_PREPARE_ONLY="1"))
    if prepare.returncode != 0:
        sys.exit(prepare.returncode)

    port, refuser = sink_port()
    sinks_dir = instance / "sinks"
    with DnsStub(zone()) as stub, \
            Sink(host=HOSTS["elsewhere.example"], port=port,
                 on_message=Saver(sinks_dir / "elsewhere.example",
                                  bin_path, instance)), \
            Sink(host=HOSTS["nhs.net"], port=port,
                 on_message=Saver(sinks_dir / "nhs.net", bin_path, instance,
                                  warn="nhs.net: SENT IN CLEAR: a secure "
                                  "domain's mail must never arrive here")):
        settings = [f"dns.servers=127.0.0.1@{stub.port}",
                    "dns.trust_anchor=", f"outbound.port={port}"]
        set_file = instance / "demo-outbound.set"
        set_file.write_text(" ".join(f"--set {s}" for s in settings) + "\n")
        print(f"""
  Mail to other domains goes to servers on this machine:
  DNS stub:            127.0.0.1@{stub.port} (dns.servers)
  elsewhere.example:   {HOSTS['elsewhere.example']}:{port} takes every message and saves it in {sinks_dir / 'elsewhere.example'}/
  unreachable.example: {HOSTS['unreachable.example']}:{port} refuses connections: mail waits, then bounces
  nhs.net:             {HOSTS['nhs.net']}:{port} offers no STARTTLS: a secure domain, so nothing is sent
  any other domain:    does not exist: nothing leaves this machine
  for queue run:       {bin_path} queue run --dir {instance} $(cat {set_file}) --at TIME""",
              flush=True)

        child = subprocess.Popen(run_demo + settings + sys.argv[1:])

        def forward(signum, frame):
            if child.poll() is None:
                child.send_signal(signum)
        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        try:
            code = child.wait()
        finally:
            set_file.unlink(missing_ok=True)
            refuser.close()
    sys.exit(code)


if __name__ == "__main__":
    main()
