"""The outbound queue runner (issue 11 item 2-4) against real parts: the
real `caremail serve` and `caremail queue run --at`, Debian's
python3-dnslib as the DNS (dnsstub.py) and python3-aiosmtpd as the remote
servers (smtpsink.py). Reports are read back over IMAP and parsed with
Python's email package; signatures are checked with python3-dkim.
"""
import email
import email.policy
import json
import os
import re
import signal
import smtplib
import socket
import sqlite3
import ssl
import subprocess
import threading
import time

import dkim
import pytest

from conftest import PASSWORD, read_folder
from dnsstub import DnsStub
from smtpsink import Sink, make_ca, server_context
from test_smtp import person

HOUR = 3600


def message(frm, to, subject="Hello", body="Hello,\r\n\r\nThe results.\r\n"):
    return (f"From: Ann <{frm}>\r\nTo: {', '.join(to)}\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{subject.replace(' ', '')}"
            f"@test>\r\nDate: Thu, 3 Dec 2026 09:00:00 +0000\r\n\r\n"
            f"{body}").encode()


def wait_delivered(instance, seconds, every=False):
    """The queue rows once the first (every: each) is delivered, or when
    time is up."""
    deadline = time.monotonic() + seconds
    while True:
        rows = instance.json("queue", "list", "--all")
        done = [r["status"] == "delivered" for r in rows]
        if (all(done) if every else done[0]) or \
                time.monotonic() >= deadline:
            return rows
        time.sleep(0.1)


def delivery_settings(stub, sink_port, *extra):
    """serve's settings to deliver to the sink, one worker, looking every
    second."""
    return [f"dns.servers=127.0.0.1@{stub.port}", "dns.trust_anchor=",
            f"outbound.port={sink_port}", "outbound.workers=1",
            "outbound.poll_s=1", *extra]


class Outbound:
    """A sender with a mailbox, serve for submission and IMAP (delivery
    off), and `queue run --at` pointed at a DNS stub and a sink port."""

    def __init__(self, instance, org, server):
        self.instance = instance
        self.server = server
        self.ann = person(instance, org, "Ann", "Sender", PASSWORD)
        self.sets = []
        self.t0 = int(time.time())

    def tls(self):
        return ssl.create_default_context(
            cafile=str(self.instance.dir / "tls" / "cert.pem"))

    def send(self, to, subject="Hello", body="Hello,\r\n\r\nThe results.\r\n",
             raw=None, options=(), rcpt_options=()):
        """options go with MAIL, rcpt_options with every RCPT; or `to`
        maps each recipient to its own RCPT options (smtplib's sendmail
        gives every recipient the same)."""
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"],
                          timeout=10) as s:
            s.starttls(context=self.tls())
            s.login(self.ann, PASSWORD)
            if not isinstance(to, dict):
                s.sendmail(self.ann, to, raw or message(self.ann, to,
                                                        subject, body),
                           mail_options=list(options),
                           rcpt_options=list(rcpt_options))
            else:
                assert s.mail(self.ann, list(options))[0] == 250
                for rcpt, opts in to.items():
                    code, text = s.rcpt(rcpt, list(opts))
                    assert code == 250, (rcpt, code, text)
                assert s.data(raw or message(self.ann, list(to), subject,
                                             body))[0] == 250
        # Times of passes count from just after the last message queued.
        self.t0 = int(time.time()) + 1

    def settings(self, stub, port, *extra):
        self.sets = ["--set", f"dns.servers=127.0.0.1@{stub.port}",
                     "--set", "dns.trust_anchor=",
                     "--set", f"outbound.port={port}",
                     "--set", "outbound.greeting_timeout_s=5",
                     "--set", "outbound.connect_timeout_s=5"]
        for e in extra:
            self.sets += ["--set", e]

    def run(self, at=None, check=True):
        """(events, stderr) of one pass at t0 + at seconds."""
        args = ["queue", "run", "--json", *self.sets]
        if at is not None:
            args += ["--at", str(self.t0 + at)]
        proc = self.instance.run(*args, check=check)
        return json.loads(proc.stdout or "[]"), proc.stderr

    def rows(self):
        return self.instance.json("queue", "list", "--all")

    def inbox(self):
        """Every message in Ann's INBOX, read over IMAP, parsed."""
        return read_folder(self.server, self.ann, PASSWORD)


