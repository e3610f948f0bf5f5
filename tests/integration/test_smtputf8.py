"""Internationalised addresses (RFC 6531, RFC 6532): with MAIL's SMTPUTF8
parameter an address may hold UTF-8 in its local part and U-labels in its
domain; without it such an address gets 553 5.6.7 (RFC 6531 §3.5), never
a syntax error. Mail from a UTF-8 sender reaches a mailbox here; a UTF-8
recipient elsewhere is queued from submission; a UTF-8 local part at a
hosted domain is an unknown mailbox (550 5.1.1), since addresses here are
ASCII. Broken UTF-8 is refused as bad syntax. Real smtplib sessions."""

import smtplib

from conftest import PASSWORD
from test_smtp import inbox, person, tls_context


def mx(server):
    s = smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10)
    s.ehlo("client.example")
    s.command_encoding = "utf-8"    # smtplib's is ASCII unless it sends
    return s


def test_a_utf8_sender_reaches_a_mailbox_here(instance, org, server):
    ann = person(instance, org, "Ann", "Here")
    with mx(server) as s:
        assert s.mail("jörg@bücher.example", ["SMTPUTF8"])[0] == 250
        assert s.rcpt(ann)[0] == 250
        msg = (f"From: jörg@bücher.example\r\nTo: {ann}\r\n"
               "Subject: Grüße\r\n\r\nHallo.\r\n").encode()
        assert s.data(msg)[0] == 250
    [(_, _, data)] = inbox(instance, ann)
    assert "Return-Path: <jörg@bücher.example>".encode() in data


def test_without_smtputf8_a_utf8_address_is_553_5_6_7(instance, org,
                                                       server):
    ann = person(instance, org, "Ann", "Here")
    with mx(server) as s:
        code, text = s.mail("jörg@bücher.example")
        assert (code, text[:5]) == (553, b"5.6.7"), text
        assert s.mail("jorg@example.com")[0] == 250
        code, text = s.rcpt("zoë@example.com")
        assert (code, text[:5]) == (553, b"5.6.7"), text
        assert s.rcpt(ann)[0] == 250


def test_a_utf8_local_part_here_is_unknown(instance, org, server):
    domain = instance.addr("x").split("@")[1]
    with mx(server) as s:
        assert s.mail("jörg@bücher.example", ["SMTPUTF8"])[0] == 250
        code, text = s.rcpt(f"zoë@{domain}")
        assert (code, text[:5]) == (550, b"5.1.1"), text


def test_broken_utf8_is_bad_syntax(instance, org, server):
    with mx(server) as s:
        s.sock.sendall(b"MAIL FROM:<j\xc3@example.com> SMTPUTF8\r\n")
        code, text = s.getreply()
        assert code == 501, text


def test_submission_queues_a_utf8_recipient(instance, org, server):
    ann = person(instance, org, "Ann", "Sender", PASSWORD)
    with smtplib.SMTP("127.0.0.1", server.ports["submission"],
                      timeout=10) as s:
        s.starttls(context=tls_context(instance))
        s.login(ann, PASSWORD)
        s.command_encoding = "utf-8"
        assert s.mail(ann, ["SMTPUTF8"])[0] == 250
        code, text = s.rcpt("zoë@bücher.example")
        assert code == 250, text
        msg = (f"From: {ann}\r\nTo: zoë@bücher.example\r\n"
               "Subject: Hello\r\n\r\nHello.\r\n").encode()
        assert s.data(msg)[0] == 250
    assert [r["recipient"] for r in instance.json("queue", "list")] == \
        ["zoë@xn--bcher-kva.example"]
