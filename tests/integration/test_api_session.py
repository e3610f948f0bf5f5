"""The JSON API's sign-in (SPEC P1, SECURITY.md 36, 38, 41, 42): sessions
and their cookie, CSRF, lockout, password expiry, TOTP, and the OpenAPI
document against the routes the server really has."""

import base64
import json
import shutil
import subprocess
import time

import pytest

from apiclient import NEW_PASSWORD, USER_PASSWORD, Client, totp
from conftest import PASSWORD, ROOT



def test_rfc6238_vectors_in_python():
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, 59) == "287082"
    assert totp(secret, 1111111109) == "081804"
    assert totp(secret, 1234567890) == "005924"


@pytest.fixture
def user(instance, org):
    address = instance.run("user", "add", "--org", org, "--first", "Jo",
                           "--last", "Smith").stdout.strip().split()[-1]
    instance.run("user", "passwd", address, "--stdin",
                 input=USER_PASSWORD + "\n")
    return address


def ready_user(server, address):
    """A signed-in client for a user who has changed their password."""
    c = Client(server)
    status, body = c.signin(address, USER_PASSWORD)
    assert status == 201, body
    assert body["must_change_password"] is True
    status, body = c.call("POST", "/me/password",
                          {"current": USER_PASSWORD, "new": NEW_PASSWORD})
    assert status == 200, body
    return c


def test_signin_sets_cookie_and_csrf(server, user):
    c = Client(server)
    status, body = c.signin(user, USER_PASSWORD)
    assert status == 201, body
    cookie = c.last.getheader("Set-Cookie")
    assert cookie.startswith("caremail_session=")
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) == 64
    attrs = [a.strip() for a in cookie.split(";")[1:]]
    assert "HttpOnly" in attrs and "SameSite=Strict" in attrs
    assert "Path=/" in attrs and "Secure" not in attrs
    assert len(body["csrf_token"]) == 64
    assert body["person"]["address"] == user
    assert body["person"]["locked"] is False
    assert body["mfa_required"] is False
    assert c.last.getheader("X-Content-Type-Options") == "nosniff"
    assert c.last.getheader("Cache-Control") == "no-store"
    assert "frame-ancestors" in c.last.getheader("Content-Security-Policy")
    assert token not in server.logs()
    assert USER_PASSWORD not in server.logs()


def test_wrong_password_and_unknown_user_get_the_same_reply(server, user,
                                                            instance):
    c = Client(server)
    wrong = c.signin(user, "not the password at all")
    unknown = c.signin(instance.addr("nobody.here"), USER_PASSWORD)
    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1]
    assert c.cookie is None
    rows = instance.json("audit", "list")
    text = json.dumps(rows)
    assert "signin_failed" in text
    assert "not the password at all" not in text


def test_no_session_is_401(server):
    c = Client(server)
    assert c.call("GET", "/me")[0] == 401
    assert c.call("GET", "/session")[0] == 401
    c.cookie = "caremail_session=" + "0" * 64
    status, body = c.call("GET", "/me")
    assert status == 401 and body["error"]["code"] == "unauthenticated"


def test_csrf_and_content_type(server, user):
    c = ready_user(server, user)
    status, body = c.call("POST", "/me/mfa", {}, csrf=False)
    assert status == 403 and body["error"]["code"] == "csrf"
    assert "X-CSRF-Token" in body["error"]["message"]
    status, body = c.call("POST", "/me/mfa", {},
                          headers={"X-CSRF-Token": "0" * 64})
    assert status == 403 and body["error"]["code"] == "csrf"
    status, body = c.call("POST", "/me/password", raw=b"current=x",
                          content_type="text/plain")
    assert status == 415
    status, body = c.call("DELETE", "/session", csrf=False)
    assert status == 403


def test_json_decoding_refusals(server, user):
    c = Client(server)
    status, body = c.call("POST", "/session",
                          {"email": user, "password": "x", "admin": True})
    assert status == 422
    assert body["error"]["field"] == "admin"
    status, body = c.call("POST", "/session", {"email": user})
    assert (status, body["error"]["field"]) == (422, "password")
    status, body = c.call(
        "POST", "/session",
        raw=b'{"email":"a@b","email":"c@d","password":"x"}')
    assert status == 400 and body["error"]["code"] == "bad_request"
    assert "duplicate" in body["error"]["message"]
    status, body = c.call("POST", "/session", raw=b"[1,2")
    assert status == 400 and "not valid JSON" in body["error"]["message"]
    status, body = c.call("POST", "/session", raw=b"[1,2]")
    assert status == 400 and "JSON object" in body["error"]["message"]
    status, body = c.call("POST", "/session",
                          {"email": 5, "password": "x"})
    assert (status, body["error"]["field"]) == (422, "email")


