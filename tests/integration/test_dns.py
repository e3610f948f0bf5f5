"""The DNS resolver (issue 11 item 1) seen through `caremail dns lookup`,
against the loopback DNS stub (dnsstub.py, Debian's python3-dnslib):
record types, MX order and null MX, NODATA vs NXDOMAIN vs SERVFAIL vs a
timeout, and DNSSEC: secure (a zone signed here with ldns-signzone), bogus
(unsigned or tampered answers under a trust anchor) and insecure (no
anchor)."""

import json
import random
import shutil
import time

import pytest

from conftest import assert_no_sanitizer, run
from dnsstub import DnsStub, sign_zone

HEX32 = "0123456789abcdef" * 4


@pytest.fixture
def stubs():
    """Starts stubs on demand and stops them all after the test."""
    started = []

    def start(zone=None, zonefiles=()):
        stub = DnsStub(zone, zonefiles).start()
        started.append(stub)
        return stub
    yield start
    for stub in started:
        stub.stop()


def lookup(stub, rtype, name, anchor="", timeout_ms=3000, text=False):
    """Runs `caremail dns lookup`; returns (process, parsed JSON or None)."""
    args = ["dns", "lookup", rtype, name,
            "--set", f"dns.servers=127.0.0.1@{stub.port}",
            "--set", f"dns.trust_anchor={anchor}",
            "--set", f"dns.timeout_ms={timeout_ms}"]
    if not text:
        args.append("--json")
    proc = run(*args, check=False)
    assert_no_sanitizer(proc.stderr)
    assert proc.returncode in (0, 1), proc.stderr
    return proc, (None if text else json.loads(proc.stdout))


def test_mx_records_come_sorted_by_preference_whatever_order_served(stubs):
    hosts = [(30, "c.nhs.example"), (10, "b.nhs.example"),
             (20, "d.nhs.example"), (10, "a.nhs.example"),
             (65535, "last.nhs.example"), (0, "first.nhs.example")]
    for seed in range(4):
        served = hosts[:]
        random.Random(seed).shuffle(served)
        stub = stubs({"nhs.example": {"MX": [list(h) for h in served]}})
        proc, ans = lookup(stub, "MX", "nhs.example")
        assert proc.returncode == 0
        assert ans["status"] == "ok" and ans["null_mx"] is False
        got = [(r["preference"], r["host"]) for r in ans["records"]]
        assert got == sorted(hosts), served
        assert ("nhs.example", "MX") in stub.queries
        assert ans["canonical"] == "nhs.example"


def test_null_mx_is_reported_apart_from_no_mx(stubs):
    stub = stubs({"nullmx.example": {"MX": [[0, "."]]},
                  "mixed.example": {"MX": [[0, "."], [10, "mx.mixed.example"]]},
                  "nomx.example": {"A": ["192.0.2.1"]}})
    proc, ans = lookup(stub, "MX", "nullmx.example")
    assert proc.returncode == 0
    assert ans["status"] == "ok" and ans["null_mx"] is True
    assert ans["records"] == []
    proc, _ = lookup(stub, "MX", "nullmx.example", text=True)
    assert "null MX" in proc.stdout
    # RFC 7505 forbids "." beside other MX records; the others still count.
    _, ans = lookup(stub, "MX", "mixed.example")
    assert ans["null_mx"] is False
    assert [r["host"] for r in ans["records"]] == ["mx.mixed.example"]
    # No MX at all: the caller falls back to A/AAAA (RFC 5321 §5.1).
    _, ans = lookup(stub, "MX", "nomx.example")
    assert ans["status"] == "nodata" and ans["null_mx"] is False


def test_nodata_nxdomain_servfail_and_timeout_are_told_apart(stubs):
    stub = stubs({"exists.example": {"A": ["192.0.2.1"]},
                  "gone.example": "NXDOMAIN",
                  "broken.example": "SERVFAIL",
                  "refused.example": "REFUSED",
                  "slow.example": "HANG",
                  "half.example": {"A": ["192.0.2.2"], "MX": "SERVFAIL"}})
    expect = [("MX", "exists.example", "nodata", 0),
              ("MX", "gone.example", "nxdomain", 0),
              ("MX", "unlisted.example", "nxdomain", 0),
              ("MX", "broken.example", "tempfail", 1),
              ("A", "refused.example", "tempfail", 1),
              ("MX", "half.example", "tempfail", 1),
              ("A", "half.example", "ok", 0)]
    for rtype, name, status, code in expect:
        proc, ans = lookup(stub, rtype, name)
        assert (ans["status"], proc.returncode) == (status, code), name
        if status == "tempfail":
            assert ans["reason"] and "caremail: " in proc.stderr
        else:
            assert ans["reason"] == ""
    start = time.monotonic()
    proc, ans = lookup(stub, "MX", "slow.example", timeout_ms=1000)
    elapsed = time.monotonic() - start
    assert ans["status"] == "tempfail" and proc.returncode == 1
    assert "1000 ms" in ans["reason"]
    assert 0.9 <= elapsed < 5, elapsed


