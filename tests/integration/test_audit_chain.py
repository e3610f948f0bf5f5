"""The audit chain (SECURITY.md 49) through the real binary: `caremail
audit verify` names the first broken row of a database changed behind
caremail's back, and says a chain is whole when it is, whoever wrote it
and however many at once; the key never enters the database; an instance
made before the chain gets one; serve checks at start-up and after, and
says so in /healthcheck without going down. The chain is recomputed here
from docs/audit.md's description, so the documented format is the real
one."""

import concurrent.futures
import hashlib
import hmac
import json
import os
import sqlite3
import stat
import struct
import time

import pytest

from apiclient import global_admin
from conftest import assert_sentence

COLUMNS = ("id", "at", "actor", "action", "object_type", "object_id",
           "org_id", "summary", "client", "request_id", "result")


def db_path(instance):
    return instance.dir / "caremail.db"


def key_of(instance):
    return bytes.fromhex((instance.dir / "audit.key").read_text().strip())


def field(value):
    """docs/audit.md: 'N' for NULL, 'I' + 8 bytes big-endian for an
    integer, 'T' + 8-byte big-endian length + bytes for text."""
    if value is None:
        return b"N"
    if isinstance(value, int):
        return b"I" + struct.pack(">q", value)
    if isinstance(value, str):
        value = value.encode()
    return b"T" + struct.pack(">Q", len(value)) + value


def row_hash(key, row, prev):
    data = field("caremail audit v1") + b"".join(
        field(row[c]) for c in COLUMNS) + field(prev)
    return hmac.new(key, data, hashlib.sha256).digest()


def rows_of(instance):
    con = sqlite3.connect(db_path(instance))
    con.row_factory = sqlite3.Row
    rows = [dict(r) for r in con.execute(
        "SELECT * FROM audit ORDER BY id")]
    con.close()
    return rows


def tamper(instance, sql, *params):
    """What someone with only the database file can do: drop the
    append-only triggers, change what they like, put the triggers back."""
    con = sqlite3.connect(db_path(instance))
    triggers = con.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger'"
        " AND tbl_name = 'audit'").fetchall()
    for name in ("audit_no_update", "audit_no_delete", "audit_chained"):
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    con.execute(sql, params)
    for (text,) in triggers:
        con.execute(text)
    con.commit()
    con.close()


def verify(instance):
    """(exit status, --json report, stderr) of `caremail audit verify`."""
    proc = instance.run("audit", "verify", "--json", check=False)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def assert_whole(instance, rows=None):
    status, report, err = verify(instance)
    assert status == 0, err
    assert report["status"] == "whole" and report["first_broken"] is None
    if rows is not None:
        assert report["rows"] == rows
    return report


def assert_broken(instance, row_id, why, sentence=True):
    """The chain is broken first at row_id, for why: in the --json report,
    and (sentence) in the plain command's one sentence."""
    status, report, _ = verify(instance)
    assert status == 1
    assert report["status"] == "broken"
    assert report["first_broken"]["id"] == row_id, report
    assert why in report["first_broken"]["reason"], report
    if sentence:
        told = instance.fails("audit", "verify")
        assert f"broken at row {row_id}" in told
        assert why in told
    return report


@pytest.fixture
def busy(instance, org):
    """An instance with a few dozen audit rows of every shape (written by
    the scene-setting build: the rows are what the tests check)."""
    for i in range(4):
        instance.setup("user", "add", "--org", org, "--first", f"Pat{i}",
                       "--last", "Example", "--job-title", "Nurse")
        instance.setup("contact", "add", "--org", org, "--name", f"Ext {i}",
                       "--email", f"ext{i}@council.example.org")
    instance.setup("org", "add", "--ods", "X26003", "--name",
                   "Third Practice")
    refused = instance.setup("user", "add", "--org", "NOPE1", "--first", "A",
                             "--last", "B", check=False)
    assert_sentence(refused)
    return instance


