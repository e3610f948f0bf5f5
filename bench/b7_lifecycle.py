#!/usr/bin/env python3
"""B7 (PERFORMANCE.md): the lifecycle sweep over N accounts (default
1,600,000) at a given time, `caremail jobs run --at TIME`.

Makes an instance, writes N people in 10,000 orgs straight into its SQLite
file (bench/b5_finder.py's fill), then dates them so a few are due: one in
1,000 quiet for 100 days (-> Inactive, and its notice mailed), one in
1,000 a leaver for 40 days (-> Deleted), the rest signed in recently; one
in 200 quiet for 80 days (a warning is due). Then it times, each as a
separate process: the dry run (reads and judges every account, changes
nothing), the real run (applies and audits every transition, mails every
notice), and the same real run again (must change nothing: idempotent).
Prints one line per run: seconds, items reported, the process's peak RSS.
No assertion on times: a note for bench/RESULTS.md.

  CAREMAIL_BIN=build/caremail python3 bench/b7_lifecycle.py [PEOPLE]
"""
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import conftest  # noqa: E402
from b5_finder import fill  # noqa: E402

DAY = 86400


def date_people(path, now):
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE people SET last_signin_at = ?", (now - 5 * DAY,))
        db.execute("UPDATE people SET created_at = ?, last_signin_at = NULL"
                   " WHERE id % 1000 = 7", (now - 100 * DAY,))
        db.execute("UPDATE people SET status = 'leaver',"
                   " status_changed_at = ? WHERE id % 1000 = 11",
                   (now - 40 * DAY,))
        db.execute("UPDATE people SET created_at = ?, last_signin_at = NULL"
                   " WHERE id % 200 = 3", (now - 80 * DAY,))
    db.close()


def timed(inst, *args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run([conftest.BIN, *args, "--dir", inst.dir, "--json"],
                          capture_output=True, text=True, timeout=3600)
    took = time.perf_counter() - t
    assert proc.returncode == 0, proc.stderr[-2000:]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, json.loads(proc.stdout), max(peak, before)


def main():
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 1_600_000
    with tempfile.TemporaryDirectory(prefix="b7-") as tmp:
        inst = conftest.make_instance(os.path.join(tmp, "instance"))
        path = os.path.join(inst.dir, "caremail.db")
        t = time.perf_counter()
        fill(path, people, orgs=10000)
        now = int(time.time())
        date_people(path, now)
        # The first open indexes the people (the migrations fill undid).
        inst.run("org", "list", "--json", timeout=3600)
        print(f"wrote and indexed {people} people in "
              f"{time.perf_counter() - t:.1f} s")
        at = str(now)
        for name, args in (("dry run", ["--dry-run"]), ("run", []),
                           ("run again", [])):
            took, items, peak = timed(inst, "jobs", "run", "--at", at, *args)
            kinds = {}
            for i in items:
                k = i["action"].split("-")[0]
                kinds[k] = kinds.get(k, 0) + 1
            print(f"B7 {name}: {people} accounts in {took:.2f} s, "
                  f"{len(items)} items {json.dumps(kinds, sort_keys=True)}, "
                  f"peak RSS {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
