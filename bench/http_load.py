#!/usr/bin/env python3
"""B5 and B9 (PERFORMANCE.md): concurrent HTTP load with wrk.

Builds one large directory (default 1,600,000 people in 10,000 orgs) the
quick way b5_finder.py does (straight into SQLite, then the People Finder
migration redone), starts `caremail serve` on it, signs in once with Python
and drives the API with `wrk` and bench/wrk_paths.lua (the session cookie in a
`Cookie:` header, request paths rotating through a list):

  B5  GET /api/v1/people?q=...[&org=...|&site_type=...] as a plain person,
      16 connections (PERFORMANCE.md: "16 clients over HTTP");
  B9  GET /api/v1/users/{address} as the Global Admin (TOTP enrolled),
      64 connections, addresses spread over all orgs.

Each is run with HTTP in plaintext and (--tls) over HTTPS, on loopback;
wrk runs on the same 2-core machine as the server (2 threads), so it takes
some of the CPU the server could have had: its CPU is recorded next to the
server's. Prints one JSON object per run on stdout (progress on stderr) and,
with --record, appends a section to bench/RESULTS.md.

  python3 bench/http_load.py --bin build-bench/caremail --work DIR [--b5] [--b9]
      [--people 1600000] [--orgs 10000] [--runs 3] [--duration 15] [--tls both]
"""
import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
import types
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import benchlib  # noqa: E402
from benchlib import log  # noqa: E402

ADMIN_PASSWORD = "bench-operator-passphrase-0123"
# apiclient.py takes PASSWORD from conftest.py, and b5_finder.py its
# add_standard_folders; conftest.py needs pytest (Debian's python3 has it).
# Without pytest a stand-in gives apiclient its password, and the fill is
# done by a run under a python3 that has it.
try:
    import conftest  # noqa: E402
    conftest.PASSWORD = ADMIN_PASSWORD
except ImportError:
    sys.modules.setdefault("conftest", types.SimpleNamespace(PASSWORD=ADMIN_PASSWORD))
import apiclient  # noqa: E402
import b5_finder  # noqa: E402  (its fill() and name lists)

DOMAIN = "example.nhs.uk"  # b5_finder.fill() gives people addresses there
USER_PASSWORD = "wrk-load-passphrase-0123"  # not the name or address: the policy refuses those
FINDER_USER = "finder@" + DOMAIN


def run(bin, *args, input=None, timeout=3600):
    p = subprocess.run([bin, *map(str, args)], input=input, capture_output=True,
                       text=True, timeout=timeout)
    if p.returncode != 0:
        raise SystemExit("caremail %s: rc %d: %s" % (" ".join(map(str, args)), p.returncode,
                                                     p.stderr.strip()))
    return p.stdout


