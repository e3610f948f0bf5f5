"""Message bodies outside the database (issue 14 item 3; SPEC S2, S7;
docs/blobs.md): with `[blobs] backend = directory` a message sent to two
people is one file named by its SHA-256 and an empty row; IMAP reads it
back; once every copy is expunged the jobs run forgets the body and, a
day later, removes the file. `caremail blobs move` takes an instance's
existing bodies out of its database, `caremail blobs check` finds a
missing or damaged blob, and IMAP refuses to pass a damaged one off as
the message."""
import hashlib
import imaplib
import os
import re
import smtplib
import sqlite3
import sys
import time

from conftest import ROOT, Server, assert_sentence, imap_session

sys.path.insert(0, str(ROOT / "tests" / "lib"))
from s3stub import S3Stub  # noqa: E402

PW = "a long password for the blob test"
DAY = 86400


def person(instance, org, first, last):
    address = instance.run("user", "add", "--org", org, "--first", first,
                           "--last", last).stdout.strip().split()[-1]
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=PW + "\n")
    return address


def set_blobs(instance, backend, path=None):
    """Edits [blobs] in the instance's configuration file."""
    conf = instance.dir / "caremail.conf"
    text = conf.read_text()
    text = re.sub(r"(?m)^backend = database$", f"backend = {backend}", text)
    if path is not None:
        text = re.sub(r"(?m)^path = blobs$", f"path = {path}", text)
    conf.write_text(text)


def message(tag):
    return (f"From: <sender@elsewhere.example>\r\nSubject: blob {tag}\r\n"
            f"Message-ID: <{tag}@blob.test>\r\n\r\n"
            + f"a line of the body of {tag}\r\n" * 40).encode()


def send(server, rcpts, tag):
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.sendmail("sender@elsewhere.example", rcpts, message(tag))


def db_rows(instance, sql, *args):
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def blob_files(instance):
    root = instance.dir / "blobs"
    return sorted(p for p in root.glob("??/*") if p.is_file())


def read_inbox(server, address):
    with imap_session(server, address, PW) as m:
        assert m.select("INBOX", readonly=True)[0] == "OK"
        typ, data = m.fetch("1:*", "(BODY.PEEK[])")
        assert typ == "OK", data
    return [part[1] for part in data if isinstance(part, tuple)]


def expunge_all(server, address):
    with imap_session(server, address, PW) as m:
        assert m.select("INBOX")[0] == "OK"
        m.store("1:*", "+FLAGS", "(\\Deleted)")
        assert m.expunge()[0] == "OK"


def jobs(instance, at):
    return instance.json("jobs", "run", "--at", str(at))


def test_bodies_in_a_directory_stored_once_read_and_removed(
        instance, org, tmp_path):
    set_blobs(instance, "directory")
    alice = person(instance, org, "Alice", "Adams")
    bob = person(instance, org, "Bob", "Brown")
    server = Server(instance, False, tmp_path / "serve.log")
    try:
        server.wait_ready()
        send(server, [alice, bob], "one")
        # One body for two copies: one file, named by its bytes' hash.
        files = blob_files(instance)
        assert len(files) == 1, files
        data = files[0].read_bytes()
        assert hashlib.sha256(data).hexdigest() == files[0].name
        assert files[0].parent.name == files[0].name[:2]
        assert b"a line of the body of one" in data
        # The row holds the summary and no bytes.
        assert db_rows(instance, "SELECT hash, outside, length(data)"
                       " FROM bodies") == [(files[0].name, 1, 0)]
        for who in (alice, bob):
            assert read_inbox(server, who) == [data]
        # Nothing waits in the blob directory's tmp/.
        assert list((instance.dir / "blobs" / "tmp").iterdir()) == []

        expunge_all(server, alice)
        now = int(time.time())
        jobs(instance, now)
        assert len(blob_files(instance)) == 1, "bob still has his copy"
        expunge_all(server, bob)
    finally:
        server.stop()
    now = int(time.time())
    items = [i for i in jobs(instance, now) if i["step"] == "bodies"]
    assert [i["told"] for i in items] == [
        "1 bodies forgotten; 0 blobs removed"]
    assert db_rows(instance, "SELECT count(*) FROM bodies") == [(0,)]
    # Kept a day, for backups and sessions still showing the message.
    assert blob_files(instance) == files
    items = [i for i in jobs(instance, now + 2 * DAY)
             if i["step"] == "bodies"]
    assert [i["told"] for i in items] == [
        "0 bodies forgotten; 1 blobs removed"]
    assert blob_files(instance) == []
    assert db_rows(instance, "SELECT count(*) FROM blob_doomed") == [(0,)]
    # Run again: nothing left to do.
    assert [i for i in jobs(instance, now + 3 * DAY)
            if i["step"] == "bodies"] == []


