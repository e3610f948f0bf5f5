"""Delivery status notifications (RFC 3461, issue 11 item 3) against real
parts: the real `caremail serve` and `caremail queue run --at`, the DNS
stub and aiosmtpd sinks of test_queue.py. The sender's client gives NOTIFY,
RET, ENVID and ORCPT; the reports are read back over IMAP and parsed with
Python's email package.
"""
import smtplib
import time

from conftest import PASSWORD
from dnsstub import DnsStub
from smtpsink import Sink
from test_queue import HOUR, message, out, report_fields, zone  # noqa: F401
from test_relay import relay_session
from test_smtp import inbox, person, tls_context

NULL_MX = {"far.example": {"MX": [[0, "."]]}}


def queue_rows(instance):
    """(recipient, notify, orcpt, ret, envid) of every queue row, as
    `caremail queue show` prints them."""
    ids = sorted(r["id"] for r in instance.json("queue", "list", "--all"))
    return [tuple(instance.json("queue", "show", str(i))[k]
                  for k in ("recipient", "notify", "orcpt", "ret", "envid"))
            for i in ids]


def reported(msg):
    """The Final-Recipient addresses a report names, in order."""
    _, rcpts = report_fields(msg)
    return [r["Final-Recipient"].removeprefix("rfc822; ") for r in rcpts]


def test_every_listener_offers_dsn(instance, org, server):
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        assert b"DSN" in s.ehlo("sender.example")[1].split(b"\n")
    with smtplib.SMTP("127.0.0.1", server.ports["submission"],
                      timeout=10) as s:
        s.starttls(context=tls_context(instance))
        assert b"DSN" in s.ehlo("client.example")[1].split(b"\n")
    instance.json("relay", "add", "--org", org, "--cidr", "127.0.0.1",
                  "--label", "app")
    s = relay_session(server, instance)
    try:
        assert b"DSN" in s.ehlo("app.example")[1].split(b"\n")
    finally:
        s.quit()


def test_parameters_are_kept_per_message_and_per_recipient(out):
    out.send({
        "bob@far.example": ["NOTIFY=SUCCESS,FAILURE",
                            "ORCPT=rfc822;Bob+2Bfilter@far.example"],
        "carol@far.example": [],
        "dave@far.example": ["NOTIFY=NEVER",
                             "ORCPT=utf-8;d\\x{F6}rte@far.example"],
    }, options=["RET=HDRS", "ENVID=Q123+2B7"])
    assert queue_rows(out.instance) == [
        ("bob@far.example", "SUCCESS,FAILURE",
         "rfc822;Bob+filter@far.example", "HDRS", "Q123+7"),
        ("carol@far.example", "", "", "HDRS", "Q123+7"),
        ("dave@far.example", "NEVER", "utf-8;dörte@far.example", "HDRS",
         "Q123+7"),
    ]


def test_notify_decides_who_is_in_the_non_delivery_report(out):
    # A null MX fails every recipient at once; each asked differently.
    asked = {"default@far.example": [],
             "never@far.example": ["NOTIFY=NEVER"],
             "success@far.example": ["NOTIFY=SUCCESS"],
             "delay@far.example": ["NOTIFY=DELAY"],
             "failure@far.example": ["NOTIFY=FAILURE"],
             "all@far.example": ["NOTIFY=SUCCESS,FAILURE,DELAY"]}
    with DnsStub(NULL_MX) as stub:
        out.settings(stub, 25)
        out.send(asked, subject="Referral")
        events, _ = out.run()
    assert sorted(e["result"] for e in events) == ["failed"] * len(asked)
    assert all(r["status"] == "failed" for r in out.rows())
    (report,) = out.inbox()
    assert report["Subject"] == "Not delivered: Referral"
    assert sorted(reported(report)) == ["all@far.example",
                                        "default@far.example",
                                        "failure@far.example"]


def test_notify_never_alone_means_no_report_at_all(out):
    with DnsStub(NULL_MX) as stub:
        out.settings(stub, 25)
        out.send(["bob@far.example"], rcpt_options=["NOTIFY=NEVER"])
        (e,), _ = out.run()
    assert e["result"] == "failed"
    assert [r["status"] for r in out.rows()] == ["failed"]
    assert out.inbox() == []


