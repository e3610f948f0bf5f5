#!/usr/bin/env python3
"""B8 and B2 (PERFORMANCE.md), a first measure: mail to very large lists.

Makes an instance, writes N people (default 1,600,000) in 10,000 orgs under
one root straight into its SQLite file (bench/b5_finder.py's fill), then
makes a dynamic list reaching about a third of them (four job titles under
the root, include_children: ~530,000 at 1.6 M) and a static list of 100,000
members, starts `caremail serve`, and sends one message to each over SMTP.
For each it prints: the time RCPT took, DATA's end to 250 (the expansion
and the delivery of every copy, durably), the rows written, the bytes the
database grew by per recipient (after a checkpoint), and the server's peak
anonymous memory (RssAnon, sampled). No peer and no assertion on times:
this is a note for bench/RESULTS.md, not a test.

Before the server starts, B8 itself: the dynamic list expanded alone into
a recipient set, five times, by build/bench/b8_expand (beside
$CAREMAIL_BIN, or $B8_EXPAND), which prints each run's wall and CPU time.

  CAREMAIL_BIN=build/caremail python3 bench/b8_lists.py [PEOPLE]
"""
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


def main():
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 1600000
    with tempfile.TemporaryDirectory() as tmp:
        inst = conftest.make_instance(os.path.join(tmp, "i"))
        path = prepare(inst, people)
        expand_alone(inst)
        server = conftest.Server(inst, False, os.path.join(tmp, "serve.log"),
                                 ("smtp.timeout_s=3600",))
        server.wait_ready(timeout=600)
        try:
            for to, name in ((inst.addr("big.dynamic"), "dynamic"),
                             (inst.addr("big.static"), "static")):
                before = db_bytes(path)
                base = rss_anon_kib(server.proc.pid)
                peak = [base]
                done = threading.Event()

                def watch():
                    while not done.is_set():
                        peak[0] = max(peak[0],
                                      rss_anon_kib(server.proc.pid))
                        time.sleep(0.05)
                w = threading.Thread(target=watch)
                w.start()
                rcpt, data = send(server, to, f"to the {name} list")
                done.set()
                w.join()
                db = sqlite3.connect(path, timeout=60)
                n = db.execute(
                    "SELECT COUNT(*) FROM messages m JOIN bodies b"
                    " ON b.id = m.body_id WHERE b.subject = ?",
                    (f"to the {name} list",)).fetchone()[0]
                db.close()
                grew = db_bytes(path) - before
                print(f"{name}: {n} recipients; RCPT {rcpt * 1000:.1f} ms;"
                      f" DATA end to 250 {data:.2f} s"
                      f" ({n / data:.0f} copies/s);"
                      f" database +{grew / 1e6:.1f} MB"
                      f" ({(grew - MESSAGE_SIZE) / max(n, 1):.0f} B per"
                      f" recipient); server RssAnon {base / 1024:.0f} ->"
                      f" peak {peak[0] / 1024:.0f} MiB")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
