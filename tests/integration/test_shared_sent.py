"""Sent copies for shared mailboxes (SPEC M12a): mail a person submits as
(Send As) or on behalf of (Send on Behalf) a shared mailbox is also filed,
read, in that mailbox's Sent Items, so everyone who works from it sees
what went out in its name; even when the DLP policy stopped it for some
recipients. Sending as oneself, or as another person's mailbox one holds
Send As on, files nothing there; with mail.shared_sent_copies = false
nothing is filed at all. Sent with smtplib over STARTTLS and AUTH; read
back over IMAP by a member of the mailbox, through the folder LIST marks
\\Sent (RFC 6154)."""

import re
import sqlite3
import time
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from conftest import PASSWORD, fetch_folder, imap_session, read_folder, submit

LISTED = re.compile(rb'^\((?P<attrs>[^)]*)\) (?:"[^"]*"|NIL) '
                    rb'"?(?P<name>.*?)"?$')


def person(instance, org, first, last):
    address = instance.setup("user", "add", "--org", org, "--first", first,
                             "--last", last).stdout.strip().split()[-1]
    instance.setup("user", "passwd", address, "--stdin", "--permanent",
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


def send(server, login, frm, to, subject, body=None):
    """Submits as `login` with From `frm` (the envelope sender too); the
    reply to DATA."""
    data = message(frm, to, subject) if body is None else \
        message(frm, to, subject, body)
    return submit(server, login, PASSWORD, frm, to, data)


def sent_items(server, reader, mailbox):
    """(flags, message bytes) of each message in the \\Sent folder of
    mailbox (the reader's own, or one of the Shared namespace), read over
    IMAP with STARTTLS as reader."""
    prefix = "" if mailbox == reader else f"Shared/{mailbox}/"
    with imap_session(server, reader, PASSWORD) as m:
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
        return [(re.search(rb"FLAGS \(([^)]*)\)", head)[1].split(), raw)
                for head, raw in fetch_folder(m, sent[0],
                                              "(FLAGS BODY.PEEK[])")]


LAST_USED = "SELECT last_used_at FROM mailboxes WHERE address = ?"


def sql(instance, text, *args):
    conn = sqlite3.connect(instance.dir / "caremail.db")
    try:
        rows = conn.execute(text, args).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


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

    ok = [send(server, ann, box, [bob], "as reception"),
          send(server, cat, box, [bob], "on behalf of reception"),
          send(server, ann, ann, [bob], "as herself"),
          send(server, ann, eve, [bob], "as eve")]
    assert [code for code, _ in ok] == [250] * 4, ok
    # Stopped by the DLP policy for the outside recipient: still sent.
    code, text = send(server, ann, box, [bob, "far@elsewhere.example"],
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


@pytest.mark.parametrize("copies", [True, False], ids=["on", "off"])
def test_sending_as_a_shared_mailbox_is_a_use(start_server, instance, org,
                                               copies):
    """SPEC L5: mail sent as or on behalf of a shared mailbox is a use of
    it, whether or not its Sent Items keeps a copy; sending as oneself
    is not a use of any shared mailbox."""
    server = start_server(extra=() if copies else
                          ("mail.shared_sent_copies=false",))
    ann = person(instance, org, "Ann", "Usesit")
    bob = person(instance, org, "Bob", "Gets")
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Quiet Desk").stdout.strip()
    instance.run("grant", "add", box, ann, "--right", "send_as")
    sql(instance, "UPDATE mailboxes SET last_used_at = 1000"
        " WHERE address = ?", box)
    assert send(server, ann, ann, [bob], "as herself")[0] == 250
    assert sql(instance, LAST_USED, box) == [(1000,)]
    assert send(server, ann, box, [bob], "as the desk")[0] == 250
    [(used,)] = sql(instance, LAST_USED, box)
    assert used >= time.time() - 600, used
