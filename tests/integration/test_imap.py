"""IMAP with Python's imaplib, raw sockets and curl against `caremail serve`
(SPEC A1, A3; SECURITY.md items 3, 4, 31-35; RFC 3501, 2177, 4315, 6851,
7888, 2342, 6154)."""
import imaplib
import re
import smtplib
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import PASSWORD

PW = "a long password for imap"
MESSAGE = (b"From: Bob Two <bob@sender.example>\r\nTo: {to}\r\n"
           b"Cc: Carol <carol@sender.example>\r\n"
           b"Subject: {subject}\r\nMessage-ID: <{mid}@test>\r\n"
           b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"{body}\r\n--b1\r\nContent-Type: application/pdf; name=a.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
           b"--b1--\r\n")


def message(to, subject="Hello there", mid="m1", body="Hello body text."):
    return (MESSAGE.replace(b"{to}", to.encode())
            .replace(b"{subject}", subject.encode())
            .replace(b"{mid}", mid.encode())
            .replace(b"{body}", body.encode()))


def tls_context(instance):
    return ssl.create_default_context(
        cafile=str(instance.dir / "tls" / "cert.pem"))


def person(instance, org, first, last, password=PW):
    address = instance.setup("user", "add", "--org", org, "--first", first,
                             "--last", last).stdout.strip()
    # --permanent: a password the person need not change first, which
    # mail programs accept (a temporary one opens nothing but the portal).
    instance.setup("user", "passwd", address, "--stdin", "--permanent",
                   input=password + "\n")
    return address


def deliver(server, to, **kwargs):
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.sendmail("bob@sender.example", [to], message(to, **kwargs))


def connect(server, instance, address, password=PW):
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    m.starttls(tls_context(instance))
    m.login(address, password)
    return m


def quote(name):
    return '"' + name + '"'


class Raw:
    """A line-level IMAP client for what imaplib will not send."""

    def __init__(self, port, tls_ctx=None, starttls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self.greeting = self.line()
        if starttls:
            self.send(b"s1 STARTTLS\r\n")
            assert self.until(b"s1 ").startswith(b"s1 OK")
            self.sock = tls_ctx.wrap_socket(self.sock,
                                            server_hostname="127.0.0.1")
            self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out

    def until(self, tag):
        """Lines up to the tagged reply; returns that reply."""
        while True:
            line = self.line()
            if line.startswith(tag):
                return line

    def close(self):
        self.sock.close()


@pytest.fixture
def ann(instance, org):
    return person(instance, org, "Ann", "One")


def test_login_refused_before_tls(server, instance, ann):
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    assert "LOGINDISABLED" in m.capabilities
    assert "STARTTLS" in m.capabilities
    assert "AUTH=PLAIN" not in m.capabilities
    with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
        m.login(ann, PW)
    m.logout()
    raw = Raw(server.ports["imap"])
    raw.send(b"a1 AUTHENTICATE PLAIN " +
             __import__("base64").b64encode(
                 b"\0" + ann.encode() + b"\0" + PW.encode()) + b"\r\n")
    assert raw.until(b"a1 ").startswith(b"a1 NO [PRIVACYREQUIRED]")
    raw.close()


def test_starttls_drops_pipelined_commands(server, instance, ann):
    """SECURITY.md item 4: a command sent with STARTTLS gets no reply."""
    raw = Raw(server.ports["imap"])
    raw.send(b"s1 STARTTLS\r\ns2 CAPABILITY\r\n")
    assert raw.until(b"s1 ").startswith(b"s1 OK")
    tls = tls_context(instance).wrap_socket(raw.sock,
                                            server_hostname="127.0.0.1")
    tls.settimeout(1)
    with pytest.raises((socket.timeout, TimeoutError)):
        tls.recv(100)
    tls.sendall(b"s3 CAPABILITY\r\n")
    tls.settimeout(5)
    data = tls.recv(4096)
    assert b"s2" not in data and b"AUTH=PLAIN" in data
    tls.close()


def test_starttls_login_select(server, instance, ann):
    deliver(server, ann)
    m = connect(server, instance, ann)
    typ, caps = m.capability()
    for cap in (b"IMAP4rev1", b"IDLE", b"UIDPLUS", b"MOVE", b"LITERAL+",
                b"NAMESPACE", b"ID", b"ENABLE", b"SPECIAL-USE"):
        assert cap in caps[0], cap
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"1"]
    assert m.untagged_responses["UIDVALIDITY"][0].isdigit()
    assert m.untagged_responses["UIDNEXT"] == [b"2"]
    assert m.untagged_responses["READ-WRITE"] == [b""]
    m.logout()


def test_implicit_tls_and_authenticate_plain(server, instance, ann):
    m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"],
                          ssl_context=tls_context(instance), timeout=10)
    assert "AUTH=PLAIN" in m.capabilities
    typ, _ = m.authenticate(
        "PLAIN", lambda _: b"\0" + ann.encode() + b"\0" + PW.encode())
    assert typ == "OK"
    assert m.select("INBOX")[0] == "OK"
    m.logout()


def test_wrong_password_and_disabled_account(server, instance, org, ann):
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    m.starttls(tls_context(instance))
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        m.login(ann, "not the password at all")
    m.logout()