def report_fields(msg, report_type="delivery-status"):
    """(per-message fields, [per-recipient fields]) of a DSN whose
    report-type is report_type ("global-delivery-status": RFC 6533)."""
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == report_type
    status = [p for p in msg.walk()
              if p.get_content_type() == "message/" + report_type][0]
    if report_type == "delivery-status":
        blocks = status.get_payload()
        return blocks[0], blocks[1:]
    # email reads only message/delivery-status as blocks: any other
    # message/* is a message, here the per-message fields as its header
    # and the per-recipient blocks as its body, read the same way.
    (per_message,) = status.get_payload()
    body = per_message.get_payload(decode=True)
    blocks = [email.message_from_bytes(b + b"\r\n",
                                       policy=email.policy.default)
              for b in re.split(rb"\r?\n\r?\n", body) if b.strip()]
    return per_message, blocks


@pytest.fixture
def out(instance, org, start_server):
    return Outbound(instance, org, start_server())


def zone(**extra):
    z = {"far.example": {"MX": [[10, "mx1.far.example"]]},
         "mx1.far.example": {"A": ["127.0.0.1"]}}
    z.update(extra)
    return z


def test_delivered_to_the_lowest_preference_mx(out):
    # mx2 (preference 20) points where nothing listens: only mx1 works.
    z = {"far.example": {"MX": [[20, "mx2.far.example"],
                                [10, "mx1.far.example"]]},
         "mx1.far.example": {"A": ["127.0.0.1"]},
         "mx2.far.example": {"A": ["127.0.0.2"]}}
    with DnsStub(z) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"])
        events, _ = out.run()
        assert [(e["recipient"], e["result"], e["remote_mta"])
                for e in events] == \
            [("bob@far.example", "delivered", "mx1.far.example")]
        assert len(sink.messages) == 1
        assert sink.messages[0].rcpt_tos == ["bob@far.example"]
        assert sink.messages[0].mail_from == out.ann
        assert b"The results." in sink.messages[0].data
    rows = out.rows()
    assert [(r["status"], r["attempts"], r["tls"]) for r in rows] == \
        [("delivered", 1, "none")]
    # Nothing is due any more: a second pass attempts nothing.
    events, _ = out.run(at=60)
    assert events == []
    # Delivered rows are history: the default list shows what waits.
    assert out.instance.json("queue", "list") == []


def test_falls_back_to_the_next_mx_when_the_first_refuses(out):
    z = {"far.example": {"MX": [[10, "mx1.far.example"],
                                [20, "mx2.far.example"]]},
         "mx1.far.example": {"A": ["127.0.0.2"]},    # connection refused
         "mx2.far.example": {"A": ["127.0.0.1"]}}
    with DnsStub(z) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"])
        events, stderr = out.run()
        assert [(e["result"], e["remote_mta"]) for e in events] == \
            [("delivered", "mx2.far.example")]
        assert "outbound.connect_failed" in stderr
        assert "mx1.far.example" in stderr
        assert len(sink.messages) == 1


def test_null_mx_bounces_with_a_report_in_the_senders_inbox(out):
    z = {"far.example": {"MX": [[0, "."]]}}
    with DnsStub(z) as stub:
        out.settings(stub, 25)
        out.send(["bob@far.example"], subject="Referral letter")
        events, _ = out.run()
    assert [(e["result"]) for e in events] == ["failed"]
    assert "null MX" in events[0]["detail"]
    (report,) = out.inbox()
    assert report["From"].addresses[0].addr_spec == \
        "postmaster@" + out.instance.domain
    assert report["Subject"] == "Not delivered: Referral letter"
    assert report["Auto-Submitted"] == "auto-replied"
    assert report["Return-Path"] == "<>"
    fields, (rcpt,) = report_fields(report)
    assert rcpt["Final-Recipient"] == "rfc822; bob@far.example"
    assert rcpt["Action"] == "failed"
    assert rcpt["Status"] == "5.1.10"
    words = report.get_body(preferencelist=("plain",)).get_content()
    assert "bob@far.example" in words
    assert [r["status"] for r in out.rows()] == ["failed"]


def test_report_to_a_sender_who_is_gone_is_dropped_not_retried(out):
    z = {"far.example": {"MX": [[0, "."]]}}
    with DnsStub(z) as stub:
        out.settings(stub, 25)
        out.send(["bob@far.example"])
        out.instance.run("user", "delete", out.ann)
        (e,), stderr = out.run()
    # Given up for good: no mailbox to tell, nothing to try again.
    assert e["result"] == "failed"
    assert "outbound.report_dropped" in stderr
    assert [r["status"] for r in out.rows()] == ["failed"]


