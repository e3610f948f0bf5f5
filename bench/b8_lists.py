#!/usr/bin/env python3
"""B8 and B2 (PERFORMANCE.md), a first measure: mail to very large lists.

Makes an instance, writes N people (default 1,600,000) in 10,000 orgs under
one root straight into its SQLite file (bench/b5_finder.py's fill), then
makes a dynamic list reaching about a third of them (four job titles under
the root, include_children: ~530,000 at 1.6 M) and a static list of 100,000
members, starts `caremail serve`, and sends one message to each over SMTP.
For each it prints: the time RCPT took, DATA's end to 250 (the expansion
and the delivery of every copy, durably), the server's CPU from RCPT to
the 250 (user and system apart: system time is mostly pages touched for
the first time), the rows written, the bytes the database grew by per
recipient (after a checkpoint), and the server's peak anonymous memory
(RssAnon, sampled). No peer and no assertion on times:
this is a note for bench/RESULTS.md, not a test.

Before the server starts, B8 itself: the dynamic list expanded alone into
a recipient set, five times, by build/bench/b8_expand (beside
$CAREMAIL_BIN, or $B8_EXPAND), which prints each run's wall and CPU time
(the program's own: on PostgreSQL the server's is apart).

With --pg-url URL (a cluster, scripts/pgcluster.sh), a copy of the filled
instance is moved onto a new database of it (`caremail migrate`, before
any mail is sent) and the same is measured there after SQLite: the
database's growth is pg_database_size's.

With B8_KEEP=DIR, the instances are made in DIR and kept afterwards, to
look into a figure with b8_expand or EXPLAIN; a later run with the same
DIR measures them again as they are (holding the earlier runs' mail), to
compare a change without the fill. A figure for bench/RESULTS.md comes
from a new DIR.

  CAREMAIL_BIN=build/caremail python3 bench/b8_lists.py [PEOPLE] [--pg-url URL]
"""
import contextlib
import json
import os
import smtplib
import subprocess
import sqlite3
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import benchlib  # noqa: E402
import conftest  # noqa: E402
from b5_finder import fill  # noqa: E402

MESSAGE_SIZE = 50 * 1024  # B2's message


def rss_anon_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def db_bytes(path):
    """Pages in use after folding the WAL back, as the file will be."""
    db = sqlite3.connect(path, timeout=60)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    used = db.execute("PRAGMA page_count").fetchone()[0] - \
        db.execute("PRAGMA freelist_count").fetchone()[0]
    size = used * db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    return size


class SqliteSide:
    """The database of an instance on SQLite: its size and a count."""

    def __init__(self, path):
        self.path = path

    def size(self):
        return db_bytes(self.path)

    def copies(self, subject):
        db = sqlite3.connect(self.path, timeout=60)
        try:
            return db.execute(
                "SELECT COUNT(*) FROM messages m JOIN bodies b"
                " ON b.id = m.body_id WHERE b.subject = ?",
                (subject,)).fetchone()[0]
        finally:
            db.close()


class PostgresSide:
    """The same on PostgreSQL (the subject is the bench's own text)."""

    def __init__(self, url):
        self.url = url

    def one(self, sql):
        return int(subprocess.run(["psql", self.url, "-XAtc", sql],
                                  check=True, capture_output=True,
                                  text=True).stdout.strip())

    def size(self):
        return self.one("SELECT pg_database_size(current_database())")

    def copies(self, subject):
        return self.one("SELECT COUNT(*) FROM messages m JOIN bodies b"
                        " ON b.id = m.body_id WHERE b.subject = '%s'"
                        % subject)


def prepare(inst, people):
    path = os.path.join(inst.dir, "caremail.db")
    t = time.perf_counter()
    fill(path, people, orgs=10000)
    print(f"wrote {people} people in {time.perf_counter() - t:.1f} s")
    inst.run("org", "add", "--ods", "ROOT1", "--name", "Region",
             "--type", "ICB", timeout=3600)  # also indexes the people
    db = sqlite3.connect(path)
    with db:
        root = db.execute("SELECT id FROM orgs WHERE ods = 'ROOT1'"
                          ).fetchone()[0]
        db.execute("UPDATE orgs SET parent_id = ? WHERE ods LIKE 'B%'",
                   (root,))
    db.close()
    rule = {"orgs": ["ROOT1"], "include_children": True,
            "job_titles": ["Staff Nurse", "GP", "Pharmacist", "Porter"]}
    inst.run("list", "add", "--org", "ROOT1", "--name", "Big Dynamic",
             "--dynamic", "--rule", json.dumps(rule), timeout=600)
    inst.run("list", "add", "--org", "ROOT1", "--name", "Big Static",
             timeout=600)
    db = sqlite3.connect(path)
    with db:
        list_id = db.execute("SELECT id FROM lists WHERE address = ?",
                             (inst.addr("big.static"),)).fetchone()[0]
        db.execute("INSERT INTO list_members (list_id, member_kind,"
                   " member_id) SELECT ?, 'mailbox', id FROM mailboxes"
                   " WHERE kind = 'user' ORDER BY id LIMIT 100000",
                   (list_id,))
    db.close()
    return path


