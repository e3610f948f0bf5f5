"""`caremail migrate` onto PostgreSQL by bulk load (store_copy.c,
store_pg.c's COPY FROM STDIN, docs/postgresql.md): every value arrives as
it was (bytea with every byte value, empty bytea apart from NULL, text
with tabs, newlines, carriage returns and backslashes, COPY's own markers
as plain text); the next id the database gives follows the copied ones;
the indexes and foreign keys put aside during the load are all there
again after it; and rows that break a key fail the whole copy, leaving
the destination as it was (empty, every index and key in place).
Beside test_postgresql.py's end-to-end move of a serving instance."""

import json
import sqlite3
import time

from conftest import PASSWORD, make_instance, new_database, pg_sql, run

# Text COPY's text format must escape, or could mistake for its markers.
AWKWARD = [
    "tab\there",
    "line\nbreak and crlf\r\n",
    "back\\slash \\N \\. \\\\ \\t",
    "\\N",
    "\\.",
    "ends with a backslash\\",
    "\t\n\r\\",
    "Zoë Łukasz Øvergård 😀",
]
EVERY_BYTE = bytes(range(256)) * 3


def psql(url, sql):
    return pg_sql(url, sql).stdout.strip()


def definitions(url):
    """The schema's indexes and constraints, as the catalog spells them."""
    return psql(url, "SELECT string_agg(d, E'\\n' ORDER BY d) FROM ("
                " SELECT indexdef AS d FROM pg_indexes"
                " WHERE schemaname = current_schema() UNION ALL"
                " SELECT conrelid::regclass || ' ' || conname || ' ' ||"
                " pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE connamespace = current_schema()::regnamespace) q")


def fill(db_path):
    """Awkward rows written straight into the SQLite store: contacts whose
    names are AWKWARD, and secure messages whose keys are every byte
    value, empty, or NULL. The contacts' ids and the largest ids."""
    db = sqlite3.connect(db_path)
    now = int(time.time())
    with db:
        db.execute("INSERT INTO orgs (ods, name, default_quota_mb,"
                   " created_at, updated_at) VALUES ('AW001', 'Awkward',"
                   " 1024, ?, ?)", (now, now))
        org = db.execute("SELECT id FROM orgs WHERE ods = 'AW001'"
                         ).fetchone()[0]
        ids = {}
        for i, text in enumerate(AWKWARD):
            cur = db.execute(
                "INSERT INTO contacts (id, org_id, display_name, address,"
                " created_at, updated_at, deleted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (1000 + i * 7, org, text, f"c{i}@elsewhere.example", now,
                 now, None if i % 2 else now))
            ids[cur.lastrowid] = text
        for uid, key, cipher in (("every", EVERY_BYTE, None),
                                 ("empty", b"", EVERY_BYTE[::-1]),
                                 ("none", None, b"\x00")):
            db.execute(
                "INSERT INTO secure_messages (uid, sender, created_at,"
                " expires_at, key_id, wrapped_key, ciphertext, size)"
                " VALUES (?, 'a@care.example', ?, ?, 'k1', ?, ?, 0)",
                (uid, now, now + 86400, key, cipher))
        # More than two of the copy's pages of rows with bytes (200 a
        # page, read along the key from the last row of the page before).
        db.executemany(
            "INSERT INTO secure_messages (uid, sender, created_at,"
            " expires_at, key_id, wrapped_key, size) VALUES (?, ?, ?, ?,"
            " 'k1', ?, 0)",
            [(f"page{i}", f"p{i}@care.example", now, now + 86400,
              bytes([i % 256]) * (i % 7)) for i in range(450)])
    db.close()
    return org, ids


