"""[secure] in the subject (SPEC M10, SECURITY.md 51, 52) to a recipient
outside the secure domains: the message is sealed for the secure message
portal and that recipient gets a notice in its place, with a link and an
Encrypted_Message.htm attachment; a loopback capture of that hop holds the
notice only, never the body or the subject. Secure-domain recipients get
the message as it is. [secure] is matched case-insensitively after RFC 2047
decoding and unfolding; no Subject or two fail closed (sealed). A DLP tier
set to encrypt seals the same way without [secure]. Each seal is audited.
Real submission over TLS, the real queue delivering to an aiosmtpd sink
through a DNS stub."""

import email
import email.policy
import re

import smtplib

import pytest

from conftest import PASSWORD
from dnsstub import DnsStub
from smtpsink import Sink
from test_queue import Outbound, out  # noqa: F401

ZONE = {
    "gmail.example": {"MX": [[10, "mx.gmail.example"]]},
    "mx.gmail.example": {"A": ["127.0.0.1"]},
    "nhs.net": {"MX": [[10, "mx.nhs.net"]]},
    "mx.nhs.net": {"A": ["127.0.0.1"]},
}
BODY = "Results for Mrs A: the biopsy was clear."


def raw(sender, to, subject_lines):
    head = "".join(f"{line}\r\n" for line in subject_lines)
    return (f"From: <{sender}>\r\nTo: {', '.join(to)}\r\n{head}"
            f"Message-ID: <s@t>\r\n\r\n{BODY}\r\n").encode()


def captured(sink, rcpt):
    (m,) = [m for m in sink.messages if m.rcpt_tos == [rcpt]]
    return m


def sealed_rows(instance):
    return [r for r in instance.json("audit", "list", "--type", "message")
            if r["summary"].get("decision") == "encrypt"]


def assert_notice(msg, sender, rcpt):
    """The notice: who sent it, a link with a token, the attachment; and
    nothing of the message."""
    assert msg.mail_from == sender
    data = msg.data
    assert BODY.encode() not in data and b"biopsy" not in data
    assert b"Results" not in data.split(b"\r\n\r\n")[0]
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == f"Encrypted message from {sender}"
    assert parsed["To"] == rcpt
    text = parsed.get_body(("plain",)).get_content()
    links = re.findall(r"https?://\S+/secure/open#([A-Za-z0-9_-]{43})", text)
    assert len(links) == 1, text
    assert "6-digit code" in text and rcpt in text
    (page,) = [p for p in parsed.iter_attachments()
               if p.get_filename() == "Encrypted_Message.htm"]
    assert page.get_content_type() == "text/html"
    assert links[0] in page.get_content()
    return links[0]


@pytest.mark.parametrize("subject_lines", [
    ["Subject: [secure] Results"],
    ["Subject: results [SECURE]"],
    ["Subject: =?UTF-8?B?W3NlY3VyZV0gdGVzdA==?="],
    ["Subject: Results for the clinic\r\n [Secure]"],
    [],
    ["Subject: Results", "Subject: [secure] Results"],
])
def test_sealed_for_outside_sent_as_is_inside(out, subject_lines):
    with DnsStub(ZONE) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.send(["jo@nhs.net", "pat@gmail.example"],
                 raw=raw(out.ann, ["jo@nhs.net", "pat@gmail.example"],
                         subject_lines))
        out.run()
        # The secure domain gets the message itself (over verified TLS
        # only, which the sink does not offer: it waits in the queue).
        assert [m.rcpt_tos for m in sink.messages] == \
            [["pat@gmail.example"]]
        assert [r["recipient"] for r in out.instance.json(
            "queue", "list")] == ["jo@nhs.net"]
        assert_notice(captured(sink, "pat@gmail.example"), out.ann,
                      "pat@gmail.example")
    (row,) = sealed_rows(out.instance)
    assert row["summary"]["event"] == "secure_subject"
    assert row["summary"]["sealed"] == 1
    assert row["result"] == "done"