def test_4xx_retried_on_schedule_then_notices_then_ndr(out):
    with DnsStub(zone()) as stub, \
            Sink(replies={"bob@far.example": "451 4.3.0 try later"}) as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"], subject="Results")
        (e,), _ = out.run(at=0)
        assert e["result"] == "deferred"
        assert e["detail"] == "451 4.3.0 try later"
        first_retry = out.rows()[0]["next_attempt_at"]
        # The first wait is 5 minutes, moved by at most 10 %.
        (row,) = out.rows()
        assert row["attempts"] == 1 and row["last_error"] == \
            "451 4.3.0 try later"
        # Not due yet: nothing is attempted.
        events, _ = out.run(at=4 * 60)
        assert events == []
        events, _ = out.run(at=6 * 60)
        assert [e["result"] for e in events] == ["deferred"]
        assert out.rows()[0]["attempts"] == 2
        assert out.inbox() == []
        # At 4 hours: deferred again, and one delay notice.
        (e,), _ = out.run(at=4 * HOUR + 60)
        assert e["result"] == "deferred" and e["delay_notice"]
        (notice,) = out.inbox()
        assert notice["Subject"] == "Delayed: Results"
        _, (rcpt,) = report_fields(notice)
        assert rcpt["Action"] == "delayed"
        assert rcpt["Status"] == "4.3.0"
        assert "Will-Retry-Until" in rcpt
        # At 24 hours the second notice; no other between.
        (e,), _ = out.run(at=10 * HOUR)
        assert not e["delay_notice"]
        (e,), _ = out.run(at=24 * HOUR + 60)
        assert e["delay_notice"]
        # After the lifetime (96 h): given up, the report says so.
        (e,), _ = out.run(at=96 * HOUR + 60)
        assert e["result"] == "failed"
        subjects = [m["Subject"] for m in out.inbox()]
        assert subjects == ["Delayed: Results", "Delayed: Results",
                            "Not delivered: Results"]
        _, (rcpt,) = report_fields(out.inbox()[2])
        assert rcpt["Action"] == "failed"
        assert sink.messages == []
        assert first_retry is not None


def test_5xx_for_one_recipient_bounces_only_that_one(out):
    with DnsStub(zone()) as stub, \
            Sink(replies={"bad@far.example": "550 5.1.1 no such user"}) \
            as sink:
        out.settings(stub, sink.port)
        out.send(["good@far.example", "bad@far.example"], subject="Rota")
        events, _ = out.run()
        assert sorted((e["recipient"], e["result"]) for e in events) == \
            [("bad@far.example", "failed"), ("good@far.example",
                                              "delivered")]
        assert sink.messages[0].rcpt_tos == ["good@far.example"]
    (report,) = out.inbox()
    _, rcpts = report_fields(report)
    assert [r["Final-Recipient"] for r in rcpts] == \
        ["rfc822; bad@far.example"]
    assert rcpts[0]["Diagnostic-Code"] == "smtp; 550 5.1.1 no such user"
    assert "good@far.example" not in report.get_body(
        preferencelist=("plain",)).get_content()


def test_two_messages_to_one_domain_share_one_connection(out):
    with DnsStub(zone()) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"], subject="First")
        out.send(["carol@far.example"], subject="Second")
        events, _ = out.run()
        assert [e["result"] for e in events] == ["delivered", "delivered"]
        assert len(sink.messages) == 2
        assert sink.ehlos == 1      # one connection, one EHLO


def test_secure_domain_without_starttls_stays_queued_and_alerts(out):
    z = {"secure.example": {"MX": [[10, "mx1.secure.example"]]},
         "mx1.secure.example": {"A": ["127.0.0.1"]}}
    with DnsStub(z) as stub, Sink() as sink:
        out.settings(stub, sink.port,
                     "outbound.secure_domains=nhs.net, secure.example")
        out.send(["bob@mail.secure.example".replace("mail.", "")],
                 subject="Patient notes")
        (e,), stderr = out.run()
        assert e["result"] == "deferred"
        assert "STARTTLS" in e["detail"]
        assert sink.messages == []          # nothing in clear
        assert "outbound.tls_required" in stderr
        assert "domain=secure.example" in stderr
        # The alert is an audit row too.
        audit = out.instance.json("audit", "list", "--type", "queue")
        assert [(a["action"], a["summary"]["event"]) for a in audit] == \
            [("other", "tls_required")]
        # Once per destination per interval (60 min by default): a later
        # pass of the same process would not alert again; a new process
        # does (the interval is kept in memory; docs/outbound.md).
        (e,), _ = out.run(at=HOUR)
        assert e["result"] == "deferred" and sink.messages == []
        # Never bounced early: still waiting after a day.
        (e,), _ = out.run(at=25 * HOUR)
        assert e["result"] == "deferred"
        assert [r["status"] for r in out.rows()] == ["queued"]


