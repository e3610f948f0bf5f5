"""POP3 with Python's poplib (SPEC A2; RFC 1939, RFC 2595; SECURITY.md
items 3, 4, 28)."""
import poplib
import smtplib
import socket
import ssl
import time

import pytest

from conftest import PASSWORD


def tls_context(instance):
    return ssl.create_default_context(
        cafile=str(instance.dir / "tls" / "cert.pem"))


def person(instance, org, first, last):
    address = instance.setup("user", "add", "--org", org, "--first", first,
                             "--last", last).stdout.strip()
    instance.setup("user", "passwd", address, "--stdin", "--permanent",
                   input=PASSWORD + "\n")
    return address


def deliver(server, to, subject, lines=3):
    body = "".join(f"line {i}\r\n" for i in range(lines))
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.sendmail("x@sender.example", [to],
                   f"From: <x@sender.example>\r\nSubject: {subject}\r\n"
                   f"\r\n.dotted\r\n{body}".encode())


def signed_in(server, instance, address):
    p = poplib.POP3("127.0.0.1", server.ports["pop3"], timeout=10)
    p.stls(context=tls_context(instance))
    p.user(address)
    p.pass_(PASSWORD)
    return p


def test_user_refused_before_tls(server, instance, org):
    ann = person(instance, org, "Ann", "One")
    p = poplib.POP3("127.0.0.1", server.ports["pop3"], timeout=10)
    caps = p.capa()
    assert "STLS" in caps and "USER" not in caps
    with pytest.raises(poplib.error_proto) as refused:
        p.user(ann)
    assert b"STLS first" in refused.value.args[0]
    p.stls(context=tls_context(instance))
    assert "USER" in p.capa()
    p.user(ann)
    with pytest.raises(poplib.error_proto):
        p.pass_("not the password")
    p.quit()


def test_read_and_delete(server, instance, org):
    ann = person(instance, org, "Ann", "One")
    deliver(server, ann, "first")
    deliver(server, ann, "second", lines=10)
    p = signed_in(server, instance, ann)
    count, octets = p.stat()
    assert count == 2 and octets > 0
    sizes = [int(x.split()[1]) for x in p.list()[1]]
    assert sum(sizes) == octets
    uidls = [x.split()[1] for x in p.uidl()[1]]
    assert len(set(uidls)) == 2
    lines = p.retr(1)[1]
    assert b"Subject: first" in lines
    assert b".dotted" in lines           # dot-stuffing undone by poplib
    top = p.top(2, 2)[1]
    assert b"Subject: second" in top
    assert b"line 1" not in top and b".dotted" in top
    p.dele(1)
    with pytest.raises(poplib.error_proto):
        p.retr(1)
    p.rset()
    p.dele(1)
    p.quit()
    p = signed_in(server, instance, ann)
    assert p.stat()[0] == 1
    assert p.uidl()[1][0].split()[1] == uidls[1]
    p.quit()


def test_dropped_connection_deletes_nothing(server, instance, org):
    ann = person(instance, org, "Ann", "One")
    deliver(server, ann, "keep me")
    p = signed_in(server, instance, ann)
    p.dele(1)
    p.sock.close()                       # no QUIT: no UPDATE state
    time.sleep(0.3)
    p = signed_in(server, instance, ann)
    assert p.stat()[0] == 1
    p.quit()


def test_pop3s_and_protocol_switch(server, instance, org):
    ann = person(instance, org, "Ann", "One")
    deliver(server, ann, "over tls")
    p = poplib.POP3_SSL("127.0.0.1", server.ports["pop3s"], timeout=10,
                        context=tls_context(instance))
    p.user(ann)
    p.pass_(PASSWORD)
    assert p.stat()[0] == 1
    p.quit()
    instance.run("user", "edit", ann, "--protocols-off", "pop3")
    p = poplib.POP3_SSL("127.0.0.1", server.ports["pop3s"], timeout=10,
                        context=tls_context(instance))
    p.user(ann)
    with pytest.raises(poplib.error_proto) as refused:
        p.pass_(PASSWORD)
    assert b"POP is turned off" in refused.value.args[0]
    devices = instance.json("user", "devices", ann)
    assert devices[0]["protocol"] == "pop3"


def test_stls_drops_pipelined_plaintext(server, instance):
    with socket.create_connection(("127.0.0.1", server.ports["pop3"]),
                                  timeout=5) as raw:
        raw.recv(1024)
        raw.sendall(b"STLS\r\nCAPA\r\n")
        assert raw.recv(1024).startswith(b"+OK")
        tls = tls_context(instance).wrap_socket(raw,
                                                server_hostname="127.0.0.1")
        tls.sendall(b"NOOP\r\n")
        assert tls.recv(1024).startswith(b"-ERR sign in first")
        tls.close()
