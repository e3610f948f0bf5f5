"""Issue 10 item 3 in a real browser: My account (SPEC P11, A7) — details
and the mobile number, a wrong current password refused, security
questions, the Acceptable Use Policy, devices, and an app password made
and revoked — each state checked by harness.mjs (console, requests, axe
WCAG 2.1 A/AA at 375 and 1280 px). What the page did is then read back
from the CLI and the API, not from the page."""

from apiclient import totp
from test_signin import USER_PASSWORD, make_person

NEW_PASSWORD = "a brand new passphrase of mine"


def test_my_account_end_to_end(web_server, instance, run_scenario,
                               https_client):
    server = web_server()
    person = make_person(instance, "Amy", "Account", mobile="07700 900123")
    c = https_client(server)
    assert c.call("POST", "/session", {"email": person,
                                       "password": USER_PASSWORD})[0] == 201
    secret = c.ok("POST", "/me/mfa")["secret"]
    c.ok("POST", "/me/mfa/verify", {"code": totp(secret)})
    out = run_scenario("account", server, email=person,
                       password=USER_PASSWORD, secret=secret,
                       new_password=NEW_PASSWORD)
    shown = instance.json("user", "show", person)
    assert shown["mobile"] == "07700 900456"
    assert shown["mobile_hidden"] is True
    # The API agrees: questions chosen, policy accepted, no app password left.
    me = c.ok("GET", "/me")
    assert len(me["security_questions"]) == 3
    assert me["aup"]["current_accepted"] is True
    assert c.ok("GET", "/me/app-passwords")["app_passwords"] == []
    assert "APP_PASSWORD=" in out
    # The new password is the one now: it gets as far as asking for the
    # code; the old one is refused as a wrong password.
    status, reply = https_client(server).call(
        "POST", "/session", {"email": person, "password": NEW_PASSWORD})
    assert status == 401 and reply.get("mfa_required") is True, reply
    status, reply = https_client(server).call(
        "POST", "/session", {"email": person, "password": USER_PASSWORD})
    assert status == 401 and not reply.get("mfa_required"), reply