def test_unknown_route_and_method(server):
    c = Client(server)
    assert c.call("GET", "/nothing")[0] == 404
    status, _ = c.call("PUT", "/session", {})
    assert status == 405
    assert "GET" in c.last.getheader("Allow")
    assert server.get("/healthcheck")[0] == 200


def test_signout_then_replay_is_401(server, user):
    c = ready_user(server, user)
    assert c.call("GET", "/me")[0] == 200
    status, _ = c.call("DELETE", "/session")
    assert status == 200
    assert "Max-Age=0" in c.last.getheader("Set-Cookie")
    assert c.call("GET", "/me")[0] == 401


def test_idle_timeout(start_server, user):
    server = start_server(extra=["session.idle_timeout_s=1"])
    c = Client(server)
    assert c.signin(user, USER_PASSWORD)[0] == 201
    assert c.call("GET", "/session")[0] == 200
    time.sleep(2.2)
    status, body = c.call("GET", "/session")
    assert status == 401
    assert "timed out" in body["error"]["message"]


def test_absolute_timeout_ends_a_busy_session(start_server, user):
    server = start_server(extra=["session.absolute_timeout_s=2"])
    c = Client(server)
    assert c.signin(user, USER_PASSWORD)[0] == 201
    deadline = time.time() + 10
    status = 200
    while status == 200 and time.time() < deadline:
        status, body = c.call("GET", "/session")   # never idle
        time.sleep(0.3)
    assert status == 401 and "timed out" in body["error"]["message"]
    assert c.call("GET", "/session")[0] == 401


def test_lockout_at_twelve_failures(server, user, instance):
    c = Client(server)
    for _ in range(11):
        assert c.signin(user, "wrong wrong wrong")[0] == 401
    assert instance.json("user", "show", user)["locked"] is False
    assert c.signin(user, USER_PASSWORD)[0] == 201, "11 do not lock"
    for _ in range(12):
        assert c.signin(user, "wrong wrong wrong")[0] == 401
    assert instance.json("user", "show", user)["locked"] is True
    status, body = c.signin(user, USER_PASSWORD)
    assert status == 401
    assert "locked" in body["error"]["message"]
    # SECURITY.md 38: the right password on a locked account gets the
    # same reply as a wrong one and an unknown address.
    assert c.signin(user, "wrong wrong wrong") == (status, body)
    assert c.signin(instance.addr("no.one"), USER_PASSWORD) == \
        (status, body)
    # The session made before the lock ends with it.
    assert c.call("GET", "/session")[0] == 401
    # The lock holds for mail clients too, with the usual wording.
    import imaplib
    import smtplib
    import ssl
    ctx = ssl.create_default_context(
        cafile=str(instance.dir / "tls" / "cert.pem"))
    with smtplib.SMTP_SSL("127.0.0.1", server.ports["submissions"],
                          timeout=10, context=ctx) as s:
        s.ehlo("x.example")
        try:
            s.login(user, USER_PASSWORD)
            raise AssertionError("a locked account signed in over SMTP")
        except smtplib.SMTPAuthenticationError as refused:
            assert b"not right" in refused.smtp_error
    m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"],
                          ssl_context=ctx)
    try:
        m.login(user, USER_PASSWORD)
        raise AssertionError("a locked account signed in over IMAP")
    except imaplib.IMAP4.error:
        pass


def test_must_change_password_gate(server, user):
    c = Client(server)
    status, body = c.signin(user, USER_PASSWORD)
    assert body["must_change_password"] is True
    status, body = c.call("GET", "/me")
    assert status == 403
    assert body["error"]["code"] == "password_change_required"
    assert c.call("GET", "/session")[0] == 200
    status, body = c.call("POST", "/me/password",
                          {"current": "wrong one here", "new": NEW_PASSWORD})
    assert status == 403 and body["error"]["field"] == "current"
    status, body = c.call("POST", "/me/password",
                          {"current": USER_PASSWORD, "new": "short"})
    assert status == 422 and body["error"]["field"] == "new"
    status, body = c.call("POST", "/me/password",
                          {"current": USER_PASSWORD, "new": NEW_PASSWORD})
    assert status == 200
    status, body = c.call("GET", "/me")
    assert status == 200 and body["address"] == user
    assert body["roles"] == []
    c2 = Client(server)
    status, body = c2.signin(user, NEW_PASSWORD)
    assert status == 201 and body["must_change_password"] is False


def test_password_older_than_max_age(server, user, instance):
    c = ready_user(server, user)
    assert c.call("GET", "/me")[0] == 200
    # Age the password by 91 days (auth.password_max_age_days is 90).
    import sqlite3
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=10)
    db.execute("UPDATE people SET password_changed_at ="
               " password_changed_at - 91 * 86400,"
               " password_self_set_at = password_self_set_at - 91 * 86400")
    db.commit()
    db.close()
    c = Client(server)
    status, body = c.signin(user, NEW_PASSWORD)
    assert status == 201 and body["must_change_password"] is True
    status, body = c.call("GET", "/me")
    assert status == 403
    assert "Change your password first" in body["error"]["message"]