def test_secure_domain_with_trusted_starttls_is_delivered_over_tls(
        out, tmp_path):
    ca, cert, key = make_ca(tmp_path, names=("mx1.secure.example",
                                             "127.0.0.1"))
    z = {"secure.example": {"MX": [[10, "mx1.secure.example"]]},
         "mx1.secure.example": {"A": ["127.0.0.1"]}}
    with DnsStub(z) as stub, Sink(tls=server_context(cert, key)) as sink:
        out.settings(stub, sink.port,
                     "outbound.secure_domains=secure.example",
                     f"outbound.tls_ca_file={ca}")
        out.send(["bob@secure.example"])
        (e,), stderr = out.run()
        assert e["result"] == "delivered", e
        assert e["tls"].startswith("TLS1.") and \
            e["tls"].endswith(" verified")
        assert sink.messages[0].tls
        assert "outbound.tls_required" not in stderr
    assert out.rows()[0]["tls"].endswith(" verified")


def test_opportunistic_tls_is_recorded(out, tmp_path):
    _, cert, key = make_ca(tmp_path, names=("other.name",))
    with DnsStub(zone()) as stub, Sink(tls=server_context(cert, key)) as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"])
        (e,), _ = out.run()
        assert e["result"] == "delivered"
        # Encrypted, but the certificate was not checked good.
        assert e["tls"].startswith("TLS1.") and \
            e["tls"].endswith("not verified")
        assert sink.messages[0].tls


def test_delivered_message_has_a_dkim_signature_that_verifies(out):
    out.instance.run("dkim", "keygen", "--domain", out.instance.domain)
    shown = out.instance.json("dkim", "show", "--domain",
                              out.instance.domain)
    with DnsStub(zone()) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"])
        out.run()
        data = sink.messages[0].data

    def dnsfunc(name, timeout=5):
        if name.decode().lower() == shown["name"].lower():
            return shown["record"].encode()
        return None
    assert data.startswith(b"DKIM-Signature:")
    assert dkim.verify(data, dnsfunc=dnsfunc)
    assert out.rows()[0]["dkim_signed"]


def test_unsigned_with_a_warning_when_the_domain_has_no_key(out):
    with DnsStub(zone()) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"])
        (e,), stderr = out.run()
        assert e["result"] == "delivered"
        assert "outbound.dkim_unsigned" in stderr
        assert "caremail dkim keygen" in stderr
        assert not sink.messages[0].data.startswith(b"DKIM-Signature:")


def test_8bit_message_to_a_server_without_8bitmime_is_refused(out):
    with DnsStub(zone()) as stub, Sink(eightbit=False) as sink:
        out.settings(stub, sink.port)
        # 8-bit in the body only: an 8-bit header (a Message-ID made from
        # the subject too) would make the report RFC 6533's global one.
        raw = message(out.ann, ["bob@far.example"], "Cafe rota",
                      "Caf\u00e9 at 10.\r\n")
        assert b"\xc3" not in raw.split(b"\r\n\r\n")[0]
        out.send(["bob@far.example"], raw=raw, options=["BODY=8BITMIME"])
        (e,), _ = out.run()
        assert e["result"] == "failed"
        assert "8BITMIME" in e["detail"]
        assert sink.messages == []
    (report,) = out.inbox()
    _, (rcpt,) = report_fields(report)
    assert rcpt["Status"] == "5.6.3"


def test_queue_show_retry_and_bounce(out):
    with DnsStub(zone()) as stub, \
            Sink(replies={"bob@far.example": "451 4.3.0 busy"}) as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"], subject="Minutes")
        out.run()
        (row,) = out.instance.json("queue", "list")
        shown = out.instance.json("queue", "show", str(row["id"]))
        assert shown["status"] == "queued" and shown["attempts"] == 1
        assert shown["last_error"] == "451 4.3.0 busy"
        # retry: due now, so a pass at once tries it again.
        assert out.instance.json("queue", "retry", str(row["id"])) == \
            {"retried": 1}
        events, _ = out.run()
        assert len(events) == 1
        assert out.instance.json("queue", "retry", "--all") == \
            {"retried": 1}
        # bounce: gone, audited, and the sender told who stopped it.
        out.instance.run("queue", "bounce", str(row["id"]))
        assert out.rows() == []
        audit = out.instance.json("audit", "list", "--type", "queue")
        assert sorted(a["summary"]["event"] for a in audit) == \
            ["bounce", "retry", "retry"]
        (report,) = out.inbox()
        assert report["Subject"] == "Not delivered: Minutes"
        words = report.get_body(preferencelist=("plain",)).get_content()
        assert "An administrator of this mail service returned the " \
            "message to you" in words
        # Not the words for a remote's refusal (the builder's default).
        assert "receiving server refused" not in words
        _, (rcpt,) = report_fields(report)
        assert rcpt["Action"] == "failed" and rcpt["Status"] == "5.0.0"
        assert "administrator" in rcpt["Diagnostic-Code"]
        err = out.instance.fails("queue", "bounce", str(row["id"]))
        assert "no message waiting in the queue has the id" in err
        err = out.instance.fails("queue", "show", "x1", code=2)
        assert "not a queue id" in err