def test_txt_strings_join_per_record_and_records_stay_apart(stubs):
    long_key = "p=" + "A" * 400   # a DKIM key: more than one 255-byte string
    stub = stubs({"nhs.example": {"TXT": [
        ["v=spf1 ip4:192.0.2.0/24 ", "-all"],
        [long_key[:255], long_key[255:]],
        ['quote" and \\ back'],
        "single"]}})
    proc, ans = lookup(stub, "TXT", "nhs.example")
    assert proc.returncode == 0
    texts = sorted(r["text"] for r in ans["records"])
    assert texts == sorted(["v=spf1 ip4:192.0.2.0/24 -all", long_key,
                            'quote\\" and \\\\ back', "single"])
    assert sorted(r["length"] for r in ans["records"]) == sorted(
        [len("v=spf1 ip4:192.0.2.0/24 -all"), len(long_key),
         len('quote" and \\ back'), len("single")])


def test_an_answer_too_big_for_udp_comes_over_tcp(stubs):
    # 12 records of 255 bytes: past any UDP size libunbound offers, so the
    # stub truncates and the resolver asks again over TCP.
    records = [[f"{i:02d}" + "x" * 253] for i in range(12)]
    stub = stubs({"big.example": {"TXT": records}})
    proc, ans = lookup(stub, "TXT", "big.example")
    assert proc.returncode == 0 and ans["status"] == "ok"
    assert sorted(r["text"] for r in ans["records"]) == sorted(
        r[0] for r in records)
    assert stub.tcp_queries >= 1


def test_tlsa_a_and_aaaa(stubs):
    digest512 = "ab" * 64
    stub = stubs({"_25._tcp.mx.nhs.example": {"TLSA": [
                      [3, 1, 1, HEX32], [2, 0, 2, digest512]]},
                  "mx.nhs.example": {"A": ["192.0.2.7", "192.0.2.8"],
                                     "AAAA": ["2001:db8::25"]}})
    _, ans = lookup(stub, "TLSA", "_25._tcp.mx.nhs.example")
    got = sorted((r["usage"], r["selector"], r["matching_type"], r["data"])
                 for r in ans["records"])
    assert got == [(2, 0, 2, digest512), (3, 1, 1, HEX32)]
    _, ans = lookup(stub, "A", "mx.nhs.example")
    assert sorted(r["address"] for r in ans["records"]) == [
        "192.0.2.7", "192.0.2.8"]
    _, ans = lookup(stub, "AAAA", "mx.nhs.example")
    assert [r["address"] for r in ans["records"]] == ["2001:db8::25"]
    proc, _ = lookup(stub, "TLSA", "_25._tcp.mx.nhs.example", text=True)
    assert f"3 1 1 {HEX32}" in proc.stdout and "dnssec insecure" in proc.stdout


def test_bad_input_gets_one_sentence_and_no_lookup(stubs):
    stub = stubs({})
    for args in (["SRV", "nhs.example"], ["MX", "not a name"],
                 ["MX", "a..b"], ["MX", "x" * 64 + ".example"]):
        proc = run("dns", "lookup", *args, "--set",
                   f"dns.servers=127.0.0.1@{stub.port}", check=False)
        assert proc.returncode == 2, args
        assert proc.stderr.startswith("caremail: ") and proc.stdout == ""
    assert stub.queries == []
    proc = run("dns", "lookup", "MX", "nhs.example", "--set",
               "dns.servers=not-an-address", check=False)
    assert proc.returncode == 1 and "dns.servers" in proc.stderr
    proc = run("dns", "lookup", "MX", "nhs.example", "--set",
               f"dns.servers=127.0.0.1@{stub.port}", "--set",
               "dns.trust_anchor=/nonexistent/root.key", check=False)
    assert proc.returncode == 1 and "dns.trust_anchor" in proc.stderr


