"""The PostgreSQL backend end to end (issue 14 item 1, docs/postgresql.md):
an instance made with `init --store postgresql://...` on a throwaway
PostgreSQL 15 cluster (scripts/pgcluster.sh) serves SMTP, IMAP and the API,
runs its jobs and keeps its audit chain whole; and `caremail migrate`
moves a SQLite instance with mail in it onto an empty database with
every table counted and checksummed, after which the same instance serves
the same mail from PostgreSQL. Skipped only when the machine has no
PostgreSQL 15 binaries (scripts/deps.sh installs them)."""

import os
import re
import subprocess
import uuid

import pytest

from conftest import (PASSWORD, PG_CLUSTERS, PGCLUSTER, Instance,
                      make_instance, new_database, pg_grouped, pg_sql,
                      read_folder, run, submit)


def cluster_dir(url):
    """The directory of the cluster whose URL this is."""
    return PG_CLUSTERS[url]


def psql(url, sql):
    """The output of sql on url, stripped (psql -At)."""
    return pg_sql(url, sql).stdout.strip()


def person(instance, org, first, last):
    address = instance.run("user", "add", "--org", org, "--first", first,
                           "--last", last).stdout.strip().split()[-1]
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=PASSWORD + "\n")
    return address


def mail(frm, to, subject):
    return (f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@care.example>\r\n\r\n"
            f"Clinic at ten.\r\n").encode()


@pytest.fixture
def pg_instance(tmp_path, cluster):
    url = new_database(cluster)
    path = tmp_path / "instance"
    run("init", "--dir", path, "--domain", "care.example",
        "--store", url, "--admin-password-stdin", input=PASSWORD + "\n")
    inst = Instance(path, "care.example")
    inst.url = url
    return inst


