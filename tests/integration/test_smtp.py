"""SMTP intake and submission with Python's smtplib and swaks (SPEC M1,
M2, M4, M8, M14; SECURITY.md items 3, 4, 8, 9, 11, 13, 15, 16)."""
import socket
import ssl
import smtplib
import sqlite3
import subprocess
import time

import pytest

from conftest import PASSWORD

MESSAGE = (b"From: Ann One <{frm}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
           b"Message-ID: <{mid}@test>\r\n\r\nHello there.\r\n.leading dot\r\n")


def message(frm, to, subject="Hello", mid="m1"):
    return (MESSAGE.replace(b"{frm}", frm.encode())
            .replace(b"{to}", to.encode())
            .replace(b"{subject}", subject.encode())
            .replace(b"{mid}", mid.encode()))


def tls_context(instance):
    return ssl.create_default_context(
        cafile=str(instance.dir / "tls" / "cert.pem"))


def person(instance, org, first, last, password=None):
    address = instance.setup("user", "add", "--org", org, "--first", first,
                             "--last", last).stdout.strip()
    if password:
        instance.setup("user", "passwd", address, "--stdin", "--permanent",
                       input=password + "\n")
    return address


def inbox(instance, address):
    """(uid, subject, body) of each message in address's Inbox."""
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        return db.execute(
            "SELECT m.uid, b.subject, b.data FROM messages m"
            " JOIN folders f ON f.id = m.folder_id"
            " JOIN mailboxes x ON x.id = f.mailbox_id"
            " JOIN bodies b ON b.id = m.body_id"
            " WHERE x.address = ? AND f.special_use = 'inbox'"
            " ORDER BY m.uid", (address,)).fetchall()
    finally:
        db.close()


@pytest.fixture
def mx(server):
    return server.ports["smtp"]


def test_inbound_delivery(instance, org, server, mx):
    ann = person(instance, org, "Ann", "One")
    with smtplib.SMTP("127.0.0.1", mx, timeout=10) as s:
        code, caps = s.ehlo("sender.example")
        assert code == 250
        for ext in [b"PIPELINING", b"SIZE", b"8BITMIME",
                    b"ENHANCEDSTATUSCODES", b"SMTPUTF8", b"STARTTLS"]:
            assert ext in caps
        assert b"AUTH" not in caps
        s.sendmail("someone@sender.example", [ann],
                   message("someone@sender.example", ann))
    rows = inbox(instance, ann)
    assert len(rows) == 1
    uid, subject, body = rows[0]
    assert (uid, subject) == (1, "Hello")
    assert body.startswith(b"Return-Path: <someone@sender.example>\r\n"
                           b"Received: from sender.example ([127.0.0.1])")
    # The leading dot the client doubled is undoubled.
    assert b"\r\n.leading dot\r\n" in body


def test_unknown_and_deleted_recipients_refused(instance, org, server, mx):
    gone = person(instance, org, "Gone", "Away")
    instance.run("user", "delete", gone)
    with smtplib.SMTP("127.0.0.1", mx, timeout=10) as s:
        s.ehlo("x.example")
        s.mail("a@x.example")
        code, text = s.rcpt(instance.addr("nobody"))
        assert code == 550 and b"5.1.1" in text and b"no mailbox" in text
        code, text = s.rcpt(gone)
        assert code == 550 and b"closed" in text


def test_no_open_relay(server, mx):
    with smtplib.SMTP("127.0.0.1", mx, timeout=10) as s:
        s.ehlo("x.example")
        s.mail("a@x.example")
        for rcpt in ["victim@example.org",
                     "<@ours.example:victim@example.org>"]:
            code, text = s.rcpt(rcpt)
            assert code == 554 and b"5.7.1" in text, (rcpt, text)