def test_delete_is_silent_and_audited_with_its_reason(out):
    """delete (postsuper -d): gone, nobody told, the reason on the trail;
    without a reason, or with one that is not one line, nothing changes."""
    with DnsStub(zone()) as stub, \
            Sink(replies={"bob@far.example": "451 4.3.0 busy"}) as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"], subject="Junk")
        out.run()
    (row,) = out.instance.json("queue", "list")
    ident = str(row["id"])
    err = out.instance.fails("queue", "delete", ident, code=2)
    assert "--reason" in err
    for bad, words in (("", "say why"), ("   ", "say why"),
                       ("two\nlines", "one line"), ("x" * 501, "500")):
        err = out.instance.fails("queue", "delete", ident, "--reason", bad)
        assert words in err, (bad, err)
    assert [r["id"] for r in out.instance.json("queue", "list")] == \
        [row["id"]]
    done = out.instance.json("queue", "delete", ident, "--reason",
                             "spam for a dead domain")
    assert done == {"deleted": row["id"]}
    assert out.rows() == []
    (audit,) = out.instance.json("audit", "list", "--type", "queue")
    assert audit["action"] == "delete"
    assert audit["summary"] == {"event": "delete",
                                "sender": out.ann,
                                "recipient": "bob@far.example",
                                "attempts": 1,
                                "reason": "spam for a dead domain"}
    assert out.inbox() == []            # nobody told
    err = out.instance.fails("queue", "delete", ident, "--reason", "again")
    assert "no message waiting in the queue has the id" in err


def test_bounce_of_a_report_sends_no_report(out):
    """A report that cannot be delivered is returned without another
    (RFC 3461 §6.2): the null sender is never written to."""
    with DnsStub(zone()) as stub, \
            Sink(replies={"bob@far.example": "451 4.3.0 busy"}) as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"], subject="Null")
        out.run()
    (row,) = out.instance.json("queue", "list")
    # The same row as if the platform had queued a report to bob.
    with sqlite3.connect(out.instance.dir / "caremail.db", timeout=10) as db:
        db.execute("UPDATE queue SET sender = '' WHERE id = ?", (row["id"],))
    done = out.instance.json("queue", "bounce", str(row["id"]))
    assert done == {"bounced": row["id"], "reported": False}
    assert out.rows() == [] and out.inbox() == []


def test_serve_delivers_mail_queued_before_it_started(instance, org,
                                                      start_server):
    with DnsStub(zone()) as stub, Sink() as sink:
        first = start_server()
        out = Outbound(instance, org, first)
        out.send(["bob@far.example"])
        first.proc.send_signal(signal.SIGTERM)
        assert first.proc.wait(timeout=10) == 0
        assert sink.messages == []
        start_server(extra=[f"dns.servers=127.0.0.1@{stub.port}",
                            "dns.trust_anchor=",
                            f"outbound.port={sink.port}",
                            "outbound.workers=2", "outbound.poll_s=1"])
        deadline = time.monotonic() + 20
        while not sink.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(sink.messages) == 1
        rows = wait_delivered(instance, 10)
        assert rows[0]["status"] == "delivered"


def test_serve_is_woken_when_mail_is_queued(instance, org, start_server):
    # An hour between looks: only the wake-up can deliver it quickly.
    with DnsStub(zone()) as stub, Sink() as sink:
        server = start_server(extra=[
            f"dns.servers=127.0.0.1@{stub.port}", "dns.trust_anchor=",
            f"outbound.port={sink.port}", "outbound.workers=1",
            "outbound.poll_s=3600"])
        out = Outbound(instance, org, server)
        time.sleep(0.5)         # past the look at start-up
        out.send(["bob@far.example"])
        deadline = time.monotonic() + 10
        while not sink.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sink.messages) == 1, server.logs()


class StallSink:
    """A raw SMTP server: the first connection stalls after its stall_at-th
    message's final dot (never replies), later ones take the message. .messages
    counts every message received whole."""

    def __init__(self, stall_at=1):
        self.stall_at = stall_at    # the first connection's message that stalls
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.messages = 0
        self.stalled = threading.Event()
        self.stop = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve,
                             args=(conn, self.connections == 1),
                             daemon=True).start()

    def serve(self, conn, stall):
        f = conn.makefile("rb")
        conn.sendall(b"220 stall.test ESMTP\r\n")
        here = 0
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.upper()
                if cmd.startswith(b"EHLO"):
                    conn.sendall(b"250-stall.test\r\n250 8BITMIME\r\n")
                elif cmd.startswith(b"DATA"):
                    conn.sendall(b"354 go on\r\n")
                    while f.readline() not in (b".\r\n", b""):
                        pass
                    self.messages += 1
                    here += 1
                    if stall and here == self.stall_at:
                        self.stalled.set()
                        time.sleep(3600)
                    conn.sendall(b"250 2.0.0 taken\r\n")
                elif cmd.startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 2.0.0 ok\r\n")
        except OSError:
            return
        finally:
            conn.close()

    def close(self):
        self.stop = True
        self.sock.close()


