"""Upgrades never lose data (SPEC S6, issue 14 item 4).

Every earlier schema is treated as a released one (there are no tags):
build/tests/unit/store_at makes a store at version N with the real
driver, each migration applied as caremail applies it, and this test puts
rows in it with SQL against that version's own tables (columns chosen by
reading them): an org and site, a person with a mailbox and address, a
delivered message, a chained or (before migration 13) unchained audit row.
Then the current caremail opens it, which runs the migrations it lacks,
and the store must be at the newest version, with the schema of a store
made new, the rows readable through the CLI, `audit verify` whole, and
(for the oldest and newest N) serve delivering and IMAP reading mail.

On PostgreSQL, whose migrations before 28 do nothing (it begins at 28),
the earlier schemas are those from the first one that makes tables: none
until migration 29 exists. CAREMAIL_UPGRADE_PG_FROM=N starts lower (an
empty store at 27, for trying the test before there is a 29).

A failed migration: the newest is made to fail on a store one version
behind it, two ways: a statement of its own (an object it creates made
beforehand, one it drops dropped, a column it adds added), and its version
row refused by a trigger after all its statements ran. caremail must stop
with a sentence naming the migration, leave the store byte for byte as it
was (dumps compared), so that a program knowing only the earlier
migrations opens it as before, and upgrade it once the obstacle is gone.
"""
import hashlib
import hmac
import os
import re
import shutil
import sqlite3
import subprocess
import time
import uuid

import pytest

from conftest import (BIN, PASSWORD, PG_BIN, ROOT, Instance, Server,
                      fetch_folder, imap_session, make_instance, new_database,
                      pg_sql, run, submit)

STORE_AT = os.environ.get("STORE_AT",
                          str(ROOT / "build" / "tests" / "unit" / "store_at"))
NOW = int(time.time()) - 86400
MESSAGE = (b"From: Old Sender <old.sender@example.org>\r\n"
           b"To: upgrade@example.nhs.uk\r\n"
           b"Subject: written before the upgrade\r\n"
           b"Message-ID: <before-upgrade@example.org>\r\n"
           b"Date: Mon, 1 Jun 2026 09:00:00 +0000\r\n\r\n"
           b"Clinic moved to Tuesday.\r\n")


def store_at(*args):
    return subprocess.run([STORE_AT, *map(str, args)], check=True,
                          capture_output=True, text=True,
                          timeout=120).stdout


LATEST = int(store_at("count", "sqlite"))


def pg_first():
    """The first PostgreSQL migration that makes a table: the first
    schema a PostgreSQL store was ever at."""
    if os.environ.get("CAREMAIL_UPGRADE_PG_FROM"):
        return int(os.environ["CAREMAIL_UPGRADE_PG_FROM"])
    for n in range(1, LATEST + 1):
        if "CREATE TABLE" in store_at("sql", "postgresql", n).upper():
            return n
    return LATEST


PG_FROM = pg_first()

# The oldest and newest earlier schemas, and the first with mail tables,
# are also served (every one would take too long); on PostgreSQL the
# oldest and newest.
SERVED = {1, 2, LATEST - 1}
PG_SERVED = {PG_FROM, LATEST - 1}


# ---- the two backends, as far as this test needs them ----

