"""NHS number DLP on submission (SPEC M12, SECURITY.md 53): mail to a
recipient outside the platform and the secure domains is scanned whole
(subject, text, attachments) and, by the action set for the tier of what
was found (mail.dlp_high, _medium, _low): not sent to those recipients,
the sender told in a report read back over IMAP that names only the
masked number (block); sent and audited (audit); or let through (none).
Secure-domain and local recipients get the message either way. No log
line, audit row, reply or report holds the number in clear. Sent through
a real SMTP client over TLS; the queue and the audit read through the
CLI."""

from email.message import EmailMessage
from email.policy import SMTP

import pytest

from apiclient import USER_PASSWORD, make_person, ready
from conftest import read_folder, submit

NUMBER = "999 149 6327"          # valid, in the 999 test range (issued)
CLEAR = ("999 149 6327", "9991496327", "999-149-6327")
MASKED = "999 *** **27"


@pytest.fixture
def ann(instance, org):
    address = make_person(instance, org, "Ann", "Sender")
    instance.setup("user", "passwd", address, "--stdin", "--permanent",
                   input=USER_PASSWORD + "\n")
    return address


def message(sender, rcpt, body, subject="Referral", attachment=None):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = rcpt
    msg["Subject"] = subject
    msg["Message-ID"] = "<dlp@care.example>"
    msg.set_content(body)
    if attachment is not None:
        data, subtype, name = attachment
        msg.add_attachment(data, maintype="text", subtype=subtype,
                           filename=name, cte="base64")
    return msg.as_bytes(policy=SMTP)


def send(server, sender, rcpts, data, options=()):
    """(code, text) of the reply to DATA over submission; options: RCPT's."""
    return submit(server, sender, USER_PASSWORD, sender, rcpts, data,
                  options)


def queued(instance):
    return sorted(r["recipient"] for r in instance.json("queue", "list"))


def dlp_rows(instance):
    return [r for r in instance.json("audit", "list", "--type", "message")
            if r["summary"]["event"] in ("dlp", "dlp_unscannable")]


def assert_no_clear_number(*texts):
    for text in texts:
        for clear in CLEAR:
            assert clear not in text, text


def stopped(reply, n=1):
    code, text = reply
    assert code == 250, text
    assert f"not sent to {n} recipient".encode() in text, text
    return text


def sent(reply):
    code, text = reply
    assert code == 250 and b"not sent to" not in text, text


def reports(server, ann):
    """The reports in the sender's Inbox, as bytes and parsed."""
    return [(m.as_bytes(), m) for m in read_folder(server, ann, USER_PASSWORD)
            if m.get_content_type() == "multipart/report"]


def human_part(report):
    return next(p for p in report.walk()
                if p.get_content_type() == "text/plain").get_content()


def test_stopped_for_outside_recipients_and_the_sender_told(
        start_server, instance, ann):
    server = start_server()
    reply = send(server, ann, ["jo@nhs.net", "pat@mail.example"],
                   message(ann, "pat@mail.example",
                           f"Patient NHS number {NUMBER}, as asked."))
    assert_no_clear_number(stopped(reply).decode())
    # The secure domain gets it; the outside recipient does not.
    assert queued(instance) == ["jo@nhs.net"]
    [(raw, report)] = reports(server, ann)
    assert report["From"].addresses[0].username == "postmaster"
    assert report["Subject"].startswith("Not delivered")
    words = human_part(report)
    assert "pat@mail.example" in words and MASKED in words
    assert "put [secure] in the subject and send it again" in words
    assert "jo@nhs.net" not in words
    assert_no_clear_number(raw.decode(errors="replace"))
    status = next(p for p in report.walk()
                  if p.get_content_type() == "message/delivery-status")
    assert b"Status: 5.7.1" in status.as_bytes()
    [row] = dlp_rows(instance)
    assert row["result"] == "denied"
    summary = row["summary"]
    assert summary["decision"] == "refuse" and summary["stopped"] == 1
    assert summary["recipient"] == "pat@mail.example"
    assert summary["tier"] == "high" and summary["numbers"] == 1
    assert summary["sample"] == MASKED
    assert_no_clear_number(str(row), server.logs())