def prepare(bin, inst, people, orgs):
    """The instance: Global Admin, N people in `orgs` orgs (SQL), a plain
    person finder@ with a password (CLI), the migration redone. Timings."""
    t = {}
    t0 = time.perf_counter()
    run(bin, "init", "--dir", inst, "--domain", DOMAIN, "--admin-password-stdin",
        input=ADMIN_PASSWORD + "\n")
    b5_finder.fill(os.path.join(inst, "caremail.db"), people, orgs)
    t["fill_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    run(bin, "org", "show", "B00001", "--dir", inst)  # opens the store: redoes the migration
    t["migration_s"] = round(time.perf_counter() - t0, 1)
    run(bin, "user", "add", "--dir", inst, "--org", "B00001", "--first", "Finder",
        "--last", "Bench", "--email", FINDER_USER)
    run(bin, "user", "passwd", "--dir", inst, FINDER_USER, "--stdin", "--permanent",
        input=USER_PASSWORD + "\n")
    return t


class Server:
    """`caremail serve` with only HTTP on (plain or TLS), on a free port."""
    def __init__(self, bin, inst, tls, extra=()):
        self.port = benchlib.free_port()
        self.tls = tls
        self.inst = inst
        self.log = open(os.path.join(inst, "serve.log"), "a")
        cmd = [bin, "serve", "--dir", inst, "--set", "http.listen=127.0.0.1:%d" % self.port,
               "--set", "http.tls=%s" % ("on" if tls else "off"), "--set", "log.level=warn"]
        # relay too: a second node (--nodes) or another instance on the box
        # would find its port taken
        for o in ("smtp", "submission", "submissions", "relay", "imap", "imaps", "pop3", "pop3s"):
            cmd += ["--set", o + ".listen=off"]
        for e in extra:
            cmd += ["--set", e]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, start_new_session=True)
        self.pid = self.proc.pid
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        ctx = None
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        t0 = time.time()
        while True:
            if self.proc.poll() is not None:
                raise SystemExit("caremail serve exited rc %d (see %s/serve.log)"
                                 % (self.proc.returncode, inst))
            try:
                with urllib.request.urlopen(self.url + "/healthcheck", timeout=1, context=ctx) as r:
                    if r.status == 200:
                        break
            except (OSError, ValueError):
                pass
            if time.time() - t0 > 30:
                raise SystemExit("caremail serve never became healthy")
            time.sleep(0.05)

    def metrics(self):
        """The node's /metrics text."""
        ctx = None
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        with urllib.request.urlopen(self.url + "/metrics", timeout=5, context=ctx) as r:
            return r.read().decode()

    def records_answered(self):
        """Over PostgreSQL: person records read so far, by what answered
        them ({"copy": n, "database": n}), so a B9 run that fell back to
        the database cannot pass for one the copy answered."""
        got = {}
        for m in re.finditer(r'(?m)^caremail_person_records_total\{answered_by="(\w+)"\} (\S+)$',
                             self.metrics()):
            got[m.group(1)] = int(float(m.group(2)))
        return got

    def finder_copy_ready(self, timeout_s=3600):
        """Over PostgreSQL: waits until the node's People Finder copy
        answers searches (made at its first start, in its own thread:
        minutes at 1.6 M people), so no run measures the database's
        answers by mistake. Seconds waited, None when the node has none."""
        ctx = None
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        t0 = time.time()
        while True:
            with urllib.request.urlopen(self.url + "/metrics", timeout=5, context=ctx) as r:
                text = r.read().decode()
            if "\ncaremail_people_finder_copy_ready 1" in text:
                return round(time.time() - t0, 1)
            if "store.finder_copy=off" in " ".join(self.proc.args):
                return None
            if time.time() - t0 > timeout_s:
                raise SystemExit("the People Finder copy was not made in %d s" % timeout_s)
            time.sleep(0.5)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def sign_in(server, work):
    """Cookies of the plain person (B5) and of the Global Admin with TOTP
    enrolled (B9); sessions live in the store, so they serve the TLS runs too.
    Kept in WORK/cookies.json, so a later invocation on the same instance
    (whose first passwords are changed by now) uses the same sessions;
    sessions that have ended since (idle or absolute timeout) are signed in
    again with the changed passwords and the kept TOTP secret."""
    f = os.path.join(work, "cookies.json")
    if os.path.exists(f):
        kept = json.load(open(f))
        cookies, secret = kept[:2], (kept[2] if len(kept) > 2 else None)
        if all(session_alive(server, c) for c in cookies):
            return cookies
        finder = apiclient.Client(server)
        admin = apiclient.Client(server)
        for c, who, first in ((finder, FINDER_USER, USER_PASSWORD),
                              (admin, "admin@" + DOMAIN, ADMIN_PASSWORD)):
            code = apiclient.totp(secret) if c is admin and secret else None
            # The first password stands unless signing in had it changed.
            status, body = c.signin(who, apiclient.NEW_PASSWORD, code=code)
            if status != 201:
                status, body = c.signin(who, first, code=code)
            if status != 201:
                # B9 alone needs the admin: it says so if it runs.
                log("   %s: the kept session has ended and signing in again "
                    "failed (%s); remove %s and the instance to start afresh"
                    % (who, body.get("error", {}).get("code"), f))
    else:
        finder = apiclient.ready(server, FINDER_USER, USER_PASSWORD)
        admin = apiclient.ready(server, "admin@" + DOMAIN, ADMIN_PASSWORD)
        secret = admin.mfa_secret
    c = [finder.cookie, admin.cookie]
    json.dump(c + [secret], open(f, "w"))
    return c