class Lite:
    backend = "sqlite"

    def __init__(self, path):
        self.path = str(path)

    def connect(self):
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA foreign_keys = ON")
        # The test's own writes need not wait for the disk.
        db.execute("PRAGMA synchronous = OFF")
        return db

    def query(self, sql):
        db = self.connect()
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def execute(self, sql):
        db = self.connect()
        try:
            db.executescript(sql)
        finally:
            db.close()

    def tables(self):
        return {r[0] for r in self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}

    def columns(self, table):
        """name -> (required without a value, the kind of value)."""
        out = {}
        for _, name, typ, notnull, dflt, pk in self.query(
                f"PRAGMA table_info('{table}')"):
            out[name] = (bool(notnull) and dflt is None and not pk,
                         kind_of(typ))
        return out

    def insert(self, table, values):
        cols, vals = self.row(table, values)
        db = self.connect()
        try:
            cur = db.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES"
                f" ({', '.join('?' * len(cols))})", vals)
            return cur.lastrowid
        finally:
            db.close()

    def row(self, table, values):
        return fill(self.columns(table), values)

    def next_id(self, table):
        return self.query(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"
                          )[0][0]

    def dump(self):
        """Every object and row, as sqlite3's .dump writes them."""
        db = sqlite3.connect(self.path)
        try:
            return "\n".join(db.iterdump())
        finally:
            db.close()

    def schema(self):
        """The schema as the catalog holds it, whitespace normalised."""
        return sorted(
            (t, n, tb, re.sub(r"\s+", " ", sql or "").strip())
            for t, n, tb, sql in self.query(
                "SELECT type, name, tbl_name, sql FROM sqlite_master"
                " WHERE name NOT LIKE 'sqlite_stat%'"))

    def index_sql(self, name):
        return self.query("SELECT sql FROM sqlite_master WHERE name ="
                          f" '{name}'")[0][0]


