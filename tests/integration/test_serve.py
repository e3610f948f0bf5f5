"""caremail serve: the health check over HTTP and HTTPS, a store that goes
away, and a clean stop on SIGTERM (SPEC S1, S3)."""

import http.client
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import run
from test_imap import DELAYED_ACK_S


def version():
    return run("version").stdout.split()[1]


def test_healthcheck_plain_http(server):
    status, body = server.get("/healthcheck")
    assert status == 200
    # Status and store, the audit chain's state (its start-up check may
    # still be running), the outbound queue's counts and maintenance mode
    # for the operator's monitor; nothing else, no version (SECURITY.md
    # 46).
    assert body.pop("audit") in ("checking", "ok")
    assert body.pop("queue") == {"waiting": 0, "deferred": 0,
                                 "oldest_age_s": 0}
    assert body.pop("maintenance") == {"on": False, "until": None}
    assert body == {"status": "ok", "store": "ok"}
    assert "event=serve.ready" in server.logs()
    assert f"listen=127.0.0.1:{server.port}" in server.logs()


def test_version_only_for_admins(server, instance, org):
    """SECURITY.md 46: no version banner for anyone who asks; admins who
    read reports see it at /api/v1/status."""
    from apiclient import Client, global_admin, make_admin, make_person, \
        ready, USER_PASSWORD
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for path in ("/healthcheck", "/api/v1/status", "/api/v1/nope"):
        conn.request("GET", path)
        resp = conn.getresponse()
        text = resp.read().decode()
        assert resp.getheader("Server") is None, path
        assert version() not in text, (path, text)
    conn.close()
    assert Client(server).call("GET", "/status")[0] == 401
    person = ready(server, make_person(instance, org, "Pat", "Plain"),
                   USER_PASSWORD)
    status, body = person.call("GET", "/status")
    assert status == 403 and version() not in str(body)
    for admin in (global_admin(server, instance), make_admin(server,
                                                             instance, org)):
        assert admin.ok("GET", "/status") == {
            "status": "ok", "store": "ok", "version": version()}


def test_healthcheck_tls_with_instance_certificate(start_server):
    server = start_server(tls=True)
    assert server.url.startswith("https://127.0.0.1:")
    status, body = server.get("/healthcheck")
    assert (status, body["store"]) == (200, "ok")


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_healthcheck_with_curl(start_server):
    server = start_server(tls=True)
    proc = subprocess.run(
        ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
         f"{server.url}/healthcheck"],
        capture_output=True, text=True, timeout=10)
    assert proc.stdout == "200"


def test_moved_store_is_503(server):
    db = server.instance.dir / "caremail.db"
    db.rename(db.with_suffix(".moved"))
    status, body = server.get("/healthcheck")
    assert status == 503
    assert body["status"] == "unavailable"
    assert str(server.instance.dir) not in str(body), "no paths leak"
    db.with_suffix(".moved").rename(db)
    assert server.get("/healthcheck")[0] == 200


def test_sigterm_stops_cleanly(server):
    start = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=5) == 0
    assert time.monotonic() - start < 5
    assert "event=serve.stopped" in server.logs()


def test_sigint_stops_cleanly(server):
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=5) == 0


MAIL_LISTENERS = ("smtp", "submission", "submissions", "relay", "imap",
                  "imaps", "pop3", "pop3s")


def test_port_in_use_is_a_clear_error(server, instance):
    """The port in use is one the test chose (the running server's, bound
    from port 0); every other listener is off, so nothing on the machine's
    default ports (2525, ...) can decide the outcome."""
    others = [a for name in MAIL_LISTENERS
              for a in ("--set", f"{name}.listen=off")]
    proc = run("serve", "--dir", instance.dir, "--set",
               f"http.listen=127.0.0.1:{server.port}", "--set",
               "http.tls=off", *others, check=False, timeout=10)
    assert proc.returncode == 1
    assert "caremail: " in proc.stderr
    assert str(server.port) in proc.stderr


def reply_line(sock):
    """One reply line, read to its CRLF."""
    out = b""
    while not out.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        assert chunk, out
        out += chunk
    return out


@pytest.mark.parametrize("listener,command", [("smtp", b"NOOP"),
                                              ("submission", b"NOOP"),
                                              ("pop3", b"NOOP"),
                                              ("imap", b"a NOOP")])
def test_a_command_in_two_writes_is_not_held_back_by_a_delayed_ack(
        server, listener, command):
    """Every listener reads through the same connection code, so on every
    one a command whose CRLF comes in a second write (Nagle's algorithm on,
    as in most clients) is acknowledged, and answered, at once: the client
    does not wait for the kernel's delayed ACK (test_imap.py has imaplib's
    literals). The first segments of a connection are acknowledged at once
    anyway, so the later commands tell."""
    with socket.create_connection(("127.0.0.1", server.ports[listener]),
                                  timeout=10) as sock:
        reply_line(sock)
        took = []
        for _ in range(40):
            start = time.monotonic()
            sock.sendall(command)
            sock.sendall(b"\r\n")
            reply_line(sock)
            took.append(time.monotonic() - start)
    assert min(took[20:]) < DELAYED_ACK_S, took