def test_each_outside_recipient_has_a_link_of_their_own(out):
    to = ["pat@gmail.example", "sam@gmail.example"]
    with DnsStub(ZONE) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.send(to, raw=raw(out.ann, to, ["Subject: [secure] Results"]))
        out.run()
        links = {assert_notice(captured(sink, r), out.ann, r) for r in to}
    assert len(links) == 2


def test_plain_mail_goes_in_clear_and_is_not_audited(out):
    with DnsStub(ZONE) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.send(["pat@gmail.example"],
                 raw=raw(out.ann, ["pat@gmail.example"],
                         ["Subject: Results"]))
        out.run()
        assert BODY.encode() in captured(sink, "pat@gmail.example").data
    assert out.instance.json("audit", "list", "--type", "message") == []


def test_the_reply_to_data_says_it_was_encrypted(out):
    with smtplib.SMTP("127.0.0.1", out.server.ports["submission"],
                      timeout=10) as s:
        s.starttls(context=out.tls())
        s.login(out.ann, PASSWORD)
        s.mail(out.ann)
        s.rcpt("pat@gmail.example")
        code, text = s.data(raw(out.ann, ["pat@gmail.example"],
                                ["Subject: [secure] Results"]))
    assert code == 250, text
    assert b"encrypted for 1 recipient outside the secure domains" in text


NUMBER = "999 149 6327"          # valid, in the 999 test range


def test_dlp_encrypt_seals_without_secure(instance, org, start_server):
    o = Outbound(instance, org, start_server(extra=[
        "mail.dlp_high=encrypt"]))
    with DnsStub(ZONE) as stub, Sink() as sink:
        o.settings(stub, sink.port)
        body = f"Patient NHS number {NUMBER}, as asked."
        o.send(["pat@gmail.example"], subject="Referral", body=body)
        o.run()
        notice = captured(sink, "pat@gmail.example")
        assert_notice(notice, o.ann, "pat@gmail.example")
        # The number in no form, in no part, decoded: the raw bytes'
        # random Message-ID and base64 may hold its digits by chance.
        parsed = email.message_from_bytes(notice.data,
                                          policy=email.policy.default)
        texts = [str(parsed["Subject"])] + [
            part.get_content() for part in parsed.walk()
            if part.get_content_maintype() == "text"]
        seen = [t for t in texts if re.search(r"999\D?149\D?6327", t)]
        assert seen == [] and len(texts) >= 3, texts
    (row,) = sealed_rows(instance)
    assert row["summary"]["event"] == "dlp"
    assert row["summary"]["tier"] == "high"
    assert row["summary"]["sample"] == "999 *** **27"


def team_list(instance, org, *members):
    """A list of org with contacts for the outside members, approved."""
    for m in members:
        instance.run("contact", "add", "--org", org, "--name",
                     m.split("@")[0].title(), "--email", m)
    out_ = instance.run("list", "add", "--org", org, "--name", "Team",
                        "--email", instance.addr("team"))
    assert out_.returncode == 0
    instance.run("list", "members", "add", instance.addr("team"), *members)
    return instance.addr("team")


def test_a_lists_outside_contacts_are_sealed_too(out):
    team = team_list(out.instance, "X26001", "pat@gmail.example",
                     "jo@nhs.net")
    with DnsStub(ZONE) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.send([team], raw=raw(out.ann, [team],
                                 ["Subject: [secure] Results"]))
        out.run()
        assert [m.rcpt_tos for m in sink.messages] == \
            [["pat@gmail.example"]]
        assert_notice(captured(sink, "pat@gmail.example"), out.ann,
                      "pat@gmail.example")
    # The secure domain's contact gets the message (waiting for TLS).
    assert [r["recipient"] for r in out.instance.json(
        "queue", "list")] == ["jo@nhs.net"]
    (row,) = sealed_rows(out.instance)
    assert row["summary"]["sealed"] == 1
    assert row["summary"]["recipient"] == "pat@gmail.example"