class Pg:
    backend = "postgresql"

    def __init__(self, url):
        self.path = url

    def psql(self, sql, check=True):
        return pg_sql(self.path, sql, check, sep="\x1f")

    def query(self, sql):
        return [tuple(line.split("\x1f"))
                for line in self.psql(sql).stdout.splitlines() if line]

    def execute(self, sql):
        self.psql(sql)

    def tables(self):
        return {r[0] for r in self.query(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public'")}

    def columns(self, table):
        """As Lite.columns. Every table's are read in one query, once: the
        test asks only while the store is at the version it was made at
        (a psql and its backend cost a tenth of a second each)."""
        if not hasattr(self, "_columns"):
            self._columns = {}
            for t, name, nullable, dflt, ident, typ in self.query(
                    "SELECT table_name, column_name, is_nullable,"
                    " COALESCE(column_default, ''), is_identity, data_type"
                    " FROM information_schema.columns WHERE table_schema ="
                    " 'public' ORDER BY table_name, ordinal_position"):
                self._columns.setdefault(t, {})[name] = (
                    nullable == "NO" and dflt == "" and ident == "NO",
                    kind_of(typ))
        return dict(self._columns.get(table, {}))

    def insert(self, table, values):
        columns = self.columns(table)
        cols, vals = fill(columns, values)
        returning = " RETURNING id" if "id" in columns else ""
        out = self.query(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES"
            f" ({', '.join(pg_literal(v) for v in vals)}){returning}")
        return int(out[0][0]) if returning else None

    def next_id(self, table):
        return int(self.query(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"
        )[0][0])

    def pg_dump(self, *args):
        out = subprocess.run(
            [os.path.join(PG_BIN, "pg_dump"), "-d", self.path,
             "--no-comments", *args],
            check=True, capture_output=True, text=True, timeout=120).stdout
        # \restrict and \unrestrict carry a random key per dump.
        return "\n".join(line for line in out.splitlines()
                         if line and not line.startswith(
                             ("--", "\\restrict", "\\unrestrict")))

    def dump(self):
        # A sequence moved on by a row inserted and undone is no change:
        # nextval is not transactional, and ids need only be unique.
        return "\n".join(line for line in self.pg_dump().splitlines()
                         if not line.startswith("SELECT pg_catalog.setval"))

    def schema(self):
        return self.pg_dump("--schema-only")

    def index_sql(self, name):
        return self.query("SELECT indexdef FROM pg_indexes WHERE"
                          f" indexname = '{name}'")[0][0]


def kind_of(typ):
    typ = typ.upper()
    if "INT" in typ:
        return "int"
    if "BLOB" in typ or "BYTEA" in typ:
        return "bytes"
    return "text"


def fill(columns, values):
    """The columns of values this version has, and a plain value for
    each other one it cannot do without."""
    cols, vals = [], []
    for name, (required, kind) in columns.items():
        if name in values:
            value = values[name]
        elif required:
            value = {"int": 0, "bytes": b"", "text": ""}[kind]
        else:
            continue
        cols.append(name if name != "right" else '"right"')
        vals.append(value)
    return cols, vals


def pg_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, bytes):
        return f"'\\x{v.hex()}'::bytea"
    return "'" + str(v).replace("'", "''") + "'"


# ---- the audit chain, as store_audit.c hashes it ----

def mac_text(b):
    return b"N" if b is None else b"T" + len(b).to_bytes(8, "big") + b


def mac_int(v):
    return b"I" + (v & (2 ** 64 - 1)).to_bytes(8, "big")


def audit_hash(key, row, prev):
    enc = mac_text(b"caremail audit v1") + mac_int(row["id"]) + \
        mac_int(row["at"])
    for f in ("actor", "action", "object_type"):
        enc += mac_text(row[f].encode())
    enc += mac_int(row["object_id"])
    enc += mac_text(None) if row["org_id"] is None else \
        mac_int(row["org_id"])
    for f in ("summary", "client", "request_id", "result"):
        enc += mac_text(row[f].encode())
    enc += mac_text(prev)
    return hmac.new(key, enc, hashlib.sha256).digest()


# ---- a store as release N left it ----

def fill_store(db, version, inst_dir, password_hash):
    """Rows that version's tables hold, written with SQL; what was
    written, for checking after the upgrade."""
    tables = db.tables()
    got = {"version": version}
    if "orgs" not in tables:
        return got
    org = db.insert("orgs", {"ods": "UPG001", "name": "Upgrade Practice",
                             "type": "GP Practice", "default_quota_mb": 512,
                             "created_at": NOW, "updated_at": NOW})
    site = db.insert("sites", {"org_id": org, "name": "Old Surgery",
                               "site_type": "gp_practice",
                               "created_at": NOW})
    address = "upgrade@example.nhs.uk"
    mbox = db.insert("mailboxes", {
        "kind": "user", "org_id": org, "address": address,
        "display_name": "Una Upgrade", "quota_mb": 512, "status": "active",
        "created_at": NOW, "updated_at": NOW, "last_used_at": NOW,
        "used_bytes": len(MESSAGE) if "folders" in tables else 0})
    person = db.insert("people", {
        "org_id": org, "site_id": site, "mailbox_id": mbox,
        "first_name": "Una", "last_name": "Upgrade",
        "display_name": "Una Upgrade", "job_title": "Practice Manager",
        "status": "active", "password_hash": password_hash,
        "password_changed_at": NOW, "password_self_set_at": NOW,
        "sort_name": "upgrade una", "status_changed_at": NOW,
        "created_at": NOW, "updated_at": NOW})
    db.execute(f"UPDATE mailboxes SET person_id = {person}"
               f" WHERE id = {mbox}")
    db.insert("addresses", {"address": address, "holder_kind": "person",
                            "holder_id": person, "assigned_at": NOW})
    got.update(org=org, person=person, mailbox=mbox, address=address,
               # Before migration 5 every password was set by an admin,
               # and one is temporary until its owner changes it.
               permanent="password_self_set_at" in db.columns("people"))
    if "folders" in tables:
        # Before 17 a mailbox got its Inbox at its first delivery and
        # the rest at the first sign-in; migration 17 adds the others.
        standard = [("INBOX", "inbox"), ("Sent Items", "sent"),
                    ("Drafts", "drafts"), ("Deleted Items", "trash"),
                    ("Junk E-mail", "junk")]
        if version < 17:
            standard = [("INBOX", "")]
        folders = [db.insert("folders", {
            "mailbox_id": mbox, "name": name, "special_use": use,
            # The Inbox's next UID past its one message (2 to 4
            # expunged): kept by the upgrade (in folder_counts since 45).
            "uidvalidity": NOW + i, "uidnext": 5 if i == 0 else 1,
            "recent_uid": 2 if i == 0 else 1, "created_at": NOW})
            for i, (name, use) in enumerate(standard)]
        if "uidvalidity_last" in db.columns("mailboxes"):
            db.execute(f"UPDATE mailboxes SET uidvalidity_last ="
                       f" {NOW + len(standard) - 1} WHERE id = {mbox}")
        digest = hashlib.sha256(MESSAGE).hexdigest()
        summary = {"hash": digest, "size": len(MESSAGE), "data": MESSAGE,
                   "created_at": NOW, "subject": "written before the upgrade",
                   "from_addr": "old.sender@example.org",
                   "to_addr": address, "message_id": "<before-upgrade@"
                   "example.org>", "header_size": MESSAGE.index(b"\r\n\r\n")
                   + 4, "sent_date": NOW}
        message = {"folder_id": folders[0], "uid": 1, "size": len(MESSAGE),
                   "internal_date": NOW, "flags": 0}
        if "bodies" in tables:
            message["body_id"] = db.insert("bodies", summary)
        else:
            db.insert("blobs", summary)
            # The summary was the message row's own then.
            message.update(summary, blob_hash=digest)
        db.insert("messages", message)
        if "uidnext" not in db.columns("folders"):
            # Since 45 the next UID is the counts row's, which the
            # message's insert made.
            db.execute("UPDATE folder_counts SET uidnext = 5 WHERE"
                       f" folder_id = {folders[0]}")
        if "mailbox_usage" in tables:
            # Since migration 43 the bytes charged have a row of their own.
            db.insert("mailbox_usage", {"mailbox_id": mbox,
                                        "used_bytes": len(MESSAGE)})
        got["message"] = True
    # Someone the lifecycle job deleted (deleted_at set, nothing else
    # written), with the People Finder keys that path once left: gone
    # after the upgrade (migration 38).
    gone_box = db.insert("mailboxes", {
        "kind": "user", "org_id": org, "address": "gil.gone@example.nhs.uk",
        "display_name": "Gil Gone", "quota_mb": 512, "status": "deleted",
        "created_at": NOW, "updated_at": NOW, "last_used_at": NOW,
        "deleted_at": NOW})
    gone = db.insert("people", {
        "org_id": org, "mailbox_id": gone_box, "first_name": "Gil",
        "last_name": "Gone", "display_name": "Gil Gone",
        "status": "deleted", "password_hash": password_hash,
        "password_changed_at": NOW, "sort_name": "gone\x01gil",
        "status_changed_at": NOW, "created_at": NOW, "updated_at": NOW,
        "deleted_at": NOW})
    db.execute(f"UPDATE mailboxes SET person_id = {gone}"
               f" WHERE id = {gone_box}")
    db.insert("addresses", {"address": "gil.gone@example.nhs.uk",
                            "holder_kind": "person", "holder_id": gone,
                            "assigned_at": NOW})
    if "people_search" in tables and version < 38:
        db.insert("people_search", {"key": "n:gil", "sort": "gone\x01gil",
                                    "person_id": gone, "org_id": org})
    got["gone"] = gone
    row = {"id": db.next_id("audit"), "at": NOW, "actor": "old-release",
           "action": "create", "object_type": "organisation",
           "object_id": org, "org_id": org,
           "summary": f"made at schema version {version}", "client": "",
           "request_id": "", "result": "done"}
    if "hash" in db.columns("audit"):
        with open(os.path.join(inst_dir, "audit.key")) as f:
            key = bytes.fromhex(f.read().strip())
        row["prev_hash"] = bytes(32)
        row["hash"] = audit_hash(key, row, row["prev_hash"])
    db.insert("audit", row)
    got["audit"] = row["summary"]
    return got


# ---- instances ----

@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """An instance made by `init` at the newest schema: its store is the
    fresh one the upgraded ones are compared with, its directory (keys,
    config, certificate) the one each upgraded store is served from."""
    inst = make_instance(tmp_path_factory.mktemp("template") / "instance")
    db = Lite(inst.dir / "caremail.db")
    inst.password_hash = db.query(
        "SELECT password_hash FROM people WHERE id = 1")[0][0]
    inst.schema = db.schema()
    return inst


@pytest.fixture(scope="module")
def pg_template(tmp_path_factory, cluster):
    url = new_database(cluster, "u_")
    path = tmp_path_factory.mktemp("pg-template") / "instance"
    run("init", "--dir", path, "--domain", "example.nhs.uk", "--store", url,
        "--admin-password-stdin", input=PASSWORD + "\n")
    inst = Instance(path, "example.nhs.uk")
    inst.url = url
    db = Pg(url)
    inst.password_hash = db.query(
        "SELECT password_hash FROM people WHERE id = 1")[0][0]
    inst.schema = db.schema()
    return inst


def instance_at(template, path, backend, version, cluster=None):
    """The template's directory over a new store at `version`; (the
    Instance, its store)."""
    shutil.copytree(template.dir, path)
    if backend == "sqlite":
        for name in os.listdir(path):
            if name.startswith("caremail.db"):
                os.remove(path / name)
        db = Lite(path / "caremail.db")
    else:
        db = Pg(new_database(cluster, "u_"))
        conf = path / "caremail.conf"
        conf.write_text(conf.read_text().replace(template.url, db.path))
    assert int(store_at("make", backend, db.path, version)) == version
    if "audit" in db.tables() and "hash" not in db.columns("audit"):
        # A release before the chain had no key: the first open after
        # the upgrade makes one and seals the rows there are.
        os.remove(path / "audit.key")
        os.remove(path / "audit.anchor")
    return Instance(path, template.domain), db


def version_of(db):
    return int(db.query("SELECT MAX(version) FROM schema_migrations")[0][0])


def serve_and_read(inst, tmp_path, got):
    """serve starts on the upgraded store; the mail delivered before is
    read over IMAP beside a message delivered now."""
    address = got["address"]
    if not got["permanent"]:
        inst.run("user", "passwd", address, "--stdin", "--permanent",
                 input=PASSWORD + "\n")
    server = Server(inst, False, tmp_path / "serve.log")
    try:
        server.wait_ready()
        note = (f"From: {address}\r\nTo: {address}\r\nSubject: after the"
                f" upgrade\r\nMessage-ID: <{uuid.uuid4().hex}@example.nhs."
                f"uk>\r\n\r\nStill here.\r\n").encode()
        code, _ = submit(server, address, PASSWORD, address, [address], note)
        assert code == 250
        with imap_session(server, address, PASSWORD) as m:
            raws = [raw for _, raw in fetch_folder(m, "INBOX")]
            # The summary a SEARCH SUBJECT or FROM reads (body_summaries
            # since migration 35) holds the message written before.
            found = {(key, word): m.uid("SEARCH", key, f'"{word}"')[1][0]
                     .split() for key, word in (("SUBJECT", "before the upgrade"),
                                       ("FROM", "old.sender"),
                                       ("SUBJECT", "after the upgrade"))}
        assert len(raws) == (2 if got.get("message") else 1), raws
        want = [b"1"] if got.get("message") else []
        assert found["SUBJECT", "before the upgrade"] == want, found
        assert found["FROM", "old.sender"] == want, found
        assert len(found["SUBJECT", "after the upgrade"]) == 1, found
        if got.get("message"):
            # After the Inbox's next UID as it was, not its newest message.
            assert found["SUBJECT", "after the upgrade"] == [b"5"], found
        if got.get("message"):
            assert raws[0] == MESSAGE
        assert b"Subject: after the upgrade" in raws[-1]
    finally:
        server.stop()


def check_upgraded(inst, db, template, got, tmp_path, serve):
    assert version_of(db) == LATEST
    assert [int(r[0]) for r in db.query(
        "SELECT version FROM schema_migrations ORDER BY version")] == \
        list(range(1, LATEST + 1))
    assert db.schema() == template.schema
    if "org" in got:
        org = inst.json("org", "show", "UPG001")
        assert org["name"] == "Upgrade Practice", org
        person = inst.json("user", "show", got["address"])
        assert person["first_name"] == "Una", person
        assert [s["name"] for s in inst.json("site", "list", "--org",
                                              "UPG001")] == ["Old Surgery"]
        # Migration 17 gave every mailbox its standard folders.
        names = {r[0] for r in db.query(
            "SELECT special_use FROM folders WHERE mailbox_id ="
            f" {got['mailbox']}")}
        assert names == {"inbox", "sent", "drafts", "trash", "junk"}, names
        assert db.query("SELECT COUNT(*) FROM people_search WHERE"
                        f" person_id = {got['gone']}")[0][0] in (0, "0")
        if got["version"] < 10:
            # Migrations 10 and 16 filled the People Finder for the
            # people there were.
            assert int(db.query(
                "SELECT COUNT(*) FROM people_search WHERE person_id ="
                f" {got['person']}")[0][0]) > 0
    if got.get("message"):
        rows = db.query(
            "SELECT b.hash, b.size, m.uid FROM messages m JOIN bodies b"
            " ON b.id = m.body_id JOIN folders f ON f.id = m.folder_id"
            f" WHERE f.mailbox_id = {got['mailbox']}")
        assert [(r[0], int(r[1]), int(r[2])) for r in rows] == \
            [(hashlib.sha256(MESSAGE).hexdigest(), len(MESSAGE), 1)]
        # The Inbox's next UID, past its messages, is as it was (moved
        # into its counts row by migration 45).
        assert [int(r[0]) for r in db.query(
            "SELECT c.uidnext FROM folder_counts c JOIN folders f"
            " ON f.id = c.folder_id WHERE f.name = 'INBOX' AND"
            f" f.mailbox_id = {got['mailbox']}")] == [5]
        # Its size is still charged to the mailbox (moved out of the
        # mailbox's row by migration 43).
        assert [int(r[0]) for r in db.query(
            "SELECT used_bytes FROM mailbox_usage WHERE mailbox_id ="
            f" {got['mailbox']}")] == [len(MESSAGE)]
    if "audit" in got:
        assert int(db.query("SELECT COUNT(*) FROM audit WHERE summary ="
                            f" '{got['audit']}'")[0][0]) == 1
        out = inst.run("audit", "verify").stdout
        assert "whole" in out, out
    if serve and "org" in got:
        serve_and_read(inst, tmp_path, got)


# ---- every earlier schema upgrades ----

@pytest.mark.parametrize("version", range(1, LATEST))
def test_sqlite_upgrade(template, tmp_path, version):
    inst, db = instance_at(template, tmp_path / "instance", "sqlite",
                           version)
    got = fill_store(db, version, inst.dir, template.password_hash)
    assert version_of(db) == version
    # Any command opens the store, and opening it upgrades it.
    inst.run("org", "list")
    check_upgraded(inst, db, template, got, tmp_path, version in SERVED)


@pytest.mark.parametrize("version", range(PG_FROM, LATEST))
def test_postgresql_upgrade(pg_template, cluster, tmp_path, version):
    inst, db = instance_at(pg_template, tmp_path / "instance", "postgresql",
                           version, cluster)
    got = fill_store(db, version, inst.dir, pg_template.password_hash)
    assert version_of(db) == version
    inst.run("org", "list")
    check_upgraded(inst, db, pg_template, got, tmp_path,
                   version in PG_SERVED)


# ---- a failed migration leaves the store as it was ----

def statement_obstacle(db, sql):
    """SQL that makes a statement of migration `sql` fail, and SQL that
    takes the obstacle away again: for the last statement that can be
    made to fail, so the ones before it have work to undo."""
    if re.fullmatch(r"\s*SELECT\s+1\s*;?\s*", sql, re.I):
        return None  # a backend's migration with nothing to do
    found = []
    dropped = {m[1]: m.start() for m in re.finditer(
        r"DROP\s+INDEX\s+(\w+)", sql, re.I)}
    for m in re.finditer(r"CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s+(\w+)",
                         sql, re.I):
        # A table or index of that name is there already; not one the
        # migration drops first to make again (its name is taken now).
        if dropped.get(m[1], len(sql)) < m.start():
            continue
        found.append((m.start(), f"CREATE TABLE {m[1]} (obstacle INTEGER)",
                      f"DROP TABLE {m[1]}"))
    for m in re.finditer(r"DROP\s+INDEX\s+(\w+)", sql, re.I):
        # The index it drops is gone.
        found.append((m.start(), f"DROP INDEX {m[1]}",
                      lambda name=m[1]: db.index_sql(name)))
    for m in re.finditer(r"DROP\s+TRIGGER\s+(\w+)\s*;", sql, re.I):
        # The trigger it drops is gone (SQLite's form: PostgreSQL's names
        # its table too).
        found.append((m.start(), f"DROP TRIGGER {m[1]}",
                      lambda name=m[1]: db.index_sql(name)))
    for m in re.finditer(r"ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)",
                         sql, re.I):
        # The column it adds is there already.
        found.append((m.start(),
                      f"ALTER TABLE {m[1]} ADD COLUMN {m[2]} INTEGER",
                      f"ALTER TABLE {m[1]} DROP COLUMN {m[2]}"))
    for m in re.finditer(r"ALTER\s+TABLE\s+(\w+)\s+DROP\s+COLUMN\s+(\w+)",
                         sql, re.I):
        # A view reads the column it drops (both refuse to drop it then).
        found.append((m.start(), f"CREATE VIEW upgrade_obstacle AS"
                      f" SELECT {m[2]} FROM {m[1]}",
                      "DROP VIEW upgrade_obstacle"))
    for m in re.finditer(r"CREATE\s+FUNCTION\s+(\w+)\(\)", sql, re.I):
        # A function of that name is there already.
        found.append((m.start(), f"CREATE FUNCTION {m[1]}() RETURNS trigger"
                      " LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
                      f"DROP FUNCTION {m[1]}()"))
    for m in re.finditer(r"CREATE\s+OR\s+REPLACE\s+FUNCTION\s+(\w+)\(\)",
                         sql, re.I):
        # A function made again: nothing the store holds can stop that,
        # so an event trigger refuses it (PostgreSQL; the tests' role
        # owns the cluster).
        found.append((m.start(), "CREATE FUNCTION upgrade_obstacle()"
                      " RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN"
                      " RAISE EXCEPTION 'obstacle'; END $$;"
                      " CREATE EVENT TRIGGER upgrade_obstacle ON"
                      " ddl_command_start WHEN TAG IN ('CREATE FUNCTION')"
                      " EXECUTE FUNCTION upgrade_obstacle()",
                      "DROP EVENT TRIGGER upgrade_obstacle;"
                      " DROP FUNCTION upgrade_obstacle()"))
    # Not a DELETE in a trigger's or function's body: it runs later.
    bodies = re.sub(r"\$\$.*?\$\$|\bBEGIN\b.*?\bEND\b",
                    lambda b: " " * len(b[0]), sql, flags=re.S | re.I)
    for m in re.finditer(r"DELETE\s+FROM\s+(\w+)", bodies, re.I):
        # A trigger refuses it (fill_store leaves a row for it to delete:
        # SQLite's triggers fire per row).
        if db.backend == "sqlite":
            found.append((m.start(), "CREATE TRIGGER upgrade_obstacle"
                          f" BEFORE DELETE ON {m[1]} BEGIN"
                          " SELECT RAISE(ABORT, 'obstacle'); END",
                          "DROP TRIGGER upgrade_obstacle"))
        else:
            found.append((m.start(), "CREATE FUNCTION upgrade_obstacle()"
                          " RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                          " RAISE EXCEPTION 'obstacle'; END $$;"
                          " CREATE TRIGGER upgrade_obstacle BEFORE DELETE"
                          f" ON {m[1]} FOR EACH STATEMENT EXECUTE FUNCTION"
                          " upgrade_obstacle()",
                          f"DROP TRIGGER upgrade_obstacle ON {m[1]};"
                          " DROP FUNCTION upgrade_obstacle()"))
    if not found:
        pytest.fail("no statement of the newest migration can be made to"
                    " fail here: teach statement_obstacle its kind")
    _, put, remove = max(found, key=lambda f: f[0])
    if callable(remove):
        remove = remove()  # the index as it was, made again after
    return put, remove


def record_obstacle(db):
    """A trigger refusing the newest migration's version row: all of its
    statements have run when its record fails."""
    if db.backend == "sqlite":
        return (f"CREATE TRIGGER upgrade_refused BEFORE INSERT ON"
                f" schema_migrations WHEN NEW.version = {LATEST} BEGIN"
                f" SELECT RAISE(ABORT, 'refused by test_upgrade'); END;",
                "DROP TRIGGER upgrade_refused;")
    return ("CREATE FUNCTION upgrade_refuse() RETURNS trigger LANGUAGE"
            " plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by"
            " test_upgrade'; END $$; CREATE TRIGGER upgrade_refused BEFORE"
            " INSERT ON schema_migrations FOR EACH ROW WHEN (NEW.version ="
            f" {LATEST}) EXECUTE FUNCTION upgrade_refuse();",
            "DROP TRIGGER upgrade_refused ON schema_migrations;"
            " DROP FUNCTION upgrade_refuse();")


@pytest.mark.parametrize("how", ["statement", "record"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_failed_migration_leaves_the_store_as_it_was(request, tmp_path,
                                                     backend, how):
    if backend == "sqlite":
        template, cluster = request.getfixturevalue("template"), None
    else:
        template = request.getfixturevalue("pg_template")
        cluster = request.getfixturevalue("cluster")
    before = LATEST - 1
    inst, db = instance_at(template, tmp_path / "instance", backend,
                           before, cluster)
    got = fill_store(db, before, inst.dir, template.password_hash)
    if how == "statement":
        obstacle = statement_obstacle(db, store_at("sql", backend, LATEST))
        if obstacle is None:
            pytest.skip(f"migration {LATEST} does nothing on {backend}")
        put, remove = obstacle
    else:
        put, remove = record_obstacle(db)
    db.execute(put)
    dump = db.dump()

    proc = inst.run("org", "list", check=False)
    assert proc.returncode == 1, proc.stderr
    line = proc.stderr.strip()
    assert len(line.splitlines()) == 1, line
    assert line.startswith(f"caremail: schema migration {LATEST} failed"
                           " and was undone, so the store is still at"
                           f" version {before}"), line
    # serve will not start on it either, and says why.
    server = Server(inst, False, tmp_path / "serve.log")
    try:
        assert server.proc.wait(timeout=30) == 1
        assert f"schema migration {LATEST} failed" in server.logs()
    finally:
        server.stop(check=False)

    # Nothing of the migration stayed: not its version row, nor any of
    # its statements' work; every row is as it was.
    assert version_of(db) == before
    assert db.dump() == dump
    # What the release before does on opening it: apply the migrations
    # it knows, all there, so it starts as it did.
    assert int(store_at("make", backend, db.path, before)) == before
    assert db.dump() == dump

    db.execute(remove)
    inst.run("org", "list")
    check_upgraded(inst, db, template, got, tmp_path, False)


# ---- what keeps a migration one transaction ----

@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_no_migration_ends_its_own_transaction(backend):
    """Each migration runs inside the transaction store_migrate opens:
    a statement that commits, or that the engine cannot run inside a
    transaction, would let a failed upgrade keep half its work."""
    outside = re.compile(r"\b(COMMIT|ROLLBACK|SAVEPOINT|RELEASE|VACUUM|"
                         r"CONCURRENTLY|PRAGMA|ATTACH|DETACH|REINDEX|"
                         r"END\s+TRANSACTION)\b", re.I)
    for n in range(1, LATEST + 1):
        sql = store_at("sql", backend, n)
        assert not outside.search(sql), (n, outside.search(sql)[0])
        # BEGIN only opens a trigger's or a function's body.
        for m in re.finditer(r"\bBEGIN\b", sql, re.I):
            statement = sql[:m.start()].rsplit(";", 1)[-1]
            assert re.search(r"CREATE\s+(OR\s+REPLACE\s+)?(TRIGGER|FUNCTION)",
                             statement, re.I), (n, statement)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_upgrading_at_once_apply_each_migration_once(
        request, tmp_path, backend):
    """Nodes started together over one store (or serve and a CLI
    command) all upgrade it: whichever takes the writers' lock first
    applies a migration, and the others find it applied, instead of
    failing on its tables already being there."""
    if backend == "sqlite":
        template, cluster, before = request.getfixturevalue("template"), \
            None, 1
    else:
        template = request.getfixturevalue("pg_template")
        cluster = request.getfixturevalue("cluster")
        before = PG_FROM - 1
    inst, db = instance_at(template, tmp_path / "instance", backend, before,
                           cluster)
    procs = [subprocess.Popen([BIN, "org", "list", "--dir", inst.dir],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    assert version_of(db) == LATEST
    assert db.schema() == template.schema
