"""`caremail backup` and `caremail restore` (SPEC S4; docs/backup.md): the
restore drill. Mail arrives over SMTP without a pause while a backup of
the running server is taken; the backup is restored into a new directory
and served again, and every message acknowledged with 250 before the
backup began is read back over IMAP, the directory is the same, the
manifest's counts are the restored store's, and the audit chain verifies.
A damaged backup is refused naming the file, and nothing is restored
over an instance in use."""
import json
import os
import re
import smtplib
import sqlite3
import stat
import threading
import time

import pytest

from conftest import Instance, Server, assert_sentence, imap_session, run

PW = "a long password for the restore test"
SENDERS = 3


def person(instance, org, first, last):
    address = instance.run("user", "add", "--org", org, "--first", first,
                           "--last", last).stdout.strip()
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=PW + "\n")
    return address


def body(tag):
    return (f"From: <load@sender.example>\r\nSubject: drill {tag}\r\n"
            f"Message-ID: <{tag}@drill.test>\r\n\r\n"
            + f"line of text for {tag}\r\n" * 20).encode()


def blast(port, rcpt, prefix, acked, stop):
    """Sends until stopped; acked[tag] is when the 250 came."""
    n = 0
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
                while not stop.is_set():
                    tag = f"{prefix}-{n}"
                    n += 1
                    s.sendmail("load@sender.example", [rcpt], body(tag))
                    acked[tag] = time.monotonic()
        except (OSError, smtplib.SMTPException):
            time.sleep(0.01)


def imap_tags(server, address):
    """The drill tags of every message in the INBOX, read over IMAP."""
    with imap_session(server, address, PW) as m:
        assert m.select("INBOX", readonly=True)[0] == "OK"
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        assert typ == "OK", data
    tags = []
    for part in data:
        if isinstance(part, tuple):
            found = re.search(rb"<([^@>]+)@drill\.test>", part[1])
            assert found, part
            tags.append(found.group(1).decode())
    return tags


def directory(inst):
    """What the CLI says the directory holds: orgs and people."""
    return (inst.json("org", "list"),
            inst.json("user", "list", "--limit", "1000"))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("blobs", ["database", "directory"])