def send(server, to, subject):
    body = ("x" * 76 + "\r\n") * (MESSAGE_SIZE // 78)
    msg = (f"From: <sender@elsewhere.example>\r\nTo: <{to}>\r\n"
           f"Subject: {subject}\r\n\r\n{body}").encode()
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=3600) as s:
        s.ehlo("elsewhere.example")
        s.mail("sender@elsewhere.example")
        t = time.perf_counter()
        code, _ = s.rcpt(to)
        rcpt = time.perf_counter() - t
        assert code == 250, code
        code, _ = s.docmd("DATA")
        assert code == 354
        s.send(msg.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
        t = time.perf_counter()
        code, text = s.getreply()
        data = time.perf_counter() - t
        assert code == 250, (code, text)
    return rcpt, data


def expand_alone(inst, runs=5):
    """B8: the dynamic list expanded alone (bench/b8_expand.c)."""
    program = os.environ.get("B8_EXPAND") or os.path.join(
        os.path.dirname(os.path.abspath(conftest.BIN)), "bench", "b8_expand")
    if not os.path.exists(program):
        print(f"B8 expansion alone: {program} not built, skipped")
        return
    out = subprocess.run([program, inst.dir, inst.addr("big.dynamic"),
                          str(runs)], capture_output=True, text=True,
                         timeout=3600, check=True).stdout
    print("B8, the dynamic list expanded alone:\n" + out.rstrip())


def measure(inst, side, tmp, label):
    """Mail to each list through `caremail serve` on inst."""
    kept_copy = os.path.exists(os.path.join(inst.dir, "people-finder.db"))
    server = conftest.Server(inst, False,
                             os.path.join(tmp, f"serve-{label}.log"),
                             ("smtp.timeout_s=3600",))
    server.wait_ready(timeout=600)
    try:
        # A node on PostgreSQL makes its People Finder copy as it starts
        # (or catches up the one an earlier run left): not beside the
        # deliveries measured.
        ready = "finder.signins_caught_up" if kept_copy \
            else "finder.copy_made"
        deadline = time.monotonic() + 1800
        while label == "postgresql" and ready not in server.logs():
            assert time.monotonic() < deadline, "no People Finder copy"
            time.sleep(0.5)
        for to, name in ((inst.addr("big.dynamic"), "dynamic"),
                         (inst.addr("big.static"), "static")):
            before = side.size()
            base = rss_anon_kib(server.proc.pid)
            peak = [base]
            done = threading.Event()

            def watch():
                while not done.is_set():
                    peak[0] = max(peak[0], rss_anon_kib(server.proc.pid))
                    time.sleep(0.05)
            w = threading.Thread(target=watch)
            w.start()
            # Its own subject, so a run on kept instances (B8_KEEP) counts
            # its own copies only.
            subject = f"to the {name} list at {time.time():.0f}"
            user, system = benchlib.cpu_user_system_s(server.proc.pid)
            rcpt, data = send(server, to, subject)
            user_after, system_after = benchlib.cpu_user_system_s(
                server.proc.pid)
            done.set()
            w.join()
            n = side.copies(subject)
            grew = side.size() - before
            print(f"{label} {name}: {n} recipients;"
                  f" RCPT {rcpt * 1000:.1f} ms;"
                  f" DATA end to 250 {data:.2f} s"
                  f" ({n / data:.0f} copies/s);"
                  f" server CPU {user_after - user:.2f} s user,"
                  f" {system_after - system:.2f} s system;"
                  f" database +{grew / 1e6:.1f} MB"
                  f" ({(grew - MESSAGE_SIZE) / max(n, 1):.0f} B per"
                  f" recipient); server RssAnon {base / 1024:.0f} ->"
                  f" peak {peak[0] / 1024:.0f} MiB", flush=True)
    finally:
        server.stop()


def main():
    args = sys.argv[1:]
    pg_url = benchlib.pg_url_option(args)
    people = int(args[0]) if args else 1600000
    keep = os.environ.get("B8_KEEP")
    with (contextlib.nullcontext(keep) if keep
          else tempfile.TemporaryDirectory()) as tmp:
        path = os.path.join(tmp, "i", "caremail.db")
        if keep and os.path.exists(path):
            # Kept from an earlier run: measured again as it is now (with
            # that run's mail in it), to compare a change quickly.
            inst = conftest.Instance(os.path.join(tmp, "i"), conftest.DOMAIN)
        else:
            inst = conftest.make_instance(os.path.join(tmp, "i"))
            path = prepare(inst, people)
        systems = [("sqlite", inst, SqliteSide(path))]
        if pg_url:
            t = time.perf_counter()
            pg_dir, url = benchlib.onto_postgresql_copy(
                conftest.BIN, inst.dir, pg_url, "b8")
            print(f"moved onto PostgreSQL in {time.perf_counter() - t:.0f}"
                  " s", flush=True)
            systems.append(("postgresql", conftest.Instance(
                pg_dir, inst.domain), PostgresSide(url)))
        for label, i, side in systems:
            print(f"== {label}", flush=True)
            expand_alone(i)
            measure(i, side, tmp, label)


if __name__ == "__main__":
    main()
