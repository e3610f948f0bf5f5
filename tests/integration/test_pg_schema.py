"""The PostgreSQL schema (src/store/store_schema_pg.c) against SQLite's.

Applies every PostgreSQL migration in order to a throwaway cluster
(scripts/pgcluster.sh) and compares the result with a fresh SQLite
instance at the same version: the same tables, columns in the same order
with the same NOT NULL and defaults, the same indexes by name, the same
primary and unique column sets, the same foreign keys, every text column
collated "C", and the refusing triggers refusing (issue 14 item 1). The
migrations are printed by build/tests/unit/pg_schema_dump.
"""
import os
import re
import sqlite3
import subprocess

import pytest

from conftest import ROOT, make_instance, new_database, pg_grouped, pg_sql

DUMP = os.environ.get("PG_SCHEMA_DUMP",
                      str(ROOT / "build" / "tests" / "unit" / "pg_schema_dump"))


def dump(arg):
    return subprocess.run([DUMP, arg], check=True, capture_output=True,
                          text=True, timeout=30).stdout


psql = pg_sql


def rows(url, sql):
    out = psql(url, sql).stdout
    return [line.split("|") for line in out.splitlines() if line]



# Each constraint of a kind with the name of its table in public.
CONSTRAINTS = (" FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
               " JOIN pg_namespace s ON s.oid = t.relnamespace"
               " AND s.nspname = 'public'")


@pytest.fixture(scope="module")
def pg(cluster):
    url = new_database(cluster)
    count = int(dump("count"))
    for n in range(1, count + 1):
        # One string per migration, as the driver runs it: one
        # implicit transaction.
        psql(url, dump(str(n)))
    return url


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    inst = make_instance(tmp_path_factory.mktemp("sqlite") / "instance")
    db = sqlite3.connect(os.path.join(str(inst.dir), "caremail.db"))
    yield db
    db.close()


# The text index of message bodies (migration 33) is each engine's own:
# SQLite's FTS5 table and the tables FTS5 keeps behind it, PostgreSQL's
# table with its pg_trgm indexes. test_text_index checks both.
TEXT_INDEX = {"body_text", "body_text_config", "body_text_content",
              "body_text_data", "body_text_docsize", "body_text_idx"}


# SQLite's own: a card for each person, kept by its triggers (migration
# 41), which its People Finder reads; PostgreSQL's searches read the rows.
# test_person_cards.py checks it.
CARDS = {"person_cards"}


def lite_tables(db):
    return sorted(r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'")
        if r[0] not in TEXT_INDEX | CARDS)


# PostgreSQL's own: the People Finder feed the nodes' copies follow
# (migration 36); a SQLite store is the only copy there is.
FINDER_FEED = {"finder_log", "finder_log_floor"}


