"""kill -9 during a burst of deliveries loses nothing that got 250
(SPEC M4; RFC 5321 §6.1; SECURITY.md items 22-23)."""
import hashlib
import os
import signal
import smtplib
import sqlite3
import threading
import time

from conftest import Server

SENDERS = 6


def body(tag):
    text = (f"From: <load@sender.example>\r\nSubject: crash {tag}\r\n"
            f"Message-ID: <{tag}@crash.test>\r\n\r\n")
    return (text + ("line of text for " + tag + "\r\n") * 40).encode()


def blast(port, rcpt, prefix, acked, in_flight, stop):
    """Sends until the server dies; records what got 250 and what was sent."""
    n = 0
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as s:
                while not stop.is_set():
                    tag = f"{prefix}-{n}"
                    n += 1
                    in_flight.add(tag)
                    s.sendmail("load@sender.example", [rcpt], body(tag))
                    acked.add(tag)
        except (OSError, smtplib.SMTPException):
            time.sleep(0.01)


def delivered(instance, rcpt):
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        rows = db.execute(
            "SELECT b.message_id, b.data FROM messages m"
            " JOIN folders f ON f.id = m.folder_id"
            " JOIN mailboxes x ON x.id = f.mailbox_id"
            " JOIN bodies b ON b.id = m.body_id"
            " WHERE x.address = ?", (rcpt,)).fetchall()
    finally:
        db.close()
    return rows


def test_kill_9_loses_nothing_acknowledged(instance, org, tmp_path):
    rcpt = instance.run("user", "add", "--org", org, "--first", "Crash",
                        "--last", "Test").stdout.strip()
    server = Server(instance, False, tmp_path / "serve.log")
    server.wait_ready()
    acked, in_flight, stop = set(), set(), threading.Event()
    threads = [threading.Thread(target=blast, args=(
        server.ports["smtp"], rcpt, f"t{i}", acked, in_flight, stop))
        for i in range(SENDERS)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(acked) > 20, "the burst never got going"
    print(f"acknowledged {len(acked)}, sent {len(in_flight)}")

    # The store recovers on the next start and serves again.
    again = Server(instance, False, tmp_path / "serve2.log")
    try:
        again.wait_ready()
        rows = delivered(instance, rcpt)
    finally:
        again.stop()
    ids = [mid.strip("<>").split("@")[0] for mid, _ in rows]
    # Every acknowledged message is there exactly once...
    assert acked <= set(ids), sorted(acked - set(ids))[:5]
    assert len(ids) == len(set(ids)), "a message was delivered twice"
    # ...anything else was at least sent in full before the kill...
    assert set(ids) <= in_flight
    # ...and no message is partial.
    for mid, data in rows:
        tag = mid.strip("<>").split("@")[0]
        assert data.endswith(body(tag)), tag
        assert hashlib.sha256(data).hexdigest()
