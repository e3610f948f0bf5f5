"""The outbound SMTP client (issue 11) against real servers nobody here
wrote: aiosmtpd sinks on loopback (tests/integration/smtpsink.py), driven
through `caremail smtp send`, which sends with the same client the queue
runner uses."""
import json
import ssl
import subprocess
import time

import pytest

from conftest import BIN
from smtpsink import PipeSink, SilentSink, Sink, make_ca, server_context

MESSAGE = b"From: a@sender.test\r\nTo: b@x.test\r\nSubject: hello\r\n\r\nHi.\r\n"


def send(address, *rcpts, message=MESSAGE, tls="none", extra=(),
         sender="a@sender.test", timeout=60):
    """Runs caremail smtp send --json; returns (exit code, output, secs)."""
    started = time.monotonic()
    p = subprocess.run(
        [BIN, "smtp", "send", "--json", "--to-host", address, "--from",
         sender, "--tls", tls, *extra, *rcpts],
        input=message, capture_output=True, timeout=timeout)
    took = time.monotonic() - started
    assert b"AddressSanitizer" not in p.stderr, p.stderr.decode()
    assert b"runtime error" not in p.stderr, p.stderr.decode()
    out = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, out, took


def by_rcpt(out):
    return {r["recipient"]: r for r in out["recipients"]}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca, cert, key = make_ca(d, ("mx.test", "127.0.0.1"))
    return {"ca": ca, "cert": cert, "key": key}


def test_delivers_to_every_recipient_in_one_transaction():
    with Sink() as sink:
        rc, out, _ = send(sink.address, "b@x.test", "c@x.test")
    assert rc == 0
    assert [r["result"] for r in out["recipients"]] == ["accepted"] * 2
    assert out["recipients"][0]["reply_code"] == 250
    assert len(sink.messages) == 1
    m = sink.messages[0]
    assert m.mail_from == "a@sender.test"
    assert m.rcpt_tos == ["b@x.test", "c@x.test"]
    assert m.data == MESSAGE


def test_null_sender_is_sent_as_empty_path():
    # Reports go from the null sender (RFC 5321 4.5.5).
    with Sink() as sink:
        rc, _, _ = send(sink.address, "b@x.test", sender="")
    assert rc == 0 and sink.messages[0].mail_from == "<>"


def test_each_recipient_gets_its_own_result():
    replies = {"later@x.test": "451 4.2.0 mailbox busy",
               "gone@x.test": "550 5.1.1 no such user here"}
    with Sink(replies=replies) as sink:
        rc, out, _ = send(sink.address, "ok@x.test", "later@x.test",
                          "gone@x.test")
    assert rc == 1
    r = by_rcpt(out)
    assert (r["ok@x.test"]["result"], r["ok@x.test"]["status"]) == \
        ("accepted", "2.0.0")
    assert (r["later@x.test"]["result"], r["later@x.test"]["status"]) == \
        ("deferred", "4.2.0")
    assert (r["gone@x.test"]["result"], r["gone@x.test"]["status"]) == \
        ("failed", "5.1.1")
    assert r["gone@x.test"]["reply_text"] == "no such user here"
    assert r["gone@x.test"]["stage"] == "rcpt"
    assert sink.messages[0].rcpt_tos == ["ok@x.test"]


def test_refused_message_fails_every_accepted_recipient():
    with Sink(data_reply="554 5.7.1 message refused as spam") as sink:
        rc, out, _ = send(sink.address, "b@x.test", "c@x.test")
    assert rc == 1
    for r in out["recipients"]:
        assert (r["result"], r["status"], r["stage"]) == \
            ("failed", "5.7.1", "message")


def test_bare_cr_and_lf_arrive_as_crlf():
    body = b"Subject: x\n\nline one\nline two\rline three\r\n\n\rend"
    with Sink() as sink:
        rc, _, _ = send(sink.address, "b@x.test", message=body)
    assert rc == 0
    data = sink.messages[0].data
    assert data == (b"Subject: x\r\n\r\nline one\r\nline two\r\n"
                    b"line three\r\n\r\n\r\nend\r\n")
    # The property: no CR without LF and no LF without CR.
    assert data.count(b"\r") == data.count(b"\n") == data.count(b"\r\n")