def test_bounce_reports_only_to_a_sender_who_asked_for_failures(out):
    """An operator's bounce is a failure report like the runner's: a
    recipient whose NOTIFY leaves failures out gets none, and the bounce
    says so (reported false), while a default one is told."""
    with DnsStub(zone()) as stub, \
            Sink(replies={"never@far.example": "451 4.3.0 busy",
                          "success@far.example": "451 4.3.0 busy",
                          "default@far.example": "451 4.3.0 busy"}) as sink:
        out.settings(stub, sink.port)
        out.send({"never@far.example": ["NOTIFY=NEVER"],
                  "success@far.example": ["NOTIFY=SUCCESS"],
                  "default@far.example": []})
        out.run()
    rows = {r["recipient"]: r["id"] for r in out.instance.json("queue",
                                                               "list")}
    for rcpt, told in (("never@far.example", False),
                       ("success@far.example", False),
                       ("default@far.example", True)):
        done = out.instance.json("queue", "bounce", str(rows[rcpt]))
        assert done == {"bounced": rows[rcpt], "reported": told}, rcpt
    (msg,) = out.inbox()
    assert reported(msg) == ["default@far.example"]
    assert out.rows() == []


def test_notify_decides_delay_notices_too(out):
    asked = {"default@far.example": [],
             "failure@far.example": ["NOTIFY=FAILURE"],
             "delay@far.example": ["NOTIFY=DELAY"],
             "never@far.example": ["NOTIFY=NEVER"]}
    busy = {a: "451 4.3.0 try later" for a in asked}
    with DnsStub(zone()) as stub, Sink(replies=busy) as sink:
        out.settings(stub, sink.port)
        out.send(asked, subject="Results")
        out.run(at=0)
        # The notices at 4 and 24 hours go to those who asked for delays.
        for at in (4 * HOUR + 60, 24 * HOUR + 60):
            events, _ = out.run(at=at)
            assert len(events) == len(asked)
            noticed = sorted(e["recipient"] for e in events
                             if e["delay_notice"])
            assert noticed == ["default@far.example", "delay@far.example"]
            notice = out.inbox()[-1]
            assert notice["Subject"] == "Delayed: Results"
            assert sorted(reported(notice)) == noticed
        # A notice not wanted counts as given: none is owed later.
        events, _ = out.run(at=26 * HOUR)
        assert len(events) == len(asked)
        assert not any(e["delay_notice"] for e in events)
        out.run(at=96 * HOUR + 60)
    subjects = [m["Subject"] for m in out.inbox()]
    assert subjects == ["Delayed: Results", "Delayed: Results",
                        "Not delivered: Results"]
    assert sorted(reported(out.inbox()[2])) == ["default@far.example",
                                                "failure@far.example"]


def test_success_to_a_server_without_dsn_is_reported_relayed(out):
    with DnsStub(zone()) as stub, Sink(dsn=False) as sink:
        out.settings(stub, sink.port)
        out.send({
            "bob@far.example": ["NOTIFY=SUCCESS",
                                "ORCPT=rfc822;Bob+2Bfilter@far.example"],
            "carol@far.example": ["NOTIFY=FAILURE"],
        }, options=["ENVID=Q123+2B7", "RET=HDRS"])
        events, _ = out.run()
        assert [e["result"] for e in events] == ["delivered"] * 2
        # The server was not offered what it does not know.
        assert sink.messages[0].mail_options == []
        assert sink.messages[0].rcpt_options == []
    (report,) = out.inbox()
    assert report["Subject"] == "Relayed: Hello"
    assert report["Return-Path"] == "<>"
    fields, (rcpt,) = report_fields(report)
    assert fields["Original-Envelope-Id"] == "Q123+7"
    assert rcpt["Final-Recipient"] == "rfc822; bob@far.example"
    assert rcpt["Original-Recipient"] == "rfc822; Bob+filter@far.example"
    assert rcpt["Action"] == "relayed"
    assert rcpt["Status"] == "2.0.0"
    assert rcpt["Remote-MTA"] == "dns; mx1.far.example"
    assert rcpt["Diagnostic-Code"].startswith("smtp; 250")
    # A confirmation returns the header, never the message.
    returned = report.get_payload()[2]
    assert returned.get_content_type() == "text/rfc822-headers"


