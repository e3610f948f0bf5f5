#!/usr/bin/env python3
"""The text index at national scale (docs/design.md "The text index"): how
long UID SEARCH BODY and TEXT take for a word that many OTHER mailboxes'
bodies hold, against the folder's own size. Prints one JSON line.

  CAREMAIL_BIN=BIN bench/text_common.py --work DIR [--pg-url URL]
      [--others 200000] [--big 50000] [--small 1000] [--runs 5]

The first run with a given --work fills an instance (SQLite, or a new
database of the cluster at --pg-url): person big@ with --big messages in
its INBOX, of which 10 hold "patient" and 5 "quokka"; small@ with --small,
10 holding "patient"; other@ with --others, every one holding "patient"
and 5 of them "quokka". The rows are written by SQL, not delivered: only
the index is asked (no body is pending), so no message is ever read, and
the bodies' bytes are a placeholder. Later runs (another binary) reuse it.
Each search is timed warm, the best and median of --runs, over IMAP
(STARTTLS) on a fresh `caremail serve`.
"""
import argparse, hashlib, json, os, random, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
ap = argparse.ArgumentParser()
ap.add_argument("--work", required=True)
ap.add_argument("--pg-url")
ap.add_argument("--others", type=int, default=200000)
ap.add_argument("--big", type=int, default=50000)
ap.add_argument("--small", type=int, default=1000)
ap.add_argument("--runs", type=int, default=5)
a = ap.parse_args()

from conftest import PASSWORD, Instance, Server, run, pg_sql  # noqa: E402
from test_imap import connect, person  # noqa: E402
from pathlib import Path  # noqa: E402

VOC = ("the and of to in for on with appointment clinic rota shift cover night day ward "
       "referral letter result blood test please thanks regards review follow up discharge "
       "summary medication dose morning evening monday tuesday friday team nurse doctor").split()
rng = random.Random(20261205)


def text(extra):
    w = [rng.choice(VOC) for _ in range(45)]
    for x in extra:
        w.insert(rng.randrange(len(w) + 1), x)
    return " ".join(w)


work = Path(a.work)
inst = Instance(work / "instance", "example.nhs.uk")
stamp = work / "filled.json"


