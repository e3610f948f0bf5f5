#!/usr/bin/env python3
"""IMAP timing client for B3 and B4, for caremail and the peer alike.

Modelled on ../shared/peers/imap_bench.py (the same operations, timed the
same way: from sending the command to reading its tagged OK, the response
streamed and counted, not parsed), with three differences:

  * --tls starttls|implicit|none: caremail refuses LOGIN before TLS
    (LOGINDISABLED), so it is driven over STARTTLS; the peer's Dovecot is set
    up by setup.sh with `ssl = no`, so it can only be driven in plaintext.
    Connect + TLS + LOGIN is timed apart from the operations.
  * results are printed as one JSON object on stdout (--json) besides the
    peer-style lines on stderr;
  * a `fill` mode (APPEND the messages of a Maildir, flags and dates kept)
    and the IDLE state for the `idle` mode.

bench: PASSES passes, each on a new connection: LOGIN, SELECT INBOX,
  UID FETCH 1:* (FLAGS), FETCH 1:* (ENVELOPE), UID SEARCH SUBJECT WORD,
  UID SEARCH TEXT WORD.
idle: open CONNS connections (LOGIN as --user-fmt % i, SELECT INBOX, IDLE,
  wait for the "+"), then measure the server's memory (--mem single: VmRSS /
  PSS of --server-pid alone; --mem tree: summed PSS / RSS of --server-pid and
  all its descendants) before vs. with the CONNS idle sessions.
append: APPEND the first --limit messages of a Maildir (by name) to INBOX
  one at a time on one connection, each waited for (its tagged OK) before
  the next is sent, as a client moving mail in does: the wall time, and
  each APPEND's latency (p50, p99).
fill: APPEND every message of a Maildir (cur/ and new/, in name order) to
  INBOX with the flags of its name (:2,FS) and its mtime as the internal
  date, LF turned into CRLF; --conns connections in parallel (so the
  server's group commit can batch), each with --window APPENDs in flight
  (LITERAL+).

Loopback only. Certificates are not checked (the instance's self-signed
certificate, on 127.0.0.1).
"""
import argparse, json, os, re, socket, ssl, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("mode", choices=["bench", "idle", "fill", "append"])
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, default=1143)
ap.add_argument("--tls", choices=["starttls", "implicit", "none"], default="starttls")
ap.add_argument("--user", default="user5000@example.test")
ap.add_argument("--password", default="pass")
ap.add_argument("--passes", type=int, default=2)
ap.add_argument("--labels", default="", help="comma-separated names of the passes")
ap.add_argument("--word", default="foo", help="the SEARCH SUBJECT / TEXT word")
ap.add_argument("--ops", default="", help="bench: only SELECT and these (comma-separated keys: "
                "fetch_flags, fetch_envelope, search_subject, search_text)")
ap.add_argument("--conns", type=int, default=1000)
ap.add_argument("--user-fmt", default="user%04d@example.test")
ap.add_argument("--parallel", type=int, default=4, help="idle: connections opened at once")
ap.add_argument("--server-pid", type=int, default=0)
ap.add_argument("--mem", choices=["single", "tree"], default="single")
ap.add_argument("--settle", type=float, default=5, help="idle: seconds before measuring")
ap.add_argument("--warmup-user", default="", help="idle: sign in and out once before 'before'")
ap.add_argument("--maildir")
ap.add_argument("--window", type=int, default=16)
ap.add_argument("--limit", type=int, default=2000, help="append: how many messages")
ap.add_argument("--timeout", type=float, default=600, help="per-command socket timeout")
ap.add_argument("--json", action="store_true")
a = ap.parse_args()
assert a.host.startswith("127.") or a.host in ("localhost", "::1"), "loopback only"

CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
HZ = os.sysconf("SC_CLK_TCK")


def log(*x):
    print(*x, file=sys.stderr, flush=True)