def test_dot_stuffing_round_trip():
    body = (b"Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmid.dle\r\n"
            b"...three\r\n. space\r\n.")
    with Sink() as sink:
        rc, _, _ = send(sink.address, "b@x.test", message=body)
    assert rc == 0
    # aiosmtpd removes the stuffing: what it keeps must be what we sent.
    assert sink.messages[0].data == body + b"\r\n"


def test_pipelines_mail_and_rcpt_when_offered():
    with PipeSink() as sink:
        rc, out, _ = send(sink.address, "b@x.test", "c@x.test")
    assert rc == 0, out
    assert out["server"]["pipelining"] is True
    got = sink.before_mail_reply
    # Every envelope command left before the server said a word to MAIL.
    assert got.startswith(b"MAIL FROM:<a@sender.test>")
    assert b"RCPT TO:<b@x.test>\r\n" in got
    assert b"RCPT TO:<c@x.test>\r\n" in got
    assert b"DATA" not in got
    assert sink.data == MESSAGE


def test_waits_for_each_reply_without_pipelining():
    with Sink(pipelining=False) as sink:
        rc, out, _ = send(sink.address, "b@x.test")
    assert rc == 0 and out["server"]["pipelining"] is False


def test_connection_reuse_sends_rset_and_another_transaction():
    with Sink() as sink:
        rc, out, _ = send(sink.address, "b@x.test", "c@x.test",
                          extra=("--repeat", "3"))
    assert rc == 0
    assert [r["transaction"] for r in out["recipients"]] == [1, 1, 2, 2, 3, 3]
    assert len(sink.messages) == 3
    assert sink.ehlos == 1      # one connection carried all three


def test_a_hanging_server_is_given_up_within_the_timeout():
    with SilentSink() as sink:
        rc, out, took = send(sink.address, "b@x.test",
                             extra=("--set", "outbound.greeting_timeout_s=2"))
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["stage"], r["status"]) == \
        ("deferred", "greeting", "4.4.2")
    assert "did not answer within 2 s" in r["why"]
    assert 1.5 <= took < 10


def test_unreachable_server_is_temporary():
    from smtpsink import free_port
    rc, out, _ = send(f"127.0.0.1:{free_port()}", "b@x.test")
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["stage"], r["status"]) == \
        ("deferred", "connect", "4.4.1")


def test_message_over_the_announced_size_is_never_sent():
    big = MESSAGE + b"x" * 5000 + b"\r\n"
    with Sink(size=2000) as sink:
        rc, out, _ = send(sink.address, "b@x.test", "c@x.test", message=big)
        assert rc == 1
        for r in out["recipients"]:
            assert (r["result"], r["status"]) == ("failed", "5.3.4")
            assert "reply_code" not in r        # decided before MAIL
        assert sink.messages == []
        rc, out, _ = send(sink.address, "b@x.test")
    assert rc == 0 and out["server"]["size"] == 2000
    assert f"SIZE={len(MESSAGE)}" in sink.messages[0].mail_options


def test_8bit_message_to_a_server_without_8bitmime_must_be_downgraded():
    body = "Subject: café\r\n\r\nNaïve résumé\r\n".encode()
    with Sink(eightbit=False) as sink:
        rc, out, _ = send(sink.address, "b@x.test", message=body)
        assert rc == 1
        r = out["recipients"][0]
        assert (r["result"], r["status"]) == ("failed", "5.6.3")
        assert r["needs_downgrade"] is True
        assert sink.messages == []
        # A 7-bit message goes to the same server.
        rc, _, _ = send(sink.address, "b@x.test")
        assert rc == 0
    with Sink(eightbit=True) as sink:
        rc, _, _ = send(sink.address, "b@x.test", message=body)
    assert rc == 0
    assert "BODY=8BITMIME" in sink.messages[0].mail_options
    assert sink.messages[0].data == body


def test_utf8_address_needs_smtputf8():
    with Sink(smtputf8=False) as sink:
        rc, out, _ = send(sink.address, "zoë@x.test", "b@x.test")
        r = by_rcpt(out)
        assert (r["zoë@x.test"]["result"], r["zoë@x.test"]["status"]) == \
            ("failed", "5.6.7")
        assert r["b@x.test"]["result"] == "accepted"
        assert sink.messages[0].rcpt_tos == ["b@x.test"]
    with Sink(smtputf8=True) as sink:
        rc, out, _ = send(sink.address, "zoë@x.test")
    assert rc == 0
    assert "SMTPUTF8" in sink.messages[0].mail_options


