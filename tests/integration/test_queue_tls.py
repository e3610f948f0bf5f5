"""The queue runner's outbound TLS policy (issue 11 item 4; SECURITY.md 5,
6) end to end: the real `caremail queue run --at` applying MTA-STS (an
HTTPS policy server), DANE (a zone signed with ldns-signzone) and the
secure domains, with python3-dnslib as the DNS and aiosmtpd sinks with
STARTTLS, and each TLS session read back with `caremail tlsrpt report`.
The policy server, the certificates and the signed zone are
test_outbound_tls.py's; the sender and the passes are test_queue.py's.
"""
import datetime
import json

from dnsstub import DnsStub
from smtpsink import Sink, server_context
from test_outbound_tls import (DOMAIN, MX, PolicyServer, dane, pki,  # noqa
                               policy)
from test_queue import HOUR, out  # noqa: F401 (fixtures)

RCPT = "bob@" + DOMAIN


def sts_world(out, pki, web, sink, *extra):
    """The DNS stub for partner.example (MX, its address, the MTA-STS TXT
    record) and the runner's settings for it, the sink and the policy
    server; returns the stub (started)."""
    stub = DnsStub({DOMAIN: {"MX": [[10, MX]]}, MX: {"A": ["127.0.0.1"]},
                    f"_mta-sts.{DOMAIN}": {"TXT": ["v=STSv1; id=1;"]}})
    stub.start()
    out.settings(stub, sink.port,
                 f"outbound.mta_sts_ca_file={pki['bundle']}",
                 f"outbound.mta_sts_connect_to=127.0.0.1:{web.port}",
                 "outbound.mta_sts_fetch_timeout_s=10",
                 f"outbound.tls_ca_file={pki['bundle']}", *extra)
    return stub


def tlsrpt(out, when, domain=DOMAIN):
    """The day's RFC 8460 report for domain, from the runner's counts."""
    day = datetime.datetime.fromtimestamp(
        when, datetime.timezone.utc).strftime("%Y-%m-%d")
    return out.instance.json("tlsrpt", "report", "--day", day, "--domain",
                             domain)


def policies(rep, kind):
    return [p for p in rep["policies"]
            if p["policy"]["policy-type"] == kind]


def test_enforce_with_a_wrong_name_certificate_stays_queued_then_delivers(
        out, pki):
    wrong = server_context(pki["wrong"]["cert"], pki["wrong"]["key"])
    with PolicyServer(pki["web"]["cert"], pki["web"]["key"]) as web, \
            Sink(tls=wrong) as sink:
        web.serve(policy(mode="enforce"))
        stub = sts_world(out, pki, web, sink)
        try:
            out.send([RCPT], subject="Discharge summary")
            (e,), _ = out.run()
            # Deferred with a 4.7.x reason: never bounced, never in clear.
            assert e["result"] == "deferred", e
            assert sink.messages == []
            (row,) = out.rows()
            assert row["status"] == "queued" and row["attempts"] == 1
            assert "4.7." in row["last_error"] and \
                "certificate" in row["last_error"], row
            # Still waiting a day later: a TLS failure never bounces.
            (e,), _ = out.run(at=25 * HOUR)
            assert e["result"] == "deferred"
            assert sink.messages == []
            rep = tlsrpt(out, out.t0)
            (p,) = policies(rep, "sts")
            assert "mode: enforce" in p["policy"]["policy-string"]
            assert p["policy"]["mx-host"] == [MX]
            assert p["summary"]["total-successful-session-count"] == 0
            assert p["summary"]["total-failure-session-count"] >= 1
            d = p["failure-details"][0]
            assert (d["result-type"], d["receiving-mx-hostname"],
                    d["receiving-ip"]) == \
                ("certificate-host-mismatch", MX, "127.0.0.1")
            # The domain withdraws its policy (mode none, a new id): the
            # next pass fetches it again and delivers.
            web.serve(policy(mode="none", mx=()))
            stub.zone[f"_mta-sts.{DOMAIN}"] = {"TXT": ["v=STSv1; id=2;"]}
            (e,), _ = out.run(at=26 * HOUR)
            assert e["result"] == "delivered", e
            assert len(sink.messages) == 1
            assert sink.messages[0].tls
            assert b"Discharge summary" in sink.messages[0].data
            assert [r["status"] for r in out.rows()] == ["delivered"]
        finally:
            stub.stop()


def sts_pass(out, pki, cert, *extra, status=200, **policy_args):
    """One message to RCPT and one pass, the policy server answering
    status with policy(**policy_args) and the sink presenting pki[cert]'s
    certificate; returns (the event, the pass's stderr, the sink)."""
    tls = server_context(pki[cert]["cert"], pki[cert]["key"])
    with PolicyServer(pki["web"]["cert"], pki["web"]["key"]) as web, \
            Sink(tls=tls) as sink:
        web.serve(policy(**policy_args), status=status)
        stub = sts_world(out, pki, web, sink, *extra)
        try:
            out.send([RCPT])
            (e,), stderr = out.run()
        finally:
            stub.stop()
    return e, stderr, sink