def test_whole_chain_matches_the_documented_format(busy):
    rows = rows_of(busy)
    assert len(rows) > 10
    report = assert_whole(busy, rows=len(rows))
    assert "is whole" in busy.run("audit", "verify").stdout
    key, prev = key_of(busy), bytes(32)
    for row in rows:
        assert row["prev_hash"] == prev, row["id"]
        assert row["hash"] == row_hash(key, row, prev), row["id"]
        prev = row["hash"]
    assert report["last_id"] == rows[-1]["id"]
    assert report["last_hash"] == prev.hex()
    # The key is the instance's own, owner-only, and not in the database.
    for name in ("audit.key", "audit.anchor"):
        assert stat.S_IMODE(os.stat(busy.dir / name).st_mode) == 0o600
    data = db_path(busy).read_bytes()
    assert key not in data and key.hex().encode() not in data
    con = sqlite3.connect(db_path(busy))
    assert not [v for (v,) in con.execute("SELECT value FROM secrets")
                if key.hex() in v]
    con.close()
    # The anchor now holds the newest row seen whole.
    anchor = (busy.dir / "audit.anchor").read_text()
    assert f"last_id={rows[-1]['id']}\n" in anchor
    assert f"last_hash={prev.hex()}\n" in anchor


@pytest.mark.parametrize("column,change", [
    ("summary", "summary || ' '"),
    ("actor", "'admin@example.nhs.uk'"),
    ("at", "at - 86400"),
    ("org_id", "CASE WHEN org_id IS NULL THEN 1 ELSE NULL END"),
    ("result", "CASE result WHEN 'done' THEN 'denied' ELSE 'done' END"),
])
def test_any_row_changed_is_named_and_restoring_it_heals(busy, column,
                                                         change):
    rows = rows_of(busy)
    for row in rows:
        tamper(busy, f"UPDATE audit SET {column} = {change} WHERE id = ?",
               row["id"])
        # The report names the first broken row: had putting back the row
        # before not healed the chain, it would name that one.
        report = assert_broken(busy, row["id"],
                               f"row {row['id']}'s hash does not match "
                               "its contents", sentence=row is rows[0])
        assert report["first_broken"]["at"] is not None
        # Only the changed row is wrong; put back, the chain is whole.
        tamper(busy, f"UPDATE audit SET {column} = ? WHERE id = ?",
               row[column], row["id"])
    assert_whole(busy, rows=len(rows))