def test_init_on_postgresql_serves_mail(pg_instance, tmp_path):
    from conftest import Server
    inst = pg_instance
    conf = (inst.dir / "caremail.conf").read_text()
    assert "backend = postgresql" in conf and inst.url in conf
    # The tables are in PostgreSQL, and nothing made a SQLite file.
    assert int(psql(inst.url, "SELECT COUNT(*) FROM people")) == 1
    assert not (inst.dir / "caremail.db").exists()
    inst.run("org", "add", "--ods", "PG001", "--name", "Practice",
             "--type", "GP Practice")
    ann = person(inst, "PG001", "Ann", "Sender")
    bob = person(inst, "PG001", "Bob", "Reader")
    # No duplicate from the same name: joe.bloggs1 rules hold here too.
    twin = person(inst, "PG001", "Bob", "Reader")
    assert twin != bob and twin.startswith("bob.reader1@")
    server = Server(inst, False, tmp_path / "serve.log")
    try:
        server.wait_ready()
        for i in range(3):
            code, _ = submit(server, ann, PASSWORD, ann, [bob],
                             mail(ann, bob, f"note {i}"))
            assert code == 250
        got = [m["Subject"] for m in read_folder(server, bob, PASSWORD)]
        assert got == ["note 0", "note 1", "note 2"]
    finally:
        server.stop()
    # One body stored per message; the rows are PostgreSQL's.
    assert int(psql(inst.url, "SELECT COUNT(*) FROM messages m JOIN"
                    " folders f ON f.id = m.folder_id JOIN mailboxes x"
                    " ON x.id = f.mailbox_id WHERE x.address = '" + bob +
                    "'")) == 3
    # The audit chain, written on PostgreSQL, checks whole.
    out = inst.run("audit", "verify").stdout
    assert "whole" in out, out
    # The append-only rule is the database's: a row cannot be changed.
    bad = subprocess.run(["psql", inst.url, "-c",
                          "UPDATE audit SET actor = 'x' WHERE id = 1"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "append-only" in bad.stderr
    # The jobs run once under their lease, and again finds nothing new.
    first = inst.json("jobs", "run")
    assert inst.json("jobs", "run") == [] or first == []


def test_migrate_sqlite_instance_to_postgresql(tmp_path, cluster):
    from conftest import Server
    inst = make_instance(tmp_path / "instance")
    inst.run("org", "add", "--ods", "MG001", "--name", "Moving Practice",
             "--type", "GP Practice")
    ann = person(inst, "MG001", "Ann", "Mover")
    bob = person(inst, "MG001", "Bob", "Stayer")
    server = Server(inst, False, tmp_path / "serve1.log")
    try:
        server.wait_ready()
        for i in range(4):
            assert submit(server, ann, PASSWORD, ann, [bob],
                          mail(ann, bob, f"before {i}"))[0] == 250
    finally:
        server.stop()
    url = new_database(cluster)
    db = str(inst.dir / "caremail.db")
    report = run("migrate", "--from", f"sqlite:{db}", "--to", url,
                 "--json")
    import json
    r = json.loads(report.stdout)
    assert r["different"] == 0
    tables = {t["table"]: t for t in r["tables"]}
    assert all(t["same"] for t in r["tables"])
    assert tables["messages"]["rows"] >= 4 and tables["audit"]["rows"] > 5
    assert int(psql(url, "SELECT COUNT(*) FROM people")) == \
        tables["people"]["rows"]
    # The per-folder counters are not copied but made by PostgreSQL's
    # triggers as the messages go in (migration 31): each equals a count.
    assert "folder_counts" not in tables
    assert int(psql(url, "SELECT COUNT(*) FROM folders f LEFT JOIN"
                    " folder_counts c ON c.folder_id = f.id"
                    " WHERE COALESCE(c.messages, 0) <> (SELECT COUNT(*)"
                    " FROM messages m WHERE m.folder_id = f.id)"
                    " OR COALESCE(c.unseen, 0) <> (SELECT COUNT(*)"
                    " FROM messages m WHERE m.folder_id = f.id"
                    " AND (m.flags & 1) = 0)")) == 0
    assert int(psql(url, "SELECT SUM(messages) FROM folder_counts")) == \
        tables["messages"]["rows"]
    # The header summaries are not copied either but made by the
    # destination's trigger as each body goes in (migration 35): one per
    # body, equal to its columns.
    assert "body_summaries" not in tables
    cols = ("sent_date, header_size, subject, from_addr, to_addr, cc_addr,"
            " bcc_addr, message_id").split(", ")
    assert int(psql(url, "SELECT COUNT(*) FROM bodies b JOIN body_summaries"
                    " s ON s.body_id = b.id WHERE ("
                    + ", ".join("b." + c for c in cols) + ") = ("
                    + ", ".join("s." + c for c in cols) + ")")) == \
        int(psql(url, "SELECT COUNT(*) FROM body_summaries")) == \
        tables["bodies"]["rows"] >= 4
    # A second copy into the same database is refused: it is in use.
    again = run("migrate", "--from", f"sqlite:{db}", "--to", url,
                check=False)
    assert again.returncode != 0 and "already holds" in again.stderr
    # The instance on PostgreSQL: the same mail, new mail, a new person
    # whose id follows the copied ones, and the audit chain whole.
    conf = inst.dir / "caremail.conf"
    conf.write_text(conf.read_text().replace(
        "backend = sqlite", "backend = postgresql").replace(
        "path = caremail.db", f"path = {url}"))
    os.rename(db, db + ".moved")
    server = Server(inst, False, tmp_path / "serve2.log")
    try:
        server.wait_ready()
        assert submit(server, ann, PASSWORD, ann, [bob],
                      mail(ann, bob, "after"))[0] == 250
        got = [m["Subject"] for m in read_folder(server, bob, PASSWORD)]
        assert got == ["before 0", "before 1", "before 2", "before 3",
                       "after"]
    finally:
        server.stop()
    cat = person(inst, "MG001", "Cat", "New")
    assert cat.startswith("cat.new@")
    assert "whole" in inst.run("audit", "verify").stdout


def test_migrate_refuses_what_it_cannot_do(tmp_path, cluster):
    bad = run("migrate", "--from", "mysql://x", "--to", cluster,
              check=False)
    assert bad.returncode != 0 and "sqlite:PATH" in bad.stderr
    inst = make_instance(tmp_path / "instance")
    db = str(inst.dir / "caremail.db")
    same = run("migrate", "--from", f"sqlite:{db}", "--to", f"sqlite:{db}",
               check=False)
    assert same.returncode != 0 and "same store" in same.stderr


def test_schema_is_sqlites(pg_instance, tmp_path):
    """The PostgreSQL migrations make what SQLite's make: the same tables,
    the same columns in the same order, the same named indexes with the
    same columns, and every SQLite trigger's rule as a trigger."""
    import sqlite3
    lite = make_instance(tmp_path / "lite")
    db = sqlite3.connect(lite.dir / "caremail.db")
    # The text index is each engine's own (test_pg_schema.py checks it).
    text_index = {"body_text", "body_text_config", "body_text_content",
                  "body_text_data", "body_text_docsize", "body_text_idx"}
    # So is SQLite's card for each person (migration 41, test_person_cards).
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite%' ORDER BY name")
        if r[0] not in text_index and r[0] != "person_cards"]
    columns = {t: [r[1] for r in db.execute(f'PRAGMA table_info("{t}")')]
               for t in tables}
    indexes = {r[0]: r[1] for r in db.execute(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"
        " AND name NOT LIKE 'sqlite%'")}
    index_columns = {i: [r[2] for r in db.execute(
        f'PRAGMA index_info("{i}")')] for i in indexes}
    triggers = {r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        if not r[0].startswith("cards_")}
    db.close()
    url = pg_instance.url
    # So is the People Finder feed the nodes' copies follow (migration 36).
    pg_tables = [t for t in psql(url, "SELECT tablename FROM pg_tables"
                                 " WHERE schemaname = 'public' ORDER BY 1")
                 .split("\n") if t not in text_index and
                 not t.startswith("finder_log")]
    assert pg_tables == tables

    def grouped(sql):
        """{table or index: its column names, in order}."""
        return {k: [r[0] for r in v] for k, v in pg_grouped(url, sql).items()}

    got = grouped("SELECT c.relname, a.attname FROM pg_attribute a JOIN"
                  " pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON"
                  " n.oid = c.relnamespace AND n.nspname = 'public' WHERE"
                  " c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"
                  " ORDER BY c.relname, a.attnum")
    for t in tables:
        assert got.get(t) == columns[t], t
    got = grouped("SELECT c.relname, a.attname FROM pg_index i JOIN pg_class"
                  " c ON c.oid = i.indexrelid JOIN pg_attribute a ON"
                  " a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
                  # Key columns only: INCLUDE ones (migration 34) carry
                  # values for index-only scans, in no order.
                  " WHERE array_position(i.indkey::int2[], a.attnum)"
                  " < i.indnkeyatts + array_lower(i.indkey::int2[], 1)"
                  " ORDER BY c.relname,"
                  " array_position(i.indkey::int2[], a.attnum)")
    for name in indexes:
        assert got.get(name) == index_columns[name], name
    pg_triggers = set(psql(url, "SELECT tgname FROM pg_trigger WHERE NOT"
                           " tgisinternal").split("\n"))
    assert triggers <= pg_triggers, triggers - pg_triggers
    # The rules hold: an address is never deleted, nor the audit emptied.
    for sql, words in (("DELETE FROM addresses", "reserved forever"),
                       ("TRUNCATE audit", "append-only"),
                       ("DELETE FROM audit", "append-only")):
        bad = subprocess.run(["psql", url, "-c", sql], capture_output=True,
                             text=True)
        assert bad.returncode != 0 and words in bad.stderr, sql


def test_database_restart_loses_nothing(pg_instance, tmp_path, cluster):
    """The database restarts under a running node (a failover looks the
    same to it): a message in flight may be refused for now (4xx, never
    lost), the pooled connections are made again, and mail flows on."""
    from conftest import Server
    inst = pg_instance
    inst.run("org", "add", "--ods", "RS001", "--name", "Practice",
             "--type", "GP Practice")
    ann = person(inst, "RS001", "Ann", "Before")
    bob = person(inst, "RS001", "Bob", "After")
    server = Server(inst, False, tmp_path / "serve.log")
    try:
        server.wait_ready()
        assert submit(server, ann, PASSWORD, ann, [bob],
                      mail(ann, bob, "first"))[0] == 250
        where = cluster_dir(cluster)
        subprocess.run(["bash", str(PGCLUSTER), "restart", where], check=True)
        accepted = 0
        for _ in range(10):
            try:
                code, _ = submit(server, ann, PASSWORD, ann, [bob],
                                 mail(ann, bob, "second"))
            except Exception:   # a refusal at AUTH or MAIL: try again
                continue
            assert code == 250 or 400 <= code < 500, code
            if code == 250:
                accepted += 1
                break
        assert accepted == 1
        got = [m["Subject"] for m in read_folder(server, bob, PASSWORD)]
        assert got == ["first", "second"]
    finally:
        server.stop()


def test_backup_of_a_postgresql_instance_points_to_its_tools(pg_instance,
                                                             tmp_path):
    """caremail backup is SQLite's; on PostgreSQL it says what to use, and
    never repeats the store's URL (it may hold a password)."""
    out = run("backup", "--dir", pg_instance.dir, str(tmp_path / "b"),
              check=False)
    assert out.returncode != 0 and "pg_dump" in out.stderr
    assert "postgresql://" not in out.stderr
    assert not (tmp_path / "b").exists()


def test_people_finder_pages_and_user_reads_on_postgresql(pg_instance,
                                                          tmp_path):
    """People Finder on PostgreSQL: one read transaction per search (READ
    ONLY there), pages in name order joined by next_cursor, a site type;
    GET /users/{address} in its own read transaction, and a change
    straight after it."""
    import urllib.parse
    from apiclient import global_admin
    from conftest import Server
    inst = pg_instance
    inst.run("org", "add", "--ods", "PG002", "--name", "Practice")
    inst.run("site", "add", "--org", "PG002", "--name", "Shop", "--type",
             "pharmacy")
    names = ["Cara", "Abe", "Bea", "Dee", "Eve"]
    for first in names:
        inst.run("user", "add", "--org", "PG002", "--first", first,
                 "--last", "Jones", "--site", "Shop")
    server = Server(inst, False, tmp_path / "serve.log")
    try:
        server.wait_ready()
        c = global_admin(server, inst)
        got, cursor = [], None
        while True:
            params = {"q": "jones", "limit": 2}
            if cursor:
                params["cursor"] = cursor
            reply = c.ok("GET", "/people?" + urllib.parse.urlencode(params))
            got += [p["first_name"] for p in reply["items"]]
            cursor = reply["next_cursor"]
            if cursor is None:
                break
        assert got == sorted(names)
        reply = c.ok("GET", "/people?site_type=pharmacy&limit=3")
        assert [p["first_name"] for p in reply["items"]] == ["Abe", "Bea",
                                                               "Cara"]
        assert reply["refine"] is True
        abe = reply["items"][0]["address"]
        assert c.ok("GET", "/users/" + abe)["first_name"] == "Abe"
        c.ok("PATCH", "/users/" + abe, {"job_title": "Pharmacist"})
        assert c.ok("GET", "/users/" + abe)["job_title"] == "Pharmacist"
    finally:
        server.stop()


def test_kept_view_shared_and_notes_polled_on_postgresql(pg_instance,
                                                         tmp_path):
    """test_imap.py's shared kept view walk on PostgreSQL: NOOP reads the
    notes of the trigger function past the session's counter."""
    from conftest import Server
    from test_imap import PW, shared_view_walk
    from test_imap import person as imap_person
    inst = pg_instance
    inst.run("org", "add", "--ods", "PG003", "--name", "Practice",
             "--type", "GP Practice")
    ann = imap_person(inst, "PG003", "Ann", "Sharer", password=PW)
    server = Server(inst, False, tmp_path / "serve.log")
    server.wait_ready()
    try:
        shared_view_walk(server, inst, ann)
    finally:
        server.stop()


def test_stored_view_follows_every_change_on_postgresql(pg_instance,
                                                        tmp_path):
    """test_imap.py's walk through a stored folder view (migration 32) on
    PostgreSQL: the notes come from the counting trigger function, and
    the view and its notes are read in one statement."""
    from conftest import Server
    from test_imap import PW, stored_view_walk
    from test_imap import person as imap_person
    inst = pg_instance
    inst.run("org", "add", "--ods", "PG002", "--name", "Practice",
             "--type", "GP Practice")
    ann = imap_person(inst, "PG002", "Ann", "Viewer", password=PW)
    servers = [Server(inst, False, tmp_path / "serve0.log")]
    servers[0].wait_ready()

    def sql(text):
        out = pg_sql(inst.url, text).stdout
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def restart():
        servers[-1].stop()
        servers.append(Server(inst, False,
                              tmp_path / f"serve{len(servers)}.log"))
        servers[-1].wait_ready()
        return servers[-1]

    try:
        stored_view_walk(servers[0], inst, ann, sql, restart,
                         "'\\x00'::bytea")
    finally:
        servers[-1].stop()


def announced(url, sql, channel="caremail_directory"):
    """What sql, run by a client that is a caremail node (caremail.node)
    and listens on the channel, was told (INFO, in each statement's
    answer) and then heard (NOTIFY, at commit)."""
    proc = subprocess.run(
        ["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-c", f"LISTEN {channel}", "-c", "SET caremail.node = 'on'",
         "-c", sql, "-c", "SELECT 1"],
        capture_output=True, text=True, timeout=60, check=True)
    told = re.findall(rf"INFO:  {channel} (.+)", proc.stderr)
    heard = re.findall(rf'notification "{channel}" with payload'
                       r' "([^"]+)"', proc.stdout)
    return told, heard


def person_in_new_org(inst, ods, first, last):
    """A person made in a new GP practice: their address, and their id
    and the org's in the database."""
    inst.run("org", "add", "--ods", ods, "--name", f"{last} Practice",
             "--type", "GP Practice")
    address = person(inst, ods, first, last)
    pid = psql(inst.url, "SELECT p.id FROM people p JOIN mailboxes m ON"
               f" m.id = p.mailbox_id WHERE m.address = '{address}'")
    org = psql(inst.url, f"SELECT id FROM orgs WHERE ods = '{ods}'")
    return address, pid, org


def test_sign_ins_are_announced(pg_instance):
    """Migration 40: a sign-in's time, which the People Finder feed does
    not follow, is told to the caremail connection that wrote it and
    announced at commit on a channel of its own, with the person's id;
    nothing else a sign-in writes is, nor a time written unchanged."""
    inst = pg_instance
    _, pid, _ = person_in_new_org(inst, "SI001", "Ann", "Signed")
    sql = f"UPDATE people SET last_signin_at = 1700000000 WHERE id = {pid}"
    assert announced(inst.url, sql, "caremail_signins") == (
        [f"{pid} 1700000000"], [f"{pid} 1700000000"])
    for quiet in (sql, f"UPDATE people SET failed_signins = 3,"
                  f" job_title = 'GP' WHERE id = {pid}",
                  f"UPDATE people SET last_signin_at = NULL WHERE id = {pid}"):
        assert announced(inst.url, quiet, "caremail_signins") == ([], []), \
            quiet
    # Undone, it is heard by no one.
    told, heard = announced(inst.url, "BEGIN; UPDATE people SET"
                            f" last_signin_at = 5 WHERE id = {pid}; ROLLBACK",
                            "caremail_signins")
    assert heard == []


def test_directory_changes_are_announced(pg_instance):
    """Migration 39: what a node's remembered sessions must forget is
    told to the caremail connection that wrote it and announced to every
    node at commit, naming the person (docs/postgresql.md, "Sessions
    remembered by each node"); a sign-in's own bookkeeping and a
    session's last-seen time are not, and no other client is told."""
    inst = pg_instance
    ann, pid, org = person_in_new_org(inst, "AN001", "Ann", "Told")
    for sql in (f"UPDATE people SET last_signin_at = 7, failed_signins = 2,"
                f" mfa_last_step = 9 WHERE id = {pid}",
                f"INSERT INTO sessions (token_hash, csrf_token, person_id,"
                f" created_at, last_seen_at) VALUES ('t{pid}', 'c', {pid},"
                f" 1, 1)",
                f"UPDATE sessions SET last_seen_at = 2 WHERE person_id = {pid}"):
        assert announced(inst.url, sql) == ([], []), sql
    for sql in (f"UPDATE people SET locked_at = 5 WHERE id = {pid}",
                f"UPDATE people SET status = 'disabled' WHERE id = {pid}",
                f"INSERT INTO roles VALUES ({pid}, {org}, 'local_admin', 1)",
                f"DELETE FROM roles WHERE person_id = {pid}",
                f"DELETE FROM sessions WHERE person_id = {pid}"):
        # (A note for People Finder's copies may come too: "n...".)
        told, heard = (
            [p for p in got if not p.startswith("n")]
            for got in announced(inst.url, sql))
        assert told == heard == [f"p{pid}"], sql
    told, heard = announced(inst.url, "UPDATE mailboxes SET address ="
                            f" 'renamed.{ann}' WHERE address = '{ann}'")
    assert told[0] == heard[0] == "*"
    # A change People Finder shows adds a note, whose number is announced.
    told, heard = announced(inst.url, "UPDATE people SET job_title = 'GP'"
                            f" WHERE id = {pid}")
    newest = psql(inst.url, "SELECT max(id) FROM finder_log")
    assert f"n{newest}" in told and f"n{newest}" in heard
    # Nothing is told to a client that is not a caremail node.
    proc = subprocess.run(
        ["psql", inst.url, "-X", "-q", "-c",
         f"UPDATE people SET locked_at = 6 WHERE id = {pid}"],
        capture_output=True, text=True, timeout=60, check=True)
    assert "caremail_directory" not in proc.stderr + proc.stdout


# Columns a change of which a node's remembered session may miss: none
# that decides what a session may do (docs/postgresql.md, "Sessions
# remembered by each node"). A column added to either table must be put
# in the trigger (migration 39's successor) or here, with its reason.
NOT_ANNOUNCED = {
    "people": {
        "id": "never changes",
        "updated_at": "moves only with a column announced",
        "sort_name": "made from the names, which are announced",
        "last_signin_at": "a sign-in's own bookkeeping",
        "failed_signins": "a sign-in's own bookkeeping; the lock is announced",
        "mfa_last_step": "a sign-in's own bookkeeping (a code's replay is"
                         " refused by a write, which reads afresh)",
    },
    "sessions": {
        "id": "never changes",
        "last_seen_at": "touched within a sixtieth of the idle timeout;"
                        " the memory's age is kept below the rest",
    },
}


def trigger_columns(url, table, trigger):
    """The columns of table, and those whose OLD value trigger's WHEN
    compares (the database's own definition of it)."""
    columns = set(psql(url, "SELECT string_agg(column_name, ',') FROM"
                       " information_schema.columns WHERE table_name ="
                       f" '{table}'").split(","))
    definition = psql(url, "SELECT pg_get_triggerdef(oid) FROM"
                      f" pg_trigger WHERE tgname = '{trigger}'")
    named = set(re.findall(r"old\.(\w+)", definition, re.I))
    assert named, definition
    assert named <= columns, named - columns
    return columns, named


def test_every_column_a_session_reads_is_announced(pg_instance):
    """Migration 39's triggers name each column whose change a node's
    remembered session must forget; every other column of people and
    sessions is one NOT_ANNOUNCED gives a reason for. The database's own
    trigger definitions are read, so a column added later fails here
    until someone decides."""
    url = pg_instance.url
    for table, trigger in (("people", "directory_people_change"),
                           ("sessions", "directory_sessions_change")):
        columns, announced_cols = trigger_columns(url, table, trigger)
        assert columns - announced_cols == set(NOT_ANNOUNCED[table]), (
            table, sorted(columns - announced_cols))


# Columns of people and mailboxes whose change adds no People Finder note
# (migrations 36 and 40): none that a node's copy holds, so none that a
# search or a person's record read from the copy shows. A column added to
# either table must be put in its finder_*_change trigger or here, with
# its reason.
NOT_NOTED = {
    "people": {
        "id": "never changes",
        "last_signin_at": "announced on caremail_signins (migration 40)",
        "password_hash": "a secret: not in the copy",
        "mfa_secret": "a secret: not in the copy",
        "failed_signins": "a sign-in's bookkeeping: not in the copy",
        "mfa_last_step": "a sign-in's bookkeeping: not in the copy",
        "mfa_enrolled_at": "not in the copy (no record or search shows it)",
        "password_self_set_at": "not in the copy",
        "aup_accepted_at": "not in the copy",
        "aup_version": "not in the copy",
    },
    "mailboxes": {
        "id": "never changes",
        "person_id": "not in the copy (people.mailbox_id is)",
        "display_name": "not in the copy",
        "quota_mb": "not in the copy",
        "status": "not in the copy",
        "created_at": "not in the copy",
        "updated_at": "not in the copy",
        "uidvalidity_last": "mail's bookkeeping: not in the copy",
        "last_used_at": "mail's bookkeeping: not in the copy",
    },
}


def test_every_column_the_copy_holds_is_noted(pg_instance):
    """The feed's triggers name each column of people and mailboxes whose
    change a node's People Finder copy must follow; every other column is
    one NOT_NOTED gives a reason for. Read from the database's own trigger
    definitions, so a column added later fails here until someone
    decides."""
    url = pg_instance.url
    for table in NOT_NOTED:
        columns, noted = trigger_columns(url, table,
                                         f"finder_{table}_change")
        assert columns - noted == set(NOT_NOTED[table]), (
            table, sorted(columns - noted))