def test_wrong_state_commands(server, instance, ann):
    """SECURITY.md item 33: nothing runs before sign-in or selection."""
    raw = Raw(server.ports["imap"])
    raw.send(b"a1 SELECT INBOX\r\n")
    assert raw.until(b"a1 ").startswith(b"a1 BAD")
    raw.send(b"a2 FETCH 1 (FLAGS)\r\n")
    assert raw.until(b"a2 ").startswith(b"a2 BAD")
    raw.send(b"a3 LIST \"\" *\r\n")
    assert raw.until(b"a3 ").startswith(b"a3 BAD")
    raw.close()
    raw = Raw(server.ports["imap"], tls_context(instance), starttls=True)
    raw.send(f'a1 LOGIN "{ann}" "{PW}"\r\n'.encode())
    assert raw.until(b"a1 ").startswith(b"a1 OK")
    raw.send(b"a2 FETCH 1 (FLAGS)\r\na3 STARTTLS\r\na4 LOGIN x y\r\n")
    assert raw.until(b"a2 ").startswith(b"a2 BAD")
    assert raw.until(b"a3 ").startswith(b"a3 BAD")
    assert raw.until(b"a4 ").startswith(b"a4 BAD")
    raw.close()


def fetch_one(m, what, msg="1"):
    typ, data = m.fetch(msg, what)
    assert typ == "OK", data
    return data


