"""Relay for organisations' applications (SPEC M3, seed 004; SECURITY.md
8, 9): an org's registered application servers send from the org's
addresses on the relay listener without signing in; applications may
instead sign in to submission with an API token granted mail.send.
Anything else is refused, whatever HELO or MAIL FROM say."""
import smtplib
import socket

import pytest

from apiclient import global_admin, make_admin
from test_smtp import inbox, message, person, tls_context

OURS, OTHER = "X26001", "X26002"
REMOTE = "someone@partner.example"


@pytest.fixture
def orgs(instance):
    for ods, name in ((OURS, "Riverside Practice"),
                      (OTHER, "Hillside Practice")):
        instance.run("org", "add", "--ods", ods, "--name", name,
                     "--type", "GP Practice")
    return OURS, OTHER


def relay_session(server, instance, tls=True):
    s = smtplib.SMTP("127.0.0.1", server.ports["relay"], timeout=10)
    s.ehlo("app.example")
    if tls:
        s.starttls(context=tls_context(instance))
        s.ehlo("app.example")
    return s


def queued(instance):
    return [(m["sender"], m["recipient"])
            for m in instance.json("queue", "list")]


def test_unregistered_address_is_turned_away_at_the_greeting(
        server, instance, orgs):
    # Loopback is not trusted (SECURITY.md 8): until it is registered.
    sock = socket.create_connection(("127.0.0.1", server.ports["relay"]),
                                    timeout=10)
    greeting = sock.recv(1024).decode()
    sock.close()
    assert greeting.startswith("554 5.7.1 "), greeting
    assert "127.0.0.1 is not registered" in greeting
    assert "caremail relay add" in greeting


def test_registered_server_relays_only_from_its_orgs_addresses(
        server, instance, orgs):
    ours = person(instance, OURS, "Ann", "Ours")
    theirs = person(instance, OTHER, "Tom", "Theirs")
    local = person(instance, OTHER, "Liz", "Local")
    added = instance.json("relay", "add", "--org", OURS, "--cidr",
                          "127.0.0.1", "--label", "payroll")
    assert added["org"] == OURS and added["cidr"] == "127.0.0.1"

    # STARTTLS first (relay.require_tls).
    s = relay_session(server, instance, tls=False)
    code, text = s.docmd("MAIL", f"FROM:<{ours}>")
    assert code == 530 and b"STARTTLS" in text
    s.quit()

    s = relay_session(server, instance)
    assert "auth" not in s.esmtp_features
    # The org's address: to the internet (queued) and to a local mailbox.
    s.sendmail(ours, [REMOTE, local], message(ours, REMOTE))
    assert (ours, REMOTE) in queued(instance)
    assert len(inbox(instance, local)) == 1
    # Another org's address, an unknown one, the null path: refused at
    # MAIL, whatever the HELO said; nothing more is queued.
    for sender in (theirs, "nobody@" + ours.split("@")[1],
                   "boss@partner.example", ""):
        code, text = s.docmd("MAIL", f"FROM:<{sender}>")
        assert code == 553 and b"5.7.1" in text, (sender, code, text)
        s.rset()
    # The envelope passes but the From header is another org's.
    s.mail(ours)
    s.rcpt(REMOTE)
    code, text = s.data(message(theirs, REMOTE))
    assert code == 550 and b"From header" in text, text
    s.quit()
    assert len(queued(instance)) == 1

    # Removed: turned away again at once.
    instance.run("relay", "remove", "--id", str(added["id"]))
    sock = socket.create_connection(("127.0.0.1", server.ports["relay"]),
                                    timeout=10)
    assert sock.recv(1024).startswith(b"554 5.7.1")
    sock.close()


@pytest.mark.parametrize("cidr,why", [
    ("not an address", "is not an IP address"),
    ("10.0.0.0/16", "wider than /24"),
    ("10.0.0.7/24", "bits set past its prefix"),
    ("2001:db8::/64", "wider than /120"),
])
def test_bad_blocks_are_refused_and_nothing_is_kept(instance, orgs, cidr,
                                                     why):
    proc = instance.run("relay", "add", "--org", OURS, "--cidr", cidr,
                        "--label", "x", check=False)
    assert proc.returncode != 0 and why in proc.stderr, proc.stderr
    assert instance.json("relay", "list") == []


def test_blocks_of_two_orgs_never_overlap(instance, orgs):
    instance.run("relay", "add", "--org", OURS, "--cidr", "192.0.2.0/28",
                 "--label", "payroll")
    proc = instance.run("relay", "add", "--org", OTHER, "--cidr",
                        "192.0.2.8", "--label", "hr", check=False)
    assert proc.returncode != 0
    assert f"registered for {OURS} (payroll)" in proc.stderr
    assert [r["org"] for r in instance.json("relay", "list")] == [OURS]


