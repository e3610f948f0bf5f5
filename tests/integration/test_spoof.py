"""Anti-spoofing on arrival (SPEC M9, SECURITY.md 10, 12): mail from the
internet whose envelope sender or From is in a hosted domain (or under
one) is tagged with the banner, filed in Junk E-mail or refused, by
mail.spoof_mode; from mail.trusted_networks, signed in, or not claiming a
hosted domain it is delivered as it is. Each hit is in the audit. Read
back over real IMAP, parsed with Python's email package."""

import smtplib
from email import policy
from email.message import EmailMessage

import pytest

from apiclient import USER_PASSWORD, make_person
from conftest import DOMAIN, free_port, read_folder, run

BANNER = ("This message was sent from an email address external to "
          "caremail but gives the appearance of being from a caremail "
          "address.")


def forged(sender, text="Please pay invoice 4471 today.", html=True):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "someone"
    msg["Subject"] = "Invoice"
    msg["Message-ID"] = "<forged@elsewhere.example>"
    msg.set_content(text)
    if html:
        msg.add_alternative(f"<html><body><p>{text}</p></body></html>",
                            subtype="html")
    return msg


def mx_send(server, rcpt, msg, mail_from):
    """(code, text) of the reply to DATA, over the MX listener."""
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.ehlo("mail.elsewhere.example")
        s.mail(mail_from)
        assert s.rcpt(rcpt)[0] == 250
        return s.data(msg.as_bytes(policy=policy.SMTP).replace(b"To: someone",
                                             f"To: {rcpt}".encode()))


def folder(server, instance, address, password, name):
    return read_folder(server, address, password, name)


def texts(msg):
    return {p.get_content_type(): p.get_content() for p in msg.walk()
            if p.get_content_maintype() == "text"}


@pytest.fixture
def ann(instance, org):
    """A person with a permanent password, to read over IMAP."""
    address = make_person(instance, org, "Ann", "Reader")
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=USER_PASSWORD + "\n")
    return address


def audit(instance):
    return instance.json("audit", "list", "--type", "message")


@pytest.mark.parametrize("claim", ["from", "envelope", "subdomain"])
def test_default_mode_files_forgery_in_junk(start_server, instance, ann,
                                            claim):
    server = start_server()
    sender = {"from": f"ceo@{DOMAIN}", "envelope": "ceo@elsewhere.example",
              "subdomain": f"ceo@mail.{DOMAIN}"}[claim]
    envelope = f"ceo@{DOMAIN}" if claim == "envelope" else \
        "bounces@elsewhere.example"
    code, text = mx_send(server, ann, forged(sender), envelope)
    assert code == 250, text
    junk = folder(server, instance, ann, USER_PASSWORD, "Junk E-mail")
    assert [m["Message-ID"] for m in junk] == ["<forged@elsewhere.example>"]
    assert folder(server, instance, ann, USER_PASSWORD, "INBOX") == []
    # Filed as it came: no banner in junk mode.
    assert BANNER not in str(texts(junk[0]))
    rows = audit(instance)
    assert len(rows) == 1
    summary = rows[0]["summary"]
    assert summary["event"] == "spoof" and summary["decision"] == "junk"
    assert summary["claimed"] == DOMAIN
    assert summary["peer"] == "127.0.0.1"


def test_tag_mode_puts_the_banner_in_every_text(start_server, instance, ann):
    server = start_server(extra=["mail.spoof_mode=tag"])
    assert mx_send(server, ann, forged(f"ceo@{DOMAIN}"),
                   "x@elsewhere.example")[0] == 250
    inbox = folder(server, instance, ann, USER_PASSWORD, "INBOX")
    assert len(inbox) == 1
    parts = texts(inbox[0])
    assert set(parts) == {"text/plain", "text/html"}
    for kind, text in parts.items():
        assert BANNER in " ".join(text.split()), kind
        # The banner first, the sender's words after it.
        assert text.index("---") < text.index("invoice 4471"), kind
    assert parts["text/html"].index("<body>") < parts["text/html"].index(
        "--- This message")
    assert audit(instance)[0]["summary"]["decision"] == "tag"


def test_reject_mode_refuses_at_data(start_server, instance, ann):
    server = start_server(extra=["mail.spoof_mode=reject"])
    code, text = mx_send(server, ann, forged(f"ceo@{DOMAIN}"),
                         "x@elsewhere.example")
    assert code == 550 and text.startswith(b"5.7.1")
    assert b"claims to be from " + DOMAIN.encode() in text
    assert b"likely forgery" in text
    assert folder(server, instance, ann, USER_PASSWORD, "INBOX") == []
    rows = audit(instance)
    assert rows[0]["summary"]["decision"] == "refuse"
    assert rows[0]["result"] == "denied"


def test_trusted_network_delivered_as_it_is(start_server, instance, ann):
    """From mail.trusted_networks a hosted sender is delivered to the
    inbox untouched, and nothing goes to the audit."""
    server = start_server(extra=["mail.spoof_mode=reject",
                                 "mail.trusted_networks=10.0.0.0/8, "
                                 "127.0.0.0/8"])
    assert mx_send(server, ann, forged(f"ceo@{DOMAIN}"),
                   f"ceo@{DOMAIN}")[0] == 250
    inbox = folder(server, instance, ann, USER_PASSWORD, "INBOX")
    assert len(inbox) == 1 and BANNER not in str(texts(inbox[0]))
    assert audit(instance) == []


def test_lookalikes_are_not_claims(start_server, instance, ann):
    """SECURITY.md 14's rule: equal or under, never a bare suffix."""
    server = start_server(extra=["mail.spoof_mode=reject"])
    for sender in (f"ceo@evil{DOMAIN}", f"ceo@{DOMAIN}.evil.example"):
        assert mx_send(server, ann, forged(sender),
                       "x@elsewhere.example")[0] == 250
    inbox = folder(server, instance, ann, USER_PASSWORD, "INBOX")
    assert len(inbox) == 2
    assert audit(instance) == []


def test_bad_trusted_network_stops_serve(instance):
    off = [a for name in ("http", "submission", "submissions", "relay",
                          "pop3", "pop3s", "imap", "imaps")
           for a in ("--set", f"{name}.listen=off")]
    proc = run("serve", "--dir", instance.dir, "--set",
               "mail.trusted_networks=10.0.0.0/8, 10.0.0.300/8",
               "--set", f"smtp.listen=127.0.0.1:{free_port()}", *off,
               check=False)
    assert proc.returncode != 0
    assert "mail.trusted_networks: '10.0.0.300/8' is not an IP address" \
        in proc.stderr
