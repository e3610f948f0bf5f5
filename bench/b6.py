#!/usr/bin/env python3
"""B6 (PERFORMANCE.md): bulk CSV import of 100,000 people, then the same
file again. Makes an instance and one org with a site, writes a CSV of N
people (default 100,000; external ID, names, job title, site, mobile; many
share a name, so first.last numbers are made for genuinely different
people), runs `caremail import users FILE --org ODS` twice, and prints the
seconds and rows/s of each run, the peak memory (ru_maxrss of the child),
and the duplicates: people beyond one per external ID (must be 0), and
people the second run created (must be 0). A note for bench/RESULTS.md,
not a test.

  CAREMAIL_BIN=build/caremail python3 bench/b6.py [ROWS]
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
BIN = os.environ.get("CAREMAIL_BIN", os.path.join(HERE, "..", "build",
                                                  "caremail"))
PASSWORD = "bench import password one two three"
FIRST = ["Joe", "Jane", "Amir", "Siobhan", "Wei", "Olu", "Maria", "Tom",
         "Priya", "Kofi", "Anna", "Liam", "Fatima", "Oscar", "Zoe", "Ravi"]
LAST = ["Bloggs", "Smith", "Khan", "Jones", "Patel", "Williams", "Brown",
        "Taylor", "Davies", "Evans", "Wilson", "Thomas", "Roberts", "Walker",
        "Wright", "Green", "Hall", "Wood", "Clarke", "Hughes"]


# Syllables making 400 surname endings (Smithwood, Khanley...).
SUFFIX = [a + b for a in ("", "s", "ton", "ley", "wood", "field", "ford",
                          "ham", "by", "worth", "man", "er", "ell", "ard",
                          "ock", "ing", "ers", "well", "more", "dale")
          for b in ("", "e", "a", "i", "o", "y", "on", "an", "en", "in",
                    "es", "er", "ar", "or", "ur", "ie", "ey", "oe", "ae",
                    "ue")]


def run(*args, **kw):
    return subprocess.run([BIN, *args], check=True, capture_output=True,
                          text=True, **kw)


def timed_import(d, path):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.monotonic()
    out = run("import", "users", path, "--org", "B6001", "--dir", d,
              "--json")
    seconds = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = json.loads(out.stdout)
    return seconds, max(peak, before), report["counts"]


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    d = tempfile.mkdtemp(prefix="b6-")
    run("init", "--dir", d, "--domain", "bench.nhs.test",
        "--admin-password-stdin", input=PASSWORD + "\n")
    run("org", "add", "--ods", "B6001", "--name", "Bench Trust", "--type",
        "NHS Trust", "--dir", d)
    run("site", "add", "--org", "B6001", "--name", "Main Hospital", "--type",
        "nhs_trust_site", "--dir", d)
    path = os.path.join(d, "people.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("external_id,first_name,last_name,job_title,site,mobile\r\n")
        for i in range(rows):
            # 16 x 20 x 400 names: each is held by a few people, as in a
            # large trust, so some get first.last1 (different people).
            last = LAST[(i // 16) % len(LAST)] + SUFFIX[(i // 320) % 400]
            f.write("HR-%06d,%s,%s,Staff Nurse,Main Hospital,07700 %06d\r\n"
                    % (i, FIRST[i % len(FIRST)], last, i % 1000000))
    first = timed_import(d, path)
    second = timed_import(d, path)
    db = sqlite3.connect(os.path.join(d, "caremail.db"))
    people, ids = db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT sync_id) FROM people p"
        " JOIN orgs o ON o.id = p.org_id WHERE o.ods = 'B6001'").fetchone()
    db.close()
    print(f"B6: {rows} rows, caremail {BIN}")
    for name, (secs, peak, counts) in (("first run", first),
                                       ("re-run", second)):
        print(f"  {name}: {secs:.2f} s, {rows / secs:,.0f} rows/s, peak "
              f"{peak / 1024:.0f} MiB; {json.dumps(counts)}")
    print(f"  people {people}, distinct external IDs {ids}, duplicates "
          f"{people - ids}, created by the re-run {second[2]['created']}")


if __name__ == "__main__":
    main()
