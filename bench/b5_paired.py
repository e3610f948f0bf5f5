#!/usr/bin/env python3
"""B5 before and after a change, in one run: two `caremail serve`, one per
binary, each on its own copy of a B5 directory made by b5_finder.fill()
(at the schema each binary expects), are asked the same People Finder
searches in turn, so both see the same load on a shared machine. Prints
p50 and p90 in ms per search, as a plain person (no admin tags). Not a
test; a note for bench/RESULTS.md.

  python3 bench/b5_paired.py RUNS OLD_BIN OLD_DIR NEW_BIN NEW_DIR
"""
import os
import random
import statistics
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import conftest  # noqa: E402
from apiclient import USER_PASSWORD, make_person, ready  # noqa: E402

SEARCHES = ({"q": "s"}, {"q": "smi"}, {"q": "smith jo"}, {"q": "zoe ang"},
            {"q": "o'brien"}, {"q": "smi", "org": "B00042"},
            {"q": "j", "org": "B00042"}, {"org": "B00042"},
            {"q": "pat", "site_type": "pharmacy"},
            {"site_type": "care_home"}, {"job_title": "ward sister", "q": "k"},
            {"q": "jo.smith"}, {"email": "sam.patel1"})


def start(binary, directory):
    conftest.BIN = binary
    inst = conftest.Instance(directory, "example.nhs.uk")
    server = conftest.Server(inst, False,
                             os.path.join(directory, "serve.log"),
                             extra=("ratelimit.search_per_person=1000000",))
    server.wait_ready(60)
    name = f"Measure{random.randrange(10 ** 6)}"
    client = ready(server, make_person(inst, "B00007", "Mel", name),
                   USER_PASSWORD)
    return server, client


def main():
    runs = int(sys.argv[1])
    old = start(sys.argv[2], sys.argv[3])
    new = start(sys.argv[4], sys.argv[5])
    try:
        print(f"{'search':36} {'old p50':>8} {'new p50':>8} "
              f"{'old p90':>8} {'new p90':>8}")
        for params in SEARCHES:
            path = "/people?" + urllib.parse.urlencode(params)
            times = {"old": [], "new": []}
            for i in range(runs):
                order = (("old", old), ("new", new))
                for label, (_, client) in order[::1 if i % 2 else -1]:
                    t = time.perf_counter()
                    client.ok("GET", path)
                    times[label].append((time.perf_counter() - t) * 1000)
            for v in times.values():
                v.sort()
            p90 = {k: v[int(len(v) * 0.9)] for k, v in times.items()}
            print(f"{urllib.parse.urlencode(params):36} "
                  f"{statistics.median(times['old']):8.2f} "
                  f"{statistics.median(times['new']):8.2f} "
                  f"{p90['old']:8.2f} {p90['new']:8.2f}", flush=True)
    finally:
        old[0].stop()
        new[0].stop()


if __name__ == "__main__":
    main()