def test_kill_9_during_delivery_loses_nothing(instance, org, start_server):
    sink = StallSink()
    try:
        with DnsStub(zone()) as stub:
            extra = delivery_settings(stub, sink.port, "outbound.lease_s=3")
            first = start_server(extra=extra)
            out = Outbound(instance, org, first)
            out.send(["bob@far.example"])
            assert sink.stalled.wait(20), first.logs()
            # The remote has the message; we never heard its reply.
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(timeout=10)
            (row,) = instance.json("queue", "list")
            assert row["status"] == "in_flight"
            start_server(extra=extra)
            rows = wait_delivered(instance, 30)
            assert rows[0]["status"] == "delivered", rows
            # At least once: the window after the dot gives a duplicate.
            assert sink.messages == 2
            assert sink.connections == 2
    finally:
        sink.close()


def test_kill_9_after_some_outcomes_loses_nothing_and_resends_at_most_a_batch(
        instance, org, start_server):
    """Outcomes are written in batches (at most 10 messages of a
    connection): kill -9 after the remote took 24 messages of one
    connection and stalled on the 25th loses none, and sends again only
    those whose outcome was not yet written, at most a batch and the one
    in progress (docs/outbound.md, Crashes)."""
    n = 25
    sink = StallSink(stall_at=n)
    try:
        with DnsStub(zone()) as stub:
            queued = start_server()     # delivery off: all go in one job
            out = Outbound(instance, org, queued)
            for i in range(n):
                out.send(["bob@far.example"], subject=f"Number {i}")
            queued.proc.send_signal(signal.SIGTERM)
            assert queued.proc.wait(timeout=10) == 0
            extra = delivery_settings(stub, sink.port, "outbound.lease_s=3")
            first = start_server(extra=extra)
            assert sink.stalled.wait(60), first.logs()
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(timeout=10)
            rows = instance.json("queue", "list", "--all")
            status = [r["status"] for r in rows]
            assert len(rows) == n
            unwritten = status.count("in_flight")
            assert status.count("delivered") + unwritten == n, status
            # The stalled one, and at most 9 settled since the last batch.
            assert 1 <= unwritten <= 10, status
            start_server(extra=extra)
            rows = wait_delivered(instance, 60, every=True)
            assert [r["status"] for r in rows] == ["delivered"] * n
            # Each unwritten one once more; none written was sent again.
            assert sink.messages == n + unwritten
    finally:
        sink.close()


def stop_timed(server, timeout=40):
    """SIGTERM; (exit code, seconds it took)."""
    start = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    code = server.proc.wait(timeout=timeout)
    return code, time.monotonic() - start


def test_sigterm_waits_for_a_delivery_in_progress(instance, org,
                                                  start_server):
    """SIGTERM during DATA to a slow server: serve stops claiming, lets
    the delivery finish (within outbound.shutdown_grace_s), records it
    delivered and exits; started again it sends nothing twice."""
    with DnsStub(zone()) as stub, Sink(data_delay=3) as sink:
        extra = delivery_settings(stub, sink.port,
                                  "outbound.shutdown_grace_s=20")
        first = start_server(extra=extra)
        out = Outbound(instance, org, first)
        out.send(["bob@far.example"], subject="First")
        assert sink.data_started.wait(20), first.logs()
        code, took = stop_timed(first)
        assert code == 0, first.logs()
        # It waited for the 3 s reply, and not for the whole grace.
        assert 1 < took < 15, (took, first.logs())
        assert "event=outbound.shutdown_waited" in first.logs()
        (row,) = out.rows()
        assert row["status"] == "delivered", row
        start_server(extra=extra)
        time.sleep(3)                   # a look or two at start-up
        assert len(sink.messages) == 1