def test_fetch_envelope_bodystructure_body(server, instance, ann):
    deliver(server, ann)
    m = connect(server, instance, ann)
    m.select("INBOX")
    data = fetch_one(m, "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE "
                        "BODYSTRUCTURE)")
    text = data[0].decode()
    # The first session told of a message sees it \Recent (RFC 3501).
    assert "UID 1" in text and "FLAGS (\\Recent)" in text
    assert re.search(r'INTERNALDATE "\d\d-\w\w\w-\d{4} ', text)
    assert '"Hello there"' in text
    assert '(("Bob Two" NIL "bob" "sender.example"))' in text
    assert '"<m1@test>"' in text
    assert '("TEXT" "PLAIN"' in text and '"APPLICATION" "PDF"' in text
    assert '"MIXED"' in text
    size = int(re.search(r"RFC822.SIZE (\d+)", text).group(1))
    # BODY.PEEK leaves \Seen alone; the header fields come with a blank line.
    data = fetch_one(m, "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
    assert data[0][1] == (b"From: Bob Two <bob@sender.example>\r\n"
                          b"Subject: Hello there\r\n\r\n")
    data = fetch_one(m, "(BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM "
                        "RETURN-PATH RECEIVED TO CC MESSAGE-ID MIME-VERSION "
                        "CONTENT-TYPE)])")
    assert data[0][1] == b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\n"
    data = fetch_one(m, "(BODY.PEEK[HEADER.FIELDS (RETURN-PATH)])")
    assert data[0][1] == b"Return-Path: <bob@sender.example>\r\n\r\n"
    assert fetch_one(m, "(FLAGS)")[0] == b"1 (FLAGS (\\Recent))"
    data = fetch_one(m, "(BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[]<0.4>)")
    assert data[0][1] == b"Hello body text."
    assert data[1][1].startswith(b"Content-Type: application/pdf")
    assert data[2][1] == b"Retu"
    assert fetch_one(m, "(BODY.PEEK[9])")[0] == (b"1 (BODY[9] {0}", b"")
    # BODY[] sets \Seen and says so.
    data = fetch_one(m, "(BODY[])")
    assert b"\\Seen" in data[0][0]
    assert len(data[0][1]) == size
    assert data[0][1].endswith(b"--b1--\r\n")
    assert fetch_one(m, "(FLAGS)")[0] == b"1 (FLAGS (\\Seen \\Recent))"
    data = fetch_one(m, "(RFC822.HEADER RFC822.TEXT)")
    assert data[0][1].endswith(b"MIME-Version: 1.0\r\nContent-Type: "
                               b"multipart/mixed; boundary=\"b1\"\r\n\r\n")
    assert data[1][1].startswith(b"--b1\r\n")
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    assert data == [b"1 (UID 1 FLAGS (\\Seen \\Recent))"]
    m.logout()


def test_store_flags(server, instance, ann):
    deliver(server, ann)
    deliver(server, ann, mid="m2")
    m = connect(server, instance, ann)
    m.select("INBOX")
    typ, data = m.store("1:2", "+FLAGS", "(\\Flagged $Work)")
    assert data == [b"1 (FLAGS (\\Flagged \\Recent $Work))",
                    b"2 (FLAGS (\\Flagged \\Recent $Work))"]
    typ, data = m.store("2", "-FLAGS.SILENT", "(\\Flagged)")
    assert typ == "OK" and data == [None]
    typ, data = m.uid("STORE", "1", "FLAGS", "(\\Answered)")
    assert data == [b"1 (FLAGS (\\Answered \\Recent) UID 1)"]
    assert fetch_one(m, "(FLAGS)", "1:2") == [
        b"1 (FLAGS (\\Answered \\Recent))", b"2 (FLAGS (\\Recent $Work))"]
    # Flags outlive the session.
    m.logout()
    m = connect(server, instance, ann)
    m.select("INBOX", readonly=True)
    assert fetch_one(m, "(FLAGS)", "2") == [b"2 (FLAGS ($Work))"]
    assert m.store("1", "+FLAGS", "(\\Seen)")[0] == "NO"
    m.logout()


def test_search(server, instance, ann):
    deliver(server, ann, subject="Clinic rota", body="rota for March")
    deliver(server, ann, subject="Lunch", mid="m2", body="sandwiches")
    deliver(server, ann, subject="Re: clinic ROTA", mid="m3",
            body="thanks")
    m = connect(server, instance, ann)
    m.select("INBOX")
    assert m.search(None, "SUBJECT", "rota") == ("OK", [b"1 3"])
    assert m.search(None, "FROM", "bob") == ("OK", [b"1 2 3"])
    assert m.search(None, "CC", "carol") == ("OK", [b"1 2 3"])
    assert m.search(None, "TEXT", "sandwiches") == ("OK", [b"2"])
    assert m.search(None, "BODY", "march") == ("OK", [b"1"])
    assert m.search(None, "HEADER", "Message-ID", "m3") == ("OK", [b"3"])
    m.store("2", "+FLAGS", "(\\Seen)")
    assert m.search(None, "UNSEEN") == ("OK", [b"1 3"])
    assert m.search(None, "NOT", "SEEN", "SUBJECT", "lunch") == ("OK",
                                                                 [b""])
    assert m.search(None, "OR", "SEEN", "SUBJECT", "re:") == ("OK",
                                                              [b"2 3"])
    assert m.uid("SEARCH", "UID", "2:*") == ("OK", [b"2 3"])
    assert m.uid("SEARCH", "2:3", "SUBJECT", "rota") == ("OK", [b"3"])
    assert m.search(None, "SENTON", "22-Nov-2026") == ("OK", [b"1 2 3"])
    assert m.search(None, "SINCE", "1-Jan-2100") == ("OK", [b""])
    assert m.search(None, "LARGER", "1", "SMALLER", "100000") == (
        "OK", [b"1 2 3"])
    typ, data = m.search("KOI8-R", "ALL")
    assert typ == "NO" and data[0].startswith(b"[BADCHARSET")
    with pytest.raises(imaplib.IMAP4.error):
        m.search(None, "BOGUS")
    m.logout()


# The kernel holds back an ACK at least this long (Linux's TCP_DELACK_MIN)
# hoping to send it with a reply.
DELAYED_ACK_S = 0.040


def test_a_literal_is_not_held_back_by_a_delayed_ack(server, instance, ann):
    """imaplib writes a literal and the CRLF that ends its command apart,
    so Nagle's algorithm keeps the CRLF until the literal is acknowledged;
    were the server to leave its ACK to the kernel's delayed-ACK timer,
    every such command (each APPEND, each search for a word with an
    accent) would wait 40 ms or more. The server acknowledges at once when
    it waits for the rest of a command. The first segments of a connection
    are acknowledged at once anyway, so the later searches tell: the
    fastest must beat the timer's floor, which a held-back ACK never can."""
    m = connect(server, instance, ann)
    m.select("INBOX", readonly=True)
    took = []
    for _ in range(40):
        m.literal = "caf\u00e9".encode()
        start = time.monotonic()
        assert m.uid("SEARCH", "CHARSET", "UTF-8", "BODY") == ("OK", [b""])
        took.append(time.monotonic() - start)
    m.logout()
    assert min(took[20:]) < DELAYED_ACK_S, took


def test_copy_move_expunge(server, instance, ann):
    for i in range(3):
        deliver(server, ann, mid=f"m{i}")
    m = connect(server, instance, ann)
    m.select("INBOX")
    typ, data = m.copy("1:2", quote("Deleted Items"))
    assert typ == "OK"
    uidvalidity = m.untagged_responses["UIDVALIDITY"][0].decode()
    assert data[0].decode().startswith("[COPYUID ")
    typ, data = m._simple_command("MOVE", "3", quote("Deleted Items"))
    assert typ == "OK"
    assert m.untagged_responses.pop("EXPUNGE") == [b"3"]
    copyuid = m.untagged_responses["OK"][-1].decode()
    assert re.match(r"\[COPYUID \d+ 3 3\]", copyuid)
    typ, data = m.copy("1", "Nowhere")
    assert typ == "NO" and data[0].startswith(b"[TRYCREATE]")
    m.store("1", "+FLAGS", "(\\Deleted)")
    typ, data = m.expunge()
    assert data == [b"1"]
    typ, data = m.select(quote("Deleted Items"))
    assert data == [b"3"]
    m.uid("STORE", "1:2", "+FLAGS", "(\\Deleted)")
    typ, data = m.uid("EXPUNGE", "2")
    assert typ == "OK" and m.untagged_responses["EXPUNGE"] == [b"2"]
    typ, data = m.select("INBOX")
    assert data == [b"1"]
    assert uidvalidity
    m.logout()


def test_append_appenduid(server, instance, ann):
    m = connect(server, instance, ann)
    msg = b"From: ann@x\r\nSubject: draft one\r\n\r\nnot sent yet\r\n"
    typ, data = m.append("Drafts", "(\\Draft $Todo)",
                         imaplib.Time2Internaldate(1700000000), msg)
    assert typ == "OK"
    match = re.match(rb"\[APPENDUID (\d+) 1\]", data[0])
    assert match
    m.select("Drafts")
    assert m.untagged_responses["UIDVALIDITY"] == [match.group(1)]
    data = fetch_one(m, "(FLAGS INTERNALDATE ENVELOPE BODY.PEEK[])")
    assert b"\\Draft \\Recent $Todo" in data[0][0]
    assert b"14-Nov-2023 22:13:20 +0000" in data[0][0]
    assert b'"draft one"' in data[0][0]
    assert data[0][1] == msg
    typ, data = m.append("Nowhere", None, None, msg)
    assert typ == "NO" and data[0].startswith(b"[TRYCREATE]")
    # Appending to the selected mailbox shows up as EXISTS.
    m.append("Drafts", None, None, msg)
    typ, data = m.noop()
    assert m.untagged_responses.get("EXISTS", [b""])[-1] == b"2" or \
        m.select("Drafts")[1] == [b"2"]
    m.logout()


def names(listing):
    out = {}
    for line in listing:
        match = re.match(rb'\((.*?)\) "/" (.*)', line)
        name = match.group(2).strip(b'"').decode()
        out[name] = set(match.group(1).decode().split())
    return out


def test_list_special_use_and_namespace(server, instance, ann):
    m = connect(server, instance, ann)
    typ, data = m.list()
    listed = names(data)
    assert listed["INBOX"] == {"\\HasNoChildren"}
    assert "\\Sent" in listed["Sent Items"]
    assert "\\Drafts" in listed["Drafts"]
    assert "\\Trash" in listed["Deleted Items"]
    assert "\\Junk" in listed["Junk E-mail"]
    typ, data = m.list('""', '""')
    assert data == [b'(\\Noselect) "/" ""']
    m.create("Projects/2026/Q1")
    assert set(names(m.list('""', "%")[1])) == {
        "INBOX", "Sent Items", "Drafts", "Deleted Items", "Junk E-mail",
        "Projects"}
    assert "\\HasChildren" in names(m.list('""', "Projects")[1])["Projects"]
    assert set(names(m.list("Projects/", "*")[1])) == {
        "Projects/2026", "Projects/2026/Q1"}
    assert set(names(m.list('""', "inbox")[1])) == {"INBOX"}
    m.unsubscribe("Projects/2026")
    lsub = names(m.lsub('""', "Projects/%")[1])
    assert "Projects/2026" in lsub and "\\Noselect" in lsub["Projects/2026"]
    typ, data = m.namespace()
    assert data == [b'(("" "/")) NIL (("Shared/" "/"))']
    m.logout()


def test_create_rename_delete(server, instance, ann):
    deliver(server, ann)
    m = connect(server, instance, ann)
    assert m.create("Projects/2026")[0] == "OK"
    assert m.create("Projects")[0] == "NO"
    assert m.rename("Projects", "Work")[0] == "OK"
    listed = names(m.list()[1])
    assert "Work/2026" in listed and "Projects" not in listed
    assert m.delete("Work")[0] == "NO"  # it has a child
    assert m.delete("Work/2026")[0] == "OK"
    assert m.delete("Work")[0] == "OK"
    assert m.delete("INBOX")[0] == "NO"
    assert m.delete(quote("Sent Items"))[0] == "NO"
    # RENAME INBOX moves its messages and leaves INBOX empty.
    assert m.rename("INBOX", "Old")[0] == "OK"
    assert m.select("INBOX")[1] == [b"0"]
    assert m.select("Old")[1] == [b"1"]
    # SECURITY.md item 34: hostile names are refused.
    for bad in ("a/../b", "~root", "/etc", "a//b", "&Jjo", "&AGE-",
                "Shared/x", "a*b", "..", "a/./b"):
        assert m.create(quote(bad))[0] == "NO", bad
    # A control character or raw UTF-8 must come as a literal.
    for bad in (b"x\x01y", b"caf\xc3\xa9"):
        m.literal = bad
        assert m._simple_command("CREATE")[0] == "NO", bad
    assert m.create("Caf&AOk-")[0] == "OK"
    assert "Caf&AOk-" in names(m.list()[1])
    m.logout()


def test_status(server, instance, ann):
    deliver(server, ann)
    deliver(server, ann, mid="m2")
    m = connect(server, instance, ann)
    typ, data = m.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY "
                                  "UNSEEN)")
    assert re.match(rb'"INBOX" \(MESSAGES 2 RECENT 2 UIDNEXT 3 '
                    rb'UIDVALIDITY \d+ UNSEEN 2\)', data[0]), data
    with pytest.raises(imaplib.IMAP4.error):
        m.status("INBOX", "(BOGUS)")
    assert m.status("Nowhere", "(MESSAGES)")[0] == "NO"
    m.logout()