def test_restore_drill_under_load(instance, tmp_path, blobs):
    # Bodies in the store, or in a blob directory inside the instance
    # (docs/blobs.md), which the backup copies after the store.
    if blobs == "directory":
        conf = instance.dir / "caremail.conf"
        conf.write_text(re.sub(r"(?m)^backend = database$",
                               "backend = directory", conf.read_text()))
    # A directory worth comparing: 300 people, lists, roles, grants.
    instance.run("demo")
    rcpt = person(instance, "J81001", "Rhian", "Owens")
    server = Server(instance, False, tmp_path / "serve.log")
    acked, stop = {}, threading.Event()
    threads = []
    try:
        server.wait_ready()
        threads = [threading.Thread(target=blast, args=(
            server.ports["smtp"], rcpt, f"t{i}", acked, stop))
            for i in range(SENDERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(acked) >= 100, "the load never got going"
        began = time.monotonic()
        backup = tmp_path / "backups" / "today"
        (tmp_path / "backups").mkdir()
        made = instance.json("backup", str(backup), timeout=120)
        ended = time.monotonic()
        during = sum(1 for t in list(acked.values()) if began <= t <= ended)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
        server.stop()
    before = {tag for tag, t in list(acked.items()) if t < began}
    print(f"acknowledged {len(acked)}: {len(before)} before the backup, "
          f"{during} while it ran")
    assert during > 0, "no mail arrived while the backup ran"

    # The backup: owner-only, secrets kept owner-only, a manifest that
    # names every file with its hash.
    assert mode(backup) == 0o700
    manifest = json.loads((backup / "manifest.json").read_text())
    listed = {f["path"]: f for f in manifest["files"]}
    for secret in ("caremail.db", "audit.key", "secure.key", "tls/key.pem"):
        assert listed[secret]["mode"] == "0600", secret
        assert mode(backup / "instance" / secret) == 0o600, secret
    for kept in ("caremail.conf", "audit.anchor", "tls/cert.pem",
                 "templates/leaver.txt"):
        assert listed[kept]["type"] == "file", kept
    assert "caremail.lock" not in listed
    assert not any(p.endswith(("-wal", "-shm")) for p in listed)
    assert made["tables"] == manifest["tables"]
    assert manifest["tables"]["messages"] >= len(before)
    blob_files = {p for p, f in listed.items()
                  if p.startswith("blobs/") and f["type"] == "file"}
    if blobs == "directory":
        # Every body the copied store names is there, whole; nothing
        # half-written from blobs/tmp.
        db = sqlite3.connect(backup / "instance" / "caremail.db")
        try:
            named = {h for h, in db.execute(
                "SELECT hash FROM bodies WHERE outside = 1")}
        finally:
            db.close()
        assert len(named) >= len(before)
        assert {f"blobs/{h[:2]}/{h}" for h in named} <= blob_files
        assert not any(p.startswith("blobs/tmp/") for p in blob_files)
        for h in list(named)[:20]:
            assert listed[f"blobs/{h[:2]}/{h}"]["sha256"] == h
    else:
        assert blob_files == set()

    # Restored into a new directory, then served again.
    target = tmp_path / "restored"
    done = run("restore", "--dir", target, backup, "--json", timeout=120)
    report = json.loads(done.stdout)
    assert report["audit"]["status"] == "whole"
    assert report["tables"] == manifest["tables"]
    assert report["set_aside"] is None
    restored = Instance(target, instance.domain)
    for secret in ("caremail.db", "audit.key", "secure.key", "tls/key.pem"):
        assert mode(target / secret) == 0o600, secret

    # The manifest's counts are those of the restored store itself.
    db = sqlite3.connect(target / "caremail.db")
    try:
        for table, rows in manifest["tables"].items():
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[
                0] == rows, table
    finally:
        db.close()
    assert directory(restored) == directory(instance)
    run("audit", "verify", "--dir", target)

    again = Server(restored, False, tmp_path / "serve-restored.log")
    try:
        again.wait_ready()
        tags = imap_tags(again, rcpt)
    finally:
        again.stop()
    assert before <= set(tags), sorted(before - set(tags))[:5]
    assert len(tags) == len(set(tags)), "a message was restored twice"
    assert len(tags) == manifest["tables"]["messages"]
    # Nothing restored that was never sent (and each whole: a message
    # cut short would not parse its Message-ID).
    sent_prefixes = {f"t{i}" for i in range(SENDERS)}
    assert {t.split("-")[0] for t in tags} <= sent_prefixes


def test_damaged_backup_is_refused_naming_the_file(instance, tmp_path):
    backup = tmp_path / "b"
    instance.run("backup", backup)
    key = backup / "instance" / "audit.key"
    os.chmod(key, 0o600)
    data = bytearray(key.read_bytes())
    data[3] ^= 0x01
    key.write_bytes(bytes(data))
    proc = run("restore", "--dir", tmp_path / "r", backup, check=False)
    line = assert_sentence(proc)
    assert "instance/audit.key is damaged" in line, line
    assert not (tmp_path / "r").exists()
    assert not list(tmp_path.glob("r.restore-*"))

    # A file the manifest does not list, and one it lists but is gone.
    other = tmp_path / "b2"
    instance.run("backup", other)
    (other / "instance" / "planted").write_text("x")
    line = assert_sentence(run("restore", "--dir", tmp_path / "r", other,
                               check=False))
    assert "instance/planted" in line and "not list" in line, line
    (other / "instance" / "planted").unlink()
    (other / "instance" / "templates" / "leaver.txt").unlink()
    line = assert_sentence(run("restore", "--dir", tmp_path / "r", other,
                               check=False))
    assert "instance/templates/leaver.txt is missing" in line, line

    # A manifest that points outside the backup is not followed.
    third = tmp_path / "b3"
    instance.run("backup", third)
    manifest = json.loads((third / "manifest.json").read_text())
    manifest["files"].append({"path": "../../escape", "type": "file",
                              "size": 1, "mode": "0600",
                              "sha256": "0" * 64})
    (third / "manifest.json").write_text(json.dumps(manifest))
    line = assert_sentence(run("restore", "--dir", tmp_path / "r", third,
                               check=False))
    assert "malformed" in line, line
    assert not (tmp_path / "r").exists()


def test_restore_refuses_an_instance_in_use(instance, tmp_path):
    backup = tmp_path / "b"
    instance.run("backup", backup)
    instance.run("org", "add", "--ods", "X26009", "--name", "After Backup",
                 "--type", "GP Practice")
    server = Server(instance, False, tmp_path / "serve.log")
    try:
        server.wait_ready()
        for force in ((), ("--force",)):
            proc = run("restore", "--dir", instance.dir, backup, *force,
                       check=False)
            line = assert_sentence(proc)
            assert "in use" in line, line
        status, _ = server.get("/healthcheck")
        assert status == 200
    finally:
        server.stop()
    # Untouched: what was made after the backup is still there.
    assert any(o["ods"] == "X26009" for o in instance.json("org", "list"))

    # Stopped, it is still not empty: refused without --force...
    line = instance.fails("restore", backup)
    assert "not empty" in line and "--force" in line, line
    # ...and with it, what was there is moved aside, not deleted.
    report = instance.json("restore", backup, "--force")
    aside = report["set_aside"]
    assert aside.startswith(str(instance.dir) + ".before-restore-")
    assert not any(o["ods"] == "X26009" for o in instance.json("org", "list"))
    kept = Instance(aside, instance.domain)
    assert any(o["ods"] == "X26009" for o in kept.json("org", "list"))


def test_backup_refuses_an_existing_target_or_one_inside(instance, tmp_path):
    (tmp_path / "there").mkdir()
    line = instance.fails("backup", tmp_path / "there")
    assert "already exists" in line, line
    line = instance.fails("backup", instance.dir / "backup")
    assert "inside the instance directory" in line, line
    assert not list(instance.dir.glob("backup*"))


def test_backup_without_the_audit_key(instance, tmp_path):
    """docs/audit.md: whoever holds the database must not hold the key.
    A backup can leave it out; restore then needs the copy kept apart,
    and a wrong key shows as a broken chain, not a quiet success."""
    backup = tmp_path / "b"
    instance.run("backup", backup, "--without-audit-key")
    assert not (backup / "instance" / "audit.key").exists()
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["audit_key"] == {"path": "audit.key", "in_backup": False}
    assert "audit.key" not in {f["path"] for f in manifest["files"]}

    line = assert_sentence(run("restore", "--dir", tmp_path / "r", backup,
                               check=False))
    assert "--audit-key" in line, line
    assert not (tmp_path / "r").exists()

    wrong = tmp_path / "wrong.key"
    wrong.write_text("ab" * 32 + "\n")
    line = assert_sentence(run("restore", "--dir", tmp_path / "w", backup,
                               "--audit-key", wrong, check=False))
    assert "audit chain is broken at row 1" in line, line

    report = json.loads(run("restore", "--dir", tmp_path / "r", backup,
                            "--audit-key", instance.dir / "audit.key",
                            "--json").stdout)
    assert report["audit"]["status"] == "whole"
    assert mode(tmp_path / "r" / "audit.key") == 0o600
    assert (tmp_path / "r" / "audit.key").read_bytes() == \
        (instance.dir / "audit.key").read_bytes()
