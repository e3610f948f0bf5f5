"""API tokens for application accounts (SPEC P16, seed 004): made by an
admin for an org in their scope, shown once, stored hashed, listed without
the secret, revoked; bearer authentication with no cookie or CSRF, refused
when expired, revoked or from outside the allow-list (401), out of scope
or for an action not granted (403), and rate limited on failure (429)."""

import hashlib
import json
import re
import sqlite3
import time

import pytest

from apiclient import Client, global_admin, make_admin


@pytest.fixture
def orgs(instance, org):
    """X26001 with a child X26002, and an unrelated Y26001."""
    instance.run("org", "add", "--ods", "X26002", "--name", "Branch Surgery",
                 "--type", "GP Practice", "--parent", "X26001")
    instance.run("org", "add", "--ods", "Y26001", "--name", "Elsewhere",
                 "--type", "GP Practice")
    return org


def new_token(admin, **fields):
    body = {"label": "payroll-sync", "org": "X26001",
            "actions": ["user.read", "org.read"], "expires_days": 30}
    body.update(fields)
    return admin.ok("POST", "/tokens", body, status=201)


def bearer(server, token):
    c = Client(server)
    c.bearer = token
    return c


def test_create_list_and_use(server, instance, orgs):
    admin = global_admin(server, instance)
    made = new_token(admin, allow_from=["127.0.0.1", "::1"])
    token = made["token"]
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert made["label"] == "payroll-sync" and made["org"] == "X26001"
    assert made["actions"] == ["org.read", "user.read"]
    assert made["allow_from"] == ["127.0.0.1", "::1"]
    assert made["status"] == "active" and made["revoked_at"] is None
    assert made["created_by"] == instance.addr("admin")
    # Listed, never with the secret or its hash.
    listed = admin.ok("GET", "/tokens")
    assert [t["id"] for t in listed["items"]] == [made["id"]]
    text = json.dumps(listed)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert token not in text and digest not in text
    assert "token" not in listed["items"][0]
    assert admin.ok("GET", "/tokens?org=X26001")["items"] == listed["items"]
    assert admin.ok("GET", "/tokens?org=Y26001")["items"] == []
    # Stored as its SHA-256 only.
    db = sqlite3.connect(instance.dir / "caremail.db")
    rows = db.execute("SELECT token_hash FROM api_tokens").fetchall()
    db.close()
    assert rows == [(digest,)]
    assert token.encode() not in (instance.dir / "caremail.db").read_bytes()
    # The application authenticates with it: no cookie, no CSRF.
    app = bearer(server, token)
    me = app.ok("GET", "/token")
    assert me["label"] == "payroll-sync" and me["last_used_at"] is not None
    assert "token" not in me
    # Audited without the secret; never in the logs.
    rows = instance.json("audit", "list", "--type", "api_token")
    assert rows and rows[0]["action"] == "create"
    assert token not in json.dumps(rows)
    assert token not in server.logs()
    assert "token_id=%d" % made["id"] in server.logs()


def test_person_routes_refuse_tokens(server, instance, orgs):
    admin = global_admin(server, instance)
    app = bearer(server, new_token(admin)["token"])
    for method, path in (("GET", "/me"), ("GET", "/session"),
                         ("GET", "/tokens"), ("POST", "/me/aup"),
                         ("DELETE", "/tokens/1"),
                         ("GET", "/me/security-questions/choices"),
                         ("POST", "/mailtips")):
        status, body = app.call(method, path,
                                {} if method != "GET" else None)
        assert status == 403, (method, path, body)
        assert "token" in body["error"]["message"]
    # A token cannot make another, nor is a session a token.
    status, _ = app.call("POST", "/tokens", {"label": "x", "org": "X26001",
                                             "actions": ["user.read"],
                                             "expires_days": 1})
    assert status == 403
    assert admin.call("GET", "/token")[0] == 403