def test_dsn_parameters_pass_through_when_offered():
    extra = ("--ret", "HDRS", "--envid", "Q123+x=y", "--notify",
             "FAILURE,DELAY", "--orcpt")
    with Sink(dsn=True) as sink:
        rc, _, _ = send(sink.address, "b@x.test", extra=extra)
    assert rc == 0
    m = sink.messages[0]
    # aiosmtpd upper-cases parameters; xtext keeps "+" and "=" apart.
    assert "RET=HDRS" in m.mail_options
    assert "ENVID=Q123+2BX+3DY" in m.mail_options
    assert m.rcpt_options == ["NOTIFY=FAILURE,DELAY", "ORCPT=RFC822;B@X.TEST"]
    # Without DSN offered nothing is sent (aiosmtpd would refuse it).
    with Sink(dsn=False) as sink:
        rc, _, _ = send(sink.address, "b@x.test", extra=extra)
    assert rc == 0 and sink.messages[0].mail_options == []


# ---- TLS ----

def test_required_tls_verifies_chain_and_name(pki):
    ctx = server_context(pki["cert"], pki["key"])
    with Sink(tls=ctx) as sink:
        rc, out, _ = send(sink.address, "b@x.test", tls="required",
                          extra=("--ca", pki["ca"], "--tls-name", "mx.test"))
    assert rc == 0, out
    s = out["server"]
    assert s["tls"] is True and s["tls_verified"] is True
    assert s["tls_version"] in ("TLS1.2", "TLS1.3")
    assert s["tls_cipher"]
    assert sink.messages[0].tls is True
    assert sink.ehlos == 2      # again after STARTTLS (RFC 3207 4.2)


def test_required_tls_checks_an_address_name_too(pki):
    ctx = server_context(pki["cert"], pki["key"])
    with Sink(tls=ctx) as sink:
        rc, out, _ = send(sink.address, "b@x.test", tls="required",
                          extra=("--ca", pki["ca"]))
    assert rc == 0 and out["server"]["tls_verified"] is True


@pytest.mark.parametrize("extra,why", [
    (("--tls-name", "other.test"), "not valid for other.test"),
    ((), "not valid for"),              # the system CAs do not know ours
])
def test_required_tls_refuses_a_bad_certificate(pki, tmp_path, extra, why):
    ctx = server_context(pki["cert"], pki["key"])
    args = extra if extra else ("--tls-name", "mx.test")
    if extra:
        args = ("--ca", pki["ca"]) + extra
    with Sink(tls=ctx) as sink:
        rc, out, _ = send(sink.address, "b@x.test", tls="required",
                          extra=args)
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["stage"], r["status"]) == \
        ("deferred", "starttls", "4.7.5")
    assert why in r["why"]
    assert sink.messages == []


def test_required_tls_without_starttls_stays_undelivered():
    with Sink() as sink:
        rc, out, _ = send(sink.address, "b@x.test", tls="required")
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["stage"], r["status"]) == \
        ("deferred", "starttls", "4.7.10")
    assert sink.messages == []


def test_opportunistic_tls_takes_any_certificate_and_says_so(pki):
    ctx = server_context(pki["cert"], pki["key"])
    with Sink(tls=ctx) as sink:
        rc, out, _ = send(sink.address, "b@x.test", tls="opportunistic")
    assert rc == 0
    s = out["server"]
    assert s["tls"] is True and s["tls_verified"] is False
    assert s["tls_verify_error"]
    assert sink.messages[0].tls is True


def test_opportunistic_tls_goes_on_in_clear_without_starttls():
    with Sink() as sink:
        rc, out, _ = send(sink.address, "b@x.test", tls="opportunistic")
    assert rc == 0 and out["server"]["tls"] is False
    assert sink.messages[0].tls is False