def session_alive(server, cookie):
    """Whether cookie's session is still signed in."""
    c = apiclient.Client(server)
    c.cookie = cookie
    return c.call("GET", "/me")[0] == 200


def b5_paths(db_path, orgs, n=4000, seed=55):
    """A mix of People Finder searches, as b5_finder.py's kinds: one name
    prefix (2–5 letters of a first or last name), two words (a last name and
    the start of a first name), a prefix within one org, a whole org, a prefix
    within a site type, a site type alone."""
    rnd = random.Random(seed)
    last = [w for w in b5_finder.LAST if w.isascii()]
    first = [w for w in b5_finder.FIRST if w.isascii()]
    kinds = []
    out = []
    for _ in range(n):
        r = rnd.random()
        org = "B%05d" % rnd.randrange(1, orgs + 1)
        pre = lambda w: w[:rnd.randint(2, min(5, len(w)))].lower()
        if r < 0.35:
            p, k = {"q": pre(rnd.choice(last + first))}, "prefix"
        elif r < 0.55:
            p, k = {"q": rnd.choice(last).lower() + " " + pre(rnd.choice(first))}, "two words"
        elif r < 0.75:
            p, k = {"q": pre(rnd.choice(last)), "org": org}, "prefix+org"
        elif r < 0.85:
            p, k = {"org": org}, "org"
        elif r < 0.95:
            p, k = {"q": pre(rnd.choice(last)),
                    "site_type": rnd.choice(b5_finder.SITE_TYPES)}, "prefix+site_type"
        else:
            p, k = {"site_type": rnd.choice(b5_finder.SITE_TYPES)}, "site_type"
        out.append("/api/v1/people?" + urllib.parse.urlencode(p, quote_via=urllib.parse.quote))
        kinds.append(k)
    mix = {k: kinds.count(k) for k in sorted(set(kinds))}
    return out, mix


def b9_paths(db_path, n=20000, seed=99):
    """GET /users/{address} for n people picked at random from all orgs."""
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT address FROM mailboxes WHERE kind = 'user' AND person_id IS NOT NULL"
                      " ORDER BY random() LIMIT ?", (2 * n,)).fetchall()
    db.close()
    # Addresses with accents (müller.…) are refused in a path (422): ASCII only.
    rows = [r for r in rows if r[0].isascii()][:n]
    random.Random(seed).shuffle(rows)
    return ["/api/v1/users/" + apiclient.q(a) for (a,) in rows]