def test_move_out_then_check_finds_damage(instance, org, tmp_path):
    alice = person(instance, org, "Alice", "Carter")
    server = Server(instance, False, tmp_path / "serve.log")
    try:
        server.wait_ready()
        for tag in ("a", "b", "c"):
            send(server, [alice], tag)
        before = read_inbox(server, alice)
    finally:
        server.stop()
    assert len(before) == 3
    assert db_rows(instance, "SELECT count(*) FROM bodies"
                   " WHERE outside = 0 AND length(data) > 0") == [(3,)]
    # Without a blob store there is nowhere to move them.
    sentence = instance.fails("blobs", "move")
    assert "[blobs]" in sentence

    set_blobs(instance, "directory")
    moved = instance.json("blobs", "move")
    assert moved["moved"] == 3 and moved["backend"] == "directory"
    assert db_rows(instance, "SELECT count(*) FROM bodies"
                   " WHERE outside = 1 AND length(data) = 0") == [(3,)]
    assert len(blob_files(instance)) == 3
    assert instance.json("blobs", "move")["moved"] == 0
    audit = instance.json("audit", "list")
    assert any("moved out of the database" in json_text(a) for a in audit)
    checked = instance.json("blobs", "check")
    assert checked["checked"] == 3 and checked["missing"] == 0

    server = Server(instance, False, tmp_path / "serve2.log")
    try:
        server.wait_ready()
        assert read_inbox(server, alice) == before
        # One blob damaged, another gone: the check names both.
        files = blob_files(instance)
        damaged, gone = files[0], files[1]
        raw = bytearray(damaged.read_bytes())
        raw[10] ^= 0x20
        damaged.write_bytes(bytes(raw))
        gone.unlink()
        proc = instance.run("blobs", "check", "--json", check=False)
        assert proc.returncode == 1, proc.stdout
        report = __import__("json").loads(proc.stdout)
        assert report["damaged_hashes"] == [damaged.name]
        assert report["missing_hashes"] == [gone.name]
        assert "restore those blobs" in assert_sentence(proc)
        # IMAP does not pass other bytes off as the message.
        with imap_session(server, alice, PW) as m:
            assert m.select("INBOX", readonly=True)[0] == "OK"
            fetched = []
            for num in (b"1", b"2", b"3"):
                typ, data = m.fetch(num, "(BODY.PEEK[])")
                if typ == "OK":
                    fetched.extend(p[1] for p in data
                                   if isinstance(p, tuple))
        assert len(fetched) == 1, "only the whole blob is read"
        assert fetched[0] in before
    except imaplib.IMAP4.abort:
        raise
    finally:
        server.stop()


def json_text(value):
    return __import__("json").dumps(value)


def test_a_blob_directory_that_cannot_be_used_is_named(instance, org):
    blocker = instance.dir / "not-a-directory"
    blocker.write_text("a file")
    set_blobs(instance, "directory", str(blocker / "blobs"))
    sentence = instance.fails("user", "list")
    assert str(blocker) in sentence
    set_blobs_path = instance.dir / "caremail.conf"
    text = set_blobs_path.read_text().replace(
        "backend = directory", "backend = s3")
    set_blobs_path.write_text(text)
    sentence = instance.fails("user", "list")
    assert "blobs.s3_secret_file" in sentence