def pg_tables(url):
    return sorted(r[0] for r in rows(
        url, "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
        if r[0] not in TEXT_INDEX | FINDER_FEED)


def test_finder_feed(pg):
    """The feed: a numbered note per change to what a search or a
    person's record reads (migrations 36 and 40), the floor row with the
    database's stamp, and a trigger on each table."""
    assert rows(pg, "SELECT one, below, length(stamp) FROM"
                " finder_log_floor") == [["1", "0", "32"]]
    got = {r[0] for r in rows(
        pg, "SELECT event_object_table FROM information_schema.triggers"
        " WHERE trigger_name LIKE 'finder_%'")}
    assert got == {"people", "mailboxes", "orgs", "sites", "roles",
                   "people_search", "lists", "addresses", "owners",
                   "mailbox_members", "list_members", "grants"}


def test_text_index(lite, pg):
    """SQLite: an FTS5 table of the two texts with the case-sensitive
    trigram tokenizer. PostgreSQL: a table of the same texts keyed by the
    body with a pg_trgm GIN index on each. Both: the pending list, and
    the triggers that fill it and empty both."""
    sql = lite.execute("SELECT sql FROM sqlite_master"
                       " WHERE name = 'body_text'").fetchone()[0]
    assert "fts5(header, body" in sql and "trigram case_sensitive 1" in sql
    assert [r[0] for r in rows(
        pg, "SELECT column_name FROM information_schema.columns WHERE"
        " table_name = 'body_text' ORDER BY ordinal_position")] == \
        ["body_id", "header", "body"]
    got = {r[0]: r[1] for r in rows(
        pg, "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE tablename = 'body_text'")}
    for column in ("header", "body"):
        assert f"gin ({column} gin_trgm_ops)" in got[f"body_text_{column}"]
    for trigger in ("bodies_text_pending", "bodies_text_forget"):
        assert lite.execute("SELECT 1 FROM sqlite_master WHERE type ="
                            " 'trigger' AND name = ?", (trigger,)).fetchone()
        assert rows(pg, "SELECT 1 FROM pg_trigger"
                    f" WHERE tgname = '{trigger}'") == [["1"]]


def norm_default(value):
    """A default as text both sides agree on: '' and 'x' quoted, numbers
    bare, casts and parentheses gone."""
    if value is None or value == "":
        return None
    v = re.sub(r"::[a-z ]+$", "", value.strip())
    v = v.strip("()")
    # PostgreSQL keeps a negative number default as '-1'::bigint.
    return re.sub(r"^'(-?[0-9]+)'$", r"\1", v)


def test_same_migration_count(lite, pg):
    version = lite.execute("SELECT MAX(version) FROM schema_migrations")
    assert int(dump("count")) == version.fetchone()[0]


def test_same_tables(lite, pg):
    assert pg_tables(pg) == lite_tables(lite)


def test_same_columns_in_order(lite, pg):
    columns = pg_grouped(
        pg, "SELECT table_name, column_name, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = 'public'"
        " ORDER BY table_name, ordinal_position")
    for table in lite_tables(lite):
        want = [(name, bool(notnull or pk and typ.upper() != "INTEGER"),
                 norm_default(dflt))
                for _, name, typ, notnull, dflt, pk in
                lite.execute(f"SELECT * FROM pragma_table_info('{table}')")]
        got = [(name, nullable == "NO", norm_default(dflt) if
                not (dflt or "").startswith("nextval") else None)
               for name, nullable, dflt in columns.get(table, [])]
        # SQLite's INTEGER PRIMARY KEY is the rowid (never NULL) though
        # table_info says nullable; PostgreSQL's primary keys are NOT NULL.
        want = [(n, True if n in pk_columns(lite, table) else nn, d)
                for n, nn, d in want]
        assert got == want, table


def test_types(lite, pg):
    mapping = {"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea",
               "REAL": "double precision"}
    types = pg_grouped(
        pg, "SELECT table_name, column_name, data_type FROM"
        " information_schema.columns WHERE table_schema = 'public'")
    for table in lite_tables(lite):
        want = {name: mapping[typ.upper()] for _, name, typ, *_ in
                lite.execute(f"SELECT * FROM pragma_table_info('{table}')")}
        got = {name: typ for name, typ in types.get(table, [])}
        assert got == want, table
    uncollated = rows(
        pg, "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type = 'text'"
        " AND collation_name IS DISTINCT FROM 'C'")
    assert uncollated == []


def pk_columns(db, table):
    return {r[1] for r in db.execute(
        f"SELECT * FROM pragma_table_info('{table}')") if r[5]}


def lite_keys(db, table):
    """Primary key and unique constraint column sets (not plain indexes)."""
    keys = set()
    pk = [r[1] for r in sorted(db.execute(
        f"SELECT * FROM pragma_table_info('{table}')"), key=lambda r: r[5])
        if r[5]]
    if pk:
        keys.add(("p", tuple(pk)))
    for _, name, unique, origin, partial in db.execute(
            f"SELECT * FROM pragma_index_list('{table}')"):
        if origin == "u":
            cols = tuple(r[2] for r in db.execute(
                f"SELECT * FROM pragma_index_info('{name}') ORDER BY seqno"))
            keys.add(("u", cols))
    return keys


def pg_keys(url):
    """{table: its primary key and unique constraint column sets}."""
    return {table: {(kind, tuple(cols.split(","))) for kind, cols in keys}
            for table, keys in pg_grouped(
                url, "SELECT t.relname, c.contype, (SELECT string_agg("
                "a.attname, ',' ORDER BY k.n) FROM unnest(c.conkey) WITH"
                " ORDINALITY k(num, n) JOIN pg_attribute a ON a.attrelid ="
                " c.conrelid AND a.attnum = k.num)" + CONSTRAINTS +
                " WHERE c.contype IN ('p', 'u')").items()}


def test_same_keys(lite, pg):
    keys = pg_keys(pg)
    for table in lite_tables(lite):
        assert keys.get(table, set()) == lite_keys(lite, table), table


def test_same_indexes(lite, pg):
    want = {(name, table, bool(re.match(r"CREATE UNIQUE", sql)))
            for name, table, sql in lite.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master"
                " WHERE type = 'index' AND sql IS NOT NULL")}
    got = {(name, table, "UNIQUE" in definition)
           for name, table, definition in rows(
               pg, "SELECT i.indexname, i.tablename, i.indexdef"
               " FROM pg_indexes i WHERE i.schemaname = 'public'"
               " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
               " WHERE c.conindid = (quote_ident(i.indexname))::regclass"
               " AND c.contype IN ('p', 'u'))")
           if table not in TEXT_INDEX | FINDER_FEED}
    assert got == want
    # Index columns and partial conditions, by name.
    definitions = dict(rows(pg, "SELECT indexname, indexdef FROM pg_indexes"
                            " WHERE schemaname = 'public'"))
    for name, sql in lite.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            " AND sql IS NOT NULL"):
        cols = [r[2] for r in lite.execute(
            f"SELECT * FROM pragma_index_info('{name}') ORDER BY seqno")]
        definition = definitions[name]
        got_cols = re.search(r"\((.*?)\)", definition).group(1)
        assert [c.strip() for c in got_cols.split(",")] == cols, name
        assert ("WHERE" in definition) == (" WHERE " in sql), name