class Imap:
    """One connection. Streams each response in big chunks and only looks for
    the tagged reply (CRLF + tag + SP), as the peer's client does. (Safe here:
    these commands return no message bodies, so no literal holds such a line.)"""

    def __init__(self):
        t0 = time.perf_counter()
        raw = socket.create_connection((a.host, a.port), timeout=a.timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s = CTX.wrap_socket(raw) if a.tls == "implicit" else raw
        self.n = 0
        self.buf = b""
        g = b""
        while not g.endswith(b"\r\n"):
            d = self.s.recv(4096)
            if not d:
                raise ConnectionError("closed before the greeting")
            g += d  # greeting
        if g.startswith(b"* BYE"):
            raise ConnectionError(g.decode(errors="replace").strip())
        if a.tls == "starttls":
            self.cmd("STARTTLS")
            self.s = CTX.wrap_socket(self.s)
        self.t_connect = time.perf_counter() - t0

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, c, expect=b"OK"):
        """Send one command; return (seconds, bytes, untagged responses, SEARCH hits)."""
        self.n += 1
        tag = b"a%d" % self.n
        t0 = time.perf_counter()
        self.send(tag + b" " + c.encode() + b"\r\n")
        return self.wait(tag, t0, expect)

    def wait(self, tag, t0, expect=b"OK"):
        """Read up to and including the tagged reply to TAG; bytes after it
        (replies to pipelined commands) are kept for the next wait."""
        needle = b"\r\n" + tag + b" "
        nbytes = lines = 0
        prev, keep = b"\r\n", []
        chunk, self.buf = self.buf, b""
        while True:
            if not chunk:
                chunk = self.s.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("server closed")
            nbytes += len(chunk)
            lines += (prev[-3:] + chunk).count(b"\r\n* ")
            win = prev[-(len(needle) - 1):] + chunk
            if nbytes < (1 << 22):
                keep.append(chunk)
            i = win.find(needle)
            if i >= 0:
                rest = win[i + 2:]
                while b"\r\n" not in rest:
                    more = self.s.recv(4096)
                    if not more:
                        raise ConnectionError("server closed")
                    rest += more; nbytes += len(more)
                j = rest.index(b"\r\n") + 2
                rest, self.buf = rest[:j], rest[j:]
                break
            prev, chunk = win, b""
        dt = time.perf_counter() - t0
        if not rest.startswith(tag + b" " + expect):
            raise RuntimeError(rest.decode(errors="replace").strip())
        hits = 0
        m = re.search(rb"\* SEARCH([ 0-9]*)\r\n", b"".join(keep))
        if m:
            hits = len(m.group(1).split())
        self.last, self.keep = rest, keep
        return dt, nbytes, lines, hits

    def login(self, user, password):
        return self.cmd('LOGIN "%s" "%s"' % (user, password))[0]

    def close(self):
        try:
            self.cmd("LOGOUT")
        except Exception:
            pass
        try:
            self.s.close()
        except OSError:
            pass


# ------------------------------------------------------------------ bench
def bench():
    w = a.word
    ops = [("select", "SELECT INBOX"), ("fetch_flags", "UID FETCH 1:* (FLAGS)"), ("fetch_envelope", "FETCH 1:* (ENVELOPE)"),
           ("search_subject", "UID SEARCH SUBJECT %s" % w), ("search_text", "UID SEARCH TEXT %s" % w)]
    if a.ops:
        ops = [o for o in ops if o[0] == "select" or o[0] in a.ops.split(",")]
    labels = [x for x in a.labels.split(",") if x] or ["pass%d" % p for p in range(1, a.passes + 1)]
    out = {"tls": a.tls, "passes": []}
    for p in range(a.passes):
        label = labels[p] if p < len(labels) else "pass%d" % (p + 1)
        t0 = time.perf_counter()
        c = Imap()
        tl = c.login(a.user, a.password)
        total = time.perf_counter() - t0
        r = {"label": label, "connect_s": round(c.t_connect, 6), "login_s": round(tl, 6),
             "connect_login_s": round(total, 6)}
        how = "connect" if a.tls == "none" else "connect+" + a.tls
        log(f"{label:6s} {how + '+LOGIN':23s} {total*1000:9.1f} ms  ({how} "
            f"{c.t_connect*1000:.1f} ms, LOGIN {tl*1000:.1f} ms)")
        for key, op in ops:
            procs = server_procs()
            s0 = cpu_ticks(procs)
            c0 = time.process_time()
            dt, nb, nl, hits = c.cmd(op)
            cpu = time.process_time() - c0
            if procs:  # the server's CPU for this command (10 ms ticks)
                r[key + "_server_cpu_s"] = round((cpu_ticks(server_procs()) - s0) / HZ, 2)
            r[key + "_s"] = round(dt, 6)
            r[key + "_bytes"] = nb
            r[key + ("_hits" if "SEARCH" in op else "_responses")] = hits if "SEARCH" in op else nl
            r[key + "_client_cpu_s"] = round(cpu, 4)
            extra = f"hits={hits}" if "SEARCH" in op else f"responses={nl}"
            if key == "select":
                m = re.search(rb"\* (\d+) EXISTS", b"".join(c.keep))
                r["exists"] = int(m.group(1)) if m else -1
                extra = f"EXISTS {r['exists']}"
            log(f"{label:6s} {op:23s} {dt*1000:9.1f} ms  ({nb/1e6:.2f} MB, {extra}, client cpu {cpu*1000:.0f} ms)")
        c.close()
        out["passes"].append(r)
    print(json.dumps(out))


