#!/usr/bin/env python3
"""Raw flush rate of a filesystem: COUNT x (pwrite 4 KiB + fdatasync).

Appends 4 KiB blocks to a fresh file in DIR (so each flush also carries the
file-size change, as a WAL append does), flushing after every block, and
prints one JSON object: ops/s, p50/p99/max per-op latency. Repeated REPS
times; the median rep is reported with the others alongside. This is the
ceiling for one-message-per-flush intake; group commit multiplies it by the
batch size. The file is removed afterwards.

Usage: fsync_rate.py DIR [--count 2000] [--reps 3]
"""
import argparse, json, os, statistics, time

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--count", type=int, default=2000)
ap.add_argument("--reps", type=int, default=3)
a = ap.parse_args()

block = os.urandom(4096)
reps = []
for r in range(a.reps):
    path = os.path.join(a.dir, ".fsync_rate.%d.%d" % (os.getpid(), r))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        lat = []
        t_start = time.perf_counter()
        for i in range(a.count):
            t0 = time.perf_counter()
            os.pwrite(fd, block, i * 4096)
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t0)
        wall = time.perf_counter() - t_start
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    reps.append({"ops_per_s": a.count / wall, "p50_ms": q(0.5), "p99_ms": q(0.99),
                 "max_ms": lat[-1] * 1000, "wall_s": wall})
med = sorted(reps, key=lambda x: x["ops_per_s"])[len(reps) // 2]
print(json.dumps({"dir": os.path.abspath(a.dir), "count": a.count, "reps": len(reps),
                  "ops_per_s": round(med["ops_per_s"], 1),
                  "p50_ms": round(med["p50_ms"], 3), "p99_ms": round(med["p99_ms"], 3),
                  "max_ms": round(med["max_ms"], 3),
                  "all_ops_per_s": [round(x["ops_per_s"], 1) for x in reps]}))
