#!/usr/bin/env python3
"""B10's remote mail servers: Postfix's `smtp-sink` (a test server in C that
says 250 to everything, from the postfix package the peer installs) on a
free loopback port, with its running counters (-c) read from its stdout, so
B10 knows when every message has been accepted remotely.

Why not a Python sink: the tests' aiosmtpd sink (tests/integration/
smtpsink.py) and a bare asyncio one both spent 0.8-1.5 ms of CPU per
message here, about as much as the systems measured, on the same 2 cores;
smtp-sink spends about 0.08 ms. It announces PIPELINING, 8BITMIME and
ENHANCEDSTATUSCODES and no STARTTLS, so both systems send in clear.

    with Sink("127.0.0.2") as sink:    # listening on 127.0.0.2:sink.port
        sink.count()                   # messages accepted ("." answered 250)
        sink.cpu_s()                   # CPU seconds smtp-sink has used

Alone (its capacity, to check it is not the bottleneck), driven by
Postfix's smtp-source (C) as caremail and Postfix drive it (connections
kept open for many messages) and one connection per message:

    python3 bench/b10_sink.py [-n 20000] [--size 4096] [--sessions 4 20]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import threading
import time

from benchlib import HZ, free_port, stat_of, wait_port

COUNTERS = re.compile(rb"mesg=(\d+)")


class Sink:
    def __init__(self, host="127.0.0.1", backlog=1024):
        exe = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
        if not os.path.exists(exe):
            raise SystemExit("B10 needs smtp-sink (Debian's postfix package; "
                             "the peer's setup.sh installs it)")
        self.host = host
        self.port = free_port(host)
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen(
            [exe, "-c", *user, "%s:%d" % (host, self.port), str(backlog)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self._count = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            wait_port(self.port, self.proc, "smtp-sink", timeout=10, host=host)
        except BaseException:
            self.stop()
            raise

    def _read(self):
        # "\rsess=N quit=N mesg=N" after every session end, QUIT and ".".
        tail = b""
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            tail = (tail + chunk)[-256:]
            found = COUNTERS.findall(tail)
            if found:
                self._count = int(found[-1])

    def count(self):
        return self._count

    def cpu_s(self):
        st = stat_of(self.proc.pid)
        return st[1] / HZ if st else 0.0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def alone(n, size, sessions, reuse):
    with Sink() as sink:
        cmd = ["smtp-source", "-s", str(sessions), "-m", str(n), "-l",
               str(size), "-f", "sender@bench.test", "-t",
               "user@d001.b10.example", "127.0.0.1:%d" % sink.port]
        if reuse:
            cmd.insert(1, "-d")
        c0 = os.times()
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        while sink.count() < n and time.perf_counter() - t0 < 120:
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        c1 = os.times()
        return {"sessions": sessions, "reuse": reuse, "n": n,
                "taken": sink.count(), "wall_s": round(wall, 2),
                "rate": round(sink.count() / wall),
                "sink_cpu_s": round(sink.cpu_s(), 2),
                "sink_cpu_ms_per_msg": round(1000 * sink.cpu_s() / n, 3),
                "driver_cpu_s": round(c1.children_user + c1.children_system
                                      - c0.children_user
                                      - c0.children_system, 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--sessions", type=int, nargs="+", default=[4, 20])
    a = ap.parse_args()
    for s in a.sessions:
        for reuse in (True, False):
            print(json.dumps(alone(a.n, a.size, s, reuse)), flush=True)


if __name__ == "__main__":
    main()