def test_bodies_in_s3_through_serve(instance, org, tmp_path):
    """The same story against an S3 store that checks every signature
    (tests/lib/s3stub.py, with botocore): the body is one object, IMAP
    reads it, a store answering 503 defers mail with a 4xx (never lost),
    and the jobs run removes the object a day after the last copy goes."""
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    secret_file = tmp_path / "s3-secret"
    secret_file.write_text(secret + "\n")
    os.chmod(secret_file, 0o600)
    with S3Stub(access_key="AKIDCAREMAIL", secret=secret,
                region="eu-west-2") as s3:
        conf = instance.dir / "caremail.conf"
        text = re.sub(r"(?m)^backend = database$", "backend = s3",
                      conf.read_text())
        for key, value in (("s3_url", f"http://127.0.0.1:{s3.port}/mail"),
                           ("s3_prefix", "bodies/"),
                           ("s3_region", "eu-west-2"),
                           ("s3_access_key", "AKIDCAREMAIL"),
                           ("s3_secret_file", str(secret_file))):
            text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}",
                              text)
            assert n == 1, key
        conf.write_text(text)
        alice = person(instance, org, "Alice", "Stone")
        server = Server(instance, False, tmp_path / "serve.log")
        try:
            server.wait_ready()
            send(server, [alice], "s3")
            assert list(s3.objects) == [
                f"/mail/bodies/{h}" for h, in db_rows(
                    instance, "SELECT hash FROM bodies WHERE outside = 1"
                    " AND length(data) = 0")]
            stored = next(iter(s3.objects.values()))
            assert read_inbox(server, alice) == [stored]
            # A store that fails: mail is deferred, not lost or bounced.
            s3.fault = 503
            try:
                send(server, [alice], "while down")
                raise AssertionError("accepted with the store down")
            except smtplib.SMTPDataError as e:
                assert 400 <= e.smtp_code < 500, e
            s3.fault = None
            send(server, [alice], "after")
            assert len(read_inbox(server, alice)) == 2
            expunge_all(server, alice)
        finally:
            server.stop()
        assert secret not in (tmp_path / "serve.log").read_text()
        keys = sorted(s3.objects)
        now = int(time.time())
        jobs(instance, now)
        assert len(s3.objects) == 2, "kept a day"
        items = [i for i in jobs(instance, now + 2 * DAY)
                 if i["step"] == "bodies"]
        assert [i["told"] for i in items] == [
            "0 bodies forgotten; 2 blobs removed"]
        assert s3.objects == {}
        assert sorted(p for m, p, _ in s3.log if m == "DELETE") == keys


def test_migrate_keeps_bodies_in_the_blob_directory(instance, org, tmp_path,
                                                    cluster):
    """An instance with its bodies in a blob directory moves onto
    PostgreSQL with `caremail migrate`: the rows say the bytes are outside
    (an empty data column, not NULL), the files stay where they are, and a
    server on the new store reads the messages from them."""
    from conftest import new_database, pg_sql, run
    set_blobs(instance, "directory")
    alice = person(instance, org, "Alice", "Wright")
    server = Server(instance, False, tmp_path / "serve.log")
    try:
        server.wait_ready()
        for tag in ("one", "two"):
            send(server, [alice], tag)
        before = read_inbox(server, alice)
    finally:
        server.stop()
    url = new_database(cluster)
    run("migrate", "--from", f"sqlite:{instance.dir / 'caremail.db'}",
        "--to", url)
    rows = pg_sql(url, "SELECT outside, length(data), data IS NULL"
                  " FROM bodies ORDER BY id").stdout.split()
    assert rows == ["1|0|f", "1|0|f"]
    conf = instance.dir / "caremail.conf"
    conf.write_text(conf.read_text()
                    .replace("backend = sqlite", "backend = postgresql")
                    .replace("path = caremail.db", f"path = {url}"))
    server = Server(instance, False, tmp_path / "serve-pg.log")
    try:
        server.wait_ready()
        assert read_inbox(server, alice) == before
    finally:
        server.stop()
    assert instance.json("blobs", "check")["checked"] == 2
