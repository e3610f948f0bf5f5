"""Outbound TLS policy (issue 11 item 4; SECURITY.md 5, 6) end to end, with
parts nobody here wrote: the DNS stub (python3-dnslib, zones signed with
ldns-signzone), an HTTPS policy server (Python's http.server and ssl, with
a test CA), and aiosmtpd sinks with STARTTLS, driven through
`caremail smtp send --mta-sts/--dane/--secure-domain`, `caremail mta-sts
show` and `caremail tlsrpt report`."""
import datetime
import http.server
import json
import shutil
import ssl
import subprocess
import threading

import pytest

from conftest import SETUP_BIN, BIN, assert_no_sanitizer, make_instance
from dnsstub import DnsStub, sign_zone
from smtpsink import Sink, make_ca, server_context

MESSAGE = b"From: a@example.org\r\nTo: b@partner.example\r\n" \
          b"Subject: hello\r\n\r\nHi.\r\n"
DOMAIN = "partner.example"
MX = "mx.partner.example"


def policy(mode="enforce", mx=(MX,), max_age=86400, crlf=False):
    end = "\r\n" if crlf else "\n"
    lines = ["version: STSv1", f"mode: {mode}"]
    lines += [f"mx: {m}" for m in mx] + [f"max_age: {max_age}"]
    return end.join(lines) + end


