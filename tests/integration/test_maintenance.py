"""Maintenance mode (SPEC S5, P13; docs/maintenance.md): while it is on
the API refuses every change but sign-in, sign-out and the switch itself
with 503 (Retry-After when an end is given), reads still answer,
/healthcheck says so and stays 200, and mail goes on over SMTP, IMAP and
POP3. It is kept in the store, so a running serve sees the CLI's change
at its next request; every flip is audited."""
import datetime
import poplib
import smtplib

from apiclient import Client, USER_PASSWORD, make_person
from conftest import PASSWORD, imap_session, fetch_folder


def iso_in(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def setting_rows(instance):
    """The audit rows of maintenance flips, oldest first."""
    rows = instance.json("audit", "list", "--type", "setting")
    return [r for r in reversed(rows) if "maintenance" in r["summary"]]


def test_cli_on_status_off(instance):
    assert instance.json("maintenance", "status")["on"] is False
    until = iso_in(3600)
    out = instance.run("maintenance", "on", "--message",
                       "Moving to the new database", "--until", until)
    assert until in out.stdout and "mail still flows" in out.stdout
    st = instance.json("maintenance", "status")
    assert st["on"] is True and st["until"] == until
    assert st["message"] == "Moving to the new database"
    assert st["since"] and st["updated_by"].startswith("cli:")
    # A new message keeps when it began.
    instance.run("maintenance", "on", "--message", "Nearly done")
    again = instance.json("maintenance", "status")
    assert again["since"] == st["since"] and again["until"] is None
    # Refused: an end already gone, a message over lines or too long.
    assert "future" in instance.fails("maintenance", "on", "--until",
                                      "2001-01-01")
    assert "one line" in instance.fails("maintenance", "on", "--message",
                                        "a\nb")
    assert "500" in instance.fails("maintenance", "on", "--message",
                                   "x" * 501)
    assert instance.json("maintenance", "status")["message"] == "Nearly done"
    assert "is off" in instance.run("maintenance", "off").stdout
    assert "already off" in instance.run("maintenance", "off").stdout
    assert instance.json("maintenance", "status")["on"] is False
    rows = setting_rows(instance)
    assert [r["summary"]["maintenance"]["on"] for r in rows] == \
        [True, True, False]
    assert rows[0]["summary"]["maintenance"]["message"] == \
        "Moving to the new database"
    assert all(r["actor"].startswith("cli:") for r in rows)


def test_api_refuses_changes_reads_go_on(server, instance, org, ga, la):
    # A Local Admin may read the switch but not flip it (audited refusal).
    off = la.ok("GET", "/settings/maintenance")
    assert off["on"] is False and off["may_set"] is False
    err = la.refused("PUT", "/settings/maintenance", {"message": "no"})
    assert err["code"] == "denied"
    assert ga.ok("GET", "/settings/maintenance")["may_set"] is True
    assert ga.refused("PUT", "/settings/maintenance",
                      {"until": "2001-01-01"}, status=422)["field"] == "until"
    assert ga.refused("PUT", "/settings/maintenance",
                      {"until": "soon"}, status=422)["field"] == "until"

    until = iso_in(1800)
    on = ga.ok("PUT", "/settings/maintenance",
               {"message": "Upgrading the store", "until": until})
    assert on["on"] is True and on["until"] == until
    assert on["message"] == "Upgrading the store"
    assert on["updated_by"] == instance.addr("admin")

    # Changes are refused with 503, Retry-After and the switch.
    for client, method, path, body in (
            (ga, "POST", "/orgs", {"ods": "X26009", "name": "New Practice",
                                   "type": "GP Practice"}),
            (la, "PATCH", "/me", {"mobile": "07700 900123"}),
            (ga, "PUT", "/settings/change-freeze",
             {"on": True, "reason": "x"})):
        status, reply = client.call(method, path, body)
        assert status == 503, (path, reply)
        assert reply["error"]["code"] == "maintenance"
        assert "Upgrading the store" in reply["error"]["message"]
        assert until in reply["error"]["message"]
        assert reply["maintenance"]["until"] == until
        retry = int(client.last.getheader("Retry-After"))
        assert 1700 <= retry <= 1800, retry
    assert "X26009" not in instance.run("org", "list").stdout

    # Reads still answer.
    assert la.ok("GET", "/me")["address"] == la.address
    assert ga.ok("GET", "/orgs")["items"]
    status, health = server.get("/healthcheck")
    assert status == 200 and health["status"] == "ok"
    assert health["maintenance"] == {"on": True, "until": until}

    # Signing in and out still work (a temporary password cannot be
    # changed until it ends: that is a change too).
    bob = make_person(instance, org, "Bob", "Reader")
    c = Client(server)
    status, body = c.signin(bob, USER_PASSWORD)
    assert status == 201, body
    status, reply = c.call("POST", "/me/password",
                           {"current": USER_PASSWORD, "new": "x" * 20})
    assert status == 503 and reply["error"]["code"] == "maintenance"
    assert c.call("DELETE", "/session")[0] in (200, 204)
    assert c.call("GET", "/session")[0] == 401

    # The CLI's change is seen by the running server at once.
    instance.run("maintenance", "off")
    ga.ok("PATCH", "/me", {"mobile": "07700 900124"})
    instance.run("maintenance", "on", "--message", "Again")
    status, reply = ga.call("PATCH", "/me", {"mobile": "07700 900125"})
    assert status == 503 and reply["error"]["code"] == "maintenance"
    # No end given: no Retry-After, and none promised in the reply.
    assert ga.last.getheader("Retry-After") is None
    assert reply["maintenance"]["until"] is None

    # The Global Admin turns it off through the API; changes work again.
    assert ga.ok("DELETE", "/settings/maintenance")["on"] is False
    assert ga.ok("DELETE", "/settings/maintenance")["on"] is False
    ga.ok("POST", "/orgs", {"ods": "X26009", "name": "New Practice",
                            "type": "GP Practice"})
    status, health = server.get("/healthcheck")
    assert health["maintenance"] == {"on": False, "until": None}

    rows = setting_rows(instance)
    flips = [(r["actor"].split(":")[0], r["summary"]["maintenance"]["on"])
             for r in rows]
    assert flips == [(instance.addr("admin"), True), ("cli", False),
                     ("cli", True), (instance.addr("admin"), False)]
    denied = instance.json("audit", "list", "--type", "setting")
    assert any(r["result"] != "done" and r["actor"] == la.address
               for r in denied), denied


def test_mail_flows_while_on(server, instance, org, ga):
    ann = make_person(instance, org, "Ann", "Inbox")
    instance.run("user", "passwd", ann, "--stdin", "--permanent",
                 input=PASSWORD + "\n")
    ga.ok("PUT", "/settings/maintenance", {"message": "Portal work"})
    # Inbound SMTP is accepted and delivered.
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.sendmail("x@sender.example", [ann],
                   b"From: <x@sender.example>\r\nSubject: still here\r\n"
                   b"\r\nMail flows in maintenance.\r\n")
    # IMAP reads it, and can change flags (mail is not the API).
    with imap_session(server, ann, PASSWORD) as m:
        got = fetch_folder(m, "INBOX")
        assert len(got) == 1 and b"still here" in got[0][1]
        assert m.select("INBOX")[0] == "OK"
        assert m.store("1", "+FLAGS", "\\Seen")[0] == "OK"
    # POP3 too.
    p = poplib.POP3("127.0.0.1", server.ports["pop3"], timeout=10)
    p.stls(context=server.ssl_context())
    p.user(ann)
    p.pass_(PASSWORD)
    assert p.stat()[0] == 1
    p.quit()
    assert instance.json("maintenance", "status")["on"] is True


def test_tokens_read_it_and_are_refused_changes(server, instance, org, ga):
    made = ga.ok("POST", "/tokens", {
        "label": "hr-sync", "org": org, "expires_days": 30,
        "actions": ["user.read", "user.create"]}, status=201)
    app = Client(server)
    app.bearer = made["token"]
    ga.ok("PUT", "/settings/maintenance", {"message": "Upgrade"})
    got = app.ok("GET", "/settings/maintenance")
    assert got["on"] is True and got["may_set"] is False
    # Never a token's to flip (maintenance.manage is never given)...
    assert app.refused("DELETE", "/settings/maintenance")["code"] == \
        "denied"
    assert "maintenance.manage" not in ga.ok("GET", "/me")["token_actions"]
    # ...and its changes wait like anyone's, its reads do not.
    status, reply = app.call("POST", "/users", {
        "org": org, "first_name": "Pat", "last_name": "Sync"})
    assert status == 503 and reply["error"]["code"] == "maintenance"
    assert app.ok("GET", f"/users?org={org}")["items"] == []
    assert instance.json("maintenance", "status")["on"] is True