def test_create_refusals(server, instance, orgs):
    admin = global_admin(server, instance)
    new_token(admin)
    cases = [
        ({"label": ""}, 422, "label"),
        ({"label": "a,b"}, 422, "label"),
        ({"actions": []}, 422, "actions"),
        ({"actions": ["user.fly"]}, 422, "actions"),
        ({"actions": ["token.manage"]}, 422, "actions"),
        ({"actions": "user.read"}, 422, "actions"),
        ({"expires_days": 0}, 422, "expires_at"),     # neither given
        ({"expires_days": -1}, 422, "expires_days"),
        ({"expires_days": 366}, 422, "expires_days"),
        ({"expires_at": "2001-01-01", "expires_days": None}, 422,
         "expires_at"),
        ({"expires_at": "2030-01-01"}, 422, "expires_at"),   # both given
        ({"expires_at": "soon", "expires_days": None}, 422, "expires_at"),
        ({"allow_from": ["10.0.0.0/33"]}, 422, "allow_from"),
        ({"allow_from": ["example.org"]}, 422, "allow_from"),
        ({"label": "payroll-sync"}, 409, "label"),
        ({"org": "NOPE1"}, 404, "org"),
        ({"secret": "x"}, 422, "secret"),
    ]
    for change, status, field in cases:
        body = {"label": "second", "org": "X26001",
                "actions": ["user.read"], "expires_days": 30}
        body.update(change)
        body = {k: v for k, v in body.items() if v is not None}
        err = admin.refused("POST", "/tokens", body, status)
        assert err["field"] == field, (change, err)
    assert len(admin.ok("GET", "/tokens")["items"]) == 1
    assert Client(server).call("POST", "/tokens", {})[0] == 401
    assert admin.call("POST", "/tokens", {"label": "x"}, csrf=False)[0] \
        == 403


def test_expires_at_as_a_date(server, instance, orgs):
    admin = global_admin(server, instance)
    made = admin.ok("POST", "/tokens", {
        "label": "dated", "org": "X26001", "actions": ["user.read"],
        "expires_at": "2099-01-01"}, status=(201, 422))
    # Far past tokens.max_days from now: refused with the limit named.
    assert "error" in made and "365" in made["error"]["message"]


def test_who_may_make_tokens(server, instance, orgs):
    pla = make_admin(server, instance, "X26001", role="primary_local_admin")
    la = make_admin(server, instance, "X26001", role="local_admin",
                    first="Lou", last="Local")
    # A Primary Local Admin makes tokens for their org and its children...
    made = new_token(pla, org="X26002", actions=["user.read"])
    assert made["org"] == "X26002"
    # ...but not elsewhere, nor with rights they lack themselves.
    err = pla.refused("POST", "/tokens", {
        "label": "x", "org": "Y26001", "actions": ["user.read"],
        "expires_days": 1})
    assert "organisation" in err["message"]
    err = pla.refused("POST", "/tokens", {
        "label": "x", "org": "X26001", "actions": ["user.restore"],
        "expires_days": 1})
    assert err["field"] == "actions" and "user.restore" in err["message"]
    # A Local Administrator cannot manage tokens at all.
    err = la.refused("POST", "/tokens", {
        "label": "x", "org": "X26001", "actions": ["user.read"],
        "expires_days": 1})
    assert "token.manage" in err["message"]
    la.refused("GET", "/tokens?org=X26001")
    # Lists are confined to the caller's scope.
    admin = global_admin(server, instance)
    other = new_token(admin, org="Y26001", label="elsewhere")
    ids = [t["id"] for t in pla.ok("GET", "/tokens")["items"]]
    assert ids == [made["id"]]
    pla.refused("GET", "/tokens?org=Y26001")
    pla.refused("DELETE", "/tokens/%d" % other["id"])
    assert bearer(server, other["token"]).call("GET", "/token")[0] == 200