class PolicyServer:
    """HTTPS on a free loopback port: path -> (status, content type, body,
    extra headers); counts the requests for the policy."""

    def __init__(self, cert, key):
        self.routes = {}
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                status, ctype, body, headers = outer.routes.get(
                    self.path, (404, "text/plain", b"not here", {}))
                self.send_response(status)
                if ctype is not None:
                    self.send_header("Content-Type", ctype)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)

    def serve(self, body, status=200, ctype="text/plain; charset=utf-8",
              headers=None, path="/.well-known/mta-sts.txt"):
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = (status, ctype, data, headers or {})

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Three test CAs: one for the policy server's certificate
    (mta-sts.partner.example), one for the MX's good certificate and one
    for a certificate naming another host; `bundle` trusts all three."""
    base = tmp_path_factory.mktemp("tlspki")
    out = {}
    for name, names in (("web", (f"mta-sts.{DOMAIN}",)),
                        ("mx", (MX, "127.0.0.1")),
                        ("wrong", ("wrong.partner.example",)),
                        ("webwrong", ("mta-sts.elsewhere.example",))):
        d = base / name
        d.mkdir()
        ca, cert, key = make_ca(d, names)
        out[name] = {"ca": ca, "cert": cert, "key": key}
    bundle = base / "bundle.pem"
    bundle.write_text("".join(out[n]["ca"].read_text()
                              for n in ("web", "mx", "wrong", "webwrong")))
    out["bundle"] = bundle
    return out


@pytest.fixture
def world(tmp_path, pki):
    """An instance, a DNS stub publishing the MTA-STS TXT record, and a
    policy server; yields a dict with a send() and a sets list."""
    inst = make_instance(tmp_path / "instance", "example.org",
                         binary=SETUP_BIN)
    zone = {f"_mta-sts.{DOMAIN}": {"TXT": ["v=STSv1; id=1;"]},
            DOMAIN: {"MX": [[10, MX]]}}
    stub = DnsStub(zone).start()
    web = PolicyServer(pki["web"]["cert"], pki["web"]["key"])
    web.serve(policy())
    with web:
        sets = ["--set", f"dns.servers=127.0.0.1@{stub.port}",
                "--set", "dns.trust_anchor=",
                "--set", f"outbound.mta_sts_ca_file={pki['bundle']}",
                "--set", f"outbound.mta_sts_connect_to=127.0.0.1:{web.port}",
                "--set", "outbound.mta_sts_fetch_timeout_s=10"]
        yield {"inst": inst, "stub": stub, "zone": zone, "web": web,
               "sets": sets}
    stub.stop()


def run(*args, check_sanitizer=True, timeout=60):
    p = subprocess.run([BIN, *args], capture_output=True, timeout=timeout)
    if check_sanitizer:
        assert_no_sanitizer(p.stderr)
    return p


def send(w, sink, *extra, rcpt="b@partner.example", pki_ca=None):
    args = ["smtp", "send", "--json", "--dir", str(w["inst"].dir),
            *w["sets"], "--to-host", sink.address, "--from",
            "a@example.org", "--tls-name", MX, *extra, rcpt]
    if pki_ca is not None:
        args[2:2] = ["--ca", str(pki_ca)]
    p = run(*args)
    out = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, out, p.stderr.decode()


def today():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def report(w, domain=DOMAIN):
    p = run("tlsrpt", "report", "--dir", str(w["inst"].dir), "--day",
            today(), "--domain", domain)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


def sts_policy(rep):
    return next(p for p in rep["policies"]
                if p["policy"]["policy-type"] == "sts")


# ---- SECURITY.md 5: MTA-STS enforce and testing ----

def test_enforce_with_a_wrong_name_certificate_defers(world, pki):
    tls = server_context(pki["wrong"]["cert"], pki["wrong"]["key"])
    with Sink(tls=tls) as sink:
        rc, out, err = send(world, sink, "--mta-sts", DOMAIN,
                            pki_ca=pki["bundle"])
    assert rc == 1, err
    r = out["recipients"][0]
    # Deferred (4.7.5), never bounced and never sent in clear.
    assert (r["result"], r["status"]) == ("deferred", "4.7.5"), r
    assert sink.messages == []
    pol = out["server"]["tls_policy"]
    assert pol["need"] == "pkix"
    assert pol["tlsrpt_result"] == "certificate-host-mismatch"
    assert pol["mta_sts"]["mode"] == "enforce"
    rep = report(world)
    p = sts_policy(rep)
    assert p["policy"]["policy-domain"] == DOMAIN
    assert p["policy"]["mx-host"] == [MX]
    assert "mode: enforce" in p["policy"]["policy-string"]
    assert p["summary"] == {"total-successful-session-count": 0,
                            "total-failure-session-count": 1}
    d = p["failure-details"][0]
    assert d["result-type"] == "certificate-host-mismatch"
    assert d["receiving-mx-hostname"] == MX
    assert d["receiving-ip"] == "127.0.0.1"


def test_testing_delivers_and_records_the_failure(world, pki):
    world["web"].serve(policy(mode="testing"))
    tls = server_context(pki["wrong"]["cert"], pki["wrong"]["key"])
    with Sink(tls=tls) as sink:
        rc, out, err = send(world, sink, "--mta-sts", DOMAIN,
                            pki_ca=pki["bundle"])
    assert rc == 0, err
    assert out["recipients"][0]["result"] == "accepted"
    assert len(sink.messages) == 1
    # Over TLS all the same, the certificate only recorded as not valid.
    assert out["server"]["tls"] and not out["server"]["tls_verified"]
    pol = out["server"]["tls_policy"]
    assert (pol["need"], pol["tlsrpt_result"], pol["recorded"]) == \
        ("opportunistic", "certificate-host-mismatch", True)
    p = sts_policy(report(world))
    assert "mode: testing" in p["policy"]["policy-string"]
    assert p["failure-details"][0]["result-type"] == \
        "certificate-host-mismatch"
    assert p["summary"]["total-failure-session-count"] == 1


def test_enforce_with_a_valid_certificate_delivers_and_counts(world, pki):
    tls = server_context(pki["mx"]["cert"], pki["mx"]["key"])
    with Sink(tls=tls) as sink:
        for _ in range(2):
            rc, out, err = send(world, sink, "--mta-sts", DOMAIN,
                                pki_ca=pki["bundle"])
            assert rc == 0, err
        assert len(sink.messages) == 2
    assert out["server"]["tls_verified"] is True
    assert out["server"]["tls_version"] in ("TLS1.2", "TLS1.3")
    # The second send read the policy from the cache: one fetch.
    assert world["web"].hits == 1
    assert out["server"]["tls_policy"]["mta_sts"]["from_cache"] is True
    p = sts_policy(report(world))
    assert p["summary"] == {"total-successful-session-count": 2,
                            "total-failure-session-count": 0}
    assert "failure-details" not in p


def test_enforce_never_connects_to_an_mx_the_policy_does_not_name(world, pki):
    world["web"].serve(policy(mx=("*.elsewhere.example",)))
    tls = server_context(pki["mx"]["cert"], pki["mx"]["key"])
    with Sink(tls=tls) as sink:
        rc, out, _ = send(world, sink, "--mta-sts", DOMAIN,
                          pki_ca=pki["bundle"])
        assert sink.ehlos == 0
    assert rc == 1
    assert out["recipients"][0]["result"] == "deferred"
    assert out["server"]["tls_policy"]["need"] == "skip"
    d = sts_policy(report(world))["failure-details"][0]
    assert d["result-type"] == "validation-failure"


def test_a_new_txt_id_refetches_and_a_cached_policy_outlives_the_record(
        world, pki):
    inst, sets = world["inst"], world["sets"]
    show = lambda: run("mta-sts", "show", DOMAIN, "--json", "--dir",
                       str(inst.dir), *sets)
    p = show()
    assert p.returncode == 0, p.stderr.decode()
    first = json.loads(p.stdout)
    assert (first["mode"], first["id"], first["from_cache"]) == \
        ("enforce", "1", False)
    assert first["mx"] == [MX] and first["max_age"] == 86400
    assert json.loads(show().stdout)["from_cache"] is True
    assert world["web"].hits == 1
    # A new id: the policy is fetched again (RFC 8461 §5.1).
    world["web"].serve(policy(mode="testing"))
    world["stub"].zone[f"_mta-sts.{DOMAIN}"] = {"TXT": ["v=STSv1; id=2"]}
    again = json.loads(show().stdout)
    assert (again["mode"], again["id"], again["from_cache"]) == \
        ("testing", "2", False)
    assert world["web"].hits == 2
    # The record gone and the server broken: the cached policy stands.
    world["stub"].zone[f"_mta-sts.{DOMAIN}"] = "NXDOMAIN"
    world["web"].serve("", status=500)
    cached = json.loads(show().stdout)
    assert (cached["mode"], cached["from_cache"]) == ("testing", True)


def test_show_says_what_a_policy_means(world):
    p = run("mta-sts", "show", DOMAIN, "--dir", str(world["inst"].dir),
            *world["sets"])
    assert p.returncode == 0, p.stderr.decode()
    text = p.stdout.decode()
    assert f"MTA-STS {DOMAIN}: mode enforce, id 1, fetched now" in text
    assert f"mx: {MX}\n" in text and "max_age: 86400\n" in text
    assert "never clear text" in text
    # Without an instance it works too, with nothing cached.
    p = run("mta-sts", "show", DOMAIN, *world["sets"])
    assert p.returncode == 0 and b"fetched now" in p.stdout


@pytest.mark.parametrize("how,failure", [
    ("content_type", "sts-policy-fetch-error"),
    ("redirect", "sts-policy-fetch-error"),
    ("status", "sts-policy-fetch-error"),
    ("too_large", "sts-policy-fetch-error"),
    ("invalid", "sts-policy-invalid"),
    ("certificate", "sts-webpki-invalid"),
])
def test_a_policy_that_cannot_be_had_is_no_policy_and_is_recorded(
        world, pki, how, failure):
    web = world["web"]
    if how == "content_type":
        web.serve(policy(), ctype="text/html")
    elif how == "redirect":
        web.serve("", status=302, headers={
            "Location": "https://mta-sts.partner.example/other.txt"})
        web.serve(policy(), path="/other.txt")
    elif how == "status":
        web.serve(policy(), status=404)
    elif how == "too_large":
        web.serve(policy() + "x: " + "y" * (64 * 1024) + "\n")
    elif how == "invalid":
        web.serve("version: STSv1\nmode: enforce\nmax_age: 1\n")
    elif how == "certificate":
        # A certificate valid, from a trusted CA, for another name.
        other = PolicyServer(pki["webwrong"]["cert"],
                             pki["webwrong"]["key"])
        other.serve(policy())
        other.__enter__()
        world["sets"][world["sets"].index(
            f"outbound.mta_sts_connect_to=127.0.0.1:{web.port}")] = \
            f"outbound.mta_sts_connect_to=127.0.0.1:{other.port}"
    try:
        p = run("mta-sts", "show", DOMAIN, "--json", "--dir",
                str(world["inst"].dir), *world["sets"])
        assert p.returncode == 1
        out = json.loads(p.stdout)
        assert (out["policy"], out["failure"]) == (False, failure), out
        assert out["reason"]
        # No policy: opportunistic delivery, the failure recorded.
        tls = server_context(pki["mx"]["cert"], pki["mx"]["key"])
        with Sink(tls=tls) as sink:
            rc, sent, err = send(world, sink, "--mta-sts", DOMAIN)
        assert rc == 0, err
        assert len(sink.messages) == 1
        assert sent["server"]["tls_policy"]["need"] == "opportunistic"
        p = sts_policy(report(world))
        assert p["failure-details"][0]["result-type"] == failure
    finally:
        if how == "certificate":
            other.__exit__()


def test_bad_options_get_one_sentence(world):
    base = ["smtp", "send", "--to-host", "127.0.0.1:9", "--from",
            "a@example.org", "b@partner.example"]
    p = run(*base, "--mta-sts", DOMAIN)
    assert p.returncode == 2 and b"--tls-name" in p.stderr
    p = run(*base, "--dane", "--tls-name", MX, "--tls", "required")
    assert p.returncode == 2 and b"--tls cannot be given" in p.stderr
    p = run(*base, "--mta-sts", "not a domain", "--tls-name", MX)
    assert p.returncode == 2 and b"not a domain name" in p.stderr
    p = run("tlsrpt", "report", "--dir", str(world["inst"].dir), "--day",
            "2026-02-30x")
    assert p.returncode == 2 and b"YYYY-MM-DD" in p.stderr
    p = run("tlsrpt", "report", "--dir", str(world["inst"].dir), "--day",
            today(), "--domain", "nothing.example")
    assert p.returncode == 1 and b"no TLS session" in p.stderr


# ---- SECURITY.md 6: a secure domain never goes in clear ----

def test_secure_domain_without_starttls_stays_undelivered(world):
    with Sink() as sink:
        rc, out, _ = send(world, sink, "--secure-domain")
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["status"]) == ("deferred", "4.7.10")
    assert sink.messages == []
    assert out["server"]["tls_policy"]["need"] == "pkix"
    assert out["server"]["tls_policy"]["tlsrpt_result"] == \
        "starttls-not-supported"


# ---- DANE (RFC 7672) over a signed zone ----

def spki_sha256(cert):
    pub = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey",
                          "-noout"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pub, capture_output=True, check=True).stdout
    import hashlib
    return hashlib.sha256(der).hexdigest()


@pytest.fixture(scope="module")
def dane(tmp_path_factory):
    """A self-signed certificate for mx.dane.example and dane.example
    signed with ldns-signzone: mx has a TLSA record for that key, mx2 a
    wrong one, mx3 records only PKIX usages (unusable for SMTP). The
    queue runner's tests (test_queue_tls.py) send to dane.example (MX mx)
    and wrong.dane.example (MX mx2)."""
    if shutil.which("ldns-signzone") is None:
        pytest.skip("ldnsutils is not installed (scripts/deps.sh)")
    d = tmp_path_factory.mktemp("dane")
    cert, key = d / "self.pem", d / "self.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj",
                    "/CN=mx.dane.example"], check=True, capture_output=True)
    good = spki_sha256(cert)
    zone = f"""$ORIGIN dane.example.