# ------------------------------------------------------------------ memory
def tree(root):  # root and all its descendants
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                st = open(f"/proc/{p}/stat").read()
                ppid = int(st[st.rindex(")") + 2:].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except (OSError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        x = todo.pop(); out.append(x); todo += kids.get(x, [])
    return out


def server_procs():
    if not a.server_pid:
        return []
    return [a.server_pid] if a.mem == "single" else tree(a.server_pid)


def cpu_ticks(pids):
    n = 0
    for p in pids:
        try:
            st = open(f"/proc/{p}/stat").read()
            f = st[st.rindex(")") + 2:].split()
            n += int(f[11]) + int(f[12])
        except (OSError, ValueError):
            pass
    return n


def mem():
    """(processes, RSS kB, PSS kB, threads, MemAvailable kB)."""
    rss = pss = threads = 0
    procs = [a.server_pid] if a.mem == "single" else tree(a.server_pid)
    for p in procs:
        try:
            for ln in open(f"/proc/{p}/smaps_rollup"):
                if ln.startswith("Rss:"): rss += int(ln.split()[1])
                elif ln.startswith("Pss:"): pss += int(ln.split()[1])
            for ln in open(f"/proc/{p}/status"):
                if ln.startswith("Threads:"): threads += int(ln.split()[1])
        except OSError:
            pass
    avail = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemAvailable:"))
    return len(procs), rss, pss, threads, avail


def vm_rss(pid):
    for ln in open(f"/proc/{pid}/status"):
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
    return 0


def idle():
    if a.warmup_user:  # one-off start-up work (TLS, store pool, decoy hash) is not per connection
        c = Imap(); c.login(a.warmup_user, a.password); c.cmd("SELECT INBOX"); c.close()
    time.sleep(2)
    n0, r0, p0, th0, av0 = mem()
    vr0 = vm_rss(a.server_pid) if a.mem == "single" else 0
    conns, errors, lock = [], [], threading.Lock()
    nxt = [1]

    def opener():
        while True:
            with lock:
                i = nxt[0]
                if i > a.conns or len(errors) > 10:
                    return
                nxt[0] += 1
            try:
                c = Imap()
                c.login(a.user_fmt % i, a.password)
                c.cmd("SELECT INBOX")
                c.n += 1
                c.idle_tag = b"a%d" % c.n
                c.send(c.idle_tag + b" IDLE\r\n")
                g = b""
                while not g.endswith(b"\r\n"):
                    d = c.s.recv(4096)
                    if not d:
                        raise ConnectionError("closed in IDLE")
                    g += d
                if not g.startswith(b"+"):
                    raise RuntimeError("IDLE: %r" % g[:200])
                with lock:
                    conns.append(c)
            except Exception as e:
                with lock:
                    errors.append("conn %d: %s" % (i, e))

    t0 = time.perf_counter()
    ts = [threading.Thread(target=opener) for _ in range(a.parallel)]
    for t in ts: t.start()
    for t in ts: t.join()
    t_open = time.perf_counter() - t0
    k = len(conns)
    # let the server settle, and see what idling costs in CPU
    procs = [a.server_pid] if a.mem == "single" else tree(a.server_pid)
    time.sleep(min(2, a.settle))
    cpu0, w0 = cpu_ticks(procs), time.perf_counter()
    time.sleep(max(0, a.settle - 2))
    cpu1, w1 = cpu_ticks(procs), time.perf_counter()
    n1, r1, p1, th1, av1 = mem()
    vr1 = vm_rss(a.server_pid) if a.mem == "single" else 0
    res = {"conns_wanted": a.conns, "conns": k, "errors": len(errors), "first_errors": errors[:5],
           "open_s": round(t_open, 2), "tls": a.tls, "mem": a.mem,
           "procs_before": n0, "procs_with": n1, "threads_before": th0, "threads_with": th1,
           "rss_before_kb": r0, "rss_with_kb": r1, "pss_before_kb": p0, "pss_with_kb": p1,
           "vmrss_before_kb": vr0, "vmrss_with_kb": vr1,
           "memavail_drop_kb": av0 - av1,
           "idle_cpu_pct": round(100 * (cpu1 - cpu0) / HZ / max(1e-6, w1 - w0), 2)}
    if k:
        res["rss_per_conn_kb"] = round((r1 - r0) / k, 1)
        res["pss_per_conn_kb"] = round((p1 - p0) / k, 1)
        res["memavail_per_conn_kb"] = round((av0 - av1) / k, 1)
    log(f"idle: {k}/{a.conns} connections ({len(errors)} errors) signed in, SELECTed, IDLE in {t_open:.1f}s")
    log(f"idle: server processes {n0} -> {n1}, threads {th0} -> {th1}; RSS {r0/1024:.1f} -> {r1/1024:.1f} MiB; "
        f"PSS {p0/1024:.1f} -> {p1/1024:.1f} MiB; idle CPU {res['idle_cpu_pct']}%")
    if k:
        log(f"idle: per connection: RSS {res['rss_per_conn_kb']:.0f} KiB, PSS {res['pss_per_conn_kb']:.0f} KiB, "
            f"MemAvailable drop {res['memavail_per_conn_kb']:.0f} KiB")
    for e in errors[:5]:
        log("idle error:", e)
    # How long DONE takes to be answered, on the first few connections one
    # at a time (IDLE -> DONE -> tagged OK is what a client waits for before
    # its next command); then DONE to all the others at once, and LOGOUT.
    sample, lat = conns[:min(50, k)], []
    for c in sample:
        try:
            t = time.perf_counter()
            c.send(b"DONE\r\n")
            c.wait(c.idle_tag, t)
            lat.append(time.perf_counter() - t)
        except Exception:
            pass
    rest = conns[len(sample):]
    for c in rest:
        try:
            c.send(b"DONE\r\n")
        except OSError:
            pass
    for c in rest:
        try:
            c.wait(c.idle_tag, 0)
        except Exception:
            pass
    for c in conns:
        try:
            c.send(b"zz LOGOUT\r\n")
        except OSError:
            pass
    for c in conns:
        try:
            c.s.close()
        except OSError:
            pass
    if lat:
        lat.sort()
        res["done_n"] = len(lat)
        res["done_p50_ms"] = round(lat[len(lat) // 2] * 1000, 1)
        res["done_max_ms"] = round(lat[-1] * 1000, 1)
        log(f"idle: DONE answered in p50 {res['done_p50_ms']} ms, max {res['done_max_ms']} ms "
            f"({len(lat)} connections, one at a time)")
    print(json.dumps(res))


# ------------------------------------------------------------------ fill
FLAGMAP = {"S": "\\Seen", "F": "\\Flagged", "R": "\\Answered", "D": "\\Draft", "T": "\\Deleted"}
MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def maildir_files():
    files = []
    for sub in ("cur", "new"):
        d = os.path.join(a.maildir, sub)
        files += [os.path.join(d, f) for f in os.listdir(d)]
    files.sort(key=os.path.basename)
    return files


def append_args(path):
    """The flags, internal date and CRLF bytes of a Maildir file."""
    name = os.path.basename(path)
    flags = name.rsplit(":2,", 1)[1] if ":2," in name else ""
    fl = " ".join(FLAGMAP[x] for x in flags if x in FLAGMAP)
    t = time.gmtime(int(os.stat(path).st_mtime))
    date = "%02d-%s-%04d %02d:%02d:%02d +0000" % (t.tm_mday, MON[t.tm_mon - 1], t.tm_year,
                                                  t.tm_hour, t.tm_min, t.tm_sec)
    data = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return fl, date, data


def append():
    files = maildir_files()[:a.limit]
    msgs = [append_args(p) for p in files]  # read before the clock starts
    c = Imap()
    c.login(a.user, a.password)
    lat = []
    t0 = time.perf_counter()
    for fl, date, data in msgs:
        c.n += 1
        tag = b"a%d" % c.n
        t = time.perf_counter()
        c.send(b"%s APPEND INBOX (%s) \"%s\" {%d+}\r\n" % (tag, fl.encode(), date.encode(), len(data))
               + data + b"\r\n")
        c.wait(tag, t)
        lat.append(time.perf_counter() - t)
    wall = time.perf_counter() - t0
    c.close()
    lat.sort()
    res = {"appended": len(lat), "bytes": sum(len(m[2]) for m in msgs), "wall_s": round(wall, 3),
           "p50_ms": round(lat[len(lat) // 2] * 1000, 2) if lat else 0,
           "p99_ms": round(lat[min(len(lat) - 1, len(lat) * 99 // 100)] * 1000, 2) if lat else 0}
    log(f"append: {len(lat)} messages one at a time in {wall:.2f}s "
        f"(p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms)")
    print(json.dumps(res))


def fill():
    files = []
    for sub in ("cur", "new"):
        d = os.path.join(a.maildir, sub)
        files += [os.path.join(d, f) for f in os.listdir(d)]
    files.sort(key=os.path.basename)
    n = len(files)
    done = [0]
    errors = []
    lock = threading.Lock()

    def worker(k):
        c = Imap()
        c.login(a.user, a.password)
        mine = files[k::a.conns]
        inflight = []
        for path in mine:
            name = os.path.basename(path)
            flags = name.rsplit(":2,", 1)[1] if ":2," in name else ""
            fl = " ".join(FLAGMAP[x] for x in flags if x in FLAGMAP)
            t = time.gmtime(int(os.stat(path).st_mtime))
            date = "%02d-%s-%04d %02d:%02d:%02d +0000" % (t.tm_mday, MON[t.tm_mon - 1], t.tm_year,
                                                          t.tm_hour, t.tm_min, t.tm_sec)
            data = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            c.n += 1
            tag = b"a%d" % c.n
            c.send(b"%s APPEND INBOX (%s) \"%s\" {%d+}\r\n" % (tag, fl.encode(), date.encode(), len(data))
                   + data + b"\r\n")
            inflight.append(tag)
            if len(inflight) >= a.window:
                c.wait(inflight.pop(0), 0)
                with lock:
                    done[0] += 1
        while inflight:
            c.wait(inflight.pop(0), 0)
            with lock:
                done[0] += 1
        c.close()

    def run(k):
        try:
            worker(k)
        except Exception as e:
            with lock:
                errors.append(str(e))

    t0 = time.perf_counter()
    ts = [threading.Thread(target=run, args=(k,)) for k in range(a.conns)]
    for t in ts: t.start()
    for t in ts: t.join()
    wall = time.perf_counter() - t0
    log(f"fill: {done[0]}/{n} APPENDed in {wall:.1f}s ({done[0]/wall:.0f}/s), {len(errors)} errors {errors[:3]}")
    print(json.dumps({"files": n, "appended": done[0], "wall_s": round(wall, 2), "errors": errors[:5]}))
    if errors or done[0] != n:
        sys.exit(1)


{"bench": bench, "idle": idle, "fill": fill, "append": append}[a.mode]()
