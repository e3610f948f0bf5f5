"""Sending limits (SPEC M7, issue 12 item 6) over real SMTP submission:
a person who has not accepted the Acceptable Use Policy and set security
questions can send to no one, and gets a report saying "The limit is 0"
and what to do; once ready (through the API, as in the portal) the same
message goes. Per-message and per-day recipient limits, an org's own
limits, and the org's mail policy in the API and the CLI (issue 12 item
5: the DLP tier actions per org, set only by the Global Administrator)."""
import sqlite3
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from apiclient import (USER_PASSWORD, global_admin, make_admin,
                       make_person, ready, ready_to_send)
from conftest import read_folder, submit

OUTSIDE = "pat@mail.example"
NUMBER = "999 149 6327"          # valid, in the 999 test range


def limited(start_server, *settings):
    """A server with the sending limits on (the fixture turns them off)."""
    return start_server(extra=["mail.send_limits=true", *settings])


def person(instance, org, first, last):
    address = make_person(instance, org, first, last)
    instance.setup("user", "passwd", address, "--stdin", "--permanent",
                   input=USER_PASSWORD + "\n")
    return address


@pytest.fixture
def ann(instance, org):
    return person(instance, org, "Ann", "Sender")


@pytest.fixture
def bob(instance, org):
    return person(instance, org, "Bob", "Reader")


def message(sender, rcpts, body="Clinic moved to Tuesday.",
            subject="Clinic"):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(rcpts)
    msg["Subject"] = subject
    msg.set_content(body)
    return msg.as_bytes(policy=SMTP)


def send(server, sender, rcpts, **kw):
    return submit(server, sender, USER_PASSWORD, sender, rcpts,
                  message(sender, rcpts, **kw))


def stopped_all(reply, n):
    code, text = reply
    assert code == 250, text
    assert f"not sent to {n} recipient".encode() in text, text
    assert b"too many recipients" in text, text


def went(reply):
    code, text = reply
    assert code == 250 and b"not sent to" not in text, text


def inbox(server, address):
    return read_folder(server, address, USER_PASSWORD)


def reports(server, address):
    return [m for m in inbox(server, address)
            if m.get_content_type() == "multipart/report"]


def human_part(report):
    return next(p for p in report.walk()
                if p.get_content_type() == "text/plain").get_content()


def queued(instance):
    return sorted(r["recipient"] for r in instance.json("queue", "list"))


def limit_rows(instance):
    return [r for r in instance.json("audit", "list", "--type", "message")
            if r["summary"]["event"].startswith("limit_")]


def counts(instance):
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        return db.execute("SELECT person_id, day, recipients"
                          " FROM send_counts").fetchall()
    finally:
        db.close()


def test_limit_zero_until_aup_and_questions(start_server, instance, ann,
                                            bob):
    server = limited(start_server)
    stopped_all(send(server, ann, [bob, OUTSIDE]), 2)
    # Nothing delivered or queued, local recipients included.
    assert [m for m in inbox(server, bob)] == []
    assert queued(instance) == []
    [report] = reports(server, ann)
    words = human_part(report)
    assert "The limit is 0" in words, words
    assert "accept the Acceptable Use Policy and set your security " \
        "questions" in words, words
    assert "My account" in words, words
    assert bob in words and OUTSIDE in words
    [row] = limit_rows(instance)
    assert row["result"] == "denied"
    assert row["summary"]["event"] == "limit_zero"
    assert row["summary"]["decision"] == "refuse"
    assert row["summary"]["recipients"] == 2
    assert counts(instance) == []

    # Ready as in the portal's My account: the same message goes.
    client = ready_to_send(server, ann)
    went(send(server, ann, [bob, OUTSIDE]))
    assert [m["Subject"] for m in inbox(server, bob)] == ["Clinic"]
    assert queued(instance) == [OUTSIDE]
    assert len(reports(server, ann)) == 1
    [(_, _, n)] = counts(instance)
    assert n == 2
    assert client.ok("GET", "/me")["security_questions"]


def test_the_aup_alone_is_named_when_questions_are_set(start_server,
                                                       instance, ann, bob):
    server = limited(start_server, "auth.aup_version=1")
    ready_to_send(server, ann)
    server.stop()
    # A new AUP version: the person must accept it again.
    server = limited(start_server, "auth.aup_version=2")
    stopped_all(send(server, ann, [bob]), 1)
    words = human_part(reports(server, ann)[0])
    assert "The limit is 0" in words
    assert "once you accept the Acceptable Use Policy:" in words, words
    # Accepting the new version is enough: the questions are still set.
    ready(server, ann, USER_PASSWORD).ok("POST", "/me/aup",
                                         {"accepted": True})
    went(send(server, ann, [bob]))


def test_per_message_limit(start_server, instance, ann, bob):
    server = limited(start_server, "mail.send_limit_message=2")
    ready_to_send(server, ann)
    carl = person(instance, "X26001", "Carl", "Third")
    stopped_all(send(server, ann, [bob, carl, OUTSIDE]), 3)
    assert inbox(server, bob) == [] and queued(instance) == []
    words = human_part(reports(server, ann)[0])
    assert "The limit is 2" in words and "has 3 recipients" in words, words
    assert limit_rows(instance)[0]["summary"]["event"] == "limit_message"
    went(send(server, ann, [bob, OUTSIDE]))
    assert len(inbox(server, bob)) == 1 and queued(instance) == [OUTSIDE]


def test_per_day_limit_across_messages(start_server, instance, ann, bob):
    server = limited(start_server, "mail.send_limit_day=3")
    ready_to_send(server, ann)
    went(send(server, ann, [bob, OUTSIDE]))
    stopped_all(send(server, ann, [bob, OUTSIDE], subject="Second"), 2)
    words = human_part(reports(server, ann)[0])
    assert "The limit is 3 recipients a day" in words, words
    assert "you have sent to 2 today" in words, words
    assert limit_rows(instance)[0]["summary"]["event"] == "limit_day"
    # A refused message is not counted: one more recipient still fits.
    went(send(server, ann, [bob], subject="Third"))
    assert [m["Subject"] for m in inbox(server, bob)
            if m.get_content_type() != "multipart/report"] == \
        ["Clinic", "Third"]
    [(_, _, n)] = counts(instance)
    assert n == 3


def test_org_limit_set_by_the_ga_applies(start_server, instance, org, ann,
                                         bob):
    server = limited(start_server)
    ga = global_admin(server, instance)
    ready_to_send(server, ann)
    got = ga.ok("PUT", f"/orgs/{org}/mail-policy",
                {"send_limit_message": 1})
    assert got["send_limit_message"] == {"value": 1, "overridden": True}
    assert got["send_limit_day"] == {"value": 10000, "overridden": False}
    stopped_all(send(server, ann, [bob, OUTSIDE]), 2)
    assert "The limit is 1" in human_part(reports(server, ann)[0])
    # Back to the service's setting, with the CLI this time.
    out = instance.json("org", "policy", org, "--send-limit-message",
                        "default")
    assert out["send_limit_message"] == {"value": 500, "overridden": False}
    went(send(server, ann, [bob, OUTSIDE]))