def test_bad_options_are_one_sentence():
    p = subprocess.run([BIN, "smtp", "send", "--to-host", "mx.test:25",
                        "--from", "a@b.test", "c@d.test"], input=b"",
                       capture_output=True, timeout=30)
    assert p.returncode == 2
    assert p.stderr.decode().count("\n") <= 2
    p = subprocess.run([BIN, "smtp", "send", "--to-host", "127.0.0.1:25",
                        "--tls", "maybe", "--from", "a@b.test", "c@d.test"],
                       input=b"", capture_output=True, timeout=30)
    assert p.returncode == 2 and b"--tls must be" in p.stderr


def old_tls_context(pki):
    """A server that speaks TLS 1.0 and 1.1 only."""
    import warnings
    ctx = server_context(pki["cert"], pki["key"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def test_required_tls_refuses_below_tls_1_2(pki):
    with Sink(tls=old_tls_context(pki)) as sink:
        rc, out, _ = send(sink.address, "b@x.test", tls="required",
                          extra=("--ca", pki["ca"], "--tls-name", "mx.test"))
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["stage"], r["status"]) == \
        ("deferred", "starttls", "4.7.5")
    assert sink.messages == []


def test_opportunistic_tls_takes_old_tls_and_records_it(pki):
    with Sink(tls=old_tls_context(pki)) as sink:
        rc, out, _ = send(sink.address, "b@x.test", tls="opportunistic")
    assert rc == 0
    assert out["server"]["tls_version"] in ("TLS1.0", "TLS1.1")
    assert sink.messages[0].tls is True


def test_opportunistic_tls_falls_back_to_clear_after_a_failed_handshake(pki):
    # The server demands a client certificate we do not have: the handshake
    # fails, and with no policy asking for TLS the mail goes in clear on a
    # new connection (RFC 7435), saying so.
    ctx = server_context(pki["cert"], pki["key"])
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(pki["ca"])
    with Sink(tls=ctx) as sink:
        rc, out, _ = send(sink.address, "b@x.test", tls="opportunistic")
        assert rc == 0, out
        assert out["server"]["tls"] is False
        assert out["server"]["tls_fallback"] is True
        assert sink.messages[0].tls is False
        # Required TLS never does.
        rc, out, _ = send(sink.address, "b@x.test", tls="required",
                          extra=("--ca", pki["ca"], "--tls-name", "mx.test"))
        assert rc == 1 and len(sink.messages) == 1


# ---- AUTH (smarthost routes) ----

def auth_send(sink, pki, password, tls="required", extra=()):
    import os
    env = dict(os.environ, CAREMAIL_SMTP_PASSWORD=password)
    p = subprocess.run(
        [BIN, "smtp", "send", "--json", "--to-host", sink.address,
         "--from", "app@example.nhs.uk", "--tls", tls, "--ca", pki["ca"],
         "--tls-name", "mx.test", "--auth-user", "relay-user", *extra,
         "b@x.test"], input=MESSAGE, capture_output=True, timeout=60,
        env=env)
    assert password.encode() not in p.stdout + p.stderr
    return p.returncode, json.loads(p.stdout)


@pytest.mark.parametrize("exclude,mechanism", [((), "PLAIN"),
                                                (("PLAIN",), "LOGIN")])
def test_auth_over_tls(pki, exclude, mechanism):
    ctx = server_context(pki["cert"], pki["key"])
    with Sink(tls=ctx, auth=("relay-user", "s3cret pass"),
              auth_exclude=exclude) as sink:
        rc, out = auth_send(sink, pki, "s3cret pass")
        assert rc == 0, out
        assert sink.auth_seen == [(mechanism, "relay-user", True)]
        rc, out = auth_send(sink, pki, "wrong")
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["stage"], r["reply_code"]) == ("failed", "auth", 535)
    assert len(sink.messages) == 1


def test_auth_is_never_sent_in_clear(pki):
    with Sink(auth=("relay-user", "s3cret pass")) as sink:
        rc, out = auth_send(sink, pki, "s3cret pass", tls="opportunistic")
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["stage"], r["status"]) == \
        ("deferred", "auth", "4.7.11")
    assert sink.auth_seen == [] and sink.messages == []


def test_utf8_sender_needs_smtputf8():
    with Sink(smtputf8=False) as sink:
        rc, out, _ = send(sink.address, "b@x.test", sender="zoë@x.test")
    assert rc == 1 and sink.messages == []
    assert out["recipients"][0]["status"] == "5.6.7"
