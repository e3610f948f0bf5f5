"""Sender authentication (issue 12 item 3) through `caremail auth check`,
over the real resolver pointed at the DNS stub (dnsstub.py):

- SPF, differentially: for every case of a table our result must equal
  that of Debian's python3-spf (pyspf) on the same zone, an implementation
  nobody here wrote; the table covers every mechanism, include, redirect,
  macros, the DNS-term, void-lookup and MX limits, several records and a
  server failure.
- DKIM: messages signed by Debian's python3-dkim (RSA in both
  canonicalisations, Ed25519, l=) verify; tampered ones fail; a missing
  key, a failing DNS, rsa-sha1 and a 512-bit key give the RFC results;
  and a message signed by `caremail dkim sign` verifies.
- DMARC: pass by aligned SPF or DKIM, fail with p= or sp=, none without
  a record, and the Authentication-Results line naming each.
"""

import base64
import json
import subprocess

import dkim
import dns.resolver
import pytest
import spf

from conftest import (BIN, TIMEOUT, assert_no_sanitizer, assert_sentence,
                      make_instance, run)
from dnsstub import DnsStub


# The names end in .example: libunbound answers .test names itself
# (RFC 6761), and the reverse zones of the RFC 5737 documentation nets
# too, so PTR cases use 11.22.33.x.
SPF_ZONE = {
    "plain.example": {"TXT": ["v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"]},
    "soft.example": {"TXT": ["v=spf1 ip4:192.0.2.1 ~all"]},
    "neutral.example": {"TXT": ["v=spf1 ?all"]},
    "nomatch.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24"]},
    "arec.example": {"TXT": ["v=spf1 a a:host.arec.example/28 -all"],
                     "A": ["198.51.100.10"]},
    "host.arec.example": {"A": ["198.51.100.33"], "AAAA": ["2001:db8:5::1"]},
    "a6.example": {"TXT": ["v=spf1 a:host.arec.example//64 -all"]},
    "mxrec.example": {"TXT": ["v=spf1 mx -all"],
                      "MX": [[10, "mx1.mxrec.example"], [20, "mx2.mxrec.example"]]},
    "mx1.mxrec.example": {"A": ["198.51.100.41"]},
    "mx2.mxrec.example": {"A": ["198.51.100.42"]},
    "mxcidr.example": {"TXT": ["v=spf1 mx:mxrec.example/30 -all"]},
    "inc.example": {"TXT": ["v=spf1 include:partner.example -all"]},
    "partner.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24 ~all"]},
    "incnone.example": {"TXT": ["v=spf1 include:norecord.example -all"]},
    "norecord.example": {"TXT": ["some other text"], "A": ["192.0.2.99"]},
    "redir.example": {"TXT": ["v=spf1 redirect=partner.example"]},
    "redirnone.example": {"TXT": ["v=spf1 redirect=norecord.example"]},
    "redirall.example": {"TXT": ["v=spf1 -all redirect=partner.example"]},
    "exists.example": {"TXT": ["v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all"]},
    "1.2.0.192.bob._spf.exists.example": {"A": ["127.0.0.2"]},
    "ptr.example": {"TXT": ["v=spf1 ptr -all"]},
    "ptrnamed.example": {"TXT": ["v=spf1 ptr:good.example -all"]},
    "44.33.22.11.in-addr.arpa": {"PTR": ["mail.ptr.example"]},
    "45.33.22.11.in-addr.arpa": {"PTR": ["liar.ptr.example"]},
    "46.33.22.11.in-addr.arpa": {"PTR": ["mx.good.example"]},
    "mail.ptr.example": {"A": ["11.22.33.44"]},
    "liar.ptr.example": {"A": ["11.22.33.99"]},
    "mx.good.example": {"A": ["11.22.33.46"]},
    "pmacro.example": {"TXT": ["v=spf1 exists:%{p}._ok.pmacro.example -all"]},
    "mail.ptr.example._ok.pmacro.example": {"A": ["127.0.0.2"]},
    "two.example": {"TXT": ["v=spf1 -all", "v=spf1 +all"]},
    "syntax.example": {"TXT": ["v=spf1 ip4:192.0.2.300 -all"]},
    "unknown.example": {"TXT": ["v=spf1 frobnicate -all"]},
    "broken.example": "SERVFAIL",
    "incbroken.example": {"TXT": ["v=spf1 include:broken.example -all"]},
    "loop.example": {"TXT": ["v=spf1 include:loop.example -all"]},
    "many.example": {"TXT": [
        "v=spf1 a:h1.many.example a:h2.many.example a:h3.many.example "
        "a:h4.many.example a:h5.many.example a:h6.many.example "
        "a:h7.many.example a:h8.many.example a:h9.many.example "
        "a:h10.many.example a:h11.many.example ip4:192.0.2.1 -all"]},
    "ten.example": {"TXT": [
        "v=spf1 a:h1.many.example a:h2.many.example a:h3.many.example "
        "a:h4.many.example a:h5.many.example a:h6.many.example "
        "a:h7.many.example a:h8.many.example a:h9.many.example "
        "a:h10.many.example ip4:192.0.2.1 -all"]},
    "void.example": {"TXT": [
        "v=spf1 a:n1.void.example a:n2.void.example a:n3.void.example "
        "ip4:192.0.2.1 -all"]},
    "void2.example": {"TXT": [
        "v=spf1 a:n1.void.example a:n2.void.example ip4:192.0.2.1 -all"]},
    "manymx.example": {"TXT": ["v=spf1 mx -all"],
                       "MX": [[i, f"m{i}.manymx.example"] for i in range(1, 12)]},
    "upper.example": {"TXT": ["V=SPF1 IP4:192.0.2.1 -ALL"]},
    "helo.example": {"TXT": ["v=spf1 ip4:198.51.100.7 -all"]},
}
for i in range(1, 12):
    SPF_ZONE[f"h{i}.many.example"] = {"A": [f"198.51.100.{100 + i}"]}