def test_rows_removed_slipped_in_and_cut_from_the_end(busy):
    rows = rows_of(busy)
    middle = rows[len(rows) // 2]
    assert_whole(busy)  # the anchor now remembers the newest row
    tamper(busy, "DELETE FROM audit WHERE id = ?", middle["id"])
    assert_broken(busy, middle["id"] + 1,
                  f"row {middle['id'] + 1} does not follow row "
                  f"{middle['id'] - 1}")
    # Put back exactly as it was, the chain is whole again.
    tamper(busy, "INSERT INTO audit (" + ", ".join(middle) + ") VALUES (" +
           ", ".join("?" * len(middle)) + ")", *middle.values())
    assert_whole(busy, rows=len(rows))
    # A forged row at the end, with a hash made up or borrowed.
    forged = dict(rows[-1], id=rows[-1]["id"] + 1,
                  summary='{"forged":true}')
    tamper(busy, "INSERT INTO audit (" + ", ".join(forged) + ") VALUES (" +
           ", ".join("?" * len(forged)) + ")", *forged.values())
    assert_broken(busy, forged["id"], "does not match its contents")
    tamper(busy, "DELETE FROM audit WHERE id = ?", forged["id"])
    # Cut from the end: whole by itself, but the anchor remembers.
    tamper(busy, "DELETE FROM audit WHERE id >= ?", rows[-2]["id"])
    assert_broken(busy, rows[-1]["id"], "removed from the end")
    # And after new rows take the old numbers.
    busy.run("org", "add", "--ods", "X26009", "--name", "Late Practice")
    busy.run("org", "add", "--ods", "X26010", "--name", "Later Practice")
    assert_broken(busy, rows[-1]["id"], "is not the row an earlier check")


def test_rechained_with_another_key_is_refused(busy):
    rows = rows_of(busy)
    fake, prev = os.urandom(32), bytes(32)
    start = len(rows) // 3
    prev = rows[start - 1]["hash"]
    for row in rows[start:]:
        row = dict(row, summary=row["summary"].replace("Nurse", "Doctor"))
        h = row_hash(fake, row, prev)
        tamper(busy, "UPDATE audit SET summary = ?, prev_hash = ?,"
               " hash = ? WHERE id = ?", row["summary"], prev, h, row["id"])
        prev = h
    report = assert_broken(busy, rows[start]["id"],
                           "does not match its contents")
    assert report["broken_rows"] == len(rows) - start


def test_instance_from_before_the_chain_is_chained_once(busy):
    rows = rows_of(busy)
    # As the last release left it, once the new schema is applied: no key,
    # no anchor, no hashes. (tests/unit/test_audit.c upgrades a store of
    # the old schema itself.)
    (busy.dir / "audit.key").unlink()
    (busy.dir / "audit.anchor").unlink()
    tamper(busy, "UPDATE audit SET prev_hash = NULL, hash = NULL")
    # Any command opens it; the first to do so chains what is there, even
    # when several start at once.
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        runs = [pool.submit(busy.run, "audit", "list", "--limit", "1",
                            check=False) for _ in range(6)]
        assert [r.result().returncode for r in runs] == [0] * 6, \
            [r.result().stderr for r in runs]
    assert stat.S_IMODE(os.stat(busy.dir / "audit.key").st_mode) == 0o600
    report = assert_whole(busy, rows=len(rows))
    assert report["legacy_rows"] == len(rows)
    busy.run("org", "add", "--ods", "X26011", "--name", "New Practice")
    assert_whole(busy, rows=len(rows) + 1)
    # A lost key is never silently replaced: every row would fail.
    (busy.dir / "audit.key").unlink()
    sentence = busy.fails("audit", "list")
    assert "audit key" in sentence and "restore" in sentence
    assert not (busy.dir / "audit.key").exists()


def test_many_writers_at_once_form_one_chain(busy, server, org):
    """Admins working through the API's thread pool while the shell makes
    changes too: every row is chained to the one before."""
    ga = global_admin(server, busy)

    def api_contact(i):
        return ga.call("POST", "/contacts", {
            "org": org, "name": f"Partner {i}",
            "address": f"partner{i}@council.example.org"})[0]

    def cli_org(i):
        return busy.run("org", "add", "--ods", f"Z{i:04d}", "--name",
                        f"Practice {i}", check=False).returncode

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        api = [pool.submit(api_contact, i) for i in range(40)]
        cli = [pool.submit(cli_org, i) for i in range(8)]
        assert [f.result() for f in api] == [201] * 40
        assert [f.result() for f in cli] == [0] * 8
    rows = rows_of(busy)
    assert_whole(busy, rows=len(rows))
    assert len({r["prev_hash"] for r in rows}) == len(rows)


def wait_for(check, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_serve_checks_at_start_and_keeps_serving(busy, start_server):
    rows = rows_of(busy)
    tamper(busy, "UPDATE audit SET actor = 'nobody' WHERE id = ?",
           rows[3]["id"])
    server = start_server()
    body = wait_for(lambda: (lambda s, b: b if b.get("audit") == "broken"
                             else None)(*server.get("/healthcheck")))
    assert body["status"] == "ok" and body["store"] == "ok"
    status, _ = server.get("/healthcheck")
    assert status == 200
    logs = server.logs()
    assert "level=error event=audit.broken" in logs
    assert f"row={rows[3]['id']}" in logs
    assert "does not match its contents" in logs


def test_serve_notices_new_rows_changed(busy, start_server):
    server = start_server(extra=("audit.verify_interval_s=1",))
    wait_for(lambda: server.get("/healthcheck")[1].get("audit") == "ok")
    assert "event=audit.verified" in server.logs()
    busy.run("org", "add", "--ods", "X26012", "--name", "After Start")
    newest = rows_of(busy)[-1]["id"]
    time.sleep(1.5)  # a check sees the new row whole and anchors it
    tamper(busy, "UPDATE audit SET summary = '{}' WHERE id = ?", newest)
    wait_for(lambda: server.get("/healthcheck")[1].get("audit") ==
             "broken")
    assert f"row={newest}" in server.logs()


def test_damaged_anchor_is_reported_not_trusted(busy):
    assert_whole(busy)
    anchor = busy.dir / "audit.anchor"
    text = anchor.read_text()
    for damage in ("", text.replace("last_hash=", "last_hash=zz"),
                   text.replace("version=1", "version=9")):
        anchor.write_text(damage)
        sentence = busy.fails("audit", "verify")
        assert "audit anchor" in sentence and "damaged" in sentence
    anchor.write_text(text)
    assert_whole(busy)