def test_revoke(server, instance, orgs):
    admin = global_admin(server, instance)
    made = new_token(admin)
    app = bearer(server, made["token"])
    assert app.call("GET", "/token")[0] == 200
    got = admin.ok("DELETE", "/tokens/%d" % made["id"])
    assert got["status"] == "revoked" and got["revoked_at"] is not None
    status, body = app.call("GET", "/token")
    assert status == 401 and "revoked" in body["error"]["message"]
    err = admin.refused("DELETE", "/tokens/%d" % made["id"], status=422)
    assert "revoked already" in err["message"]
    admin.refused("DELETE", "/tokens/99999", status=404)
    admin.refused("DELETE", "/tokens/abc", status=404)
    listed = admin.ok("GET", "/tokens")["items"]
    assert listed[0]["status"] == "revoked"
    rows = instance.json("audit", "list", "--type", "api_token",
                         "--action", "delete")
    assert rows and rows[0]["summary"]["revoked"] is True


def test_unknown_and_malformed_tokens(server, instance, orgs):
    for token in ("0" * 64, "short", "x" * 64):
        status, body = bearer(server, token).call("GET", "/token")
        assert status == 401, token
        assert "not one this service issued" in body["error"]["message"]
    c = Client(server)
    status, _ = c.call("GET", "/token", headers={"Authorization": "Basic x"})
    assert status == 401


def test_allow_list(server, instance, orgs):
    admin = global_admin(server, instance)
    far = new_token(admin, label="far", allow_from=["10.1.2.0/24",
                                                    "2001:db8::/32"])
    status, body = bearer(server, far["token"]).call("GET", "/token")
    assert status == 401
    assert "cannot be used from 127.0.0.1" in body["error"]["message"]
    near = new_token(admin, label="near", allow_from=["127.0.0.0/8"])
    assert bearer(server, near["token"]).call("GET", "/token")[0] == 200


def test_expired(start_server, instance, orgs, monkeypatch):
    server = start_server()
    admin = global_admin(server, instance)
    made = new_token(admin, expires_days=1)
    assert bearer(server, made["token"]).call("GET", "/token")[0] == 200
    server.proc.terminate()
    assert server.proc.wait(timeout=10) == 0
    # A day on, by the server's clock.
    monkeypatch.setenv("CAREMAIL_NOW", str(int(time.time()) + 86400 + 5))
    later = start_server()
    status, body = bearer(later, made["token"]).call("GET", "/token")
    assert status == 401 and "expired" in body["error"]["message"]


def test_token_failures_are_rate_limited(start_server, instance, orgs):
    server = start_server(extra=["ratelimit.token_failures_per_ip=3"])
    admin = global_admin(server, instance)
    good = new_token(admin)["token"]
    for _ in range(3):
        assert bearer(server, "0" * 64).call("GET", "/token")[0] == 401
    app = bearer(server, good)
    status, body = app.call("GET", "/token")
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert int(app.last.getheader("Retry-After")) >= 1
    # Successes were never counted: before the failures it worked.
    assert admin.ok("GET", "/tokens")["items"]


def test_scope_and_actions_on_org_routes(server, instance, orgs):
    admin = global_admin(server, instance)
    reader = bearer(server, new_token(admin)["token"])
    # In scope: the org and its child; out of scope: another org.
    assert reader.call("GET", "/orgs/X26001")[0] == 200
    assert reader.call("GET", "/orgs/X26002")[0] == 200
    status, body = reader.call("GET", "/orgs/Y26001")
    assert status == 403 and "scope" in body["error"]["message"]
    # An action not granted.
    status, body = reader.call("PATCH", "/orgs/X26001",
                               {"description": "by token"})
    assert status == 403 and "org.edit" in body["error"]["message"]
    # Granted: a change with no CSRF token, audited as the token.
    editor = bearer(server, new_token(admin, label="editor",
                                      actions=["org.edit"])["token"])
    status, body = editor.call("PATCH", "/orgs/X26001",
                               {"description": "by token"})
    assert status == 200, body
    rows = instance.json("audit", "list", "--type", "organisation")
    assert any(r["actor"] == "token:editor" for r in rows)