def test_found_in_an_attachment_and_in_the_subject(start_server, instance,
                                                   ann):
    server = start_server()
    csv = f"name,nhs\r\nA Patient,{NUMBER}\r\n".encode()
    stopped(send(server, ann, ["pat@mail.example"],
                   message(ann, "pat@mail.example", "List attached.",
                           attachment=(csv, "csv", "clinic.csv"))))
    stopped(send(server, ann, ["pat@mail.example"],
                   message(ann, "pat@mail.example", "See subject.",
                           subject=f"Re: {NUMBER}")))
    assert [r["summary"]["where"] for r in dlp_rows(instance)] == [
        "subject", "part 2"]                          # newest first
    assert queued(instance) == []
    # The report returns the header, the number in it masked too.
    subjects = sorted(r["Subject"] for _, r in reports(server, ann))
    assert subjects == ["Not delivered: Re: 999 *** **27",
                        "Not delivered: Referral"], subjects
    for raw, _ in reports(server, ann):
        assert_no_clear_number(raw.decode(errors="replace"))


def test_notify_never_means_no_report(start_server, instance, ann):
    server = start_server()
    stopped(send(server, ann, ["pat@mail.example"],
                   message(ann, "pat@mail.example", f"NHS no {NUMBER}"),
                   options=["NOTIFY=NEVER"]))
    assert queued(instance) == [] and reports(server, ann) == []
    assert len(dlp_rows(instance)) == 1


def test_secure_domains_and_our_people_are_not_judged(start_server, instance,
                                                      org, ann):
    server = start_server()
    bob = make_person(instance, org, "Bob", "Colleague")
    data = message(ann, "jo@nhs.net", f"NHS number {NUMBER}.")
    assert send(server, ann, ["jo@nhs.net", "ops@mod.uk", bob],
                  data)[0] == 250
    assert queued(instance) == ["jo@nhs.net", "ops@mod.uk"]
    assert dlp_rows(instance) == []


def test_each_tier_has_its_action(start_server, instance, ann):
    # Ten digits with a valid check digit and nothing else to go on is
    # the low tier: many reference numbers pass. Sent and audited by
    # default; 3-3-4 in an issued range is medium: blocked by default.
    server = start_server()
    low = message(ann, "pat@mail.example", "Order 9991496327 shipped.")
    medium = message(ann, "pat@mail.example", f"Ref {NUMBER}.")
    sent(send(server, ann, ["pat@mail.example"], low))
    stopped(send(server, ann, ["pat@mail.example"], medium))
    server.stop()
    server = start_server(extra=["mail.dlp_low=block",
                                 "mail.dlp_medium=none"])
    stopped(send(server, ann, ["pat@mail.example"], low))
    sent(send(server, ann, ["pat@mail.example"], medium))
    rows = dlp_rows(instance)       # newest first; medium=none: no row
    assert [(r["summary"]["tier"], r["summary"]["decision"])
            for r in rows] == [("low", "refuse"), ("medium", "refuse"),
                               ("low", "deliver")]
    assert queued(instance) == ["pat@mail.example"] * 2
    assert len(reports(server, ann)) == 2


def test_audit_sends_and_records(start_server, instance, ann):
    server = start_server(extra=["mail.dlp_high=audit"])
    code, _ = send(server, ann, ["pat@mail.example"],
                     message(ann, "pat@mail.example", f"NHS no {NUMBER}"))
    assert code == 250
    assert queued(instance) == ["pat@mail.example"]
    [row] = dlp_rows(instance)
    assert row["result"] != "denied"
    assert row["summary"]["decision"] == "deliver"
    assert row["summary"]["tier"] == "high"
    assert row["summary"]["sample"] == MASKED
    assert_no_clear_number(str(row), server.logs())


def test_none_everywhere_is_not_scanned(start_server, instance, ann):
    server = start_server(extra=["mail.dlp_high=none", "mail.dlp_medium=none",
                                 "mail.dlp_low=none"])
    assert send(server, ann, ["pat@mail.example"],
                  message(ann, "pat@mail.example",
                          f"NHS number {NUMBER}"))[0] == 250
    # Not even a part that cannot be read is anything to judge.
    odd = (f"From: {ann}\r\nTo: pat@mail.example\r\nSubject: Notes\r\n"
           "Content-Type: text/plain; charset=x-unknown-charset\r\n"
           "\r\nNotes.\r\n").encode()
    assert send(server, ann, ["pat@mail.example"], odd)[0] == 250
    assert queued(instance) == ["pat@mail.example"] * 2
    assert dlp_rows(instance) == []