def test_same_foreign_keys(lite, pg):
    keys = pg_grouped(
        pg, "SELECT t.relname, a.attname, f.relname, b.attname" + CONSTRAINTS
        + " JOIN pg_class f ON f.oid = c.confrelid"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid"
        " AND a.attnum = c.conkey[1]"
        " JOIN pg_attribute b ON b.attrelid = c.confrelid"
        " AND b.attnum = c.confkey[1]"
        " WHERE c.contype = 'f'")
    for table in lite_tables(lite):
        want = {(r[3], r[2], r[4] or "id") for r in lite.execute(
            f"SELECT * FROM pragma_foreign_key_list('{table}')")}
        got = {tuple(r) for r in keys.get(table, [])}
        if table == "messages":
            # Held by statement triggers on PostgreSQL (migration 46):
            # test_messages_refer_to_what_exists.
            got |= HELD_BY_TRIGGERS
        assert got == want, table


HELD_BY_TRIGGERS = {("folder_id", "folders", "id"), ("body_id", "bodies", "id")}


def test_messages_refer_to_what_exists(pg):
    """A message's folder and body, held by triggers (migration 46) as a
    foreign key held them: a message naming a folder or body that does
    not exist is refused, and so is deleting, or renumbering, a folder
    or body a message names; each as a foreign key's violation."""
    psql(pg, "INSERT INTO orgs (id, ods, name, default_quota_mb,"
         " created_at, updated_at) VALUES (9100, 'REF01', 'R', 1, 0, 0);"
         "INSERT INTO mailboxes (id, kind, org_id, address, display_name,"
         " quota_mb, created_at, updated_at) VALUES (9100, 'shared', 9100,"
         " 'ref@x', 'R', 1, 0, 0);"
         "INSERT INTO folders (id, mailbox_id, name, uidvalidity,"
         " created_at) VALUES (9100, 9100, 'INBOX', 1, 0),"
         " (9101, 9100, 'Empty', 2, 0);"
         "INSERT INTO bodies (id, hash, size, created_at, data) VALUES"
         " (9100, 'ref-a', 1, 0, decode('61', 'hex')),"
         " (9101, 'ref-b', 1, 0, decode('62', 'hex'))")
    message = ("INSERT INTO messages (folder_id, uid, body_id, size,"
               " internal_date) VALUES ({folder}, {uid}, {body}, 1, 0)")
    refused(pg, message.format(folder=9199, uid=1, body=9100),
            "messages_folder_id_fkey")
    refused(pg, message.format(folder=9100, uid=1, body=9199),
            "messages_body_id_fkey")
    psql(pg, message.format(folder=9100, uid=1, body=9100))
    refused(pg, "DELETE FROM folders WHERE id = 9100",
            "messages_folder_id_fkey")
    refused(pg, "DELETE FROM bodies WHERE id = 9100",
            "messages_body_id_fkey")
    refused(pg, "UPDATE folders SET id = 9102 WHERE id = 9100",
            "messages_folder_id_fkey")
    refused(pg, "UPDATE bodies SET id = 9102 WHERE id = 9100",
            "messages_body_id_fkey")
    refused(pg, "UPDATE messages SET folder_id = 9199 WHERE folder_id = 9100",
            "messages_folder_id_fkey")
    refused(pg, "UPDATE messages SET body_id = 9199 WHERE folder_id = 9100",
            "messages_body_id_fkey")
    # What no message names goes; the message moves to what exists.
    psql(pg, "DELETE FROM bodies WHERE id = 9101;"
         "UPDATE messages SET folder_id = 9101 WHERE folder_id = 9100;"
         "DELETE FROM folders WHERE id = 9100;"
         "DELETE FROM messages WHERE folder_id = 9101;"
         "DELETE FROM folders WHERE id = 9101;"
         "DELETE FROM bodies WHERE id = 9100;"
         "DELETE FROM mailboxes WHERE id = 9100;"
         "DELETE FROM orgs WHERE id = 9100")


def test_same_check_count(lite, pg):
    checks = {table: int(count[0][0]) for table, count in pg_grouped(
        pg, "SELECT t.relname, count(*)" + CONSTRAINTS +
        " WHERE c.contype = 'c' GROUP BY t.relname").items()}
    for table in lite_tables(lite):
        sql = lite.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                           (table,)).fetchone()[0]
        want = sql.count("CHECK (")
        assert checks.get(table, 0) == want, table