# (client address, MAIL FROM, HELO): every one is checked by both.
SPF_CASES = [
    ("192.0.2.5", "ann@plain.example", "mx.sender.example"),
    ("198.51.100.5", "ann@plain.example", "mx.sender.example"),
    ("2001:db8::25", "ann@plain.example", "mx.sender.example"),
    ("2001:db9::25", "ann@plain.example", "mx.sender.example"),
    ("192.0.2.1", "ann@soft.example", "mx.sender.example"),
    ("192.0.2.2", "ann@soft.example", "mx.sender.example"),
    ("192.0.2.2", "ann@neutral.example", "mx.sender.example"),
    ("192.0.2.2", "ann@nomatch.example", "mx.sender.example"),
    ("198.51.100.10", "ann@arec.example", "mx.sender.example"),
    ("198.51.100.40", "ann@arec.example", "mx.sender.example"),
    ("198.51.100.50", "ann@arec.example", "mx.sender.example"),
    ("2001:db8:5::ffff", "ann@a6.example", "mx.sender.example"),
    ("2001:db8:6::1", "ann@a6.example", "mx.sender.example"),
    ("198.51.100.42", "ann@mxrec.example", "mx.sender.example"),
    ("198.51.100.43", "ann@mxrec.example", "mx.sender.example"),
    ("198.51.100.43", "ann@mxcidr.example", "mx.sender.example"),
    ("198.51.100.45", "ann@mxcidr.example", "mx.sender.example"),
    ("203.0.113.9", "ann@inc.example", "mx.sender.example"),
    ("192.0.2.9", "ann@inc.example", "mx.sender.example"),
    ("192.0.2.9", "ann@incnone.example", "mx.sender.example"),
    ("203.0.113.9", "ann@redir.example", "mx.sender.example"),
    ("192.0.2.9", "ann@redir.example", "mx.sender.example"),
    ("192.0.2.9", "ann@redirnone.example", "mx.sender.example"),
    ("203.0.113.9", "ann@redirall.example", "mx.sender.example"),
    ("192.0.2.1", "bob@exists.example", "mx.sender.example"),
    ("192.0.2.1", "amy@exists.example", "mx.sender.example"),
    ("11.22.33.44", "ann@ptr.example", "mx.sender.example"),
    ("11.22.33.45", "ann@ptr.example", "mx.sender.example"),
    ("11.22.33.46", "ann@ptrnamed.example", "mx.sender.example"),
    ("11.22.33.44", "ann@ptrnamed.example", "mx.sender.example"),
    ("11.22.33.44", "ann@pmacro.example", "mx.sender.example"),
    ("11.22.33.45", "ann@pmacro.example", "mx.sender.example"),
    ("192.0.2.1", "ann@two.example", "mx.sender.example"),
    ("192.0.2.1", "ann@syntax.example", "mx.sender.example"),
    ("192.0.2.1", "ann@unknown.example", "mx.sender.example"),
    ("192.0.2.1", "ann@broken.example", "mx.sender.example"),
    ("192.0.2.1", "ann@incbroken.example", "mx.sender.example"),
    ("192.0.2.1", "ann@loop.example", "mx.sender.example"),
    ("192.0.2.1", "ann@many.example", "mx.sender.example"),
    ("192.0.2.1", "ann@ten.example", "mx.sender.example"),
    ("198.51.100.110", "ann@ten.example", "mx.sender.example"),
    ("192.0.2.1", "ann@void.example", "mx.sender.example"),
    ("192.0.2.1", "ann@void2.example", "mx.sender.example"),
    ("192.0.2.1", "ann@manymx.example", "mx.sender.example"),
    ("192.0.2.1", "ann@UPPER.example", "mx.sender.example"),
    ("192.0.2.1", "ann@nowhere.example", "mx.sender.example"),
    ("192.0.2.1", "ann@norecord.example", "mx.sender.example"),
    # The null reverse-path: the HELO name's record (RFC 7208 §2.4).
    ("198.51.100.7", "", "helo.example"),
    ("198.51.100.8", "", "helo.example"),
]