$TTL 300
@ IN SOA ns.dane.example. hostmaster.dane.example. 1 3600 600 86400 60
@ IN NS ns.dane.example.
@ IN MX 10 mx.dane.example.
mx IN A 127.0.0.1
wrong IN MX 10 mx2.dane.example.
mx2 IN A 127.0.0.1
_25._tcp.mx IN TLSA 3 1 1 {good}
_25._tcp.mx2 IN TLSA 3 1 1 {"ab" * 32}
_25._tcp.mx3 IN TLSA 1 1 1 {good}
"""
    text, anchor = sign_zone(d, "dane.example", zone)
    (d / "tampered").write_text(text.replace(good, "cd" * 32))
    return {"cert": cert, "key": key, "zone": d / "zone.signed",
            "tampered": d / "tampered", "anchor": anchor}


def dane_send(tmp_path, dane, zonefile, mx, sink):
    inst = make_instance(tmp_path / "inst", "example.org",
                         binary=SETUP_BIN)
    stub = DnsStub({}, [zonefile]).start()
    try:
        p = run("smtp", "send", "--json", "--dir", str(inst.dir),
                "--set", f"dns.servers=127.0.0.1@{stub.port}",
                "--set", f"dns.trust_anchor={dane['anchor']}",
                "--to-host", sink.address, "--from", "a@example.org",
                "--tls-name", mx, "--dane", "b@dane.example")
    finally:
        stub.stop()
    out = json.loads(p.stdout) if p.stdout.strip() else None
    rep = run("tlsrpt", "report", "--dir", str(inst.dir), "--day", today(),
              "--domain", "dane.example")
    return p.returncode, out, json.loads(rep.stdout)


def test_dane_verifies_a_self_signed_certificate(tmp_path, dane):
    with Sink(tls=server_context(dane["cert"], dane["key"])) as sink:
        rc, out, rep = dane_send(tmp_path, dane, dane["zone"],
                                 "mx.dane.example", sink)
    assert rc == 0, out
    assert len(sink.messages) == 1
    s = out["server"]
    # No CA vouches for it: DANE alone does.
    assert s["tls_dane"] and s["tls_verified"]
    assert s["tls_version"] in ("TLS1.2", "TLS1.3")
    assert s["tls_policy"]["need"] == "dane"
    assert s["tls_policy"]["tlsa"]["dnssec"] == "secure"
    p = rep["policies"][0]
    assert p["policy"]["policy-type"] == "tlsa"
    assert p["policy"]["policy-string"][0].startswith(
        "_25._tcp.mx.dane.example. IN TLSA 3 1 1 ")
    assert p["summary"]["total-successful-session-count"] == 1


def test_dane_with_a_wrong_tlsa_record_defers(tmp_path, dane):
    with Sink(tls=server_context(dane["cert"], dane["key"])) as sink:
        rc, out, rep = dane_send(tmp_path, dane, dane["zone"],
                                 "mx2.dane.example", sink)
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["status"]) == ("deferred", "4.7.5"), r
    assert "DANE" in r["why"]
    assert sink.messages == []
    assert out["server"]["tls_policy"]["tlsrpt_result"] == "tlsa-invalid"
    d = rep["policies"][0]["failure-details"][0]
    assert d["result-type"] == "tlsa-invalid"


def test_dane_with_a_tampered_tlsa_answer_never_connects(tmp_path, dane):
    with Sink(tls=server_context(dane["cert"], dane["key"])) as sink:
        rc, out, rep = dane_send(tmp_path, dane, dane["tampered"],
                                 "mx.dane.example", sink)
        assert sink.ehlos == 0
    assert rc == 1
    assert out["recipients"][0]["result"] == "deferred"
    assert out["server"]["tls_policy"]["need"] == "skip"
    assert out["server"]["tls_policy"]["tlsa"]["dnssec"] == "bogus"
    d = rep["policies"][0]["failure-details"][0]
    assert d["result-type"] == "dnssec-invalid"


def test_dane_with_only_pkix_usages_is_encrypted_unauthenticated(tmp_path,
                                                                  dane):
    with Sink(tls=server_context(dane["cert"], dane["key"])) as sink:
        rc, out, _ = dane_send(tmp_path, dane, dane["zone"],
                               "mx3.dane.example", sink)
    assert rc == 0, out
    assert out["server"]["tls"] and out["server"]["tls_policy"]["need"] == \
        "encrypted"
    # Encrypted, never in clear: a server without STARTTLS gets nothing.
    with Sink() as plain:
        rc, out, _ = dane_send(tmp_path / "b", dane, dane["zone"],
                               "mx3.dane.example", plain)
    assert rc == 1 and plain.messages == []


def test_a_server_that_cannot_be_reached_is_not_a_tls_session(world):
    from smtpsink import free_port

    class Nowhere:
        address = f"127.0.0.1:{free_port()}"
    rc, out, _ = send(world, Nowhere, "--mta-sts", DOMAIN)
    assert rc == 1 and out["recipients"][0]["result"] == "deferred"
    pol = out["server"]["tls_policy"]
    assert (pol["need"], pol["tlsrpt_result"], pol["recorded"]) == \
        ("pkix", "none", False)
    p = run("tlsrpt", "report", "--dir", str(world["inst"].dir), "--day",
            today(), "--domain", DOMAIN)
    assert p.returncode == 1 and b"no TLS session" in p.stderr


def test_dane_refuses_below_tls_1_2_even_with_a_matching_key(tmp_path, dane):
    import warnings
    ctx = server_context(dane["cert"], dane["key"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with Sink(tls=ctx) as sink:
        rc, out, rep = dane_send(tmp_path, dane, dane["zone"],
                                 "mx.dane.example", sink)
    assert rc == 1
    r = out["recipients"][0]
    assert (r["result"], r["status"]) == ("deferred", "4.7.5"), r
    assert sink.messages == []
    assert rep["policies"][0]["failure-details"][0]["result-type"] == \
        "validation-failure"