def test_enforce_never_contacts_an_mx_the_policy_does_not_name(out, pki):
    e, _, sink = sts_pass(out, pki, "mx", mx=("*.elsewhere.example",))
    assert sink.ehlos == 0
    assert e["result"] == "deferred"
    assert "4.7.5" in out.rows()[0]["last_error"]
    d = policies(tlsrpt(out, out.t0), "sts")[0]["failure-details"][0]
    assert d["result-type"] == "validation-failure"


def test_enforce_with_a_valid_certificate_delivers_and_counts(out, pki):
    e, _, sink = sts_pass(out, pki, "mx", mode="enforce")
    assert e["result"] == "delivered", e
    assert e["tls"].endswith(" verified")
    assert len(sink.messages) == 1
    p = policies(tlsrpt(out, out.t0), "sts")[0]
    assert p["summary"] == {"total-successful-session-count": 1,
                            "total-failure-session-count": 0}


def test_testing_delivers_and_records_the_failure(out, pki):
    e, _, sink = sts_pass(out, pki, "wrong", mode="testing")
    assert e["result"] == "delivered", e
    assert e["tls"].endswith("not verified")
    assert len(sink.messages) == 1 and sink.messages[0].tls
    (p,) = policies(tlsrpt(out, out.t0), "sts")
    assert "mode: testing" in p["policy"]["policy-string"]
    assert p["summary"]["total-failure-session-count"] == 1
    assert p["failure-details"][0]["result-type"] == \
        "certificate-host-mismatch"


def test_a_policy_that_cannot_be_fetched_is_recorded_and_mail_goes(out, pki):
    # RFC 8461 §5.1: nothing cached, so no policy: opportunistic delivery,
    # and the failure is a TLS-RPT result (RFC 8460 §4.3.2.1).
    e, stderr, sink = sts_pass(out, pki, "wrong", status=404)
    assert e["result"] == "delivered", e
    assert len(sink.messages) == 1
    assert "outbound.mta_sts_failed" in stderr
    (p,) = policies(tlsrpt(out, out.t0), "sts")
    assert p["failure-details"][0]["result-type"] == \
        "sts-policy-fetch-error"
    # The session itself had no policy and is counted as such.
    (none,) = policies(tlsrpt(out, out.t0), "no-policy-found")
    assert none["summary"]["total-successful-session-count"] == 1


def test_secure_domain_with_an_enforce_policy_alerts_and_stays_queued(
        out, pki):
    # SECURITY.md 6 and 5 together: a secure domain whose MTA-STS policy
    # is enforce, and a certificate for another name.
    e, stderr, sink = sts_pass(out, pki, "wrong",
                               f"outbound.secure_domains={DOMAIN}",
                               mode="enforce")
    assert e["result"] == "deferred" and sink.messages == []
    assert "outbound.tls_required" in stderr
    assert f"domain={DOMAIN}" in stderr


def dane_settings(out, dane, sink):
    stub = DnsStub({}, [dane["zone"]]).start()
    out.settings(stub, sink.port)
    out.sets[out.sets.index("dns.trust_anchor=")] = \
        f"dns.trust_anchor={dane['anchor']}"
    return stub


def test_dane_over_a_signed_zone_delivers_and_the_row_says_dane(out, dane):
    with Sink(tls=server_context(dane["cert"], dane["key"])) as sink:
        stub = dane_settings(out, dane, sink)
        try:
            out.send(["bob@dane.example"])
            (e,), _ = out.run()
        finally:
            stub.stop()
        assert e["result"] == "delivered", e
        assert len(sink.messages) == 1 and sink.messages[0].tls
    (row,) = out.rows()
    shown = out.instance.json("queue", "show", str(row["id"]))
    # No CA vouches for the self-signed certificate: DANE alone does.
    assert shown["tls"].endswith("verified by DANE"), shown
    assert shown["remote_mta"] == "mx.dane.example"
    p = tlsrpt(out, out.t0, "dane.example")["policies"][0]
    assert p["policy"]["policy-type"] == "tlsa"
    assert p["policy"]["policy-string"][0].startswith(
        "_25._tcp.mx.dane.example. IN TLSA 3 1 1 ")
    assert p["summary"]["total-successful-session-count"] == 1


def test_dane_with_a_wrong_tlsa_record_defers(out, dane):
    with Sink(tls=server_context(dane["cert"], dane["key"])) as sink:
        stub = dane_settings(out, dane, sink)
        try:
            out.send(["bob@wrong.dane.example"])
            (e,), _ = out.run()
            (e2,), _ = out.run(at=25 * HOUR)
        finally:
            stub.stop()
        assert sink.messages == []
    assert (e["result"], e2["result"]) == ("deferred", "deferred"), e
    (row,) = out.rows()
    assert row["status"] == "queued"
    assert "4.7.5" in row["last_error"] and "DANE" in row["last_error"]
    d = tlsrpt(out, out.t0, "wrong.dane.example")["policies"][0][
        "failure-details"][0]
    assert (d["result-type"], d["receiving-mx-hostname"]) == \
        ("tlsa-invalid", "mx2.dane.example")