def test_idle_wakes_on_delivery(server, instance, ann):
    deliver(server, ann)
    m = connect(server, instance, ann)
    m.select("INBOX")
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    assert m.readline().startswith(b"+")
    start = time.monotonic()
    threading.Thread(target=deliver, args=(server, ann),
                     kwargs={"mid": "m2"}).start()
    m.sock.settimeout(5)
    line = m.readline()
    assert line == b"* 2 EXISTS\r\n", line
    assert time.monotonic() - start < 2
    assert m.readline() == b"* 2 RECENT\r\n"
    m.send(b"DONE\r\n")
    assert m.readline() == tag + b" OK IDLE terminated\r\n"
    assert fetch_one(m, "(ENVELOPE)", "2")[0].startswith(b"2 (ENVELOPE")
    m.logout()


def test_idle_sees_expunge_from_another_session(server, instance, ann):
    deliver(server, ann)
    deliver(server, ann, mid="m2")
    watcher = connect(server, instance, ann)
    watcher.select("INBOX")
    tag = watcher._new_tag()
    watcher.send(tag + b" IDLE\r\n")
    assert watcher.readline().startswith(b"+")
    other = connect(server, instance, ann)
    other.select("INBOX")
    other.store("1", "+FLAGS", "(\\Deleted)")
    other.expunge()
    watcher.sock.settimeout(5)
    # The flag change may be told first, if the watcher woke between.
    line = watcher.readline()
    if line.startswith(b"* 1 FETCH"):
        assert line == b"* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))\r\n"
        line = watcher.readline()
    assert line == b"* 1 EXPUNGE\r\n"
    watcher.send(b"DONE\r\n")
    assert watcher.readline().startswith(tag + b" OK")
    other.logout()
    watcher.logout()