def check_paths(server, cookie, paths, sample=200):
    """Status codes of a sample of the paths, one at a time (must be 200)."""
    ctx = None
    if server.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    codes, items, t = {}, [], []
    for p in paths[:sample]:
        req = urllib.request.Request(server.url + p, headers={"Cookie": cookie})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
                body = json.loads(r.read())
                code = r.status
                if "items" in body:
                    items.append(len(body["items"]))
        except urllib.error.HTTPError as e:
            code = e.code
            if code not in codes:
                log("   %s -> %d %s" % (p, code, e.read()[:200]))
        t.append((time.perf_counter() - t0) * 1000)
        codes[code] = codes.get(code, 0) + 1
    t.sort()
    return {"codes": codes, "items_mean": round(sum(items) / len(items), 1) if items else None,
            "serial_p50_ms": round(t[len(t) // 2], 2), "serial_p99_ms": round(t[int(len(t) * .99) - 1], 2)}


def wrk(server, cookie, paths_file, conns, threads, duration, timeout_s=5, also=(),
        store_pids=(), rate=0):
    """wrk against server (and at once against each of `also`, the other
    nodes, the connections and threads shared out); the figures summed, and
    the latency percentiles the worst of the nodes' (an upper bound: wrk
    gives no merged histogram). store_pids: PostgreSQL's postmaster, whose
    CPU counts as the server's. rate: requests/s in all, paced
    (wrk_paths.lua); 0: as fast as the connections go."""
    servers = [server, *also]
    per_thread = max(1, threads // len(servers))
    env = dict(os.environ, WRK_PATHS=paths_file, WRK_COOKIE=cookie,
               WRK_RATE="%g" % (rate / (per_thread * len(servers))))
    cpu = benchlib.CpuSplit([x.pid for x in servers] + list(store_pids))
    procs = []
    for x in servers:
        cmd = ["wrk", "-t%d" % per_thread,
               "-c%d" % max(1, conns // len(servers)), "-d%ds" % duration, "--timeout",
               "%ds" % timeout_s, "--latency", "-s", os.path.join(HERE, "wrk_paths.lua"), x.url]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    threads = 0
    while any(p.poll() is None for p in procs):  # the server's threads while loaded
        threads = max(threads, benchlib.status_kb(server.pid, "Threads"))
        time.sleep(0.25)
    outs = [p.communicate() for p in procs]
    split = cpu.done()
    parts = []
    for p, (stdout, stderr) in zip(procs, outs):
        if p.returncode != 0:
            raise SystemExit("wrk failed: %s %s" % (stdout, stderr))
        m = re.search(r"^WRKJSON (.*)$", stdout, re.M)
        part = json.loads(m.group(1))
        m2 = re.search(r"Non-2xx or 3xx responses: (\d+)", stdout)
        part["non2xx"] = int(m2.group(1)) if m2 else 0
        parts.append(part)
    r = dict(parts[0])
    for part in parts[1:]:
        for k, v in part.items():
            if k.endswith("_ms"):
                r[k] = max(r[k], v)
            elif k == "duration_s":
                r[k] = max(r[k], v)
            elif isinstance(v, (int, float)) and k in r:
                r[k] = r[k] + v
    r["nodes"] = len(servers)
    r.update(split)
    r["server_cpu_per_req_ms"] = round(split["server_cpu_s"] * 1000 / max(1, r["requests"]), 3)
    r["server_cores"] = round(split["server_cpu_s"] / split["wall_s"], 2)
    r["wrk_cores"] = round(split["client_cpu_s"] / split["wall_s"], 2)
    r["threads_peak"] = threads
    r["vmhwm_kb"] = benchlib.status_kb(server.pid, "VmHWM")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True, help="where the instance lives (made if missing)")
    ap.add_argument("--b5", action="store_true")
    ap.add_argument("--b9", action="store_true")
    ap.add_argument("--people", type=int, default=1600000)
    ap.add_argument("--orgs", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--b5-conns", type=int, default=16)
    ap.add_argument("--b9-conns", type=int, default=64)
    ap.add_argument("--tls", choices=("off", "on", "both"), default="both")
    ap.add_argument("--out", help="append each run's JSON here")
    ap.add_argument("--b5-rate", type=float, default=0,
                    help="B5: also runs paced at this many requests/s (PERFORMANCE.md's goal, "
                    "5000), for the latency at that rate rather than at saturation")
    ap.add_argument("--b9-rate", type=float, default=0, help="B9: the same (10000)")
    ap.add_argument("--pg-url", help="a PostgreSQL cluster's URL: the directory is moved onto a new "
                    "database of it (caremail migrate, once) and served from there")
    ap.add_argument("--pg-dir", help="the cluster's directory (scripts/pgcluster.sh): its "
                    "postmaster's CPU counts as the server's")
    ap.add_argument("--finder-copy", default="auto",
                    help="with --pg-url: the nodes' store.finder_copy (off: every search asks the database)")
    ap.add_argument("--nodes", type=int, default=1,
                    help="with --pg-url: this many serve nodes, wrk's connections shared out")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting for every node (caremail serve --set), as many as wanted")
    a = ap.parse_args()
    # run.sh stops us with SIGTERM: exit through the finally blocks, which stop the server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not (a.b5 or a.b9):
        a.b5 = a.b9 = True
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    inst = os.path.join(a.work, "directory")
    db_path = os.path.join(inst, "caremail.db")
    prep = {}
    if not os.path.exists(db_path):
        log("== writing %d people in %d orgs into a new instance (SQL) and redoing the People Finder migration"
            % (a.people, a.orgs))
        prep = prepare(a.bin, inst, a.people, a.orgs)
        log("   fill %.1f s, migration %.1f s" % (prep["fill_s"], prep["migration_s"]))
    store_pids = []
    # The instance is pointed at the backend asked for on every run: a run on
    # PostgreSQL leaves the SQLite file beside it, and a later run without
    # --pg-url measures that file, not the database.
    point_store(inst, onto_postgresql(a, inst) if a.pg_url else None)
    if a.pg_url:
        if a.pg_dir:
            store_pids.append(int(open(os.path.join(a.pg_dir, "data",
                                                    "postmaster.pid")).readline()))
    # People Finder: one session for all 16 connections, so the per-person
    # limit (SECURITY.md 47, 120/min by default) is raised for the bench,
    # and its window made a second: runs close together at 6,000 searches a
    # second reached a million a minute (2026-12-06 10:57). No scheduled
    # jobs: each node's first start in an hour swept all 1.6 M people for
    # the lifecycle during the run (`caremail jobs run` is what they do).
    # http.threads as a new instance has it (one request thread a core):
    # an instance made before that default kept 8 in its caremail.conf
    # (docs/operations.md), and its slowest answers took three times as
    # long. --set http.threads=N measures another.
    extra = ["ratelimit.search_per_person=1000000", "ratelimit.window_s=1",
             "jobs.interval_s=0", "http.threads=0"] + a.set
    if a.pg_url:
        extra.append("store.finder_copy=" + a.finder_copy)
    modes = {"off": [False], "on": [True], "both": [False, True]}[a.tls]
    cookies = None
    paths = {}
    if a.b5:
        p, mix = b5_paths(db_path, a.orgs)
        f = os.path.join(a.work, "b5_paths.txt")
        open(f, "w").write("\n".join(p) + "\n")
        paths["B5"] = (f, p, mix)
    if a.b9:
        p = b9_paths(db_path)
        f = os.path.join(a.work, "b9_paths.txt")
        open(f, "w").write("\n".join(p) + "\n")
        paths["B9"] = (f, p, None)
    results = []
    for tls in modes:
        server = Server(a.bin, inst, tls, extra)
        others = [Server(a.bin, inst, tls, extra) for _ in range(a.nodes - 1)] if a.pg_url else []
        try:
            if a.pg_url:
                for node in [server] + others:
                    waited = node.finder_copy_ready()
                    if waited is not None:
                        log("   node on port %d: People Finder copy ready after %.1f s"
                            % (node.port, waited))
            if cookies is None:
                if tls:
                    # sign in, or check the kept sessions, over a plain
                    # server first (apiclient speaks plain HTTP)
                    s0 = Server(a.bin, inst, False, extra)
                    try:
                        cookies = sign_in(s0, a.work)
                    finally:
                        s0.stop()
                else:
                    cookies = sign_in(server, a.work)
            for bench in ("B5", "B9"):
                if bench not in paths:
                    continue
                f, plist, mix = paths[bench]
                cookie = cookies[0] if bench == "B5" else cookies[1]
                if cookie is None:
                    raise SystemExit(bench + ": no signed-in session (above)")
                if tls:  # the same session; over TLS its cookie is named __Host-… (SECURITY.md 41)
                    cookie = "__Host-caremail_session=" + cookie.split("=", 1)[1]
                conns = a.b5_conns if bench == "B5" else a.b9_conns
                chk = check_paths(server, cookie, plist)
                log("== %s %s: %d connections; sample of 200 one at a time: %s"
                    % (bench, "https" if tls else "http", conns, chk))
                if set(chk["codes"]) != {200}:
                    raise SystemExit("%s: not every sampled request was a 200: %s" % (bench, chk))
                wrk(server, cookie, f, conns, a.threads, a.warmup, also=others)  # warm-up
                rate = a.b5_rate if bench == "B5" else a.b9_rate
                for i, paced in [(i, 0) for i in range(1, a.runs + 1)] + \
                        ([(i, rate) for i in range(1, a.runs + 1)] if rate > 0 else []):
                    load = open("/proc/loadavg").read().split()[0]
                    answered = server.records_answered() if a.pg_url else {}
                    r = wrk(server, cookie, f, conns, a.threads, a.duration, also=others,
                            store_pids=store_pids, rate=paced)
                    r["rate_asked"] = paced
                    r["store"] = "postgresql" if a.pg_url else "sqlite"
                    r.update({"bench": bench, "tls": tls, "run": i, "conns": conns,
                              "threads": a.threads, "warmup_s": a.warmup, "load1": float(load), "paths": len(plist),
                              "mix": mix, "check": chk, "people": a.people, "orgs": a.orgs})
                    r.update(prep)
                    if a.pg_url and bench == "B9":
                        after = server.records_answered()
                        r["records_answered"] = {k: after.get(k, 0) - answered.get(k, 0)
                                                 for k in after}
                        log("   records answered by: %s" % r["records_answered"])
                    log("   run %d%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d, non-2xx %d; "
                        "server %.2f cores (%.3f ms/req), wrk %.2f cores, other %.1f s; load %s"
                        % (i, " paced at %g/s" % paced if paced else "", r["rps"], r["p50_ms"], r["p99_ms"], r["errors"], r["non2xx"],
                           r["server_cores"], r["server_cpu_per_req_ms"], r["wrk_cores"],
                           r["other_cpu_s"], load))
                    results.append(r)
                    print(json.dumps(r), flush=True)
                    if a.out:
                        open(a.out, "a").write(json.dumps(r) + "\n")
        finally:
            server.stop()
            for o in others:
                o.stop()


def onto_postgresql(a, inst):
    """Moves the directory onto a new database of the cluster, once (the
    SQLite file stays beside it: the request paths are drawn from it)."""
    marker = os.path.join(a.work, "pg.url")
    if os.path.exists(marker):
        return open(marker).read().strip()
    name = "b5_%d" % os.getpid()
    subprocess.run(["psql", a.pg_url, "-qc", "CREATE DATABASE %s" % name], check=True,
                   capture_output=True)
    url = a.pg_url.rsplit("/", 1)[0] + "/" + name
    t0 = time.perf_counter()
    run(a.bin, "migrate", "--from", "sqlite:" + os.path.join(inst, "caremail.db"), "--to", url,
        timeout=7200)
    log("   moved onto PostgreSQL in %.0f s" % (time.perf_counter() - t0))
    open(marker, "w").write(url + "\n")
    return url


def point_store(inst, url):
    """Sets the instance's [store] to the database at url, or to its SQLite
    file when url is None. The audit chain's anchor (audit.anchor, the
    newest row a check saw) belongs to one store: each backend keeps its
    own, or the other's rows would read as a chain cut short."""
    conf = os.path.join(inst, "caremail.conf")
    text = open(conf).read()
    was = re.search(r"(?m)^backend = (sqlite|postgresql)$", text).group(1)
    backend, path = ("postgresql", url) if url else ("sqlite", "caremail.db")
    text = re.sub(r"(?m)^backend = (sqlite|postgresql)$", "backend = " + backend, text, count=1)
    text = re.sub(r"(?m)^path = (caremail\.db|postgresql://\S+)$", "path = " + path, text, count=1)
    open(conf, "w").write(text)
    anchor = os.path.join(inst, "audit.anchor")
    if was != backend:
        if os.path.exists(anchor):
            os.replace(anchor, anchor + "." + was)
        if os.path.exists(anchor + "." + backend):
            os.replace(anchor + "." + backend, anchor)


if __name__ == "__main__":
    main()
