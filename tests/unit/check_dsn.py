#!/usr/bin/env python3
"""Reads the delivery reports tests/unit/dsn_samples writes with Python's
email package and checks every field RFC 3464 §2.2 and §2.3 require (and
RFC 6522's structure, RFC 6533's global form for internationalised mail,
RFC 3834's Auto-Submitted, SPEC M8's words).

  check_dsn.py PATH/TO/dsn_samples
"""
import email
import email.policy
import email.utils
import re
import subprocess
import sys
import tempfile
from pathlib import Path

STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def fields(block):
    return {k.lower(): str(v) for k, v in block.items()}


def check_top(msg, raw, subject_head, report_type="delivery-status"):
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    assert msg.get_param("report-type") == report_type
    assert msg["From"].addresses[0].addr_spec == "postmaster@example.nhs.uk"
    assert msg["To"].addresses[0].addr_spec == "ann.smith@example.nhs.uk"
    assert str(msg["Subject"]).startswith(subject_head + ": "), msg["Subject"]
    assert msg["Auto-Submitted"] == "auto-replied"
    assert email.utils.parsedate_to_datetime(str(msg["Date"])) is not None
    assert re.match(r"^<dsn\.\w+@mail\.example\.nhs\.uk>$", msg["Message-ID"])
    # Every line ends CRLF and none is over RFC 5322's 998.
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parts = msg.get_payload()
    assert len(parts) == 3
    assert parts[0].get_content_type() == "text/plain"
    assert parts[1].get_content_type() == "message/" + report_type
    return parts


def status_blocks(part):
    """The field blocks of a status part. email reads only
    message/delivery-status as blocks; message/global-delivery-status is
    read as a message: the per-message fields its header, the rest its
    body, each block read the same way."""
    if part.get_content_type() == "message/delivery-status":
        return part.get_payload()
    (per_message,) = part.get_payload()
    body = per_message.get_payload(decode=True)
    return [per_message] + [
        email.message_from_bytes(b + b"\r\n", policy=email.policy.default)
        for b in re.split(rb"\r?\n\r?\n", body) if b.strip()]


def check_status(part, expect):
    blocks = status_blocks(part)
    per_message = fields(blocks[0])
    # §2.2: Reporting-MTA is required; the rest as given.
    assert per_message["reporting-mta"] == "dns; mail.example.nhs.uk"
    if "envid" in expect:
        assert per_message["original-envelope-id"] == expect["envid"]
    if "arrival" in expect:
        email.utils.parsedate_to_datetime(per_message["arrival-date"])
    recipients = [fields(b) for b in blocks[1:]]
    assert len(recipients) == len(expect["recipients"])
    for got, want in zip(recipients, expect["recipients"]):
        # §2.3: Final-Recipient, Action and Status are required.
        assert got["final-recipient"] == "rfc822; " + want["to"], got
        assert got["action"] == want["action"]
        assert STATUS.match(got["status"]) and got["status"] == want["status"]
        assert "\r" not in got.get("diagnostic-code", "")
        assert "\n" not in got.get("diagnostic-code", "")
        for key in ("remote-mta", "diagnostic-code", "original-recipient"):
            if key in want:
                assert got[key] == want[key], (key, got.get(key))
        email.utils.parsedate_to_datetime(got["last-attempt-date"])
        if want["action"] == "delayed":
            email.utils.parsedate_to_datetime(got["will-retry-until"])
        else:
            assert "will-retry-until" not in got
    return recipients