def test_api_registers_scoped_and_audited(server, instance, orgs):
    ga = global_admin(server, instance)
    pla = make_admin(server, instance, OURS, role="primary_local_admin")
    la = make_admin(server, instance, OURS, first="Lou")
    made = pla.ok("POST", f"/orgs/{OURS}/relays",
                  {"cidr": "198.51.100.7", "label": "rota system"})
    assert made["label"] == "rota system"
    assert [r["cidr"] for r in la.ok("GET", f"/orgs/{OURS}/relays")
            ["items"]] == ["198.51.100.7"]
    # A Local Admin reads but may not register; a PLA not in another org.
    status, body = la.call("POST", f"/orgs/{OURS}/relays",
                           {"cidr": "198.51.100.8", "label": "x"})
    assert status == 403 and "relay.manage" in body["error"]["message"], body
    status, body = pla.call("POST", f"/orgs/{OTHER}/relays",
                            {"cidr": "198.51.100.9", "label": "x"})
    assert status == 403, body
    # Another org's path cannot reach this registration.
    status, _ = ga.call("DELETE", f"/orgs/{OTHER}/relays/{made['id']}")
    assert status == 404
    pla.ok("DELETE", f"/orgs/{OURS}/relays/{made['id']}")
    assert ga.ok("GET", f"/orgs/{OURS}/relays")["items"] == []
    rows = ga.ok("GET", f"/audit?org={OURS}")["items"]
    kinds = [(r["action"], r["object_type"]) for r in rows
             if r["object_type"] == "relay_host"]
    assert ("create", "relay_host") in kinds
    assert ("delete", "relay_host") in kinds


def make_token(client, org, actions, label="payroll", allow_from=None):
    body = {"label": label, "org": org, "actions": actions,
            "expires_days": 30}
    if allow_from is not None:
        body["allow_from"] = allow_from
    return client.ok("POST", "/tokens", body)


def token_session(server, instance):
    s = smtplib.SMTP("127.0.0.1", server.ports["submission"], timeout=10)
    s.ehlo("app.example")
    s.starttls(context=tls_context(instance))
    s.ehlo("app.example")
    return s


def test_application_signs_in_to_submission_with_a_token(
        server, instance, orgs):
    ours = person(instance, OURS, "Ann", "Ours")
    theirs = person(instance, OTHER, "Tom", "Theirs")
    ga = global_admin(server, instance)
    good = make_token(ga, OURS, ["mail.send"])
    reader = make_token(ga, OURS, ["user.read"], label="reader")
    elsewhere = make_token(ga, OURS, ["mail.send"], label="elsewhere",
                           allow_from=["192.0.2.0/24"])

    s = token_session(server, instance)
    s.login("payroll", good["token"])
    s.sendmail(ours, [REMOTE], message(ours, REMOTE))
    assert (ours, REMOTE) in queued(instance)
    code, text = s.docmd("MAIL", f"FROM:<{theirs}>")
    assert code == 553 and b"token:payroll" in text, text
    s.quit()

    # Each refusal is the same 535: a token under another name, one not
    # granted mail.send, one used from outside its allow-list, a revoked
    # one, and a person's address with the token as a password.
    refusals = [("reader", good["token"]), ("reader", reader["token"]),
                ("elsewhere", elsewhere["token"]), (ours, good["token"])]
    ga.ok("DELETE", f"/tokens/{good['id']}")
    refusals.append(("payroll", good["token"]))
    for user, secret in refusals:
        s = token_session(server, instance)
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login(user, secret)
        assert e.value.smtp_code == 535, (user, e.value)
        s.close()
    assert len(queued(instance)) == 1


def test_token_labels_cannot_hold_an_at_sign(server, instance, orgs):
    ga = global_admin(server, instance)
    status, body = ga.call("POST", "/tokens", {
        "label": "app@example", "org": OURS, "actions": ["mail.send"],
        "expires_days": 30})
    assert status == 422 and body["error"]["field"] == "label", body


def test_the_relay_listener_never_offers_auth(server, instance, orgs):
    instance.run("relay", "add", "--org", OURS, "--cidr", "127.0.0.1",
                 "--label", "payroll")
    s = relay_session(server, instance)
    code, text = s.docmd("AUTH", "PLAIN AHBheXJvbGwAeA==")
    assert code == 503 and b"submission" in text
    s.quit()
