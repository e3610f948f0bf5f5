#!/usr/bin/env python3
"""How long checking the audit chain takes (SECURITY.md 49, docs/audit.md).

Makes an instance, writes N chained audit rows (default 1,000,000) straight
into its SQLite file, each hashed here as docs/audit.md describes (so this
also shows the documented format is the real one: a single wrong byte and
verify fails), then times `caremail audit verify` three times and prints
the median wall time and CPU time. No assertion on times: this is a note
for bench/RESULTS.md, not a test; serve's start-up check does the same work
in a background thread.

  CAREMAIL_BIN=build/caremail python3 bench/audit_verify.py [ROWS]
"""
import hashlib
import hmac
import os
import resource
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("CAREMAIL_BIN", "build/caremail")
COLUMNS = "id, at, actor, action, object_type, object_id, org_id, summary, " \
          "client, request_id, result, prev_hash, hash"


def field(value):
    if value is None:
        return b"N"
    if isinstance(value, int):
        return b"I" + struct.pack(">q", value)
    if isinstance(value, str):
        value = value.encode()
    return b"T" + struct.pack(">Q", len(value)) + value


def fill(directory, rows):
    key = bytes.fromhex(open(os.path.join(directory, "audit.key")).read())
    con = sqlite3.connect(os.path.join(directory, "caremail.db"))
    last_id, prev = con.execute(
        "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    batch = []
    for i in range(rows):
        row = (last_id + 1 + i, 1796227402 + i, "admin@bench.test", "update",
               "user_mailbox", i % 5000, (i % 40) or None,
               '{"field":"job_title","from":"Nurse","to":"Senior Nurse %d"}'
               % i, "10.0.0.%d" % (i % 250), "req-%08x" % i, "done")
        data = field("caremail audit v1") + b"".join(map(field, row)) + \
            field(prev)
        h = hmac.new(key, data, hashlib.sha256).digest()
        batch.append(row + (prev, h))
        prev = h
        if len(batch) == 50000:
            con.executemany(f"INSERT INTO audit ({COLUMNS}) VALUES "
                            f"({', '.join('?' * 13)})", batch)
            batch = []
    con.executemany(f"INSERT INTO audit ({COLUMNS}) VALUES "
                    f"({', '.join('?' * 13)})", batch)
    con.commit()
    con.close()


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "instance")
        subprocess.run([BIN, "init", "--dir", directory, "--domain",
                        "bench.test"], check=True, capture_output=True)
        started = time.monotonic()
        fill(directory, rows)
        print(f"wrote {rows} rows in {time.monotonic() - started:.0f} s "
              f"({os.path.getsize(os.path.join(directory, 'caremail.db')) >> 20}"
              " MiB)")
        walls, cpus = [], []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            proc = subprocess.run([BIN, "audit", "verify", "--dir",
                                   directory], capture_output=True, text=True)
            walls.append(time.monotonic() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime -
                        before.ru_utime - before.ru_stime)
            if proc.returncode != 0:
                sys.exit(proc.stderr)
        print(proc.stdout.strip())
        print(f"audit verify: median {statistics.median(walls):.2f} s wall, "
              f"{statistics.median(cpus):.2f} s CPU; load average "
              f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