def test_success_to_a_server_with_dsn_is_passed_on_not_reported(out):
    with DnsStub(zone()) as stub, Sink(dsn=True) as sink:
        out.settings(stub, sink.port)
        out.send({
            "bob@far.example": ["NOTIFY=SUCCESS",
                                "ORCPT=rfc822;Bob+2Bfilter@far.example"],
            "dave@far.example": ["NOTIFY=NEVER",
                                 "ORCPT=utf-8;d\\x{F6}rte@far.example"],
        }, options=["ENVID=Q123+2B7", "RET=FULL"])
        events, _ = out.run()
        assert [e["result"] for e in events] == ["delivered"] * 2
        (m,) = sink.messages
    # aiosmtpd upper-cases the parameters it keeps.
    assert sorted(m.mail_options) == ["ENVID=Q123+2B7", "RET=FULL"]
    assert m.rcpt_options == ["NOTIFY=SUCCESS",
                              "ORCPT=RFC822;BOB+2BFILTER@FAR.EXAMPLE",
                              "NOTIFY=NEVER",
                              "ORCPT=UTF-8;D\\X{F6}RTE@FAR.EXAMPLE"]
    # That server reports success itself: nothing from us.
    assert out.inbox() == []


def test_ret_decides_what_the_report_returns(out):
    refuse = {"bob@far.example": "550 5.1.1 no such user"}
    asked = {"HDRS": ["RET=HDRS"], "FULL": ["RET=FULL"], "none": []}
    with DnsStub(zone()) as stub, Sink(replies=refuse) as sink:
        out.settings(stub, sink.port)
        for subject, options in asked.items():
            out.send(["bob@far.example"], subject=subject,
                     body="The confidential letter text.\r\n",
                     options=options)
        out.run()
    reports = {m["Subject"].removeprefix("Not delivered: "): m
               for m in out.inbox()}
    assert sorted(reports) == sorted(asked)
    for subject, report in reports.items():
        parts = report.get_payload()
        whole = subject == "FULL"
        assert parts[2].get_content_type() == \
            ("message/rfc822" if whole else "text/rfc822-headers")
        raw = parts[2].as_string()
        assert f"Subject: {subject}" in raw
        assert ("The confidential letter text." in raw) == whole
        assert "only its header" not in parts[0].get_content()


def test_ret_full_past_the_size_limit_returns_the_header_and_says_so(out):
    refuse = {"bob@far.example": "550 5.1.1 no such user"}
    with DnsStub(zone()) as stub, Sink(replies=refuse) as sink:
        out.settings(stub, sink.port, "outbound.report_return_max_kb=2")
        out.send(["bob@far.example"], subject="Big",
                 body="A long letter.\r\n" * 300, options=["RET=FULL"])
        out.run()
    (report,) = out.inbox()
    parts = report.get_payload()
    assert parts[2].get_content_type() == "text/rfc822-headers"
    assert "A long letter." not in parts[2].as_string()
    assert "larger than the 2 KB a report carries" in parts[0].get_content()


def test_success_at_final_delivery_here_is_reported_delivered(
        out, instance, org):
    bob = person(instance, org, "Bob", "Local")
    carol = person(instance, org, "Carol", "Local")
    out.send({bob: ["NOTIFY=SUCCESS", f"ORCPT=rfc822;{bob}"], carol: []},
             options=["ENVID=local+2D1"], subject="Clinic")
    assert [s for _, s, _ in inbox(instance, bob)] == ["Clinic"]
    (report,) = out.inbox()
    assert report["Subject"] == "Delivered: Clinic"
    fields, (rcpt,) = report_fields(report)
    assert fields["Original-Envelope-Id"] == "local-1"
    assert rcpt["Final-Recipient"] == f"rfc822; {bob}"
    assert rcpt["Original-Recipient"] == f"rfc822; {bob}"
    assert rcpt["Action"] == "delivered"
    assert rcpt["Status"] == "2.0.0"
    assert queue_rows(instance) == []