# ---- DNSSEC ----

SIGNED_ZONE = """$ORIGIN signed.example.
$TTL 300
@ IN SOA ns.signed.example. hostmaster.signed.example. 1 3600 600 86400 60
@ IN NS ns.signed.example.
@ IN MX 10 mx.signed.example.
mx IN A 192.0.2.25
_25._tcp.mx IN TLSA 3 1 1 {hex}
""".format(hex=HEX32)


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """signed.example signed with a fresh ECDSA key: the zone file, a
    tampered copy (the TLSA data changed, its signature kept) and the DS
    record to use as the trust anchor."""
    if shutil.which("ldns-signzone") is None:
        pytest.skip("ldnsutils is not installed (scripts/deps.sh)")
    d = tmp_path_factory.mktemp("signed")
    text, anchor = sign_zone(d, "signed.example", SIGNED_ZONE)
    assert HEX32 in text
    (d / "tampered").write_text(text.replace(HEX32, "f" * 64))
    return {"zone": d / "zone.signed", "tampered": d / "tampered",
            "anchor": anchor}


def test_signed_answers_validate_as_secure(stubs, signed):
    stub = stubs(zonefiles=[signed["zone"]])
    for rtype, name in (("MX", "signed.example"), ("A", "mx.signed.example"),
                        ("TLSA", "_25._tcp.mx.signed.example")):
        proc, ans = lookup(stub, rtype, name, anchor=signed["anchor"])
        assert (ans["status"], ans["dnssec"]) == ("ok", "secure"), ans
        assert proc.returncode == 0 and len(ans["records"]) == 1
    # The same signed answers with no anchor for them are only insecure.
    _, ans = lookup(stub, "MX", "signed.example", anchor="")
    assert (ans["status"], ans["dnssec"]) == ("ok", "insecure")


def test_unsigned_or_tampered_answers_under_an_anchor_are_bogus(stubs,
                                                                signed):
    # Validation runs: below the anchor an unsigned answer cannot be
    # trusted, and its records are never handed out.
    stub = stubs({"unsigned.signed.example": {"MX": [[10, "mx.evil.example"]]},
                  "other.example": {"MX": [[10, "mx.other.example"]]}},
                 zonefiles=[signed["zone"]])
    proc, ans = lookup(stub, "MX", "unsigned.signed.example",
                       anchor=signed["anchor"])
    assert (ans["status"], ans["dnssec"]) == ("tempfail", "bogus"), ans
    assert ans["records"] == [] and proc.returncode == 1
    assert "DNSSEC" in ans["reason"]
    # A name no anchor covers is insecure, not bogus, with the same anchor.
    _, ans = lookup(stub, "MX", "other.example", anchor=signed["anchor"])
    assert (ans["status"], ans["dnssec"]) == ("ok", "insecure")
    # Without the anchor the unsigned answer is merely insecure.
    _, ans = lookup(stub, "MX", "unsigned.signed.example", anchor="")
    assert (ans["status"], ans["dnssec"]) == ("ok", "insecure")

    tampered = stubs(zonefiles=[signed["tampered"]])
    proc, ans = lookup(tampered, "TLSA", "_25._tcp.mx.signed.example",
                       anchor=signed["anchor"])
    assert (ans["status"], ans["dnssec"]) == ("tempfail", "bogus"), ans
    assert ans["records"] == []


def test_ptr_records_for_spf(stubs):
    # SPF's ptr mechanism (RFC 7208 §5.5) reads PTR records.
    stub = stubs({"44.33.22.11.in-addr.arpa": {
        "PTR": ["mail.nhs.example", "MX.Other.example"]}})
    proc, ans = lookup(stub, "PTR", "44.33.22.11.in-addr.arpa")
    assert proc.returncode == 0
    assert ans["status"] == "ok"
    assert sorted(r["host"] for r in ans["records"]) == [
        "mail.nhs.example", "mx.other.example"]
    proc, _ = lookup(stub, "PTR", "44.33.22.11.in-addr.arpa", text=True)
    assert "mail.nhs.example." in proc.stdout
    _, ans = lookup(stub, "PTR", "45.33.22.11.in-addr.arpa")
    assert ans["status"] == "nxdomain"