def test_swaks_relay_attempt(server, mx):
    proc = subprocess.run(
        ["swaks", "--server", "127.0.0.1", "--port", str(mx),
         "--to", "x@example.org", "--from", "a@b.example",
         "--timeout", "10"], capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "554 5.7.1" in proc.stdout


def raw_session(port, payload, wait=1.0):
    """Sends payload in one write and returns everything the server said."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.recv(1024)
        sock.sendall(payload)
        time.sleep(wait)
        sock.settimeout(1)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except socket.timeout:
            pass
        return out


def test_smtp_smuggling_refused(instance, org, server, mx):
    ann = person(instance, org, "Ann", "One")
    # A bare LF-dot-LF inside DATA must not end the message and start a
    # second one (CVE-2023-51764 and kin).
    smuggled = (f"EHLO x.example\r\nMAIL FROM:<a@x.example>\r\n"
                f"RCPT TO:<{ann}>\r\nDATA\r\n"
                f"Subject: first\r\n\r\nbody\n.\nMAIL FROM:<evil@x.example>\r\n"
                f"RCPT TO:<{ann}>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n"
                f".\r\nQUIT\r\n").encode()
    out = raw_session(mx, smuggled)
    assert b"550 5.6.0" in out
    assert all(subject != "smuggled" for _, subject, _ in inbox(instance, ann))
    assert inbox(instance, ann) == []


def test_oversize_refused(instance, org, server, mx):
    ann = person(instance, org, "Ann", "One")
    with smtplib.SMTP("127.0.0.1", mx, timeout=10) as s:
        s.ehlo("x.example")
        size = int(s.esmtp_features["size"])
        code, text = s.mail("a@x.example", [f"SIZE={size + 1}"])
        assert code == 552 and b"5.3.4" in text
    assert inbox(instance, ann) == []


def test_long_line_and_errors(server, mx):
    out = raw_session(mx, b"EHLO " + b"x" * 600 + b"\r\nNOOP\r\n")
    assert b"500 5.5.2" in out and b"250 2.0.0" in out
    out = raw_session(mx, b"XXXX\r\n" * 25)
    assert b"421 4.7.0" in out


def test_starttls_drops_pipelined_plaintext(server, mx, instance):
    with socket.create_connection(("127.0.0.1", mx), timeout=5) as raw:
        raw.recv(1024)
        raw.sendall(b"EHLO x.example\r\n")
        time.sleep(0.2)
        raw.recv(4096)
        raw.sendall(b"STARTTLS\r\nRSET\r\n")
        reply = raw.recv(1024)
        assert reply.startswith(b"220 2.0.0")
        tls = tls_context(instance).wrap_socket(raw,
                                                server_hostname="127.0.0.1")
        tls.sendall(b"NOOP\r\n")
        answer = tls.recv(1024)
        # The injected RSET got no reply; only NOOP's answer arrives.
        assert answer == b"250 2.0.0 ok\r\n", answer
        tls.close()


def submission(server, instance):
    s = smtplib.SMTP("127.0.0.1", server.ports["submission"], timeout=10)
    s.ehlo("client.example")
    return s


def test_auth_only_after_tls(server, instance, org):
    ann = person(instance, org, "Ann", "One", PASSWORD)
    s = submission(server, instance)
    assert b"AUTH" not in s.ehlo_resp
    code, text = s.docmd("AUTH", "PLAIN AGFubgBwYXNz")
    assert code == 530 and b"5.7.0" in text
    s.starttls(context=tls_context(instance))
    s.ehlo("client.example")
    assert "auth" in s.esmtp_features
    with pytest.raises(smtplib.SMTPAuthenticationError):
        s.login(ann, "wrong password here")
    s.login(ann, PASSWORD)
    s.quit()


def test_submission_send_as_rules(server, instance, org):
    ann = person(instance, org, "Ann", "One", PASSWORD)
    bob = person(instance, org, "Bob", "Two")
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Reception").stdout.strip()
    other = instance.run("shared", "add", "--org", org, "--name",
                         "Finance").stdout.strip()
    instance.run("grant", "add", box, ann, "--right", "send_as")
    instance.run("grant", "add", other, ann, "--right", "send_on_behalf")
    s = submission(server, instance)
    s.starttls(context=tls_context(instance))
    s.ehlo("client.example")
    s.login(ann, PASSWORD)
    # As herself, as a mailbox with Send As, and on behalf of another.
    s.sendmail(ann, [bob], message(ann, bob, "as me", "a1"))
    s.sendmail(box, [bob], message(box, bob, "as reception", "a2"))
    # The client's own Sender (allowed: her address) is replaced by ours.
    s.sendmail(other, [bob],
               f"Sender: Ann Herself <{ann.upper()}>\r\n".encode() +
               message(other, bob, "on behalf", "a3"))
    code, text = s.mail(bob)
    assert code == 553 and b"permission to send" in text
    s.rset()
    # Remote recipients are queued for authenticated senders.
    s.sendmail(ann, ["far@elsewhere.example"], message(ann, "far", "out"))
    s.quit()
    rows = inbox(instance, bob)
    assert [r[1] for r in rows] == ["as me", "as reception", "on behalf"]
    on_behalf = rows[2][2]
    assert f"Sender: <{ann}>".encode() in on_behalf
    assert b"Ann Herself" not in on_behalf
    assert on_behalf.count(b"\r\nSender:") == 1
    queued = instance.json("queue", "list")
    assert [(q["sender"], q["recipient"]) for q in queued] == \
        [(ann, "far@elsewhere.example")]


def test_implicit_tls_submission(server, instance, org):
    ann = person(instance, org, "Ann", "One", PASSWORD)
    with smtplib.SMTP_SSL("127.0.0.1", server.ports["submissions"],
                          timeout=10, context=tls_context(instance)) as s:
        s.ehlo("client.example")
        s.login(ann, PASSWORD)
        s.sendmail(ann, [ann], message(ann, ann, "to self", "s1"))
    assert [r[1] for r in inbox(instance, ann)] == ["to self"]


def test_list_delivery_reaches_each_member_once(server, instance, org, mx):
    ann = person(instance, org, "Ann", "One")
    bob = person(instance, org, "Bob", "Two")
    instance.run("list", "add", "--org", org, "--name", "Inner")
    instance.run("list", "add", "--org", org, "--name", "Team")
    inner, team = instance.addr("inner"), instance.addr("team")
    instance.run("list", "members", "add", inner, ann, team)
    instance.run("list", "members", "add", team, inner, ann, bob)
    with smtplib.SMTP("127.0.0.1", mx, timeout=10) as s:
        s.sendmail("x@sender.example", [team, ann],
                   message("x@sender.example", team, "to the team"))
    assert [r[1] for r in inbox(instance, ann)] == ["to the team"]
    assert [r[1] for r in inbox(instance, bob)] == ["to the team"]


def signed_in_session(server, instance):
    s = submission(server, instance)
    s.starttls(context=tls_context(instance))
    s.ehlo("laptop.example")
    return s


def test_protocol_switches_per_person_and_org(server, instance, org):
    ann = person(instance, org, "Ann", "One", PASSWORD)
    instance.run("user", "edit", ann, "--protocols-off", "smtp")
    assert instance.json("user", "show", ann)["protocols_off"] == "smtp"
    s = signed_in_session(server, instance)
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        s.login(ann, PASSWORD)
    assert b"turned off for your account" in refused.value.smtp_error
    s.close()
    instance.run("user", "edit", ann, "--protocols-off", "")
    instance.run("org", "edit", org, "--protocols-off", "pop3,smtp")
    s = signed_in_session(server, instance)
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        s.login(ann, PASSWORD)
    assert b"turned off for Test Practice" in refused.value.smtp_error
    s.close()
    instance.run("org", "edit", org, "--protocols-off", "imap")
    s = signed_in_session(server, instance)
    s.login(ann, PASSWORD)
    s.quit()
    instance.fails("user", "edit", ann, "--protocols-off", "gopher")


def test_signin_recorded_as_device(server, instance, org):
    ann = person(instance, org, "Ann", "One", PASSWORD)
    assert instance.json("user", "show", ann)["last_signin_at"] is None
    s = signed_in_session(server, instance)
    s.login(ann, PASSWORD)
    s.quit()
    shown = instance.json("user", "show", ann)
    assert shown["last_signin_at"] is not None
    devices = instance.json("user", "devices", ann)
    assert [(d["protocol"], d["client"], d["address"]) for d in devices] == \
        [("smtp", "laptop.example", "127.0.0.1")]


def test_deleted_account_cannot_sign_in(server, instance, org):
    ann = person(instance, org, "Ann", "One", PASSWORD)
    instance.run("user", "delete", ann)
    s = signed_in_session(server, instance)
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        s.login(ann, PASSWORD)
    assert b"address or password is not right" in refused.value.smtp_error
    s.close()


def test_idle_timeout_says_421(start_server):
    server = start_server(extra=["smtp.timeout_s=1"])
    with socket.create_connection(("127.0.0.1", server.ports["smtp"]),
                                  timeout=5) as sock:
        assert sock.recv(1024).startswith(b"220 ")
        started = time.monotonic()
        reply = sock.recv(1024)
        assert reply.startswith(b"421 4.4.2"), reply
        assert time.monotonic() - started < 4


def test_connections_per_address_are_capped(start_server):
    """SECURITY.md 35: one client address cannot hold every session; the
    next connection is told to try later, and a place frees on QUIT."""
    server = start_server(extra=["smtp.max_per_ip=2"])
    port = server.ports["smtp"]
    held = [socket.create_connection(("127.0.0.1", port), timeout=5)
            for _ in range(2)]
    for sock in held:
        assert sock.recv(1024).startswith(b"220 ")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as extra:
        reply = extra.recv(1024)
        assert reply.startswith(b"421 4.3.2"), reply
        assert extra.recv(1024) == b""
    held[0].sendall(b"QUIT\r\n")
    assert held[0].recv(1024).startswith(b"221")
    held[0].close()
    deadline = time.monotonic() + 5
    while True:
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=5) as again:
            if again.recv(1024).startswith(b"220 "):
                break
        assert time.monotonic() < deadline, "the place never freed"
        time.sleep(0.05)
    held[1].close()


def test_recipient_limit(start_server, instance, org):
    server = start_server(extra=["smtp.max_recipients=100"])
    ann = person(instance, org, "Ann", "One")
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.ehlo("x.example")
        s.mail("a@x.example")
        for _ in range(100):
            assert s.rcpt(ann)[0] == 250
        code, text = s.rcpt(ann)
        assert code == 452 and b"4.5.3" in text
        # The hundred that were accepted still get one delivery.
        code, _ = s.data(message("a@x.example", ann, "hundred"))
        assert code == 250
    assert [r[1] for r in inbox(instance, ann)] == ["hundred"]