def test_shared_mailbox_follows_grant(server, instance, org, ann):
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Reception").stdout.strip()
    deliver(server, box, subject="For the team")
    m = connect(server, instance, ann)
    assert not any(n.startswith("Shared") for n in names(m.list()[1]))
    instance.run("grant", "add", box, ann, "--right", "full_access")
    listed = names(m.list()[1])
    assert "\\Noselect" in listed["Shared"]
    assert "\\Noselect" in listed[f"Shared/{box}"]
    assert f"Shared/{box}/INBOX" in listed
    assert "\\Sent" in listed[f"Shared/{box}/Sent Items"]
    typ, data = m.select(quote(f"Shared/{box}/INBOX"))
    assert data == [b"1"]
    assert b'"For the team"' in fetch_one(m, "(ENVELOPE)")[0]
    m.close()
    # Removed: gone from LIST at once, in the same session.
    instance.run("grant", "remove", box, ann, "--right", "full_access")
    assert not any(n.startswith("Shared") for n in names(m.list()[1]))
    assert m.select(quote(f"Shared/{box}/INBOX"))[0] == "NO"
    # A session that had it selected is told and closed.
    instance.run("grant", "add", box, ann, "--right", "full_access")
    other = connect(server, instance, ann)
    other.select(quote(f"Shared/{box}/INBOX"))
    instance.run("grant", "remove", box, ann, "--right", "full_access")
    with pytest.raises((imaplib.IMAP4.abort, imaplib.IMAP4.error)):
        other.fetch("1", "(BODY.PEEK[])")
    m.logout()


def test_other_people_mailboxes_unreachable(server, instance, org, ann):
    bob = person(instance, org, "Bob", "Two")
    deliver(server, bob)
    m = connect(server, instance, ann)
    for name in (f"Shared/{bob}/INBOX", f"Shared/{bob}", "Shared"):
        assert m.select(quote(name))[0] == "NO"
    assert m.status(quote(f"Shared/{bob}/INBOX"), "(MESSAGES)")[0] == "NO"
    m.logout()


def test_literal_bombs_refused(server, instance, ann):
    """SECURITY.md item 31: BAD before any '+', nothing set aside."""
    raw = Raw(server.ports["imap"])
    for size in (b"4294967296", b"99999999999999999999"):
        raw.send(b"a1 LOGIN {" + size + b"}\r\n")
        reply = raw.line()
        assert reply.startswith(b"a1 BAD"), reply
    raw.send(b"a2 NOOP\r\n")
    assert raw.until(b"a2 ").startswith(b"a2 OK")
    # A non-synchronising bomb cannot be skipped: BYE and close.
    raw.send(b"a3 LOGIN {99999999999999999999+}\r\n")
    assert raw.line().startswith(b"a3 BAD")
    assert raw.line().startswith(b"* BYE")
    raw.close()
    # Over the APPEND limit after sign-in: NO [TOOBIG], no "+".
    raw = Raw(server.ports["imap"], tls_context(instance), starttls=True)
    raw.send(f'a1 LOGIN "{ann}" "{PW}"\r\n'.encode())
    assert raw.until(b"a1 ").startswith(b"a1 OK")
    raw.send(b"a2 APPEND INBOX {4294967295}\r\n")
    assert raw.line().startswith(b"a2 NO [TOOBIG]")
    raw.send(b"a3 LOGIN {70000}\r\n")
    assert raw.line().startswith(b"a3 BAD")
    # A literal within limits works, with LITERAL+ too.
    raw.send(b"a4 SELECT {5+}\r\nINBOX\r\n")
    assert raw.until(b"a4 ").startswith(b"a4 OK")
    raw.send(b"a5 STATUS {5}\r\n")
    assert raw.line().startswith(b"+")
    raw.send(b"INBOX (MESSAGES)\r\n")
    assert raw.until(b"a5 ").startswith(b"a5 OK")
    raw.close()
    # The server is still there.
    m = connect(server, instance, ann)
    m.logout()


