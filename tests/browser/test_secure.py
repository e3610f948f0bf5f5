"""The secure message portal in a real browser (issue 12 item 4; SPEC M10,
M11): a person submits a [secure] message with an attachment over SMTP to
an address outside the secure domains; the remote server (smtpsink.py,
reached through dnsstub.py) gets a notice holding the link and not the
message; the reader opens the link in Chromium at 375 px, gets the code
from the same remote server, reads, downloads the attachment, replies,
sets a password and signs in with it; the sender finds the reply in their
INBOX over IMAP and the access log on /secure-sent, withdraws the message,
and the reader's pages then refuse it. And the refusals: a link never
sent, a wrong code, a code asked for in another browser, a withdrawn link
and an expired one (made by `caremail secure purge --at` a time past the
expiry)."""

import email
import email.policy
import json
import re
import threading
import time
from email.message import EmailMessage

from conftest import PASSWORD, read_folder, ready

from dnsstub import DnsStub
from smtpsink import Sink
from test_queue import Outbound, delivery_settings, zone

READER = "reader@far.example"
ATTACHMENT = b"%PDF-1.4\n% caremail test results\n" + bytes(range(256))
BODY = "The blood results are normal.\nNo further action is needed."
SUBJECT = "[secure] Results for J Smith"
TOKEN = re.compile(r"/secure/open#([A-Za-z0-9_-]{43})")


class Mailroom:
    """The remote server's mail, as files a scenario can read: each
    message's recipients and its text, decoded (a code mail's parts are
    base64), one JSON file each in arrival order."""

    def __init__(self, directory):
        self.dir = directory
        self.dir.mkdir()
        self.lock = threading.Lock()
        self.count = 0

    def __call__(self, received):
        msg = email.message_from_bytes(received.data,
                                       policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        with self.lock:
            self.count += 1
            name = self.dir / f"{self.count:04d}.json"
        tmp = name.with_suffix(".tmp")
        tmp.write_text(json.dumps({
            "to": received.rcpt_tos,
            "subject": str(msg["Subject"] or ""),
            "text": body.get_content() if body is not None else ""}))
        tmp.rename(name)


def secure_message(sender, to):
    msg = EmailMessage()
    msg["From"] = f"Ann Sender <{sender}>"
    msg["To"] = ", ".join(to)
    msg["Subject"] = SUBJECT
    msg["Message-ID"] = "<secure-results@test>"
    msg["Date"] = "Thu, 3 Dec 2026 09:00:00 +0000"
    msg.set_content(BODY + "\n")
    msg.add_attachment(ATTACHMENT, maintype="application", subtype="pdf",
                       filename="results.pdf")
    return msg.as_bytes(policy=email.policy.SMTP)


def wait_for(what, seconds=20):
    """what() once it is true, or its last value when time is up."""
    deadline = time.monotonic() + seconds
    while True:
        value = what()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.1)


def notices(sink, to):
    """The notices the remote server got for `to`, parsed, with their
    link tokens."""
    out = []
    for m in sink.messages:
        if to not in m.rcpt_tos:
            continue
        msg = email.message_from_bytes(m.data, policy=email.policy.default)
        found = TOKEN.findall(m.data.decode("latin-1")) or TOKEN.findall(
            "".join(p.get_content() for p in msg.walk()
                    if p.get_content_maintype() == "text"))
        if found:
            out.append((msg, m.data, found[0]))
    return out


def send_and_get_links(out, sink, recipients):
    """Sends the secure message to recipients; {recipient: token} from
    their notices."""
    out.send(recipients, raw=secure_message(out.ann, recipients))
    got = wait_for(lambda: all(notices(sink, r) for r in recipients))
    assert got, [m.data[:300] for m in sink.messages]
    return {r: notices(sink, r)[0][2] for r in recipients}


def test_reader_reads_downloads_and_replies_then_sender_withdraws(
        web_server, instance, org, run_scenario, https_client, tmp_path):
    mailroom = Mailroom(tmp_path / "mailroom")
    with DnsStub(zone()) as stub, Sink(on_message=mailroom) as sink:
        server = web_server(extra=delivery_settings(stub, sink.port))
        out = Outbound(instance, org, server)
        links = send_and_get_links(out, sink, [READER])

        # The notice carries the link, in its text and in the
        # Encrypted_Message.htm it attaches, and nothing of the message.
        ((notice, raw, token),) = notices(sink, READER)
        assert token == links[READER]
        # Its parts are base64: look at them decoded, and at the bytes.
        decoded = "".join(p.get_content() for p in notice.walk()
                          if p.get_content_maintype() == "text")
        for secret in ("blood results", "caremail test results",
                       "results.pdf"):
            assert secret not in decoded and secret.encode() not in raw
        names = [p.get_filename() for p in notice.iter_attachments()]
        assert names == ["Encrypted_Message.htm"], names
        (htm,) = notice.iter_attachments()
        assert "/secure/open#" + token in htm.get_content()

        staff = ready(https_client, server, out.ann, PASSWORD)
        run_scenario("secure", server, link=token, reader=READER,
                     sender=out.ann, mailroom=mailroom.dir,
                     staff_cookie=staff.cookie,
                     attachment=ATTACHMENT.hex(), body=BODY,
                     subject=SUBJECT)

    # The reply reached the sender's INBOX, from the reader, threaded.
    (reply,) = [m for m in read_folder(server, out.ann, PASSWORD)
                if READER in str(m["From"])]
    assert reply["Subject"] == "Re: " + SUBJECT
    assert reply["In-Reply-To"] and "secure-results@test" in str(
        reply["References"] or reply["In-Reply-To"])
    assert "Thank you, received and understood." in reply.get_body(
        preferencelist=("plain",)).get_content()
    # What the reader did is in the audit trail.
    kinds = json.dumps(instance.json("audit", "list"))
    for event in ("secure_signin", "secure_read"):
        assert event in kinds, event


def test_refused_links_and_codes(web_server, instance, org, run_scenario,
                                 https_client, tmp_path):
    mailroom = Mailroom(tmp_path / "mailroom")
    coder, withdrawn = "coder@far.example", "gone@far.example"
    with DnsStub(zone()) as stub, Sink(on_message=mailroom) as sink:
        server = web_server(extra=delivery_settings(stub, sink.port))
        out = Outbound(instance, org, server)
        links = send_and_get_links(out, sink, [coder, withdrawn])

        staff = ready(https_client, server, out.ann, PASSWORD)
        (item,) = staff.ok("GET", "/secure/sent")["items"]
        staff.ok("POST", f"/secure/sent/{item['id']}/revoke",
                 {"recipient": withdrawn})
        run_scenario("secure-refused", server, stage="refused",
                     coder=coder, coder_link=links[coder],
                     withdrawn_link=links[withdrawn], mailroom=mailroom.dir)

        # Past the expiry, the sweep forgets the message: its link is
        # refused as expired.
        later = int(time.time()) + 91 * 86400
        instance.run("secure", "purge", "--at", str(later))
        run_scenario("secure-refused", server, stage="expired",
                     coder=coder, coder_link=links[coder],
                     withdrawn_link=links[withdrawn], mailroom=mailroom.dir)