def test_same_triggers(lite, pg):
    want = sorted(r[0] for r in lite.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        if not r[0].startswith("cards_"))
    # The People Finder feed's are PostgreSQL's own (test_finder_feed), as
    # are the announcements to the nodes (test_directory_changes_are_announced
    # in test_postgresql.py, sign-ins among them).
    got = sorted(r[0] for r in rows(
        pg, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        if not r[0].startswith(("finder_", "directory_", "refers_")))
    # Every SQLite rule, and TRUNCATE refused as well (SQLite has none).
    assert [t for t in got if not t.endswith(("_truncate", "_all"))] == want
    assert sorted(set(got) - set(want)) == ["addresses_keep_all",
                                            "audit_no_truncate"]


AUDIT = ("INSERT INTO audit (at, actor, action, object_type, object_id,"
         " summary, prev_hash, hash) VALUES (1, 'a', 'create', 'org', 1,"
         " 's', {prev}, {hash})")


def refused(url, sql, message):
    proc = psql(url, sql, check=False)
    assert proc.returncode != 0, sql
    assert message in proc.stderr, proc.stderr


def test_audit_is_append_only_and_chained(pg):
    refused(pg, AUDIT.format(prev="NULL", hash="NULL"),
            "audit rows must be chained")
    refused(pg, AUDIT.format(prev="'\\x00'", hash="NULL"),
            "audit rows must be chained")
    psql(pg, AUDIT.format(prev="'\\x00'", hash="'\\x01'"))
    refused(pg, "UPDATE audit SET summary = 'x'",
            "audit rows are append-only")
    refused(pg, "UPDATE audit SET hash = '\\x02'",
            "audit rows are append-only")
    refused(pg, "DELETE FROM audit", "audit rows are append-only")
    # An update changing nothing of an unsealed row but its hashes is the
    # one let through (migration 13): seal a row made with the trigger off.
    psql(pg, "ALTER TABLE audit DISABLE TRIGGER audit_chained;"
         + AUDIT.format(prev="NULL", hash="NULL") + ";"
         "ALTER TABLE audit ENABLE TRIGGER audit_chained;")
    psql(pg, "UPDATE audit SET prev_hash = '\\x01', hash = '\\x02'"
         " WHERE hash IS NULL")
    refused(pg, "UPDATE audit SET org_id = 5 WHERE hash = '\\x02'",
            "audit rows are append-only")
    # Sealing may not change any other column, NULL to value included.
    psql(pg, "ALTER TABLE audit DISABLE TRIGGER audit_chained;"
         + AUDIT.format(prev="NULL", hash="NULL") + ";"
         "ALTER TABLE audit ENABLE TRIGGER audit_chained;")
    for change in ("id = id + 100", "at = 2", "actor = 'b'",
                   "action = 'update'", "object_type = 'x'",
                   "object_id = 2", "org_id = 7", "summary = 't'",
                   "client = 'c'", "request_id = 'r'", "result = 'denied'"):
        refused(pg, "UPDATE audit SET prev_hash = '\\x01',"
                f" hash = '\\x02', {change} WHERE hash IS NULL",
                "audit rows are append-only")
    count = rows(pg, "SELECT count(*) FROM audit")[0][0]
    assert count == "3"


def test_addresses_kept_forever(pg):
    psql(pg, "INSERT INTO addresses VALUES ('a@example.nhs.uk', 'mailbox',"
         " 1, 1)")
    refused(pg, "DELETE FROM addresses", "addresses are reserved forever")
    assert rows(pg, "SELECT address FROM addresses") == [["a@example.nhs.uk"]]


def test_explicit_ids_allowed(pg):
    psql(pg, "INSERT INTO orgs (id, ods, name, default_quota_mb, created_at,"
         " updated_at) VALUES (42, 'X1', 'n', 1, 0, 0);"
         "INSERT INTO orgs (ods, name, default_quota_mb, created_at,"
         " updated_at) VALUES ('X2', 'n', 1, 0, 0)")


def test_session_tables(pg):
    session = dump("session")
    # Made at each connection's start: twice in one session is harmless,
    # and they keep rows across commits.
    psql(pg, session + session +
         "INSERT INTO expansion VALUES (1, 2);"
         "INSERT INTO expansion_remote (scope, address) VALUES (1, 'x');"
         "COMMIT; SELECT 1;")
    proc = psql(pg, session + "BEGIN; INSERT INTO expansion VALUES (1, 2);"
                "COMMIT; SELECT count(*) FROM expansion;")
    assert proc.stdout.strip().splitlines()[-1] == "1"
    refused(pg, session + "INSERT INTO expansion VALUES (1, 2);"
            "INSERT INTO expansion VALUES (1, 2);", "duplicate key")