def test_sigterm_past_the_grace_cuts_and_gives_the_rows_back(
        instance, org, start_server):
    """A server that never answers the final dot: serve exits within
    outbound.shutdown_grace_s (plus a little), the recipient is queued
    again at once (not held for the hour-long lease) and not counted as an
    attempt, and the next start delivers it: nothing is lost."""
    sink = StallSink()
    try:
        with DnsStub(zone()) as stub:
            extra = delivery_settings(stub, sink.port,
                                      "outbound.shutdown_grace_s=2",
                                      "outbound.lease_s=3600")
            first = start_server(extra=extra)
            out = Outbound(instance, org, first)
            out.send(["bob@far.example"])
            assert sink.stalled.wait(20), first.logs()
            code, took = stop_timed(first)
            assert code == 0, first.logs()
            assert took < 8, (took, first.logs())
            assert "event=outbound.shutdown_cut" in first.logs()
            (row,) = instance.json("queue", "list")
            assert row["status"] == "queued" and row["claimed_by"] is None
            assert row["attempts"] == 0, row
            started = time.monotonic()
            start_server(extra=extra)
            rows = wait_delivered(instance, 20)
            assert rows[0]["status"] == "delivered", rows
            assert time.monotonic() - started < 20
            # The first copy reached the sink whole but was never
            # acknowledged: at least once, as after a crash.
            assert sink.messages == 2 and sink.connections == 2
    finally:
        sink.close()


def test_a_delivery_longer_than_the_lease_is_not_taken_by_another_runner(
        out):
    """Two `queue run`s on one instance, a server slower than the lease
    (3 s) to answer the final dot: the first runner's heartbeat keeps its
    claim, so the second finds nothing to do and the sink sees the
    message once."""
    with DnsStub(zone()) as stub, Sink(data_delay=6) as sink:
        out.settings(stub, sink.port, "outbound.lease_s=3",
                     "outbound.data_end_timeout_s=30")
        out.send(["bob@far.example"], subject="Slow")
        first = []
        runner = threading.Thread(target=lambda: first.append(out.run()))
        runner.start()
        assert sink.data_started.wait(20)
        time.sleep(4)                   # past the lease the claim began
        (row,) = out.rows()
        assert row["status"] == "in_flight"
        events, _ = out.run()
        assert events == []             # nothing for the second runner
        runner.join(30)
        assert not runner.is_alive()
        (events, _), = first
        assert [e["result"] for e in events] == ["delivered"]
        assert len(sink.messages) == 1
        (row,) = out.rows()
        assert row["status"] == "delivered" and row["attempts"] == 1


def test_api_queue_for_the_global_admin_only(out, instance, org):
    from apiclient import global_admin, make_admin
    with DnsStub(zone()) as stub, \
            Sink(replies={"bob@far.example": "451 4.3.0 busy"}) as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example"], subject="Plan A")
        out.send(["carol@far.example"], subject="Plan B")
        out.run()
    ga = global_admin(out.server, instance)
    page = ga.ok("GET", "/queue?limit=1")
    (row,) = page["items"]
    assert row["recipient"] == "bob@far.example"
    assert row["status"] == "queued" and row["attempts"] == 1
    assert row["last_error"] == "451 4.3.0 busy"
    assert page["next_cursor"] is not None
    rest = ga.ok("GET", f"/queue?limit=1&cursor={page['next_cursor']}")
    assert rest["items"] == []         # carol was delivered: history only
    every = ga.ok("GET", "/queue?all=true")["items"]
    assert [(r["recipient"], r["status"]) for r in every] == \
        [("bob@far.example", "queued"), ("carol@far.example", "delivered")]
    ga.refused("GET", "/queue?all=maybe", status=422)
    due = ga.ok("POST", f"/queue/{row['id']}/retry")
    assert due["next_attempt_at"] <= row["next_attempt_at"]
    ga.refused("POST", f"/queue/{every[1]['id']}/retry", status=404)
    ga.refused("DELETE", "/queue/nonsense", status=404)
    # A Local Admin runs an org, not the service's queue.
    la = make_admin(out.server, instance, org)
    la.refused("GET", "/queue")
    la.refused("POST", f"/queue/{row['id']}/bounce")
    la.refused("DELETE", f"/queue/{row['id']}", {"reason": "junk"})
    # Bounce: the sender gets a report saying an administrator returned it.
    assert ga.ok("POST", f"/queue/{row['id']}/bounce") == \
        {"id": row["id"], "bounced": True, "reported": True}
    ga.refused("POST", f"/queue/{row['id']}/bounce", status=404)
    assert ga.ok("GET", "/queue")["items"] == []
    (report,) = out.inbox()
    assert report["Subject"] == "Not delivered: Plan A"
    assert "An administrator of this mail service returned" in \
        report.get_body(preferencelist=("plain",)).get_content()
    # Delete: silent, needs a reason (one line), which the trail keeps.
    with DnsStub(zone()) as stub, \
            Sink(replies={"dan@far.example": "451 4.3.0 busy"}) as sink:
        out.settings(stub, sink.port)
        out.send(["dan@far.example"], subject="Junk")
        out.run()
    (junk,) = ga.ok("GET", "/queue")["items"]
    for body in ({}, {"reason": ""}, {"reason": "a\nb"},
                 {"reason": "x" * 501}, {"reason": 7}):
        refusal = ga.refused("DELETE", f"/queue/{junk['id']}", body,
                             status=422)
        assert refusal["field"] == "reason", (body, refusal)
    assert [r["id"] for r in ga.ok("GET", "/queue")["items"]] == \
        [junk["id"]]
    assert ga.ok("DELETE", f"/queue/{junk['id']}",
                 {"reason": "spam for a dead domain"}) == \
        {"id": junk["id"], "deleted": True}
    assert ga.ok("GET", "/queue")["items"] == []
    assert len(out.inbox()) == 1        # the bounce's report only
    ga.refused("DELETE", f"/queue/{junk['id']}", {"reason": "again"},
               status=404)
    audit = instance.json("audit", "list", "--type", "queue")
    events = {a["summary"]["event"]: a["summary"] for a in audit
              if "event" in a["summary"]}
    assert sorted(events) == ["bounce", "delete", "retry"]
    assert events["delete"]["reason"] == "spam for a dead domain"
    assert events["bounce"]["recipient"] == "bob@far.example"
    # The Local Admin's three refusals are on the trail too (SECURITY.md 48).
    assert len([a for a in audit if a["result"] == "denied"]) == 3