def test_admin_mfa_enrolment_and_signin(server, instance):
    admin = instance.addr("admin")
    c = Client(server)
    status, body = c.signin(admin, PASSWORD)
    assert status == 201, body
    assert body["mfa_required"] is True
    assert body["mfa_setup_required"] is True
    assert c.call("POST", "/me/password",
                  {"current": PASSWORD, "new": NEW_PASSWORD})[0] == 200
    status, body = c.call("GET", "/me")
    assert status == 403
    assert body["error"]["code"] == "mfa_setup_required"
    assert "POST /api/v1/me/mfa" in body["error"]["message"]
    status, body = c.call("POST", "/me/mfa")
    assert status == 201, body
    secret = body["secret"]
    assert body["uri"].startswith("otpauth://totp/caremail:" + admin)
    assert f"secret={secret}" in body["uri"]
    assert "issuer=caremail" in body["uri"]
    assert secret not in server.logs()
    status, body = c.call("POST", "/me/mfa/verify", {"code": "000000"
                          if totp(secret) != "000000" else "111111"})
    assert status == 422 and body["error"]["field"] == "code"
    code = totp(secret)
    assert c.call("POST", "/me/mfa/verify", {"code": code})[0] == 200
    status, body = c.call("GET", "/me")
    assert status == 200, body
    assert body["mfa_enrolled"] is True
    assert {"role": "global_admin", "org": "SERVICE"} in body["roles"]
    # MFA cannot be replaced or switched off.
    assert c.call("POST", "/me/mfa")[0] == 409
    assert c.call("DELETE", "/me/mfa")[0] in (404, 405)
    assert c.call("DELETE", "/session")[0] == 200

    c = Client(server)
    status, body = c.signin(admin, NEW_PASSWORD)
    assert status == 401 and body["mfa_required"] is True
    # The enrolment code is spent; the next step's is within ±1.
    status, body = c.signin(admin, NEW_PASSWORD, code)
    assert status == 401 and body["error"]["code"] == "signin_failed"
    next_code = totp(secret, step_offset=1)
    status, body = c.signin(admin, NEW_PASSWORD, next_code)
    assert status == 201, body
    assert c.call("GET", "/me")[0] == 200
    status, _ = Client(server).signin(admin, NEW_PASSWORD, next_code)
    assert status == 401, "a code is accepted once"
    assert "event=auth.code_reused" in server.logs()


def test_openapi_matches_routes(server):
    c = Client(server)
    status, served = c.call("GET", "/openapi.json")
    assert status == 200
    docs = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert served == docs
    assert served["openapi"].startswith("3.0")
    documented = set()
    for path, ops in docs["paths"].items():
        assert path.startswith("/api/v1/")
        for method in ops:
            if method in ("get", "post", "put", "patch", "delete"):
                documented.add((method.upper(), path))
    for method, path in sorted(documented):
        status, body = c.call(method, path[len("/api/v1"):],
                              {} if method != "GET" else None)
        assert status != 405, (method, path)
        assert status != 404 or body["error"]["code"] != "unknown_endpoint", \
            (method, path)
    # And the other way: every route the server has is documented.
    import re
    table = set()
    for source in (ROOT / "src" / "api").glob("api_*.c"):
        table |= set(re.findall(r'\{ "([A-Z]+)", "(/[^"]*)",\s*\w+',
                                source.read_text()))
    assert ("POST", "/session") in table
    assert {(m, "/api/v1" + p) for m, p in table} == documented


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_signin_with_curl(server, user):
    proc = subprocess.run(
        ["curl", "-s", "-i", "-H", "Content-Type: application/json",
         "--data", json.dumps({"email": user, "password": USER_PASSWORD}),
         f"{server.url}/api/v1/session"],
        capture_output=True, text=True, timeout=10)
    head, _, body = proc.stdout.replace("\r\n", "\n").partition("\n\n")
    assert head.startswith("HTTP/1.1 201"), proc.stdout
    assert "set-cookie: caremail_session=" in head.lower()
    assert "csrf_token" in json.loads(body)


def test_unlock_keeps_status(server, user, instance):
    c = Client(server)
    for _ in range(12):
        c.signin(user, "wrong wrong wrong")
    assert instance.json("user", "show", user)["locked"] is True
    out = instance.run("user", "unlock", user).stdout
    assert "still active" in out
    shown = instance.json("user", "show", user)
    assert shown["locked"] is False and shown["status"] == "active"
    assert c.signin(user, USER_PASSWORD)[0] == 201
    instance.fails("user", "unlock", user)      # not locked any more
    rows = instance.json("audit", "list", "--type", "user_mailbox",
                         "--action", "other")
    assert any(r["summary"].get("unlocked") is True for r in rows)
