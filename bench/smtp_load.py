#!/usr/bin/env python3
"""Bounded SMTP load driver for B1, used for caremail and the peer alike.

Modelled on ../shared/peers/smtp_load.py (same message shape, recipients
user0001..userRCPTS@DOMAIN, CONC threads, one connection per message unless
--reuse), with two additions: it records the DATA->250 latency (from sending
"DATA" to reading the 250 after the final ".", which covers the body transfer
and the server's durable commit) and the dot->250 latency (the commit wait
alone) besides the whole-transaction latency (connect, or MAIL on a reused
connection, ->250), and it prints its result as one JSON object (--json).

B10 (outbound) uses it too: --to-domains K sends message i to
user(i / K % RCPTS + 1)@d(i % K + 1).b10.example (d001 ... dK, the remote
domains the sinks stand for; every domain in turn, RCPTS people each), and --from names the sender (default
sender@DOMAIN; caremail's relay takes only its org's addresses).

Loopback only; stops after N messages or --timeout seconds.
"""
import argparse, json, os, socket, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", default="2525",
                help="a port, or several comma-separated (several nodes): "
                     "each connection takes the next in turn")
ap.add_argument("-n", type=int, default=20000)
ap.add_argument("--size", type=int, default=4096)
ap.add_argument("--rcpts", type=int, default=1000)
ap.add_argument("--conc", type=int, default=20)
ap.add_argument("--domain", default="bench.test")
ap.add_argument("--to-domains", type=int, default=0,
                help="B10: recipients at d001..dK.b10.example instead of DOMAIN")
ap.add_argument("--from", dest="sender", help="the sender (default sender@DOMAIN)")
ap.add_argument("--reuse", action="store_true", help="keep one connection per session")
ap.add_argument("--timeout", type=float, default=600)
ap.add_argument("--json", action="store_true", help="print one JSON object")
a = ap.parse_args()
a.sender = a.sender or "sender@" + a.domain
assert a.host.startswith("127.") or a.host in ("localhost", "::1"), "loopback only"

line = ("The quick brown fox jumps over the lazy dog 0123456789 " * 2)[:76] + "\r\n"
BODY = (line * max(1, round(a.size / len(line)))).encode()  # whole CRLF lines, ~SIZE bytes
lock = threading.Lock()
next_i = [0]
txn_lat, data_lat, dot_lat = [], [], []
errors = [0]
first_errors = []
deadline = time.monotonic() + a.timeout


PORTS = [int(p) for p in str(a.port).split(",")]
next_port = [0]


class Conn:
    def __init__(self):
        with lock:
            port = PORTS[next_port[0] % len(PORTS)]
            next_port[0] += 1
        self.s = socket.create_connection((a.host, port), timeout=60)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.expect(b"220")
        self.cmd(b"EHLO loadgen.%s" % a.domain.encode(), b"250")

    def reply(self):  # read one (possibly multi-line) reply, return its code
        while True:
            while b"\r\n" not in self.buf:
                d = self.s.recv(65536)
                if not d:
                    raise ConnectionError("closed")
                self.buf += d
            ln, self.buf = self.buf.split(b"\r\n", 1)
            if ln[3:4] != b"-":
                self.last = ln
                return ln[:3]

    def expect(self, code):
        r = self.reply()
        if r != code:
            raise RuntimeError("got %r want %r" % (self.last, code))

    def cmd(self, c, code):
        self.s.sendall(c + b"\r\n")
        self.expect(code)

    def send(self, i):
        if a.to_domains:
            domain = "d%03d.b10.example" % (i % a.to_domains + 1)
            rcpt = "user%04d@%s" % (i // a.to_domains % a.rcpts + 1, domain)
        else:
            rcpt = "user%04d@%s" % (i % a.rcpts + 1, a.domain)
        self.cmd(b"MAIL FROM:<%s>" % a.sender.encode(), b"250")
        self.cmd(b"RCPT TO:<%s>" % rcpt.encode(), b"250")
        hdr = ("From: {s}\r\nTo: {r}\r\nSubject: load test {i}\r\n"
               "Message-ID: <load{i}.{t}@{d}>\r\nDate: {date}\r\n\r\n").format(
            s=a.sender, d=a.domain, r=rcpt, i=i, t=time.time_ns(),
            date=time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())).encode()
        t_data = time.perf_counter()
        self.cmd(b"DATA", b"354")
        self.s.sendall(hdr + BODY + b".\r\n")
        t_dot = time.perf_counter()
        self.expect(b"250")
        t_end = time.perf_counter()
        return t_end - t_data, t_end - t_dot

    def close(self):
        try:
            self.cmd(b"QUIT", b"221")
        finally:
            self.s.close()


def worker():
    c = None
    while time.monotonic() < deadline:
        with lock:
            i = next_i[0]
            if i >= a.n:
                break
            next_i[0] += 1
        t0 = time.perf_counter()
        try:
            if c is None:
                c = Conn()
            d_data, d_dot = c.send(i)
            dt = time.perf_counter() - t0
            with lock:
                txn_lat.append(dt); data_lat.append(d_data); dot_lat.append(d_dot)
            if not a.reuse:
                c.close(); c = None
        except Exception as e:  # count and go on; the bench checks delivery counts
            with lock:
                errors[0] += 1
                if len(first_errors) < 5:
                    first_errors.append(str(e))
            if c is not None:
                try:
                    c.s.close()
                except OSError:
                    pass
            c = None
    if c is not None:
        try:
            c.close()
        except Exception:
            pass


def q(v, p):
    return v[min(len(v) - 1, int(p * len(v)))] * 1000 if v else float("nan")


c0 = os.times()
start = time.perf_counter()
ts = [threading.Thread(target=worker) for _ in range(a.conc)]
for t in ts: t.start()
for t in ts: t.join()
wall = time.perf_counter() - start
c1 = os.times()
for v in (txn_lat, data_lat, dot_lat):
    v.sort()
res = {
    "accepted": len(data_lat), "errors": errors[0], "first_errors": first_errors,
    "wall_s": round(wall, 3), "accept_rate": round(len(data_lat) / wall, 1),
    "data250_p50_ms": round(q(data_lat, .5), 2), "data250_p99_ms": round(q(data_lat, .99), 2),
    "data250_max_ms": round(q(data_lat, 1), 2),
    "dot250_p50_ms": round(q(dot_lat, .5), 2), "dot250_p99_ms": round(q(dot_lat, .99), 2),
    "txn_p50_ms": round(q(txn_lat, .5), 2), "txn_p99_ms": round(q(txn_lat, .99), 2),
    "driver_cpu_s": round((c1.user - c0.user) + (c1.system - c0.system), 2),
    "reuse": a.reuse, "conc": a.conc, "size": a.size, "rcpts": a.rcpts, "n": a.n,
}
if a.json:
    print(json.dumps(res))
else:
    print("client: accepted=%d errors=%d wall=%.2fs rate=%.0f/s DATA->250 p50=%.1fms p99=%.1fms "
          "max=%.1fms; dot->250 p50=%.1fms p99=%.1fms; txn p50=%.1fms p99=%.1fms; driver cpu %.1fs"
          % (res["accepted"], res["errors"], wall, res["accept_rate"], res["data250_p50_ms"],
             res["data250_p99_ms"], res["data250_max_ms"], res["dot250_p50_ms"],
             res["dot250_p99_ms"], res["txn_p50_ms"], res["txn_p99_ms"], res["driver_cpu_s"]))
for e in first_errors:
    print("error:", e, file=sys.stderr)