def test_static_route_with_auth_and_required_tls(out, tmp_path):
    ca, cert, key = make_ca(tmp_path, names=("127.0.0.1",))
    (out.instance.dir / "relay.pw").write_text("s3cret pass\n")
    with DnsStub({}) as stub, \
            Sink(tls=server_context(cert, key),
                 auth=("app", "s3cret pass")) as sink:
        out.settings(stub, 1,
                     f"outbound.routes=*=127.0.0.1:{sink.port} "
                     "tls=required auth=app password_file=relay.pw",
                     f"outbound.tls_ca_file={ca}")
        out.send(["bob@anywhere.example"])
        (e,), _ = out.run()
        assert e["result"] == "delivered", e
        assert e["tls"].endswith(" verified")
        assert sink.auth_seen and sink.auth_seen[-1][1:] == ("app", True)
        # No MX was asked: the route decides.
        assert not [q for q in stub.queries if q[1] == "MX"]
        # A wrong password is the operator's to fix: the mail waits.
        (out.instance.dir / "relay.pw").write_text("wrong\n")
        out.send(["carol@anywhere.example"])
        (e,), _ = out.run()
        assert e["result"] == "deferred", e
        (out.instance.dir / "relay.pw").unlink()
        (e,), stderr = out.run(at=HOUR)
        assert e["result"] == "deferred"
        assert "outbound.route_password" in stderr
        assert len(sink.messages) == 1


def test_healthcheck_counts_the_queue(out):
    """Monitoring reads the queue from /healthcheck: counts only."""
    def counts():
        status, body = out.server.get("/healthcheck")
        assert status == 200
        return body["queue"]

    assert counts() == {"waiting": 0, "deferred": 0, "oldest_age_s": 0}
    with DnsStub(zone()) as stub, \
            Sink(replies={"bob@far.example": "451 4.3.0 try later"}) as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example", "cat@far.example"])
        c = counts()
        assert c["waiting"] == 2 and c["deferred"] == 0
        assert 0 <= c["oldest_age_s"] < 600
        out.run(at=0)
        # cat was taken; bob waits, deferred once.
        assert counts()["waiting"] == 1 and counts()["deferred"] == 1
        assert "bob@far.example" not in json.dumps(counts())


def test_api_groups_waiting_mail_by_destination(out, instance):
    """GET /queue/destinations: where mail waits and why, longest waiting
    first; delivered mail is not counted."""
    from apiclient import global_admin
    z = zone(**{"near.example": {"MX": [[10, "mx1.far.example"]]}})
    with DnsStub(z) as stub, \
            Sink(replies={"bob@far.example": "451 4.3.0 busy",
                          "cat@far.example": "451 4.3.0 busy"}) as sink:
        out.settings(stub, sink.port)
        out.send(["bob@far.example", "cat@far.example"], subject="One")
        out.send(["dan@near.example", "eve@far.example"], subject="Two")
        out.run()
        out.send(["fay@near.example"], subject="Three")
    ga = global_admin(out.server, instance)
    got = ga.ok("GET", "/queue/destinations")["items"]
    assert [(d["domain"], d["waiting"], d["deferred"]) for d in got] == \
        [("far.example", 2, 2), ("near.example", 1, 0)]
    assert got[0]["last_error"] == "451 4.3.0 busy"
    assert got[1]["last_error"] is None and got[1]["last_attempt_at"] is None
    assert got[0]["oldest_queued_at"] <= got[1]["oldest_queued_at"]
