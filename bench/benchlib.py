"""Helpers the benchmarks share: process trees and their memory and CPU,
starting and stopping a caremail server, driving and measuring an SMTP run
(B1, B10), restarting the peer's Dovecot, dropping the page cache, and the
reports' machine facts and RESULTS.md."""
import json, os, platform, shutil, signal, socket, subprocess, sys, threading, time

HZ = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command's name (proc(5):
    field 4, ppid, is [1]), or None when the process is gone."""
    try:
        st = open("/proc/%d/stat" % pid).read()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()


def stat_of(pid):
    """(ppid, cpu ticks incl. reaped children, rss kB) or None."""
    f = _stat_fields(pid)
    if f is None:
        return None
    return int(f[1]), int(f[11]) + int(f[12]) + int(f[13]) + int(f[14]), int(f[21]) * PAGE_KB


def cpu_user_system_s(pid):
    """The process's own user and system CPU so far, in seconds."""
    f = _stat_fields(pid)
    return int(f[11]) / HZ, int(f[12]) / HZ


def tree(roots):
    """All live processes under the given root PIDs: {pid: (cpu ticks, rss kB)}."""
    info, kids = {}, {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            s = stat_of(int(p))
            if s:
                info[int(p)] = s
                kids.setdefault(s[0], []).append(int(p))
    out, todo = {}, [r for r in roots if r in info]
    while todo:
        x = todo.pop()
        out[x] = info[x][1:]
        todo += kids.get(x, [])
    return out


def status_kb(pid, field):
    try:
        for ln in open("/proc/%d/status" % pid):
            if ln.startswith(field + ":"):
                return int(ln.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pids):
    n = 0
    for p in pids:
        try:
            for ln in open("/proc/%d/smaps_rollup" % p):
                if ln.startswith("Pss:"):
                    n += int(ln.split()[1])
        except OSError:
            pass
    return n


class Sampler(threading.Thread):
    """Peak summed RSS (4 Hz) and summed PSS (1 Hz) of a process tree, as b1.py."""
    def __init__(self, roots):
        super().__init__(daemon=True)
        self.roots, self.stop = roots, threading.Event()
        self.peak_rss_kb = self.peak_pss_kb = 0
        self.hwm = {}

    def run(self):
        i = 0
        while True:
            t = tree(self.roots)
            self.peak_rss_kb = max(self.peak_rss_kb, sum(v[1] for v in t.values()))
            if i % 4 == 0:
                self.peak_pss_kb = max(self.peak_pss_kb, pss_kb(t))
                for p in t:  # largest single process, also of processes that exit
                    self.hwm[p] = max(self.hwm.get(p, 0), status_kb(p, "VmHWM"))
            i += 1
            if self.stop.wait(0.25):
                break

    def start(self):
        super().start()
        return self

    def finish(self):
        self.stop.set()
        self.join()
        return self


def machine_ticks():
    """The whole machine's CPU ticks so far: (busy, iowait, all)."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0), f[4], sum(f[:8])


def machine_busy_s():
    """CPU seconds the whole machine has been busy (not idle, not iowait)."""
    return machine_ticks()[0] / HZ


def self_cpu_s():
    """CPU seconds of this process (its threads: samplers, stubs)."""
    t = os.times()
    return t.user + t.system


class CpuSplit:
    """CPU over a stretch: the server's tree (reaped children included), this
    process's waited-for children (the client), and the rest of the machine
    ("other": other people's work, plus kernel threads working for the server)."""
    def __init__(self, roots):
        import resource
        self.roots, self.resource = roots, resource
        self.s0 = sum(v[0] for v in tree(roots).values())
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.c0 = ru.ru_utime + ru.ru_stime
        self.m0, self.t0 = machine_busy_s(), time.perf_counter()

    def done(self):
        ru = self.resource.getrusage(self.resource.RUSAGE_CHILDREN)
        server = (sum(v[0] for v in tree(self.roots).values()) - self.s0) / HZ
        client = ru.ru_utime + ru.ru_stime - self.c0
        machine = machine_busy_s() - self.m0
        return {"wall_s": round(time.perf_counter() - self.t0, 2), "server_cpu_s": round(server, 2),
                "client_cpu_s": round(client, 2), "other_cpu_s": round(machine - server - client, 2)}


def drop_caches():
    """Write back, then drop the clean page cache, dentries and inodes (root only)."""
    subprocess.run(["sync"], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def wait_port(port, proc=None, what="server", timeout=20, host="127.0.0.1"):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise SystemExit("%s exited: rc %d" % (what, proc.returncode))
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("%s: nothing listening on %s:%d after %ds" % (what, host, port, timeout))


# caremail's mail listeners; a benchmark serves on one, the others off so
# they cannot collide with a developer's caremail on the default ports.
LISTENERS = ("smtp", "submission", "submissions", "relay", "imap", "imaps", "pop3", "pop3s")


class Caremail:
    """`caremail serve` on an instance: the listener named by listen (IMAP
    with STARTTLS unless told) on a free port, every other mail listener
    off, HTTP on a free port without TLS; extra: more KEY=VALUE settings
    (later ones win)."""
    def __init__(self, bin, inst, pidfile=None, extra=(), listen="imap"):
        self.port, hport = free_port(), free_port()
        self.log = open(os.path.join(inst, "serve.log"), "a")
        self.pidfile = pidfile
        sets = ["%s.listen=%s" % (l, "127.0.0.1:%d" % self.port if l == listen else "off")
                for l in LISTENERS]
        # The peer's Postfix checks no SPF, DKIM or DMARC, and the sink's
        # senders have no DNS: intake is measured, not a resolver.
        sets += ["http.tls=off", "http.listen=127.0.0.1:%d" % hport, "log.level=warn",
                 "mail.sender_auth=false", *extra]
        cmd = [bin, "serve", "--dir", inst]
        for kv in sets:
            cmd += ["--set", kv]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, start_new_session=True)
        self.pid = self.proc.pid
        if pidfile:
            open(pidfile, "w").write("%d\n" % self.pid)
        try:
            wait_port(self.port, self.proc, "caremail serve")
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.pidfile and os.path.exists(self.pidfile):
            os.unlink(self.pidfile)
        return self.proc.returncode


class Peer:
    """The peer's settings (env.sh's variables, exported by run.sh)."""
    def __init__(self):
        self.peers = os.environ["PEERS"]
        self.domain = os.environ["DOMAIN"]
        self.imap_port = int(os.environ["IMAP_PORT"])
        self.dc_dir = os.path.join(self.peers, "dovecot")
        self.pidfile = os.path.join(self.dc_dir, "run", "master.pid")
        self.mailroot = os.path.join(self.peers, "mail", self.domain)

    def pid(self):
        return int(open(self.pidfile).read().strip())

    def restart_dovecot(self):
        """Stop the Dovecot master (by its pid file, as stop.sh does; it stops its
        children), wait until it and its children are gone, start it again."""
        try:
            pid = self.pid()
        except (OSError, ValueError):
            pid = 0
        if pid and open("/proc/%d/comm" % pid).read().strip() == "dovecot":
            kids = list(tree([pid]))
            os.kill(pid, signal.SIGTERM)
            t0 = time.time()
            while time.time() - t0 < 30 and any(os.path.exists("/proc/%d" % p) and
                                               stat_of(p) is not None for p in kids):
                time.sleep(0.05)
        if os.path.exists(self.pidfile):
            os.unlink(self.pidfile)
        subprocess.run(["dovecot", "-c", os.path.join(self.dc_dir, "dovecot.conf")], check=True)
        t0 = time.time()
        while not os.path.exists(self.pidfile) and time.time() - t0 < 20:
            time.sleep(0.05)
        wait_port(self.imap_port, None, "dovecot")
        return self.pid()


def log(*x):
    print(*x, file=sys.stderr, flush=True)


# ------------------------------------------------------------ SMTP runs (B1, B10)

DRIVER_KEYS = ("accepted", "errors", "accept_rate", "data250_p50_ms", "data250_p99_ms",
               "data250_max_ms", "dot250_p50_ms", "dot250_p99_ms", "txn_p50_ms", "txn_p99_ms",
               "driver_cpu_s", "first_errors", "reuse", "size", "rcpts", "conc")


def drive(port, args, timeout):
    """bench/smtp_load.py against port with args (-n, --size, ...); its JSON."""
    cmd = [sys.executable, os.path.join(HERE, "smtp_load.py"), "--port", str(port),
           "--timeout", str(timeout), "--json", *map(str, args)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout + 60)
    if p.returncode != 0 or not p.stdout.strip():
        raise SystemExit("driver failed (rc %d): %s" % (p.returncode, p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def measure(roots, port, args, n, timeout, count, settled=lambda: True, counted="delivered",
            also=None):
    """Drives the server on port (drive(port, args)), then waits until count()
    reaches n and settled() holds (polled only after the driver has finished,
    so the poller takes no CPU from the run), or timeout. Returns the run's
    figures and the server's process tree at the end. CPU: the server's tree
    (reaped children included), the driver, each of also's {name: cpu_s
    function} (e.g. a sink), and the rest of the machine ("other")."""
    also = also or {}
    subprocess.run(["sync"])
    time.sleep(2)
    cpu0 = sum(v[0] for v in tree(roots).values())
    also0 = {k: f() for k, f in also.items()}
    m0 = machine_ticks()
    sampler = Sampler(roots).start()
    t0 = time.perf_counter()
    drv = drive(port, args, timeout)
    t_sent = time.perf_counter() - t0
    done = count()
    while (done < n or not settled()) and time.perf_counter() - t0 < timeout:
        time.sleep(0.02)
        done = count()
    wall = time.perf_counter() - t0
    t_end = tree(roots)
    sampler.finish()
    m1 = machine_ticks()
    server = (sum(v[0] for v in t_end.values()) - cpu0) / HZ
    used = {k: f() - also0[k] for k, f in also.items()}
    dt = max(1, m1[2] - m0[2])
    res = {
        "n": n, counted: done, "complete": done >= n, "wall_s": round(wall, 3),
        "sender_done_s": round(t_sent, 3), "rate": round(done / wall, 1),
        "server_cpu_s": round(server, 2),
        "server_cpu_ms_per_msg": round(1000 * server / max(1, done), 3),
        "machine_busy_pct": round(100 * (m1[0] - m0[0]) / dt, 1),
        "machine_iowait_pct": round(100 * (m1[1] - m0[1]) / dt, 1),
        **{k: round(v, 2) for k, v in used.items()},
        # CPU used by none of the above: other people's work on the box
        "other_cpu_s": round((m1[0] - m0[0]) / HZ - server - drv["driver_cpu_s"]
                             - sum(used.values()), 2),
        "peak_rss_sampled_kb": sampler.peak_rss_kb,
        "peak_pss_sampled_kb": max(sampler.peak_pss_kb, pss_kb(t_end)),
        "largest_hwm_kb": max(list(sampler.hwm.values()) +
                              [status_kb(p, "VmHWM") for p in t_end] + [0]),
        "procs_at_end": len(t_end),
    }
    res.update({k: drv[k] for k in DRIVER_KEYS})
    return res, t_end


def queued(spool):
    """Messages in a Postfix queue (its spool directory)."""
    n = 0
    for d in ("incoming", "active", "deferred", "hold", "maildrop"):
        for _, _, files in os.walk(os.path.join(spool, d)):
            n += len(files)
    return n


# ------------------------------------------------------------ the reports

def sh(*cmd):
    """A command's stdout, stripped; "" if it cannot run."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def machine(workdir):
    """The machine in one line: CPUs, RAM, kernel, the instance's device."""
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), platform.machine())
    src = sh("findmnt", "-no", "SOURCE", "-T", workdir) or "?"
    return "%d CPUs (%s), %.1f GiB RAM, Linux %s; instance on %s" % (
        len(os.sched_getaffinity(0)), model, mem / 1048576, platform.release(), src)


def load_jsonl(path):
    """One JSON object per non-empty line; none if there is no such file."""
    try:
        return [json.loads(l) for l in open(path) if l.strip()]
    except OSError:
        return []


def record(text, results):
    """Appends a report as a dated section to RESULTS.md (its heading first
    if the file is new or empty; earlier sections are kept)."""
    new = not os.path.exists(results) or os.path.getsize(results) == 0
    with open(results, "a") as f:
        if new:
            f.write("# caremail benchmark results\n\nOne section per `bench/run.sh` run, appended "
                    "(oldest first); see bench/README.md for what each figure means.\n\n")
        else:
            f.write("\n")
        f.write(text if text.endswith("\n") else text + "\n")
    print("recorded in %s" % results)


def pg_url_option(args):
    """The value of --pg-url URL in args (None without it), taken out of
    args, which then holds the rest."""
    if "--pg-url" not in args:
        return None
    at = args.index("--pg-url")
    url = args[at + 1]
    del args[at:at + 2]
    return url


def onto_postgresql_copy(bin, instance, pg_url, prefix, ready=None):
    """A copy of the instance beside it (INSTANCE-pg) moved onto a new
    database of the cluster at pg_url, once: later calls find it by its
    pg.url, written only after ready(inst, url) (the caller's own set-up,
    if any) returned. Its path and its database's URL."""
    inst = instance.rstrip("/") + "-pg"
    marker = os.path.join(inst, "pg.url")
    if os.path.exists(marker):
        return inst, open(marker).read().strip()
    shutil.rmtree(inst, ignore_errors=True)
    shutil.copytree(instance, inst, symlinks=True)
    url = onto_postgresql(bin, inst, pg_url, "%s_%d" % (prefix, os.getpid()))
    if ready is not None:
        ready(inst, url)
    open(marker, "w").write(url + "\n")
    return inst, url


def onto_postgresql(bin, inst, pg_url, name):
    """Moves the instance in directory inst onto a new database `name` of the
    cluster at pg_url with `caremail migrate`, points its configuration at
    it and removes the SQLite files; the database's URL."""
    subprocess.run(["psql", pg_url, "-qc", "CREATE DATABASE %s" % name], check=True,
                   capture_output=True)
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    subprocess.run([bin, "migrate", "--from", "sqlite:" + os.path.join(inst, "caremail.db"),
                    "--to", url], check=True, capture_output=True)
    conf = os.path.join(inst, "caremail.conf")
    text = open(conf).read().replace("backend = sqlite", "backend = postgresql") \
        .replace("path = caremail.db", "path = " + url)
    open(conf, "w").write(text)
    for f in os.listdir(inst):
        if f.startswith("caremail.db"):
            os.unlink(os.path.join(inst, f))
    return url
