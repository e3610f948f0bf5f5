"""[secure] in the subject (SPEC M10) to a recipient outside the secure
domains: until the encrypted-message portal exists the message is refused
whole at DATA with a sentence saying why and what to do, never sent in
clear; to a secure domain, or without [secure], it is queued as ever. A
message with no Subject or two fails closed. Each refusal is audited."""

import pytest

from apiclient import USER_PASSWORD, make_person
from conftest import submit


@pytest.fixture
def ann(instance, org):
    address = make_person(instance, org, "Ann", "Sender")
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=USER_PASSWORD + "\n")
    return address


def submit_subjects(server, sender, rcpts, subjects):
    """(code, text) of the reply to DATA over submission."""
    head = "".join(f"Subject: {s}\r\n" for s in subjects)
    msg = (f"From: <{sender}>\r\nTo: <{rcpts[0]}>\r\n{head}"
           "Message-ID: <s@t>\r\n\r\nResults for Mrs A.\r\n").encode()
    return submit(server, sender, USER_PASSWORD, sender, rcpts, msg)


def queued(instance):
    return sorted(r["recipient"] for r in instance.json("queue", "list"))


@pytest.mark.parametrize("subjects", [
    ["[secure] Results"], ["results [SECURE]"], [],
    ["Results", "[secure] Results"]])
def test_refused_whole_not_sent_in_clear(server, instance, ann, subjects):
    code, text = submit_subjects(server, ann, ["jo@nhs.net", "pat@gmail.example"],
                        subjects)
    assert code == 550 and text.startswith(b"5.7.1"), text
    assert b"encrypted for pat@gmail.example" in text
    assert b"nothing was sent" in text
    assert queued(instance) == []
    rows = instance.json("audit", "list", "--type", "message")
    assert rows[0]["summary"]["event"] == "secure_subject"
    assert rows[0]["result"] == "denied"


def test_secure_domains_and_plain_mail_go(server, instance, ann):
    assert submit_subjects(server, ann, ["jo@nhs.net", "ops@mod.uk"],
                  ["[secure] Results"])[0] == 250
    assert submit_subjects(server, ann, ["pat@gmail.example"], ["Results"])[0] == 250
    assert queued(instance) == ["jo@nhs.net", "ops@mod.uk",
                                "pat@gmail.example"]
    assert instance.json("audit", "list", "--type", "message") == []


def test_a_long_refusal_comes_on_continuation_lines(server, instance, ann):
    # RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with its
    # code and CRLF; a long address makes the sentence longer than that.
    rcpt = "p" * 60 + "@" + ".".join(["a" * 55] * 3) + ".example"
    code, text = submit_subjects(server, ann, [rcpt], ["[secure] Results"])
    assert code == 550
    lines = text.split(b"\n")      # smtplib joins the lines' texts
    assert len(lines) > 1
    for line in lines:
        assert line.startswith(b"5.7.1 ") and len(b"550-" + line) + 2 <= 512
    whole = b" ".join(line[len(b"5.7.1 "):] for line in lines).decode()
    assert f"encrypted for {rcpt}," in whole
    assert whole.endswith("Send it to those recipients another way, "
                          "or without them")