def test_nul_and_8bit_in_quoted_strings(server, instance, ann):
    """SECURITY.md item 32 (CVE-2019-11500)."""
    raw = Raw(server.ports["imap"])
    raw.send(b'a1 LOGIN "ab\x00cd" x\r\n')
    assert raw.until(b"a1 ").startswith(b"a1 BAD")
    raw.send(b'a2 LOGIN "caf\xc3\xa9" x\r\n')
    assert raw.until(b"a2 ").startswith(b"a2 BAD")
    raw.send(b'a3 LOGIN "a\rb" x\r\n')
    assert raw.until(b"a3 ").startswith(b"a3 BAD")
    raw.send(b"a4 NOOP\r\n")
    assert raw.until(b"a4 ").startswith(b"a4 OK")
    raw.close()


def test_id_enable_unselect(server, instance, ann):
    imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))
    m = connect(server, instance, ann)
    typ, data = m._simple_command("ID", '("name" "pytest")')
    assert typ == "OK" and m.untagged_responses["ID"] == [
        b'("name" "caremail")']
    typ, data = m._simple_command("ENABLE", "CONDSTORE")
    assert typ == "OK"
    m.select("INBOX")
    assert m._simple_command("UNSELECT")[0] == "OK"
    with pytest.raises(imaplib.IMAP4.error):
        m._simple_command("FETCH", "1", "(FLAGS)")
    m.logout()