def test_a_part_that_cannot_be_read_is_held_not_sent(start_server, instance,
                                                     ann):
    server = start_server()
    data = (f"From: {ann}\r\nTo: pat@mail.example\r\nSubject: Notes\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=x-unknown-charset\r\n"
            "\r\nNotes for the clinic.\r\n").encode()
    stopped(send(server, ann, ["pat@mail.example"], data))
    assert queued(instance) == []
    [(_, report)] = reports(server, ann)
    assert "could not be checked for patient information" in \
        human_part(report)
    [row] = dlp_rows(instance)
    assert row["summary"]["event"] == "dlp_unscannable"
    assert "x-unknown-charset" in row["summary"]["unscannable"]


@pytest.mark.parametrize("key,value", [("mail.dlp_high", "refuse"),
                                       ("mail.dlp_low", "seal")])
def test_a_bad_setting_is_refused(instance, key, value):
    line = instance.fails("queue", "list", "--set", f"{key}={value}", code=2)
    assert f"{key} must be one of" in line and f"not '{value}'" in line



def alerts(server, admin):
    address, secret = admin
    return [m for m in read_folder(server, address, secret)
            if m["Subject"].startswith("NHS number in mail from")]


def admin(server, instance, org, first, last):
    """A Local Admin of org and the app password they read mail with."""
    address = make_person(instance, org, first, last)
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=USER_PASSWORD + "\n")
    instance.run("role", "add", address, "--org", org, "--role",
                 "local_admin")
    c = ready(server, address, USER_PASSWORD)
    return address, c.ok("POST", "/me/app-passwords",
                         {"label": "mail"})["password"]


def test_local_admins_are_alerted_when_a_message_is_stopped(
        start_server, instance, org, ann):
    server = start_server()
    lee = admin(server, instance, org, "Lee", "Local")
    # Another org's admin hears nothing of it.
    instance.run("org", "add", "--ods", "X26009", "--name", "Other",
                 "--type", "GP Practice")
    kim = admin(server, instance, "X26009", "Kim", "Other")
    stopped(send(server, ann, ["pat@mail.example"],
                 message(ann, "pat@mail.example",
                         f"Patient NHS number {NUMBER}, as asked.",
                         subject="Mrs Smith referral")))
    [alert] = alerts(server, lee)
    text = alert.get_body(("plain",)).get_content()
    assert ann in text and "pat@mail.example" in text and MASKED in text
    assert "was not sent" in text and "high confidence" in text
    raw = alert.as_bytes().decode(errors="replace")
    assert_no_clear_number(raw)
    assert "Mrs Smith" not in raw and "as asked" not in raw
    assert alert["From"].addresses[0].username == "postmaster"
    assert alerts(server, kim) == []
    # Only audited (low tier): no alert by default; with all, one.
    low = message(ann, "pat@mail.example", "Order 9991496327 shipped.")
    sent(send(server, ann, ["pat@mail.example"], low))
    assert len(alerts(server, lee)) == 1
    server.stop()
    server = start_server(extra=["mail.dlp_alert=all"])
    sent(send(server, ann, ["pat@mail.example"], low))
    texts = [a.get_body(("plain",)).get_content()
             for a in alerts(server, lee)]
    assert len(texts) == 2 and any("record them only" in t for t in texts)
    server.stop()
    server = start_server(extra=["mail.dlp_alert=none"])
    stopped(send(server, ann, ["pat@mail.example"],
                 message(ann, "pat@mail.example", f"NHS no {NUMBER}")))
    assert len(alerts(server, lee)) == 2


def test_a_lists_outside_contact_is_stopped_and_reported(
        start_server, instance, org, ann):
    instance.run("contact", "add", "--org", org, "--name", "Pat",
                 "--email", "pat@mail.example")
    team = instance.addr("team")
    instance.run("list", "add", "--org", org, "--name", "Team",
                 "--email", team)
    instance.run("list", "members", "add", team, "pat@mail.example", ann)
    server = start_server()
    reply = send(server, ann, [team],
                 message(ann, team, f"Patient NHS number {NUMBER}."))
    stopped(reply)
    assert queued(instance) == []
    # The list's own member here gets it; the report names the contact.
    inbox = read_folder(server, ann, USER_PASSWORD)
    assert any("Patient NHS" in m.get_body(("plain",)).get_content()
               for m in inbox if m.get_content_type() == "text/plain")
    [(raw, report)] = reports(server, ann)
    status = next(p for p in report.walk()
                  if p.get_content_type() == "message/delivery-status")
    fields = status.as_bytes().decode()
    assert "Final-Recipient: rfc822; pat@mail.example" in fields
    assert f"Original-Recipient: rfc822; {team}" in fields
    assert MASKED in human_part(report)
    assert_no_clear_number(raw.decode(errors="replace"))