def test_scope_wide_listings_by_token(server, instance, orgs):
    """Listings that span a scope (users, orgs, audit, devices report)
    take the token's org and the orgs below it, and nothing else."""
    admin = global_admin(server, instance)
    instance.run("user", "add", "--org", "X26002", "--first", "Bea",
                 "--last", "Branch")
    instance.run("user", "add", "--org", "Y26001", "--first", "Eli",
                 "--last", "Elsewhere")
    app = bearer(server, new_token(
        admin, label="reports",
        actions=["user.read", "org.read", "audit.read",
                 "report.read"])["token"])
    users = app.ok("GET", "/users")["items"]
    addresses = {u["address"] for u in users}
    assert instance.addr("bea.branch") in addresses
    assert instance.addr("eli.elsewhere") not in addresses
    assert {o["ods"] for o in app.ok("GET", "/orgs")["items"]} == \
        {"X26001", "X26002"}
    rows = app.ok("GET", "/audit")["items"]
    assert rows and all(r["org"] in ("X26001", "X26002") for r in rows)
    assert app.call("GET", "/reports/devices")[0] == 200
    # Without the action, a listing is refused like any other call.
    narrow = bearer(server, new_token(admin, label="narrow",
                                      actions=["org.read"])["token"])
    status, body = narrow.call("GET", "/users")
    assert status == 403 and "user.read" in body["error"]["message"]


def test_tokens_manage_mailboxes_contacts_and_lists_in_scope(
        server, instance, orgs):
    admin = global_admin(server, instance)
    instance.run("shared", "add", "--org", "X26002", "--name", "Branch Desk")
    instance.run("shared", "add", "--org", "Y26001", "--name", "Far Desk")
    instance.run("list", "add", "--org", "X26001", "--name", "Branch Staff")
    app = bearer(server, new_token(
        admin, label="desk-sync",
        actions=["mailbox.manage", "list.manage"])["token"])
    desk = instance.addr("branch.desk")
    shown = app.ok("GET", f"/shared-mailboxes/{desk}")
    assert shown["address"] == desk
    status, body = app.call("GET",
                            f"/shared-mailboxes/{instance.addr('far.desk')}")
    assert status == 403 and "scope" in body["error"]["message"]
    assert app.ok("POST", "/lists/preview",
                  {"org": "X26001", "rule": {"orgs": ["X26001"]}}) \
        ["count"] >= 0
    # A token owns no lists: asking for its own is refused, not empty.
    status, body = app.call("GET", "/lists?owned=true")
    assert status == 422 and body["error"]["field"] == "owned", body
    staff = instance.addr("branch.staff")
    assert app.ok("GET", f"/lists/{staff}")["address"] == staff
    # An action the token was not given is refused before anything is read.
    status, body = app.call("GET", "/contacts?org=X26001")
    assert status == 403 and "contact.manage" in body["error"]["message"]


def test_people_finder_refuses_tokens_before_searching(server, instance,
                                                        orgs):
    admin = global_admin(server, instance)
    app = bearer(server, new_token(admin)["token"])
    for path in ("/people?q=admin", "/people/help"):
        status, body = app.call("GET", path)
        assert status == 403, (path, body)
        # Refused at the door, not after a search: the door's words.
        assert "for people signed in" in body["error"]["message"]


def test_list_paginates(server, instance, orgs):
    admin = global_admin(server, instance)
    made = [new_token(admin, label="app-%d" % i)["id"] for i in range(3)]
    first = admin.ok("GET", "/tokens?limit=2")
    assert [t["id"] for t in first["items"]] == made[:2]
    assert first["next_cursor"] == str(made[1])
    rest = admin.ok("GET", "/tokens?limit=2&cursor=" + first["next_cursor"])
    assert [t["id"] for t in rest["items"]] == made[2:]
    assert rest["next_cursor"] is None
    assert admin.refused("GET", "/tokens?limit=0", status=422)["field"] \
        == "limit"
    assert admin.refused("GET", "/tokens?org=NOPE1", status=404)