def test_curl_fetch_header_field(server, instance, ann):
    deliver(server, ann, subject="Curl subject")
    proc = subprocess.run(
        ["curl", "-s", "--ssl-reqd", "--cacert",
         str(instance.dir / "tls" / "cert.pem"), "--user", f"{ann}:{PW}",
         f"imap://127.0.0.1:{server.ports['imap']}/INBOX",
         "-X", "FETCH 1 BODY[HEADER.FIELDS (SUBJECT)]"],
        capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    # curl prints a custom command's untagged lines, not literal bodies.
    assert proc.stdout.startswith(
        b"* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[HEADER.FIELDS (SUBJECT)] "
        b"{25}")
    proc = subprocess.run(
        ["curl", "-s", "--ssl-reqd", "--cacert",
         str(instance.dir / "tls" / "cert.pem"), "--user", f"{ann}:{PW}",
         f"imap://127.0.0.1:{server.ports['imap']}/INBOX;UID=1;"
         "SECTION=HEADER.FIELDS%20(SUBJECT)"],
        capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"Subject: Curl subject\r\n\r\n"
    proc = subprocess.run(
        ["curl", "-s", "--cacert", str(instance.dir / "tls" / "cert.pem"),
         "--user", f"{ann}:{PW}",
         f"imaps://127.0.0.1:{server.ports['imaps']}/INBOX;UID=1"],
        capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith(b"--b1--\r\n")


def test_protocol_switch_and_device(server, instance, org, ann):
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"])
    m.starttls(ssl_context=tls_context(instance))
    m.xatom("ID", '("name" "Thunderbird" "version" "128.4")')
    m.login(ann, PW)
    m.logout()
    devices = instance.json("user", "devices", ann)
    assert [(d["protocol"], d["client"]) for d in devices] == \
        [("imap", "Thunderbird 128.4")]
    instance.run("org", "edit", org, "--protocols-off", "imap")
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"])
    m.starttls(ssl_context=tls_context(instance))
    with pytest.raises(imaplib.IMAP4.error) as refused:
        m.login(ann, PW)
    assert "IMAP is turned off for Test Practice" in str(refused.value)


def fill_inbox(server, instance, address, count):
    """APPENDs count messages, pipelined (LITERAL+); every third \\Seen."""
    r = Raw(server.ports["imap"], tls_context(instance), starttls=True)
    r.send(b'l1 LOGIN "%s" "%s"\r\n' % (address.encode(), PW.encode()))
    assert r.until(b"l1 ").startswith(b"l1 OK")
    for start in range(0, count, 100):
        batch = b""
        for i in range(start, min(count, start + 100)):
            data = message(address, subject="n%d" % i, mid="k%d" % i)
            flags = b"\\Seen" if i % 3 == 0 else b""
            batch += (b"f%d APPEND INBOX (%s) {%d+}\r\n" % (i, flags, len(data))
                      + data + b"\r\n")
        r.send(batch)
        for i in range(start, min(count, start + 100)):
            assert r.until(b"f%d " % i).startswith(b"f%d OK" % i)
    r.close()


def flags_by_uid(m):
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    assert typ == "OK"
    out = {}
    for line in data:
        g = re.match(rb"\d+ \(UID (\d+) FLAGS \(([^)]*)\)\)", line)
        assert g, line
        out[int(g[1])] = set(g[2].split()) - {b"\\Recent"}
    return out


FLAG_NAMES = {1: b"\\Seen", 2: b"\\Answered", 4: b"\\Flagged",
              8: b"\\Deleted", 16: b"\\Draft"}


def stored_view_walk(server, instance, ann, sql, restart, bad_blob):
    """What a stored folder view (migration 32) must hold to: a large
    folder's first SELECT stores its view at the counter it read; changes
    made behind the server's back (straight into the database), an
    expunge and an APPEND are noted and applied by the next SELECT; a
    stored view that does not decode is read again from the messages and
    stored again; a new server process opens the folder from the stored
    view. After each, FETCH FLAGS equals the database's rows. sql(text)
    runs a statement on the instance's database and returns its rows;
    restart() gives a new server process; bad_blob is a literal of bytes
    that are no view."""
    inbox = ("(SELECT f.id FROM folders f JOIN mailboxes m"
             " ON m.id = f.mailbox_id WHERE m.address = '%s'"
             " AND f.special_use = 'inbox')" % ann)

    def truth():
        out = {}
        for uid, flags, keywords in sql(
                "SELECT uid, flags, keywords FROM messages WHERE folder_id = "
                + inbox + " ORDER BY uid"):
            names = {n for bit, n in FLAG_NAMES.items() if int(flags) & bit}
            out[int(uid)] = names | set(str(keywords).encode().split())
        return out

    def stored():
        return sql("SELECT v.changes, c.changes FROM folder_views v"
                   " JOIN folder_counts c ON c.folder_id = v.folder_id"
                   " WHERE v.folder_id = " + inbox)

    fill_inbox(server, instance, ann, 1100)
    assert stored() == []
    a = connect(server, instance, ann)
    assert a.select("INBOX")[1] == [b"1100"]
    rows = stored()
    assert len(rows) == 1 and int(rows[0][0]) == int(rows[0][1]), rows
    assert flags_by_uid(a) == truth()
    # Behind the server's back, then through it: each change is noted.
    sql("UPDATE messages SET flags = flags | 4 WHERE uid = 2"
        " AND folder_id = " + inbox)
    sql("UPDATE messages SET keywords = '$Behind' WHERE uid = 10"
        " AND folder_id = " + inbox)
    a.uid("STORE", "5", "+FLAGS.SILENT", r"(\Deleted)")
    a.expunge()
    assert a.append("INBOX", r"(\Draft)", None,
                    message(ann, subject="late"))[0] == "OK"
    noted = [int(r[0]) for r in sql(
        "SELECT uid FROM view_changes WHERE folder_id = " + inbox
        + " ORDER BY uid")]
    assert noted == [2, 5, 10, 1101], noted
    b = connect(server, instance, ann)
    assert b.select("INBOX")[1] == [b"1100"]
    assert b"$Behind" in b.untagged_responses.get("FLAGS", [b""])[-1]
    want = truth()
    assert 5 not in want and b"\\Draft" in want[1101]
    assert b"$Behind" in want[10] and b"\\Flagged" in want[2]
    assert flags_by_uid(b) == want
    # A stored view that does not decode: read from the messages instead.
    sql("UPDATE folder_views SET data = %s WHERE folder_id = %s"
        % (bad_blob, inbox))
    sql("UPDATE messages SET flags = flags | 2 WHERE uid = 3"
        " AND folder_id = " + inbox)
    c = connect(server, instance, ann)
    assert c.select("INBOX")[1] == [b"1100"]
    assert flags_by_uid(c) == truth()
    rows = stored()
    assert len(rows) == 1 and int(rows[0][0]) == int(rows[0][1]), rows
    # Stored again: the notes it makes needless are gone.
    assert int(sql("SELECT COUNT(*) FROM view_changes WHERE folder_id = "
                   + inbox)[0][0]) == 0
    for m in (a, b, c):
        m.logout()
    # A new process has no view of its own: it opens the stored one.
    sql("UPDATE messages SET flags = flags & ~1 WHERE uid = 4"
        " AND folder_id = " + inbox)
    server = restart()
    d = connect(server, instance, ann)
    assert d.select("INBOX")[1] == [b"1100"]
    assert flags_by_uid(d) == truth()
    d.logout()


def test_stored_view_follows_every_change(start_server, instance, ann):
    import sqlite3
    servers = [start_server()]

    def sql(text):
        db = sqlite3.connect(str(instance.dir / "caremail.db"), timeout=10)
        with db:
            rows = db.execute(text).fetchall()
        db.close()
        return rows

    def restart():
        servers[-1].stop()
        servers.append(start_server())
        return servers[-1]

    stored_view_walk(servers[0], instance, ann, sql, restart, "X'00'")


def test_kept_view_shared_then_copied_before_a_change(server, instance, ann):
    shared_view_walk(server, instance, ann)


def shared_view_walk(server, instance, ann):
    """Sessions that SELECT a large folder whose kept view is current share
    it read only (imap_view.c); the first change one of them makes to its
    own view (flags told, an expunge, new messages, \\Recent) is made to a
    copy. Were it made to the shared arrays, the others would believe they
    had been told already: their NOOP would then report no FETCH for the
    flag and no EXPUNGE, and their sequence numbers would slip. The NOOPs
    here read what changed from the stored view's notes (a large folder's
    poll after a change), so a note missed or misread fails them too."""
    def noop(m):
        """What one NOOP told (imaplib keeps untagged replies until read)."""
        m.untagged_responses.clear()
        m.noop()
        return dict(m.untagged_responses)

    fill_inbox(server, instance, ann, 1100)
    a = connect(server, instance, ann)
    assert a.select("INBOX")[1] == [b"1100"]
    assert a.untagged_responses.get("RECENT") == [b"1100"]  # claims them
    truth = flags_by_uid(a)
    b = connect(server, instance, ann)
    c = connect(server, instance, ann)
    e = connect(server, instance, ann)
    for m in (b, c):
        assert m.select("INBOX")[1] == [b"1100"]        # the kept view
        assert m.untagged_responses.get("RECENT") == [b"0"]
    assert e.select("INBOX", readonly=True)[1] == [b"1100"]
    # b changes a flag: its own view takes it at once ...
    typ, data = b.uid("STORE", "7", "+FLAGS", r"(\Flagged)")
    assert typ == "OK" and b"\\Flagged" in data[0], data
    # ... and c and e, which shared the same arrays, are told on NOOP.
    for m in (c, e):
        fetched = noop(m).get("FETCH") or []
        assert any(b"UID 7 " in x and b"\\Flagged" in x for x in fetched), \
            fetched
    truth[7] = truth[7] | {b"\\Flagged"}
    for m in (a, b, c, e):
        assert flags_by_uid(m) == truth
    # A first keyword in the folder: each view makes its keyword array
    # then (a view of a folder without keywords has none).
    typ, data = c.uid("STORE", "8", "+FLAGS", "($Work)")
    assert typ == "OK" and b"$Work" in data[0], data
    for m in (a, b, e):
        fetched = noop(m).get("FETCH") or []
        assert any(b"UID 8 " in x and b"$Work" in x for x in fetched), fetched
    truth[8] = truth[8] | {b"$Work"}
    for m in (a, b, c, e):
        assert flags_by_uid(m) == truth
    # b expunges UID 5 (sequence 5): every other session is told once.
    b.uid("STORE", "5", "+FLAGS.SILENT", r"(\Deleted)")
    typ, data = b.expunge()
    assert data == [b"5"], data
    del truth[5]
    for m in (a, c, e):
        told = noop(m)
        assert told.get("EXPUNGE") == [b"5"], told
        assert "EXPUNGE" not in noop(m)
    for m in (a, b, c, e):
        assert flags_by_uid(m) == truth
        typ, data = m.fetch("5", "(UID)")
        assert data == [b"5 (UID 6)"], data
    # A new session shares the view read again; a new message then is
    # \\Recent for the first read-write session to see it, and only it.
    d = connect(server, instance, ann)
    assert d.select("INBOX")[1] == [b"1099"]
    assert d.untagged_responses.get("RECENT") == [b"0"]
    a.logout()  # a view another session shares outlives this one
    fill_inbox(server, instance, ann, 1)
    told = noop(d)
    assert told.get("EXISTS") == [b"1100"] and told.get("RECENT") == [b"1"]
    typ, data = d.fetch("1100", "(FLAGS)")
    assert b"\\Recent" in data[0], data
    for m in (b, c, e):
        told = noop(m)
        assert told.get("EXISTS") == [b"1100"] and told.get("RECENT") == [b"0"]
        typ, data = m.fetch("1099", "(UID)")
        assert data == [b"1099 (UID 1100)"], data
        assert len(flags_by_uid(m)) == 1100
    for m in (b, c, d, e):
        m.logout()


def test_large_folder_counts_view_and_polling(server, instance, ann):
    """Past 1,024 messages a folder's view is kept for the next SELECT,
    and FETCH FLAGS is answered from it; the per-folder counters give
    SELECT and STATUS their counts. A change made outside the server
    process (straight into the store) still shows: on NOOP, in the next
    SELECT, in STATUS; so does an expunge by another session."""
    fill_inbox(server, instance, ann, 1100)
    a = connect(server, instance, ann)
    typ, data = a.select("INBOX")
    assert data == [b"1100"]
    unseen = a.untagged_responses.get("UNSEEN")
    assert unseen == [b"2"], unseen   # UID 1 is \Seen, 2 is not
    first = flags_by_uid(a)
    assert len(first) == 1100
    assert sum(b"\\Seen" in f for f in first.values()) == 367
    b = connect(server, instance, ann)
    assert b.select("INBOX")[1] == [b"1100"]   # the kept view
    assert flags_by_uid(b) == first
    # Another process changes a flag: the counters move with it.
    import sqlite3
    db = sqlite3.connect(str(instance.dir / "caremail.db"), timeout=10)
    with db:
        db.execute("UPDATE messages SET flags = flags | 1 WHERE uid = 2 AND"
                   " folder_id = (SELECT f.id FROM folders f JOIN mailboxes m"
                   " ON m.id = f.mailbox_id WHERE m.address = ?"
                   " AND f.special_use = 'inbox')", (ann,))
    db.close()
    a.noop()
    assert any(b"\\Seen" in (x or b"")
               for x in a.untagged_responses.get("FETCH", []))
    assert b"\\Seen" in flags_by_uid(a)[2]
    c = connect(server, instance, ann)
    typ, data = c.status("INBOX", "(MESSAGES UNSEEN)")
    assert b"MESSAGES 1100 UNSEEN 732" in data[0], data
    c.select("INBOX")
    assert c.untagged_responses.get("UNSEEN") == [b"3"]
    assert b"\\Seen" in flags_by_uid(c)[2]
    # An expunge by one session: the others' next SELECT has it.
    b.uid("STORE", "5", "+FLAGS.SILENT", r"(\Deleted)")
    b.expunge()
    d = connect(server, instance, ann)
    assert d.select("INBOX")[1] == [b"1099"]
    assert 5 not in flags_by_uid(d)
    assert d.status("INBOX", "(MESSAGES UNSEEN)")[1][0].endswith(
        b"(MESSAGES 1099 UNSEEN 731)")
    for m in (a, b, c, d):
        m.logout()