def test_success_for_a_sender_elsewhere_is_queued_back_out(
        instance, org, server):
    bob = person(instance, org, "Bob", "Local")
    sender = "someone@partner.example"
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.ehlo("partner.example")
        s.sendmail(sender, [bob], message(sender, [bob], "Thanks"),
                   rcpt_options=["NOTIFY=SUCCESS"])
    assert [s for _, s, _ in inbox(instance, bob)] == ["Thanks"]
    (row,) = instance.json("queue", "list")
    # From the null sender, to the one who asked (RFC 3461 §6.2).
    assert (row["sender"], row["recipient"]) == ("", sender)


def test_never_a_report_for_a_null_sender_message(instance, org, server):
    bob = person(instance, org, "Bob", "Local")
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.ehlo("partner.example")
        s.sendmail("", [bob], message("mailer-daemon@partner.example",
                                      [bob], "Bounce"),
                   rcpt_options=["NOTIFY=SUCCESS"])
    assert [s for _, s, _ in inbox(instance, bob)] == ["Bounce"]
    assert instance.json("queue", "list", "--all") == []


# One refusal of each verb: the sentences of every malformed value are
# asserted in test_dsn.c's and test_smtp.c's tables.
REFUSED = [
    ("MAIL FROM:<{ann}> RET=BODY", "RET must be FULL or HDRS"),
    ("RCPT TO:<bob@far.example> NOTIFY=NEVER,SUCCESS",
     "NOTIFY=NEVER cannot be combined"),
]


def test_malformed_parameters_are_refused_and_nothing_is_queued(out):
    for command, why in REFUSED:
        with smtplib.SMTP("127.0.0.1", out.server.ports["submission"],
                          timeout=10) as s:
            s.starttls(context=out.tls())
            s.login(out.ann, PASSWORD)
            if command.startswith("RCPT"):
                assert s.mail(out.ann)[0] == 250
            code, text = s.docmd(command.format(ann=out.ann))
            text = text.decode()
            assert (code, text[:6]) == (501, "5.5.4 "), (command, text)
            assert why in text, (command, text)
            # The transaction holds no recipient: no message can follow.
            if command.startswith("MAIL"):
                assert s.mail(out.ann)[0] == 250
            assert s.docmd("DATA")[0] == 503
    assert out.instance.json("queue", "list", "--all") == []



def test_report_about_utf8_mail_is_global(out):
    # RFC 6533: an SMTPUTF8 message, its header in UTF-8, whose sender
    # wrote the recipient as a UTF-8 address (ORCPT, raw UTF-8 as RFC
    # 6533's unitext allows in SMTPUTF8); the remote refuses it. The
    # address tried is ASCII: caremail takes no UTF-8 address in RCPT
    # yet (dir_address_check_local), so no Final-Recipient can be UTF-8.
    orcpt = "jörg@far.example"
    refuse = {"bob@far.example": "550 5.1.1 no such user"}
    with DnsStub(zone()) as stub, \
            Sink(smtputf8=True, replies=refuse) as sink:
        out.settings(stub, sink.port)
        out.send({"bob@far.example": [f"ORCPT=utf-8;{orcpt}"]},
                 subject="Befund für Jörg", options=["SMTPUTF8"])
        events, _ = out.run()
        assert [(e["recipient"], e["result"]) for e in events] == \
            [("bob@far.example", "failed")]
        assert sink.messages == []
    (report,) = out.inbox()
    assert report["Subject"] == "Not delivered: Befund für Jörg"
    parts = report.get_payload()
    assert [p.get_content_type() for p in parts] == \
        ["text/plain", "message/global-delivery-status",
         "message/global-headers"]
    per_message, rcpts = report_fields(report, "global-delivery-status")
    assert per_message["Reporting-MTA"].startswith("dns; ")
    assert len(rcpts) == 1
    assert rcpts[0]["Final-Recipient"] == "rfc822; bob@far.example"
    # The ORCPT as the sender gave it: UTF-8 itself, not \\x{F6}.
    assert rcpts[0]["Original-Recipient"] == f"utf-8; {orcpt}"
    assert rcpts[0]["Action"] == "failed"
    assert rcpts[0]["Status"] == "5.1.1"
    assert rcpts[0]["Diagnostic-Code"] == "smtp; 550 5.1.1 no such user"
    assert "bob@far.example could not be delivered" in \
        parts[0].get_content()
    (returned,) = parts[2].get_payload()
    assert returned["Subject"] == "Befund für Jörg"
