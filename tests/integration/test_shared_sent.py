"""Sent copies for shared mailboxes (SPEC M12a): mail a person submits as
(Send As) or on behalf of (Send on Behalf) a shared mailbox is also filed,
read, in that mailbox's Sent Items, so everyone who works from it sees
what went out in its name; even when the DLP policy stopped it for some
recipients. Sending as oneself, or as another person's mailbox one holds
Send As on, files nothing there; with mail.shared_sent_copies = false
nothing is filed at all. Sent with smtplib over STARTTLS and AUTH; read
back over IMAP by a member of the mailbox, through the folder LIST marks
\\Sent (RFC 6154)."""

import imaplib
import re
import smtplib
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from conftest import PASSWORD, read_folder

LISTED = re.compile(rb'^\((?P<attrs>[^)]*)\) (?:"[^"]*"|NIL) '
                    rb'"?(?P<name>.*?)"?$')


def person(instance, org, first, last):
    address = instance.run("user", "add", "--org", org, "--first", first,
                           "--last", last).stdout.strip().split()[-1]
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=PASSWORD + "\n")
    return address


def message(frm, to, subject, body="Clinic times are changing."):
    msg = EmailMessage()
    msg["From"] = frm
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.replace(' ', '.')}@care.example>"
    msg.set_content(body)
    return msg.as_bytes(policy=SMTP)


def submit(server, login, frm, to, subject, body=None):
    """Submits as `login` with From `frm` (the envelope sender too); the
    reply to DATA."""
    data = message(frm, to, subject) if body is None else \
        message(frm, to, subject, body)
    with smtplib.SMTP("127.0.0.1", server.ports["submission"],
                      timeout=10) as s:
        s.starttls(context=server.ssl_context())
        s.login(login, PASSWORD)
        s.mail(frm)
        for r in to:
            assert s.rcpt(r)[0] == 250, r
        return s.data(data)


def sent_items(server, reader, mailbox):
    """(flags, message bytes) of each message in the \\Sent folder of
    mailbox (the reader's own, or one of the Shared namespace), read over
    IMAP with STARTTLS as reader."""
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    try:
        m.starttls(ssl_context=server.ssl_context())
        m.login(reader, PASSWORD)
        prefix = "" if mailbox == reader else f"Shared/{mailbox}/"
        typ, lines = m.list()
        assert typ == "OK"
        sent = []
        for line in lines:
            found = LISTED.match(line)
            assert found, line
            name = found["name"].decode()
            if b"\\Sent" in found["attrs"].split() and \
                    name.startswith(prefix) and "/" not in name[len(prefix):]:
                sent.append(name)
        assert len(sent) == 1, lines
        assert m.select(f'"{sent[0]}"', readonly=True)[0] == "OK"
        _, data = m.search(None, "ALL")
        out = []
        for num in data[0].split():
            _, parts = m.fetch(num, "(FLAGS BODY.PEEK[])")
            flags = re.search(rb"FLAGS \(([^)]*)\)", parts[0][0])[1].split()
            out.append((flags, parts[0][1]))
        m.logout()
        return out
    finally:
        try:
            m.shutdown()
        except OSError:
            pass


def subject(raw):
    return re.search(rb"\r\nSubject: ([^\r]*)", raw)[1].decode()


@pytest.mark.parametrize("copies", [True, False], ids=["on", "off"])
def test_shared_mailbox_keeps_what_was_sent_from_it(start_server, instance,
                                                    org, copies):
    server = start_server(extra=() if copies else
                          ("mail.shared_sent_copies=false",))
    ann = person(instance, org, "Ann", "Sendas")
    cat = person(instance, org, "Cat", "Behalf")
    dee = person(instance, org, "Dee", "Reader")
    eve = person(instance, org, "Eve", "Person")
    bob = person(instance, org, "Bob", "Recipient")
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Reception").stdout.strip()
    instance.run("grant", "add", box, ann, "--right", "send_as")
    instance.run("grant", "add", box, cat, "--right", "send_on_behalf")
    instance.run("grant", "add", eve, ann, "--right", "send_as")
    instance.run("shared", "members", "add", box, dee)
    instance.run("grant", "add", box, dee, "--right", "full_access")

    ok = [submit(server, ann, box, [bob], "as reception"),
          submit(server, cat, box, [bob], "on behalf of reception"),
          submit(server, ann, ann, [bob], "as herself"),
          submit(server, ann, eve, [bob], "as eve")]
    assert [code for code, _ in ok] == [250] * 4, ok
    # Stopped by the DLP policy for the outside recipient: still sent.
    code, text = submit(server, ann, box, [bob, "far@elsewhere.example"],
                        "referral", "NHS number 999 149 6327 attached.")
    assert code == 250 and b"not sent to 1 recipient" in text, text
    assert instance.json("queue", "list") == []

    filed = sent_items(server, dee, box)
    if not copies:
        assert filed == []
    else:
        # One copy each, read, in the order sent; nothing of the others.
        assert [subject(raw) for _, raw in filed] == \
            ["as reception", "on behalf of reception", "referral"]
        assert all(b"\\Seen" in flags for flags, _ in filed), filed
        # As submitted: on behalf, with the Sender that names Cat.
        assert f"Sender: <{cat}>".encode() in filed[1][1]
        assert b"\r\nSender:" not in filed[0][1]
        assert f"From: {box}".encode() in filed[0][1]
    # A person's own Sent Items are their mail client's to keep: nothing
    # filed there, for oneself or for the person one sends as.
    assert sent_items(server, ann, ann) == []
    assert sent_items(server, eve, eve) == []
    # The recipients got theirs either way.
    inbox = [m["Subject"] for m in read_folder(server, bob, PASSWORD)]
    assert inbox == ["as reception", "on behalf of reception", "as herself",
                     "as eve", "referral"]