def sql_sqlite(script):
    p = subprocess.run(["sqlite3", str(inst.dir / "caremail.db")], input=script,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    return p.stdout


def fill():
    work.mkdir(parents=True, exist_ok=True)
    args = ["init", "--dir", inst.dir, "--domain", inst.domain, "--admin-password-stdin"]
    if a.pg_url:
        args += ["--store", a.pg_url]
    run(*args, input=PASSWORD + "\n")
    inst.run("org", "add", "--ods", "X26001", "--name", "Practice", "--type", "GP Practice")
    people = {k: person(inst, "X26001", k.capitalize(), "One") for k in ("big", "small", "other")}
    q = (lambda s: pg_sql(a.pg_url, s).stdout) if a.pg_url else sql_sqlite
    folder = {}
    for k, addr in people.items():
        out = q("SELECT f.id FROM folders f JOIN mailboxes x ON x.id = f.mailbox_id"
                f" WHERE x.address = '{addr}' AND f.name = 'INBOX';")
        folder[k] = int(out.split()[0])
    plan = ([("other", ["patient"])] * (a.others - 5) + [("other", ["patient", "quokka"])] * 5 +
            [("big", [])] * (a.big - 15) + [("big", ["patient"])] * 10 + [("big", ["quokka"])] * 5 +
            [("small", [])] * (a.small - 10) + [("small", ["patient"])] * 10)
    rng.shuffle(plan)
    base = int(q("SELECT COALESCE(max(id), 0) FROM bodies;").split()[0]) + 1
    uid = {k: 0 for k in folder}
    bodies, messages, texts = [], [], []
    for i, (k, words) in enumerate(plan):
        bid = base + i
        uid[k] += 1
        h = hashlib.sha256(b"text_common %d" % bid).hexdigest()
        bodies.append((bid, h))
        messages.append((folder[k], uid[k], bid))
        texts.append((bid, "subject: hello from the ward", text(words)))
    tmp = work / "rows"
    tmp.mkdir(exist_ok=True)
    with open(tmp / "bodies.tsv", "w") as f:
        for bid, h in bodies:
            # PostgreSQL's data is BYTEA NOT NULL: empty, "\\x" in COPY's text.
            f.write(f"{bid}\t{h}\t10\t1\t1" + ("\t\\\\x" if a.pg_url else "") + "\n")
    with open(tmp / "messages.tsv", "w") as f:
        for fid, u, bid in messages:
            f.write(f"{fid}\t{u}\t{bid}\t10\t1\n")
    with open(tmp / "texts.tsv", "w") as f:
        for bid, h, b in texts:
            f.write(f"{bid}\t{h}\t{b}\n")
    t = time.time()
    if a.pg_url:
        os.chmod(tmp, 0o755)
        # The rows are consistent as written: the triggers (the folders'
        # counts, each an update of one row per message, hours for 250,000
        # in one transaction; the pending list) are off, the counts set once.
        script = ("SET session_replication_role = replica;\n"
                  f"\\copy bodies (id, hash, size, header_size, created_at, data) FROM '{tmp}/bodies.tsv'\n"
                  f"\\copy messages (folder_id, uid, body_id, size, internal_date) FROM '{tmp}/messages.tsv'\n"
                  f"\\copy body_text (body_id, header, body) FROM '{tmp}/texts.tsv'\n"
                  "DELETE FROM body_text_pending;\n"
                  "INSERT INTO folder_counts AS c (folder_id, messages, unseen, changes)"
                  " SELECT folder_id, count(*), count(*), 1 FROM messages GROUP BY folder_id"
                  " ON CONFLICT (folder_id) DO UPDATE SET messages = EXCLUDED.messages,"
                  " unseen = EXCLUDED.unseen, changes = c.changes + 1;\n"
                  "DELETE FROM folder_views;\n")
        for k in folder:
            script += f"UPDATE folders SET uidnext = {uid[k] + 1} WHERE id = {folder[k]};\n"
        script += "ANALYZE;\n"
        p = subprocess.run(["psql", a.pg_url, "-X", "-q", "-v", "ON_ERROR_STOP=1"], input=script,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(p.stderr)
    else:
        script = (".mode tabs\n"
                  "CREATE TEMP TABLE b(id, hash, size, header_size, created_at);\n"
                  f".import {tmp}/bodies.tsv b\n"
                  "CREATE TEMP TABLE m(folder_id, uid, body_id, size, internal_date);\n"
                  f".import {tmp}/messages.tsv m\n"
                  "CREATE TEMP TABLE t(id, header, body);\n"
                  f".import {tmp}/texts.tsv t\n"
                  "BEGIN;\n"
                  "INSERT INTO bodies (id, hash, size, header_size, created_at, data)"
                  " SELECT CAST(id AS INTEGER), hash, 10, 1, 1, x'' FROM b;\n"
                  "INSERT INTO messages (folder_id, uid, body_id, size, internal_date)"
                  " SELECT CAST(folder_id AS INTEGER), CAST(uid AS INTEGER), CAST(body_id AS INTEGER), 10, 1 FROM m;\n"
                  "INSERT INTO body_text (rowid, header, body) SELECT CAST(id AS INTEGER), header, body FROM t;\n"
                  "DELETE FROM body_text_pending;\n")
        for k in folder:
            script += f"UPDATE folders SET uidnext = {uid[k] + 1} WHERE id = {folder[k]};\n"
        script += "COMMIT;\nANALYZE;\n"
        sql_sqlite(script)
    json.dump({"people": people, "fill_s": round(time.time() - t, 1),
               "others": a.others, "big": a.big, "small": a.small}, open(stamp, "w"))


if not stamp.exists():
    fill()
info = json.load(open(stamp))
server = Server(inst, False, work / "serve.log", ["jobs.interval_s=0", "jobs.text_index_interval_s=0"])
out = {"bin": os.environ.get("CAREMAIL_BIN"), "load": os.getloadavg(), "fill": info, "searches": {}}
try:
    server.wait_ready()
    for who in ("big", "small"):
        m = connect(server, inst, info["people"][who])
        m.select("INBOX", readonly=True)
        for key, word in (("BODY", "patient"), ("TEXT", "patient"), ("BODY", "quokka")):
            times, found = [], None
            for _ in range(a.runs + 1):
                # An atom, not a literal: a literal's wait for "+" would add
                # the client's delayed ACK (~40 ms) to every search.
                t = time.perf_counter()
                typ, data = m.uid("SEARCH", key, word)
                times.append(time.perf_counter() - t)
                assert typ == "OK", data
                found = len(data[0].split())
            times = times[1:]
            out["searches"][f"{who} {key} {word}"] = {
                "found": found, "best_ms": round(min(times) * 1000, 1),
                "median_ms": round(statistics.median(times) * 1000, 1)}
            print(who, key, word, out["searches"][f"{who} {key} {word}"], file=sys.stderr)
        m.logout()
finally:
    server.stop()
print(json.dumps(out))
