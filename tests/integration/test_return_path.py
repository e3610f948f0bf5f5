"""Return-Path (RFC 5321 §4.4, RFC 5322 §3.6.7): mail this server delivers,
read back over IMAP, starts with exactly one Return-Path naming the
envelope sender (<> for the null one), whichever way it came in (MX,
submission, on behalf, a list), and no Return-Path the client wrote
survives. IMAP APPEND is not a delivery: it stores what it is given."""
import imaplib
import smtplib
import ssl

from conftest import PASSWORD

# Every way a client might write its own Return-Path into the header.
FORGED = (b"Return-Path: <forged.one@evil.example>\r\n"
          b"return-path:<forged.two@evil.example>\r\n"
          b"RETURN-PATH \t: <forged.three@evil.example>\r\n"
          b"Return-Path:\r\n <forged.four@evil.example>\r\n\t(folded)\r\n")


def message(frm, to, subject, header=b""):
    return header + (
        f"From: <{frm}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
        "Return-Pathology: a field that is not Return-Path\r\n"
        "\r\nHello.\r\nReturn-Path: <in.the.body@x.example>\r\n").encode()


def tls_context(instance):
    return ssl.create_default_context(
        cafile=str(instance.dir / "tls" / "cert.pem"))


def person(instance, org, first, last):
    address = instance.setup("user", "add", "--org", org, "--first", first,
                             "--last", last).stdout.strip()
    instance.setup("user", "passwd", address, "--stdin", "--permanent",
                   input=PASSWORD + "\n")
    return address


def fetch_all(server, instance, address):
    """{subject: message bytes} of address's Inbox, over IMAP."""
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    m.starttls(tls_context(instance))
    m.login(address, PASSWORD)
    m.select("INBOX", readonly=True)
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
    assert typ == "OK", data
    m.logout()
    found = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        raw = item[1]
        head = raw.split(b"\r\n\r\n", 1)[0]
        subject = [line for line in head.split(b"\r\n")
                   if line.startswith(b"Subject: ")][0][9:].decode()
        found[subject] = raw
    return found


def return_paths(raw):
    """The header's Return-Path fields, unfolded, as bytes."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b" " + line.strip()
        else:
            fields.append(line)
    return [f for f in fields
            if f.split(b":", 1)[0].strip().lower() == b"return-path"]


def assert_delivered_from(raw, sender):
    assert return_paths(raw) == [b"Return-Path: <" + sender.encode() + b">"]
    # At the top, above our Received (RFC 5322 §3.6.7's trace block).
    first, second = raw.split(b"\r\n")[:2]
    assert first == b"Return-Path: <" + sender.encode() + b">", raw[:300]
    assert second.startswith(b"Received: from "), raw[:300]
    assert b"forged" not in raw, raw[:600]
    # Only the header is cleaned: a look-alike field and the body stay.
    assert b"\r\nReturn-Pathology: a field that is not Return-Path\r\n" in raw
    assert raw.endswith(b"\r\nHello.\r\n"
                        b"Return-Path: <in.the.body@x.example>\r\n")


def test_every_delivery_has_one_return_path(server, instance, org):
    ann = person(instance, org, "Ann", "One")
    bob = person(instance, org, "Bob", "Two")
    carol = person(instance, org, "Carol", "Three")
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Reception").stdout.strip()
    instance.run("grant", "add", box, ann, "--right", "send_on_behalf")
    instance.run("list", "add", "--org", org, "--name", "Team")
    team = instance.addr("team")
    instance.run("list", "members", "add", team, bob, carol)

    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.ehlo("sender.example")
        s.sendmail("someone@sender.example", [bob],
                   message("someone@sender.example", bob, "mx", FORGED))
        # The null sender (a bounce): Return-Path: <>.
        s.sendmail("", [bob], message("mailer-daemon@sender.example", bob,
                                      "bounce", FORGED))
        # A list: one stored copy, the same Return-Path for every member.
        s.sendmail("lists@sender.example", [team],
                   message("lists@sender.example", team, "list", FORGED))
    with smtplib.SMTP("127.0.0.1", server.ports["submission"],
                      timeout=10) as s:
        s.ehlo("client.example")
        s.starttls(context=tls_context(instance))
        s.ehlo("client.example")
        s.login(ann, PASSWORD)
        s.sendmail(ann, [bob], message(ann, bob, "submission", FORGED))
        # On behalf: the copy with our Sender keeps the one Return-Path.
        s.sendmail(box, [bob], message(box, bob, "on behalf", FORGED))

    got = fetch_all(server, instance, bob)
    assert sorted(got) == sorted(["mx", "bounce", "list", "submission",
                                  "on behalf"])
    assert_delivered_from(got["mx"], "someone@sender.example")
    assert_delivered_from(got["bounce"], "")
    assert_delivered_from(got["list"], "lists@sender.example")
    assert_delivered_from(got["submission"], ann)
    assert_delivered_from(got["on behalf"], box)
    assert got["on behalf"].count(b"\r\nSender: <" + ann.encode()) == 1
    carol_got = fetch_all(server, instance, carol)
    assert list(carol_got) == ["list"]
    assert_delivered_from(carol_got["list"], "lists@sender.example")


def test_append_is_not_a_delivery(server, instance, org):
    """APPEND stores the bytes it is given: no Return-Path added, and one
    the client put there is its own business (RFC 3501 §6.3.11)."""
    ann = person(instance, org, "Ann", "One")
    plain = message(ann, ann, "plain")
    kept = message(ann, ann, "kept", b"Return-Path: <ann.draft@x.example>\r\n")
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    m.starttls(tls_context(instance))
    m.login(ann, PASSWORD)
    for raw in (plain, kept):
        typ, data = m.append("INBOX", None, None, raw)
        assert typ == "OK", data
    m.logout()
    got = fetch_all(server, instance, ann)
    assert got == {"plain": plain, "kept": kept}
