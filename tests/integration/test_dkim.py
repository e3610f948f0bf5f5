"""DKIM signing and the DNS records to publish (issue 11 item 5,
SECURITY.md 7), driven through the real binary: `caremail dkim keygen`,
`show`, `sign` and `activate`, and `caremail dns records`.

Every signature is checked by a verifier nobody here wrote, Debian's
python3-dkim, fed the TXT record `caremail dkim show` prints. Tampering
with the body or a signed header makes it fail; a second From added
after signing does too (From is oversigned).
"""

import json
import os
import re
import stat
import subprocess

import dkim
import pytest

from conftest import BIN, TIMEOUT, make_instance

ALGORITHMS = ("rsa", "ed25519")


def sign(inst, message, *extra):
    """`caremail dkim sign` on message (bytes); the signed bytes."""
    proc = subprocess.run(
        [BIN, "dkim", "sign", "--dir", str(inst.dir), "--domain",
         inst.domain, *extra],
        input=message, capture_output=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def record_of(inst, *extra):
    return inst.json("dkim", "show", "--domain", inst.domain, *extra)


def verify(signed, shown):
    """python3-dkim's verdict, answering DNS with the shown record only
    for the name the record is published at."""
    def dnsfunc(name, timeout=5):
        if name.decode().lower() == shown["name"].lower():
            return shown["record"].encode()
        return None
    return dkim.verify(signed, dnsfunc=dnsfunc)


@pytest.fixture(params=ALGORITHMS)
def keyed(request, instance):
    """An instance whose domain has an active key of each algorithm."""
    instance.run("dkim", "keygen", "--domain", instance.domain,
                 "--algorithm", request.param)
    return instance


def message(domain, body=b"Hello,\r\n\r\nThe results are in.\r\n",
            extra=b""):
    return (b"From: Alice Smith <alice@" + domain.encode() + b">\r\n"
            b"To: Bob <bob@example.net>\r\n"
            b"Cc: carol@example.net\r\n"
            b"Subject: Clinic results\r\n"
            b"Date: Thu, 03 Dec 2026 09:00:00 +0000\r\n"
            b"Message-ID: <r1@" + domain.encode() + b">\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n" + extra +
            b"\r\n" + body)


def shapes(domain):
    """Messages of the shapes the issue names, by name."""
    long_line = b"x" * 5000 + b"\r\n"
    return {
        "plain": message(domain),
        "folded-headers": message(
            domain, extra=b"References: <a@example.net>\r\n"
            b"\t<b@example.net>\r\n   <c@example.net>\r\n"
            b"In-Reply-To:\r\n <a@example.net>\r\n"),
        "eight-bit": message(
            domain, body="Café crème, Grüße, 日本語\r\n".encode()),
        "no-trailing-crlf": message(domain, body=b"last line, no end"),
        "long-lines": message(domain, body=long_line * 3),
        "whitespace": message(
            domain, body=b"  lead\t and   inner  \t\r\n\r\n \r\n\r\n"),
        "empty-body": message(domain, body=b""),
        "lf-endings": message(domain).replace(b"\r\n", b"\n"),
    }


@pytest.mark.parametrize("shape", sorted(shapes("x").keys()))
def test_signature_verifies(keyed, shape):
    signed = sign(keyed, shapes(keyed.domain)[shape])
    assert signed.startswith(b"DKIM-Signature: v=1; a=")
    assert verify(signed, record_of(keyed))


def test_signed_output_is_crlf_and_folded(keyed):
    signed = sign(keyed, shapes(keyed.domain)["lf-endings"])
    assert b"\n" not in signed.replace(b"\r\n", b"")
    header = signed.split(b"\r\nFrom:")[0] + b"\r\n"
    lines = header.split(b"\r\n")[:-1]
    assert all(len(line) <= 78 for line in lines), lines
    assert all(line.startswith(b"\t") for line in lines[1:])
    flat = re.sub(rb"\s+", b"", header)
    assert b";d=" + keyed.domain.encode() + b";" in flat
    assert b";c=relaxed/relaxed;" in flat
    h = re.search(rb";h=([^;]*);", flat).group(1).split(b":")
    # From oversigned; the others the message has, once more each.
    assert h.count(b"from") == 2
    for name in (b"to", b"cc", b"subject", b"date", b"message-id",
                 b"mime-version", b"content-type"):
        assert h.count(name) == 2, (name, h)


def test_large_message_from_the_spool(keyed):
    """3 MiB: past the 1 MiB `dkim sign` keeps in memory, so the message
    is signed as mapped from a spool file."""
    line = b"The quick brown fox jumps over the lazy dog  \t 0123456789\r\n"
    body = line * (3 * 1024 * 1024 // len(line) + 1)
    signed = sign(keyed, message(keyed.domain, body=body))
    assert len(signed) > 3 * 1024 * 1024
    assert verify(signed, record_of(keyed))
    assert not verify(signed[:-40] + b"X" + signed[-39:], record_of(keyed))


def test_tampering_fails(keyed):
    shown = record_of(keyed)
    signed = sign(keyed, message(keyed.domain))
    assert verify(signed, shown)
    head, body = signed.split(b"\r\n\r\n", 1)
    tampered = {
        "body": head + b"\r\n\r\n" + body.replace(b"results", b"resulTs"),
        "body-appended": signed + b"One more line.\r\n",
        "subject": signed.replace(b"Subject: Clinic results",
                                  b"Subject: Clinic result"),
        "to": signed.replace(b"To: Bob <bob@", b"To: Eve <bob@"),
        # Verifiers take a field's instances from the bottom up, so one
        # added at the top fails only because From and Cc are oversigned.
        "second-from-top": b"From: mallory@evil.example\r\n" + signed,
        "second-from-bottom": head + b"\r\nFrom: mallory@evil.example"
                              b"\r\n\r\n" + body,
        "added-cc-top": b"Cc: eve@evil.example\r\n" + signed,
        "added-subject-top": b"Subject: Urgent: pay now\r\n" + signed,
    }
    for name, msg in tampered.items():
        assert not verify(msg, shown), name
    # Only signed fields count: an unsigned one added still verifies,
    # so the checks above fail for the reason they name.
    assert verify(head + b"\r\nX-Scanned: yes\r\n\r\n" + body, shown)
    # Whitespace changes relaxed canonicalisation forgives.
    assert verify(signed.replace(b"Subject: Clinic results",
                                 b"Subject:   Clinic \t results"), shown)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_key_fails(instance, algorithm):
    instance.run("dkim", "keygen", "--domain", instance.domain,
                 "--algorithm", algorithm)
    instance.run("dkim", "keygen", "--domain", instance.domain,
                 "--selector", "other", "--algorithm", algorithm)
    other = record_of(instance, "--selector", "other")
    signed = sign(instance, message(instance.domain))
    other["name"] = record_of(instance)["name"]
    assert not verify(signed, other)


def test_keys_on_disk(instance):
    out = instance.run("dkim", "keygen", "--domain", instance.domain,
                       "--algorithm", "ed25519").stdout
    shown = record_of(instance)
    assert re.fullmatch(r"cm20\d\d", shown["selector"])
    assert shown["active"] is True
    assert shown["name"] == f"{shown['selector']}._domainkey.{instance.domain}."
    assert shown["record"].startswith("v=DKIM1; k=ed25519; p=")
    key_dir = instance.dir / "dkim" / instance.domain
    key_file = key_dir / f"{shown['selector']}.key"
    assert stat.S_IMODE(os.stat(key_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    pem = key_file.read_text()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    secret = "".join(pem.splitlines()[1:-1])
    # The private key is printed, logged and audited nowhere.
    for text in (out, json.dumps(shown),
                 instance.run("audit", "list", "--json").stdout):
        assert secret not in text and "PRIVATE" not in text
    # OpenSSL reads the file as the key whose public half is published.
    pub = subprocess.run(["openssl", "pkey", "-in", str(key_file),
                          "-pubout", "-outform", "DER"],
                         capture_output=True, timeout=TIMEOUT, check=True)
    import base64
    assert base64.b64encode(pub.stdout[-32:]).decode() == \
        shown["record"].split("p=")[1]


def test_rsa_key_is_2048(instance):
    instance.run("dkim", "keygen", "--domain", instance.domain)
    shown = record_of(instance)
    key_file = instance.dir / "dkim" / instance.domain / \
        f"{shown['selector']}.key"
    text = subprocess.run(["openssl", "pkey", "-in", str(key_file),
                           "-noout", "-text"], capture_output=True,
                          text=True, timeout=TIMEOUT, check=True).stdout
    assert "2048 bit" in text


def test_keygen_is_audited(instance):
    instance.run("dkim", "keygen", "--domain", instance.domain,
                 "--selector", "s1")
    instance.run("dkim", "keygen", "--domain", instance.domain,
                 "--selector", "s2", "--algorithm", "ed25519")
    instance.run("dkim", "activate", "--domain", instance.domain,
                 "--selector", "s2")
    rows = instance.json("audit", "list", "--type", "dkim_key")
    summaries = [(r["action"], json.loads(r["summary"])
                  if isinstance(r["summary"], str) else r["summary"])
                 for r in rows]
    summaries.reverse()
    assert [a for a, _ in summaries] == ["create", "create", "update"]
    assert summaries[0][1]["selector"] == "s1"
    assert summaries[0][1]["algorithm"] == "rsa"
    assert summaries[0][1]["active"] is True
    assert summaries[1][1]["active"] is False
    assert summaries[2][1]["selector"] == "s2"


def test_refusals_change_nothing(instance):
    key_root = instance.dir / "dkim"
    sentence = instance.fails("dkim", "keygen", "--domain",
                              "elsewhere.example")
    assert "elsewhere.example is not a domain this instance hosts" in sentence
    assert not key_root.exists()
    for bad in ("../x", "a/b", "-x", "x y"):
        instance.fails("dkim", "keygen", "--domain", instance.domain,
                       "--selector", bad)
    assert not key_root.exists()
    instance.fails("dkim", "keygen", "--domain", instance.domain,
                   "--algorithm", "dsa", code=2)
    sentence = instance.fails("dkim", "show", "--domain", instance.domain)
    assert f"caremail dkim keygen --domain {instance.domain}" in sentence
    instance.run("dkim", "keygen", "--domain", instance.domain,
                 "--selector", "s1")
    before = (key_root / instance.domain / "s1.key").read_bytes()
    sentence = instance.fails("dkim", "keygen", "--domain", instance.domain,
                              "--selector", "s1")
    assert "already has a DKIM key with selector s1" in sentence
    assert (key_root / instance.domain / "s1.key").read_bytes() == before
    assert len(instance.json("audit", "list", "--type", "dkim_key")) == 1
    instance.fails("dkim", "activate", "--domain", instance.domain,
                   "--selector", "nope")


def test_sign_refuses_without_one_from(keyed):
    for msg in (b"To: a@example.net\r\n\r\nbody\r\n",
                message(keyed.domain, extra=b"From: b@example.net\r\n")):
        proc = subprocess.run(
            [BIN, "dkim", "sign", "--dir", str(keyed.dir), "--domain",
             keyed.domain], input=msg, capture_output=True,
            timeout=TIMEOUT)
        assert proc.returncode == 1
        assert proc.stdout == b""
        assert b"From" in proc.stderr and proc.stderr.count(b"\n") == 1


def test_new_key_signs_only_once_activated(instance):
    instance.run("dkim", "keygen", "--domain", instance.domain,
                 "--selector", "old")
    out = instance.run("dkim", "keygen", "--domain", instance.domain,
                       "--selector", "new", "--algorithm",
                       "ed25519").stdout
    assert "activate" in out
    signed = sign(instance, message(instance.domain))
    assert b"s=old;" in signed
    assert verify(signed, record_of(instance, "--selector", "old"))
    instance.run("dkim", "activate", "--domain", instance.domain,
                 "--selector", "new")
    signed = sign(instance, message(instance.domain))
    assert b"s=new;" in signed and b"a=ed25519-sha256" in signed
    assert verify(signed, record_of(instance))


# ---- dns records ----

def zone_records(text):
    """(name, type, value) of each record line; checks each follows a
    comment line."""
    records, previous = [], ""
    for line in text.splitlines():
        if not line.startswith(";"):
            assert previous.startswith("; "), (previous, line)
            name, ttl, klass, rtype, value = line.split("\t", 4)
            assert ttl == "3600" and klass == "IN"
            if rtype == "TXT":
                value = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', value))
            records.append((name, rtype, value))
        previous = line
    return records


def test_dns_records(instance):
    d = instance.domain
    instance.run("dkim", "keygen", "--domain", d)
    shown = record_of(instance)
    text = instance.run("dns", "records", "--domain", d, "--set",
                        "smtp.hostname=mail.example.org").stdout
    records = zone_records(text)
    assert (f"{d}.", "MX", "10 mail.example.org.") in records
    assert (f"{d}.", "TXT", "v=spf1 mx -all") in records
    assert (shown["name"], "TXT", shown["record"]) in records
    assert (f"_dmarc.{d}.", "TXT",
            f"v=DMARC1; p=reject; rua=mailto:postmaster@{d}") in records
    assert (f"_smtp._tls.{d}.", "TXT",
            f"v=TLSRPTv1; rua=mailto:postmaster@{d}") in records
    sts = [v for n, t, v in records if n == f"_mta-sts.{d}."]
    assert len(sts) == 1 and re.fullmatch(r"v=STSv1; id=[A-Za-z0-9]{1,32}",
                                          sts[0])
    assert f"https://mta-sts.{d}/.well-known/mta-sts.txt" in text
    assert ";   mode: enforce" in text
    assert ";   mx: mail.example.org" in text
    # TXT strings are at most 255 bytes each (RFC 1035).
    for s in re.findall(r'"((?:[^"\\]|\\.)*)"', text):
        assert len(s) <= 255


def test_dns_records_json_and_settings(instance):
    d = instance.domain
    out = instance.json("dns", "records", "--domain", d, "--set",
                        "dns.dmarc_report_address=dmarc@reports.example",
                        "--set", "dns.dmarc_policy=quarantine",
                        "--set", "dns.mta_sts_max_age_s=86400")
    assert out["domain"] == d
    assert "caremail dkim keygen" in out["missing"]
    by_name = {r["name"]: r for r in out["records"]}
    assert not any("_domainkey" in n for n in by_name)
    assert by_name[f"_dmarc.{d}."]["value"] == \
        "v=DMARC1; p=quarantine; rua=mailto:dmarc@reports.example"
    assert "max_age: 86400\n" in out["mta_sts_policy"]
    assert all(r["comment"] for r in out["records"])
    # The MTA-STS id follows the policy: a new MX host, a new id.
    other = instance.json("dns", "records", "--domain", d, "--set",
                          "smtp.hostname=mx2.example.org")
    old_id = by_name[f"_mta-sts.{d}."]["value"]
    new_id = {r["name"]: r for r in other["records"]}[
        f"_mta-sts.{d}."]["value"]
    assert old_id != new_id


def test_dns_records_refusals(instance):
    sentence = instance.fails("dns", "records", "--domain",
                              "elsewhere.example")
    assert "not a domain this instance hosts" in sentence
    sentence = instance.fails("dns", "records", "--domain", instance.domain,
                              "--set", "dns.tlsrpt_report_address=a b@x")
    assert "TLS reports" in sentence