def test_migrate_keeps_every_value_and_ids_follow(tmp_path, cluster):
    inst = make_instance(tmp_path / "instance")
    db = str(inst.dir / "caremail.db")
    org, contacts = fill(db)
    url = new_database(cluster)
    r = json.loads(run("migrate", "--from", f"sqlite:{db}", "--to", url,
                       "--json").stdout)
    assert r["different"] == 0 and all(t["same"] for t in r["tables"])
    # Text, byte for byte (hex of its UTF-8, so psql's output is no
    # filter), and NULL kept apart from a value.
    for cid, text in contacts.items():
        got = psql(url, "SELECT encode(convert_to(display_name, 'UTF8'),"
                   " 'hex') || '|' || (deleted_at IS NULL)::text"
                   f" FROM contacts WHERE id = {cid}")
        hexed, null = got.split("|")
        assert bytes.fromhex(hexed).decode() == text
        assert null == ("true" if (cid - 1000) // 7 % 2 else "false")
    # Bytes: every value 0..255, empty apart from NULL.
    rows = dict((u, (k, c)) for u, k, c in (
        line.split("|") for line in psql(
            url, "SELECT uid, COALESCE(encode(wrapped_key, 'hex'), 'NULL'),"
            " COALESCE(encode(ciphertext, 'hex'), 'NULL')"
            " FROM secure_messages").split("\n")))
    assert rows["every"] == (EVERY_BYTE.hex(), "NULL")
    assert rows["empty"] == ("", EVERY_BYTE[::-1].hex())
    assert rows["none"] == ("NULL", "00")
    assert psql(url, "SELECT COUNT(*), SUM(length(wrapped_key))"
                " FROM secure_messages WHERE uid LIKE 'page%'") == \
        "450|%d" % sum(i % 7 for i in range(450))
    # The next id the database gives follows the largest copied, in a
    # table whose ids were given by hand with gaps: no collision.
    top = max(contacts)
    new_id = int(psql(url, "INSERT INTO contacts (org_id, display_name,"
                      " address, created_at, updated_at) VALUES"
                      f" ({org}, 'New', 'new@elsewhere.example', 0, 0)"
                      " RETURNING id"))
    assert new_id == top + 1
    # And through caremail itself: a new organisation and its person.
    conf = inst.dir / "caremail.conf"
    conf.write_text(conf.read_text().replace(
        "backend = sqlite", "backend = postgresql").replace(
        "path = caremail.db", f"path = {url}"))
    inst.run("org", "add", "--ods", "AW002", "--name", "After",
             "--type", "GP Practice")
    inst.run("user", "add", "--org", "AW002", "--first", "Di",
             "--last", "After")
    assert int(psql(url, "SELECT COUNT(*) FROM people")) == 2
    # Every index and key put aside for the load is back, as the
    # migrations made them on a database that was never loaded.
    fresh = new_database(cluster)
    run("init", "--dir", tmp_path / "fresh", "--domain", "care.example",
        "--store", fresh, "--admin-password-stdin", input=PASSWORD + "\n")
    assert definitions(url) == definitions(fresh)
    assert psql(url, "SELECT COUNT(*) FROM pg_class"
                " WHERE relname = 'caremail_put_aside'") == "0"


def test_migrate_that_breaks_a_key_leaves_nothing(tmp_path, cluster):
    """A row whose organisation does not exist (SQLite does not check
    keys on a file written by hand): the keys made again after the load
    refuse it, and the whole copy is undone, indexes and keys included."""
    inst = make_instance(tmp_path / "instance")
    db_path = str(inst.dir / "caremail.db")
    db = sqlite3.connect(db_path)
    with db:
        db.execute("INSERT INTO contacts (org_id, display_name, address,"
                   " created_at, updated_at) VALUES (424242, 'Orphan',"
                   " 'o@elsewhere.example', 0, 0)")
    db.close()
    url = new_database(cluster)
    before = None
    bad = run("migrate", "--from", f"sqlite:{db_path}", "--to", url,
              check=False)
    assert bad.returncode != 0
    assert "breaks a rule" in bad.stderr and "contacts" in bad.stderr, \
        bad.stderr
    assert psql(url, "SELECT COUNT(*) FROM orgs") == "0"
    assert psql(url, "SELECT COUNT(*) FROM people") == "0"
    before = definitions(url)
    assert "contacts_org_id_fkey" in before and "people_name" in before
    # Mended at the source, the same destination takes the copy.
    db = sqlite3.connect(db_path)
    with db:
        db.execute("DELETE FROM contacts WHERE org_id = 424242")
    db.close()
    ok = json.loads(run("migrate", "--from", f"sqlite:{db_path}", "--to",
                        url, "--json").stdout)
    assert ok["different"] == 0
    assert definitions(url) == before


def test_migrate_keeps_each_folders_next_uid(tmp_path, cluster):
    """A folder's next UID (folder_counts.uidnext, migration 45) arrives
    as it was, where the destination's triggers alone would set it lower:
    a folder whose newest message was expunged, and one emptied. A UID
    once given is never given again (RFC 3501 2.3.1.1)."""
    inst = make_instance(tmp_path / "instance")
    inst.run("org", "add", "--ods", "UID01", "--name", "Uids",
             "--type", "GP Practice")
    inst.run("user", "add", "--org", "UID01", "--first", "Una",
             "--last", "Uid")
    db_path = str(inst.dir / "caremail.db")
    db = sqlite3.connect(db_path)
    with db:
        body = db.execute(
            "INSERT INTO bodies (hash, size, created_at, data)"
            " VALUES ('uidtest', 5, 0, x'68656c6c6f')").lastrowid
        inbox, trash = (db.execute(
            "SELECT f.id FROM folders f JOIN mailboxes m"
            " ON m.id = f.mailbox_id WHERE m.address LIKE 'una.uid%'"
            " AND f.special_use = ?", (use,)).fetchone()[0]
            for use in ("inbox", "trash"))
        for folder, uids in ((inbox, range(1, 4)), (trash, range(1, 7))):
            db.executemany(
                "INSERT INTO messages (folder_id, uid, body_id, size,"
                " internal_date) VALUES (?, ?, ?, 5, 0)",
                [(folder, uid, body) for uid in uids])
        db.execute("DELETE FROM messages WHERE folder_id = ? AND uid = 3",
                   (inbox,))
        db.execute("DELETE FROM messages WHERE folder_id = ?", (trash,))
    before = db.execute("SELECT folder_id, uidnext, messages"
                        " FROM folder_counts ORDER BY folder_id").fetchall()
    db.close()
    assert [(f, n, m) for f, n, m in before if f in (inbox, trash)] == \
        [(inbox, 4, 2), (trash, 7, 0)]
    url = new_database(cluster)
    r = json.loads(run("migrate", "--from", f"sqlite:{db_path}", "--to",
                       url, "--json").stdout)
    assert r["different"] == 0
    assert [t["same"] for t in r["tables"]
            if t["table"] == "folder_counts (next UIDs)"] == [True]
    after = psql(url, "SELECT string_agg(folder_id || ',' || uidnext ||"
                 " ',' || messages, ';' ORDER BY folder_id)"
                 " FROM folder_counts")
    assert after == ";".join(f"{f},{n},{m}" for f, n, m in before)