def main():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.argv[1], d], check=True)
        load = lambda name: (Path(d) / f"{name}.eml").read_bytes()

        raw = load("failed")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = check_top(msg, raw, "Not delivered")
        assert str(msg["Subject"]) == "Not delivered: Referral for patient 1234"
        text = parts[0].get_content()
        # SPEC M8: says what happened and what to do, in plain words.
        assert "bob@partner.test could not be delivered" in text
        assert "does not exist" in text and "Check it" in text
        assert "The receiving server (mx1.partner.test) said: 550 5.1.1" in text
        check_status(parts[1], {
            "envid": "Q1234", "arrival": True,
            "recipients": [{
                "to": "bob@partner.test", "action": "failed",
                "status": "5.1.1", "remote-mta": "dns; mx1.partner.test",
                "original-recipient": "rfc822; Bob@Partner.test",
                "diagnostic-code": "smtp; 550 5.1.1 The email account that "
                "you tried to reach does not exist. Please try "
                "double-checking the recipient's email address for typos. "
                "https://support.partner.test/answer/6596"}]})
        # Headers only by default (RFC 3461 §4.3): never the body.
        assert parts[2].get_content_type() == "text/rfc822-headers"
        returned = parts[2].get_content()
        assert "Message-ID: <orig.1@example.nhs.uk>" in returned
        assert "Dear colleague" not in returned

        raw = load("delayed")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = check_top(msg, raw, "Delayed")
        text = parts[0].get_content()
        assert "has not been delivered yet" in text
        assert "still trying" in text and "We will keep trying until" in text
        check_status(parts[1], {"recipients": [
            {"to": "bob@partner.test", "action": "delayed",
             "status": "4.4.1", "diagnostic-code": "x-caremail; cannot "
             "connect to 192.0.2.1:25: Connection timed out"},
            {"to": "carol@partner.test", "action": "delayed",
             "status": "4.2.0",
             "diagnostic-code": "smtp; 451 4.2.0 Mailbox busy, try later"}]})
        assert "original-envelope-id" not in fields(parts[1].get_payload()[0])

        # An 8-bit header: RFC 6533's global report.
        raw = load("full")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = check_top(msg, raw, "Not delivered", "global-delivery-status")
        assert str(msg["Subject"]).startswith("Not delivered: Résumé for")
        assert str(msg["Subject"]).endswith("éééééééééééééééé end")
        # The hostile reply added no header and no MIME part.
        assert msg["Bcc"] is None
        assert len(parts) == 3
        got = check_status(parts[1], {"recipients": [
            {"to": "dave@partner.test", "action": "failed",
             "status": "5.7.1"}]})
        assert got[0]["diagnostic-code"].startswith("x-caremail; 554 5.7.1 "
                                                    "refused Bcc:")
        # RET=FULL: the whole message, as message/global (its header is
        # UTF-8, RFC 6532 §3.7), CRLF throughout.
        assert parts[2].get_content_type() == "message/global"
        inner = parts[2].get_payload()[0]
        assert "Body with a bare LF" in inner.get_payload()

        # RET=FULL past return_max: the header, and a sentence saying so.
        raw = load("cut")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = check_top(msg, raw, "Not delivered", "global-delivery-status")
        assert parts[2].get_content_type() == "message/global-headers"
        assert "Body with a bare LF" not in parts[2].as_string()
        assert "only its header is attached" in parts[0].get_content()

        raw = load("delivered")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        # A utf-8 ORCPT: the global report, the address as UTF-8.
        parts = check_top(msg, raw, "Delivered", "global-delivery-status")
        assert "bob@example.nhs.uk was delivered" in parts[0].get_content()
        got = check_status(parts[1], {"envid": "Q1234", "recipients": [
            {"to": "bob@example.nhs.uk", "action": "delivered",
             "status": "2.0.0",
             # RFC 6533 §3: utf-8-address, the address itself.
             "original-recipient": "utf-8; jörg@example.nhs.uk"}]})
        assert "remote-mta" not in got[0]
        assert parts[2].get_content_type() == "message/global-headers"

        raw = load("relayed")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = check_top(msg, raw, "Relayed")
        assert "does not send delivery confirmations" in \
            parts[0].get_content()
        check_status(parts[1], {"envid": "Q1234", "recipients": [
            {"to": "bob@partner.test", "action": "relayed",
             "status": "2.0.0", "remote-mta": "dns; mx1.partner.test",
             "original-recipient": "rfc822; bob@partner.test",
             "diagnostic-code": "smtp; 250 2.0.0 OK 1700000000 queued"}]})

        raw = load("expanded")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = check_top(msg, raw, "Delivered to list")
        check_status(parts[1], {"recipients": [
            {"to": "team@example.nhs.uk", "action": "expanded",
             "status": "2.0.0"}]})
    print("dsn reports: ok")


if __name__ == "__main__":
    main()
