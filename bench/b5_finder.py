#!/usr/bin/env python3
"""B5 (PERFORMANCE.md), a first measure: People Finder over many people.

Makes an instance, writes N people (default 200,000) in 1,000 orgs straight
into its SQLite file, undoes the People Finder migration so the next start
indexes them all (timed: the backfill an upgrade would do), then times
searches over HTTP one at a time from one client and prints the median and
99th percentile per kind of search. No assertion on times: this is a note
for bench/RESULTS.md, not a test.

  CAREMAIL_BIN=build/caremail python3 bench/b5_finder.py [PEOPLE]
"""
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import conftest  # noqa: E402
from apiclient import global_admin  # noqa: E402

FIRST = ("Jo Sam Alex Chris Pat Lee Kim Ann Mary John James Sarah Emma Olivia "
         "Noah Zoë Chloé Siobhán Seán Łukasz Agnieszka Björn Åsa Müller "
         "Ífe Priya Arjun Mohammed Fatima Aisha Wei Li Yusuf Omar Nia Rhys "
         "Gareth Ffion Callum Isla Freya Harry Jack Oliver George").split()
LAST = ("Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Roberts "
        "Johnson Lewis Walker Robinson Wood Thompson White Watson Jackson "
        "Wright Green Harris Cooper King Lee Martin Clarke James Morgan Hughes "
        "Edwards Hill Moore Clark Harrison Scott Young Morris Hall Ward Turner "
        "Carter Phillips Mitchell Patel Adams Campbell Anderson Allen Cook "
        "Bailey Parker Miller Davis Murphy Price Bell Baker Griffiths Kelly "
        "Simpson Marshall Collins Bennett Cox Richardson Fox Gray Rose Chapman "
        "Hunt Robertson Shaw Reynolds Lloyd Ellis Richards Russell Wilkinson "
        "Khan Graham Stewart Reid Murray Powell Palmer Holmes Rogers Stevens "
        "Walsh Hunter Thomson Matthews Ross Owen Mason Knight Kennedy Butler "
        "Saunders O'Brien Ångström Nowak Kowalski Müller Øvergård Dvořák "
        "Nguyen Okafor Adébáyọ̀ Chen Singh Kaur Ahmed Ali Hussain").split()
TITLES = ("Staff Nurse", "Practice Manager", "GP", "Pharmacist", "Receptionist",
          "Healthcare Assistant", "Consultant", "Ward Sister", "Porter",
          "Medical Secretary", "Care Assistant", "Physiotherapist")
SITE_TYPES = ("pharmacy", "gp_practice", "nhs_trust_site", "care_home",
              "other")


def fill(db_path, people, orgs=1000):
    rnd = random.Random(5)
    now = int(time.time())
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA synchronous=OFF")
    with db:
        base = db.execute("SELECT COALESCE(MAX(id), 0) FROM orgs").fetchone()[0]
        db.executemany(
            "INSERT INTO orgs (id, ods, name, default_quota_mb, created_at,"
            " updated_at) VALUES (?, ?, ?, 4096, ?, ?)",
            [(base + i, f"B{i:05d}", f"{rnd.choice(LAST)} Health Org {i}",
              now, now) for i in range(1, orgs + 1)])
        db.executemany(
            "INSERT INTO sites (id, org_id, name, site_type, created_at)"
            " VALUES (?, ?, 'Main', ?, ?)",
            [(i, base + i, SITE_TYPES[i % len(SITE_TYPES)], now)
             for i in range(1, orgs + 1)])
        mb = db.execute("SELECT COALESCE(MAX(id), 0) FROM mailboxes"
                        ).fetchone()[0]
        pid = db.execute("SELECT COALESCE(MAX(id), 0) FROM people"
                         ).fetchone()[0]
        rows_m, rows_p = [], []
        for i in range(1, people + 1):
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            org = rnd.randrange(1, orgs + 1)
            local = f"{first}.{last}{i}".lower().replace("'", "")
            rows_m.append((mb + i, base + org, pid + i,
                           local + "@example.nhs.uk", f"{first} {last}", now,
                           now))
            rows_p.append((pid + i, base + org, org if i % 3 else None,
                           mb + i, first, last, f"{first} {last}",
                           rnd.choice(TITLES), now, now))
        db.executemany(
            "INSERT INTO mailboxes (id, kind, org_id, person_id, address,"
            " display_name, quota_mb, created_at, updated_at)"
            " VALUES (?, 'user', ?, ?, ?, ?, 4096, ?, ?)", rows_m)
        db.executemany(
            "INSERT INTO people (id, org_id, site_id, mailbox_id, first_name,"
            " last_name, display_name, job_title, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows_p)
        # The address registry, as store_address.c writes it for a person:
        # GET /users/{address} resolves through it.
        db.executemany(
            "INSERT INTO addresses (address, holder_kind, holder_id,"
            " assigned_at) VALUES (?, 'person', ?, ?)",
            [(m[3], m[2], now) for m in rows_m])
        # The folders caremail makes with each mailbox (B8 delivers).
        conftest.add_standard_folders(db, now)
        # Undo the People Finder migrations (10, and 16's sort names): the
        # store applies every migration not recorded at the next open, in
        # order, and they index the people already stored in one pass (much
        # faster than per insert).
        db.execute("DROP TABLE people_search")
        db.execute("DROP INDEX people_site")
        db.execute("DROP INDEX people_name")  # migration 16
        db.execute("DROP INDEX people_org_name")
        db.execute("DROP INDEX sites_type")
        db.execute("ALTER TABLE people DROP COLUMN sort_name")
        db.execute("DELETE FROM schema_migrations WHERE version IN (10, 16)")
    db.close()


def timed(client, params, runs):
    path = "/people?" + urllib.parse.urlencode(params)
    times, found = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        reply = client.ok("GET", path)
        times.append((time.perf_counter() - t) * 1000)
        found = len(reply["items"])
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1], found


def main():
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    with tempfile.TemporaryDirectory() as tmp:
        inst = conftest.make_instance(os.path.join(tmp, "i"))
        t = time.perf_counter()
        fill(os.path.join(tmp, "i", "caremail.db"), people)
        print(f"wrote {people} people in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        conftest.run("org", "show", "B00001", "--dir", inst.dir, timeout=1800)
        print(f"migration indexed them in {time.perf_counter() - t:.1f} s")
        server = conftest.Server(inst, False, os.path.join(tmp, "serve.log"))
        try:
            server.wait_ready()
            c = global_admin(server, inst)
            print(f"{'search':40} {'p50 ms':>7} {'p99 ms':>7} {'found':>6}")
            for params in ({"q": "s"}, {"q": "smi"}, {"q": "smith jo"},
                           {"q": "zoe ang"}, {"q": "o'brien"},
                           {"q": "smi", "org": "B00042"},
                           {"q": "j", "org": "B00042"},
                           {"org": "B00042"},
                           {"q": "pat", "site_type": "pharmacy"},
                           {"site_type": "care_home"},
                           {"job_title": "ward sister", "q": "k"},
                           {"q": "jo.smith"},
                           {"email": "sam.patel1"}):
                p50, p99, n = timed(c, params, 50)
                label = urllib.parse.urlencode(params)
                print(f"{label:40} {p50:7.2f} {p99:7.2f} {n:6}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
