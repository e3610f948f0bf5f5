"""Helpers shared by b3.py and b4.py: process trees and their memory and CPU,
starting and stopping a caremail server, restarting the peer's Dovecot,
dropping the page cache. b1.py uses them too."""
import os, signal, socket, subprocess, sys, threading, time

HZ = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stat_of(pid):
    """(ppid, cpu ticks incl. reaped children, rss kB) or None."""
    try:
        st = open("/proc/%d/stat" % pid).read()
    except OSError:
        return None
    f = st[st.rindex(")") + 2:].split()
    return int(f[1]), int(f[11]) + int(f[12]) + int(f[13]) + int(f[14]), int(f[21]) * PAGE_KB


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

    def finish(self):
        self.stop.set()
        self.join()
        return self


def machine_busy_s():
    """CPU seconds the whole machine has been busy (not idle, not iowait)."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)) / HZ


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


class Caremail:
    """`caremail serve` on an instance: IMAP (STARTTLS) on a free port, every
    other mail listener off, HTTP on a free port without TLS."""
    def __init__(self, bin, inst, pidfile=None, extra=()):
        self.port, hport = free_port(), free_port()
        self.log = open(os.path.join(inst, "serve.log"), "a")
        self.pidfile = pidfile
        off = ["smtp.listen", "submission.listen", "submissions.listen", "imaps.listen",
               "pop3.listen", "pop3s.listen"]
        cmd = [bin, "serve", "--dir", inst, "--set", "imap.listen=127.0.0.1:%d" % self.port,
               "--set", "http.tls=off", "--set", "http.listen=127.0.0.1:%d" % hport,
               "--set", "log.level=warn"]
        for o in off:
            cmd += ["--set", o + "=off"]
        for e in extra:
            cmd += ["--set", e]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, start_new_session=True)
        self.pid = self.proc.pid
        if pidfile:
            open(pidfile, "w").write("%d\n" % self.pid)
        wait_port(self.port, self.proc, "caremail serve")

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