@pytest.fixture(scope="module")
def spf_stub():
    stub = DnsStub(SPF_ZONE).start()
    yield stub
    stub.stop()


def auth_check(stub, ip, mail_from, helo, message=None, extra=()):
    """Runs `caremail auth check`; returns its parsed JSON."""
    args = [BIN, "auth", "check", "--ip", ip, "--helo", helo,
            "--mail-from", mail_from, "--authserv-id", "mx.care.example",
            "--set", f"dns.servers=127.0.0.1@{stub.port}",
            "--set", "dns.trust_anchor=", "--set", "dns.timeout_ms=3000",
            *extra]
    if message is None:
        proc = subprocess.run(args, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT)
    else:
        proc = subprocess.run(args, input=message, capture_output=True,
                              timeout=TIMEOUT)
    err = proc.stderr.decode(errors="replace")
    assert_no_sanitizer(err)
    assert proc.returncode == 0, err
    return json.loads(proc.stdout)


def pyspf_result(stub, ip, mail_from, helo):
    """python3-spf's verdict on the same zone, through the same stub."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = stub.port
    resolver.lifetime = 5
    saved = dns.resolver.default_resolver
    dns.resolver.default_resolver = resolver
    try:
        result, _ = spf.check2(i=ip, s=mail_from, h=helo)
    finally:
        dns.resolver.default_resolver = saved
    return result


def test_spf_agrees_with_pyspf(spf_stub):
    disagree = []
    seen = set()
    for ip, mail_from, helo in SPF_CASES:
        ours = auth_check(spf_stub, ip, mail_from, helo)
        theirs = pyspf_result(spf_stub, ip, mail_from, helo)
        seen.add(theirs)
        if ours["spf"]["result"] != theirs:
            disagree.append((ip, mail_from, ours["spf"]["result"], theirs,
                             ours["spf"]["reason"]))
        assert ours["dkim"] == [] and ours["dmarc"] is None
    assert disagree == []
    # The table reaches every result there is.
    assert seen == {"pass", "fail", "softfail", "neutral", "none",
                    "permerror", "temperror"}


def test_spf_json_and_field(spf_stub):
    out = auth_check(spf_stub, "192.0.2.5", "ann@plain.example",
                     "mx.sender.example")
    assert out["spf"]["result"] == "pass"
    assert out["spf"]["domain"] == "plain.example"
    assert out["spf"]["identity"] == "mailfrom"
    assert out["spf"]["mechanism"] == "ip4:192.0.2.0/24"
    assert out["authentication_results"] == (
        "Authentication-Results: mx.care.example; spf=pass "
        "smtp.mailfrom=ann@plain.example")
    out = auth_check(spf_stub, "198.51.100.7", "", "helo.example")
    assert out["spf"]["identity"] == "helo"
    assert out["authentication_results"].endswith(
        "spf=pass smtp.helo=helo.example")
    out = auth_check(spf_stub, "192.0.2.1", "ann@many.example",
                     "mx.sender.example")
    assert out["spf"]["result"] == "permerror"
    assert "more than 10" in out["spf"]["reason"]


def test_bad_input_is_one_sentence(spf_stub):
    proc = run("auth", "check", "--ip", "192.0.2", "--helo", "h.example",
               "--mail-from", "a@plain.example",
               "--set", f"dns.servers=127.0.0.1@{spf_stub.port}",
               input="", check=False)
    assert proc.stdout == ""
    assert "is not an IPv4 or IPv6 address" in assert_sentence(proc)
    proc = run("auth", "check", "--ip", "192.0.2.1", input="", check=False)
    assert "--helo" in assert_sentence(proc, code=2)


# ---- DKIM and DMARC ----

MESSAGE = (b"From: Ann Example <ann@nhs.example>\r\n"
           b"To: bob@care.example\r\n"
           b"Subject: Clinic times\r\n"
           b"Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n"
           b"Message-ID: <1@nhs.example>\r\n"
           b"\r\n"
           b"The clinic opens at nine.\r\n")


def rsa_key(tmp_path, bits):
    path = tmp_path / f"rsa{bits}.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(path), str(bits)],
                   check=True, capture_output=True)
    pem = path.read_bytes()
    der = subprocess.run(["openssl", "rsa", "-in", str(path), "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def ed25519_key():
    import nacl.signing
    sk = nacl.signing.SigningKey.generate()
    return (base64.b64encode(bytes(sk)), "v=DKIM1; k=ed25519; p=" +
            base64.b64encode(bytes(sk.verify_key)).decode())


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    return {"rsa": rsa_key(d, 2048), "rsa1024": rsa_key(d, 1024),
            "rsa512": rsa_key(d, 512), "ed": ed25519_key()}


def txt(text):
    """One TXT record: its text in strings of at most 255 bytes."""
    return [text[i:i + 255] for i in range(0, len(text), 255)]


@pytest.fixture(scope="module")
def dkim_stub(keys):
    zone = {
        "nhs.example": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
        "_dmarc.nhs.example": {"TXT": ["v=DMARC1; p=reject; sp=quarantine"]},
        "rsa._domainkey.nhs.example": {"TXT": [txt(keys["rsa"][1])]},
        "r1024._domainkey.nhs.example": {"TXT": [txt(keys["rsa1024"][1])]},
        "r512._domainkey.nhs.example": {"TXT": [txt(keys["rsa512"][1])]},
        "ed._domainkey.nhs.example": {"TXT": [txt(keys["ed"][1])]},
        "rsa._domainkey.bulk.example": {"TXT": [txt(keys["rsa"][1])]},
        "gone._domainkey.nhs.example": "SERVFAIL",
        "bulk.example": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
        "ward.nhs.example": {"A": ["192.0.2.50"]},
        "open.example": {"TXT": ["v=spf1 +all"]},
    }
    stub = DnsStub(zone).start()
    yield stub
    stub.stop()


def pydkim_sign(msg, key, selector, domain=b"nhs.example", **kw):
    sig = dkim.sign(msg, selector, domain, key,
                    include_headers=[b"from", b"to", b"subject", b"date"],
                    **kw)
    return sig + msg


def dkim_of(stub, msg, ip="198.51.100.9", mail_from="x@bulk.example"):
    return auth_check(stub, ip, mail_from, "mx.bulk.example", message=msg)


@pytest.mark.parametrize("selector,key,kw", [
    ("rsa", "rsa", {}),
    ("rsa", "rsa", {"canonicalize": (b"simple", b"simple")}),
    ("rsa", "rsa", {"canonicalize": (b"relaxed", b"simple")}),
    ("rsa", "rsa", {"canonicalize": (b"simple", b"relaxed")}),
    ("r1024", "rsa1024", {}),
    ("ed", "ed", {"signature_algorithm": b"ed25519-sha256"}),
])
def test_pydkim_signed_verifies(dkim_stub, keys, selector, key, kw):
    msg = pydkim_sign(MESSAGE, keys[key][0], selector.encode(), **kw)
    out = dkim_of(dkim_stub, msg)
    assert [d["result"] for d in out["dkim"]] == ["pass"], out["dkim"]
    d = out["dkim"][0]
    assert d["domain"] == "nhs.example" and d["selector"] == selector
    # SPF passed, but for bulk.example; DKIM passed aligned with From.
    assert out["spf"]["result"] == "pass"
    assert out["dmarc"]["result"] == "pass"
    assert out["dmarc"]["dkim_aligned"] is True
    assert out["dmarc"]["spf_aligned"] is False
    assert (f"dkim=pass header.d=nhs.example header.s={selector}"
            in out["authentication_results"])
    assert "dmarc=pass (p=none) header.from=nhs.example" in \
        out["authentication_results"]


@pytest.mark.parametrize("change", [
    (b"Subject: Clinic times", b"Subject: Clinic Times"),
    (b"ann@nhs.example", b"ann@nhs.example.evil.example"),
    (b"opens at nine", b"opens at ten"),
    (b"To: bob", b"From: boss@nhs.example\r\nTo: bob"),
])
def test_tampered_fails(dkim_stub, keys, change):
    for selector, key, kw in [("rsa", "rsa", {}), ("ed", "ed", {
            "signature_algorithm": b"ed25519-sha256"})]:
        msg = pydkim_sign(MESSAGE, keys[key][0], selector.encode(), **kw)
        bad = msg.replace(change[0], change[1], 1)
        out = dkim_of(dkim_stub, bad)
        assert [d["result"] for d in out["dkim"]] == ["fail"], out["dkim"]
        assert "dkim=fail header.d=nhs.example" in \
            out["authentication_results"]


def test_length_tag_covers_only_what_was_signed(dkim_stub, keys):
    msg = pydkim_sign(MESSAGE, keys["rsa"][0], b"rsa", length=True)
    assert b" l=" in msg
    out = dkim_of(dkim_stub, msg + b"Appended after signing.\r\n")
    assert out["dkim"][0]["result"] == "pass"


def test_key_and_algorithm_problems(dkim_stub, keys):
    cases = [
        (pydkim_sign(MESSAGE, keys["rsa"][0], b"none"), "permerror",
         "no key"),
        (pydkim_sign(MESSAGE, keys["rsa"][0], b"gone"), "temperror",
         "could not be fetched"),
        (pydkim_sign(MESSAGE, keys["rsa"][0], b"rsa",
                     signature_algorithm=b"rsa-sha1"), "fail", "rsa-sha1"),
        (pydkim_sign(MESSAGE, keys["rsa512"][0], b"r512"), "fail",
         "512 bits"),
        # A signature missing its required tags: neutral (RFC 8601).
        (b"DKIM-Signature: v=1; a=rsa-sha256; d=nhs.example\r\n" + MESSAGE,
         "neutral", "has no b= tag"),
        # The right key published for another domain's selector.
        (pydkim_sign(MESSAGE, keys["ed"][0], b"rsa",
                     signature_algorithm=b"ed25519-sha256"), "permerror",
         "type"),
    ]
    for msg, result, reason in cases:
        out = dkim_of(dkim_stub, msg)
        assert out["dkim"][0]["result"] == result, out["dkim"]
        assert reason in out["dkim"][0]["reason"]


def test_dmarc_outcomes(dkim_stub, keys):
    # Unsigned, SPF passing for the From domain: pass by SPF.
    out = dkim_of(dkim_stub, MESSAGE, ip="192.0.2.9",
                  mail_from="bounce@nhs.example")
    assert out["dkim"] == []
    assert out["dmarc"]["result"] == "pass"
    assert out["dmarc"]["spf_aligned"] is True
    assert out["authentication_results"] == (
        "Authentication-Results: mx.care.example; spf=pass "
        "smtp.mailfrom=bounce@nhs.example; dkim=none; dmarc=pass (p=none) "
        "header.from=nhs.example")
    # A forgery: SPF passes for the envelope's domain, not the From's.
    out = dkim_of(dkim_stub, MESSAGE)
    assert out["dmarc"]["result"] == "fail"
    assert out["dmarc"]["policy"] == "reject"
    assert "dmarc=fail (p=reject) header.from=nhs.example" in \
        out["authentication_results"]
    # Signed by another domain: DKIM passes but is not aligned.
    msg = pydkim_sign(MESSAGE, keys["rsa"][0], b"rsa", domain=b"bulk.example")
    out = dkim_of(dkim_stub, msg)
    assert out["dkim"][0]["result"] == "pass"
    assert out["dmarc"]["result"] == "fail"
    # A subdomain takes sp= from the organisational domain's record.
    ward = MESSAGE.replace(b"ann@nhs.example", b"ann@ward.nhs.example")
    out = dkim_of(dkim_stub, ward)
    assert out["dmarc"]["result"] == "fail"
    assert out["dmarc"]["policy"] == "quarantine"
    assert out["dmarc"]["record_domain"] == "nhs.example"
    # No DMARC record at all.
    other = MESSAGE.replace(b"ann@nhs.example", b"ann@open.example")
    out = dkim_of(dkim_stub, other)
    assert out["dmarc"]["result"] == "none"
    # No From: DMARC cannot apply; the line says so.
    out = dkim_of(dkim_stub, b"Subject: x\r\n\r\nbody\r\n")
    assert out["dmarc"]["result"] == "permerror"


def test_our_signer_verifies(tmp_path, dkim_stub):
    inst = make_instance(tmp_path / "inst", domain="nhs.example")
    subprocess.run([BIN, "dkim", "keygen", "--dir", str(inst.dir),
                    "--domain", "nhs.example", "--selector", "cm",
                    "--algorithm", "ed25519"], check=True,
                   capture_output=True, timeout=TIMEOUT)
    show = json.loads(subprocess.run(
        [BIN, "dkim", "show", "--dir", str(inst.dir), "--domain", "nhs.example",
         "--json"], check=True, capture_output=True,
        timeout=TIMEOUT).stdout)
    signed = subprocess.run(
        [BIN, "dkim", "sign", "--dir", str(inst.dir), "--domain",
         "nhs.example"], input=MESSAGE, check=True, capture_output=True,
        timeout=TIMEOUT).stdout
    record = show["record"]
    stub = DnsStub({"cm._domainkey.nhs.example": {"TXT": [txt(record)]},
                    "_dmarc.nhs.example": {"TXT": ["v=DMARC1; p=reject"]}}
                   ).start()
    try:
        out = auth_check(stub, "192.0.2.9", "ann@nhs.example",
                         "mx.nhs.example", message=signed)
    finally:
        stub.stop()
    assert out["dkim"][0]["result"] == "pass", out["dkim"]
    assert out["dmarc"]["result"] == "pass"
    # And python3-dkim agrees with our verifier on our signature.
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5:
                       record.encode())
