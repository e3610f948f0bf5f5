"""IMAP as RFC 3501 and 9051 say, property by property, with Python's
imaplib (and a raw socket where imaplib hides the order of responses)
against `caremail serve`: UIDVALIDITY never repeats for a name, SENT* keys
take the Date's calendar day as written, SEARCH finds words whatever their
charset and transfer encoding, sessions see each other's flag changes and
expunges, \\Recent goes to exactly one session, LOGOUT ends with BYE and
OK, MOVE into the selected mailbox, "[" in atoms, keywords in FLAGS."""
import base64
import datetime
import imaplib
import quopri
import random
import re
import time
import urllib.parse

import pytest

from test_imap import PW, Raw, connect, deliver, person, tls_context


@pytest.fixture
def ann(instance, org):
    return person(instance, org, "Ann", "One")


def untagged(m, name):
    """Pops the untagged responses of one kind imaplib has gathered."""
    return m.untagged_responses.pop(name, [])


def append(m, folder, msg, flags="", date=None):
    typ, data = m.append(folder, flags or None,
                         imaplib.Time2Internaldate(date or time.time()), msg)
    assert typ == "OK", data
    return int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))


# ---- UIDVALIDITY (RFC 3501 §2.3.1.1) ----


def uidvalidities(m):
    """{name: UIDVALIDITY} of every selectable folder."""
    out = {}
    for line in m.list()[1]:
        match = re.match(rb'\((.*?)\) "/" "?(.*?)"?$', line)
        if b"\\Noselect" in match.group(1):
            continue
        name = match.group(2).decode()
        typ, data = m.status(f'"{name}"', "(UIDVALIDITY)")
        out[name] = int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
    return out


def test_uidvalidity_never_repeats_in_one_second(monkeypatch, start_server,
                                                 instance, ann):
    """Any walk of CREATE, DELETE and RENAME over a few names, every step
    in the same second (the server's clock is held still): a folder that
    did not exist a step before never has a UIDVALIDITY any earlier folder
    had, so no client shows another message under a cached UID."""
    monkeypatch.setenv("CAREMAIL_NOW", str(int(time.time())))
    server = start_server()
    m = connect(server, instance, ann)
    rng = random.Random(1202)
    names = ["Alpha", "Beta", "Alpha/Child", "Gamma"]
    before = uidvalidities(m)
    seen = set(before.values())
    made = 0
    for _ in range(90):
        op = rng.choice(["create", "delete", "rename"])
        a, b = rng.choice(names), rng.choice(names)
        if op == "create":
            m.create(a)
        elif op == "delete":
            m.delete(a)
        else:
            m.rename(a, b)
        now = uidvalidities(m)
        for name, value in now.items():
            if value in before.values():
                continue  # a folder that was there, perhaps renamed
            assert value not in seen, (op, a, b, name, value)
            seen.add(value)
            made += 1
        before = now
    assert made > 10
    # The plainest case, many times over: delete and create one name.
    for _ in range(10):
        assert m.create("Again")[0] == "OK"
        value = uidvalidities(m)["Again"]
        assert value not in seen
        seen.add(value)
        assert m.delete("Again")[0] == "OK"
    m.logout()


# ---- SENTBEFORE, SENTON, SENTSINCE (RFC 3501 §6.4.4) ----

# Date fields as senders write them, and the calendar day each names:
# the time and the zone never move the day (UTC would, for most of them).
SENT_DATES = [
    ("Tue, 01 Dec 2026 23:30:00 -1200", datetime.date(2026, 12, 1)),
    ("Wed, 02 Dec 2026 00:15:00 +1400", datetime.date(2026, 12, 2)),
    ("Mon, 30 Nov 2026 23:59:59 -0500", datetime.date(2026, 11, 30)),
    ("Tue, 1 Dec 2026 00:00:00 +0000", datetime.date(2026, 12, 1)),
    ("1 Dec 2026 12:00 +0545", datetime.date(2026, 12, 1)),
    ("Tue, 1 Dec 2026 20:00:00 PST", datetime.date(2026, 12, 1)),
    ("Thu, 31 Dec 2026 23:00:00 -0930", datetime.date(2026, 12, 31)),
    ("Fri, 1 Jan 2027 01:00:00 +1300", datetime.date(2027, 1, 1)),
    ("Sun, 29 Feb 2032 23:00:00 -0300", datetime.date(2032, 2, 29)),
    ("Tue, 1 Dec 2026 (morning) 09:00:00 +0100 (CET)",
     datetime.date(2026, 12, 1)),
    ("2 Dec 26 23:00 -0800", datetime.date(2026, 12, 2)),
    ("Wed,2 Dec 2026 01:00:00 +0900", datetime.date(2026, 12, 2)),
]


def imap_date(d):
    return f"{d.day}-{d.strftime('%b')}-{d.year}"


def test_sent_keys_take_the_day_as_written(server, instance, ann):
    """For every Date in the table and every day around it, SENTON,
    SENTBEFORE and SENTSINCE pick exactly the messages whose Date names
    that day, before it or from it on; a message with no Date is judged by
    its internal date."""
    m = connect(server, instance, ann)
    m.create("Dates")
    days = {}
    for i, (value, day) in enumerate(SENT_DATES):
        msg = (f"From: a@example.org\r\nDate: {value}\r\n"
               f"Subject: d{i}\r\n\r\nx\r\n").encode()
        days[append(m, "Dates", msg)] = day
    # No Date: the internal date stands in.
    internal = datetime.datetime(2026, 12, 3, 23, 30,
                                 tzinfo=datetime.timezone.utc)
    uid = append(m, "Dates", b"From: a@example.org\r\n\r\nno date\r\n",
                 date=internal.timestamp())
    days[uid] = internal.date()
    m.select("Dates")
    probes = sorted({d + datetime.timedelta(days=k)
                     for d in days.values() for k in (-1, 0, 1)})
    for probe in probes:
        for key, want in (
                ("SENTON", {u for u, d in days.items() if d == probe}),
                ("SENTBEFORE", {u for u, d in days.items() if d < probe}),
                ("SENTSINCE", {u for u, d in days.items() if d >= probe})):
            typ, data = m.uid("SEARCH", key, imap_date(probe))
            got = {int(x) for x in data[0].split()}
            assert got == want, (key, probe, got, want)
    m.logout()


# ---- SEARCH BODY and TEXT on decoded text (RFC 3501 §6.4.4) ----

WORDS = ["Grüße", "Œuvre€", "naïveté", "plainword", "Ærøskøbing"]
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252"]
ENCODINGS = ["8bit", "quoted-printable", "base64"]
# Where a word sits, and whether BODY and TEXT should find it there.
PLACES = {
    "single": (True, True),       # the body of a one-part message
    "part": (True, True),         # a text/plain part of a multipart
    "html": (True, True),         # a text/html part
    "description": (True, True),  # a part's Content-Description (2047)
    "filename": (True, True),     # a part's file name (RFC 2231)
    "attached": (True, True),     # the body of an attached message
    "subject": (False, True),     # the message's own Subject (2047)
    "binary": (False, False),     # the bytes of an octet-stream part
}


def qp_split(raw):
    """Quoted-printable with a soft line break every three characters, so
    each word is cut by one."""
    out, col = [], 0
    for byte in raw:
        if col == 3:
            out.append("=\r\n")
            col = 0
        out.append(f"={byte:02X}" if byte >= 0x80 or byte in b"=\r\n"
                   else chr(byte))
        col += 1
    return "".join(out).encode() + b"\r\n"


def encode_body(cte, raw):
    head = f"Content-Transfer-Encoding: {cte}\r\n\r\n".encode()
    if cte == "quoted-printable":
        return head + qp_split(raw)
    if cte == "base64":
        text = base64.b64encode(raw).decode()
        # Short lines: words are cut across them too.
        return head + "".join(text[i:i + 8] + "\r\n"
                              for i in range(0, len(text), 8)).encode()
    return head + raw + b"\r\n"


def encoded_word(charset, cte, raw):
    if cte == "base64":
        return f"=?{charset}?B?{base64.b64encode(raw).decode()}?="
    q = quopri.encodestring(raw, header=True).decode()
    q = q.replace("?", "=3F").replace("=\n", "")
    return f"=?{charset}?Q?{q}?="


def search_message(place, charset, cte, raw):
    head = b"From: a@example.org\r\nMIME-Version: 1.0\r\n"
    if place == "subject":
        return (head + b"Subject: about " +
                encoded_word(charset, cte, raw).encode() +
                b"\r\n\r\nnothing here\r\n")
    head += b"Subject: plain\r\n"
    if place == "single":
        return (head + f"Content-Type: text/plain; charset={charset}\r\n"
                .encode() + encode_body(cte, raw))
    out = (head + b'Content-Type: multipart/mixed; boundary="=_b"\r\n\r\n'
           b"preamble\r\n--=_b\r\nContent-Type: text/plain\r\n\r\n"
           b"first part\r\n--=_b\r\n")
    if place in ("part", "html"):
        sub = "html" if place == "html" else "plain"
        body = b"<p>x <b>" + raw + b"</b></p>" if place == "html" else raw
        out += (f'Content-Type: text/{sub}; charset="{charset}"\r\n'
                .encode() + encode_body(cte, body))
    elif place == "description":
        out += (b"Content-Type: image/png\r\nContent-Description: see " +
                encoded_word(charset, cte, raw).encode() + b"\r\n" +
                encode_body("base64", b"\x89PNG"))
    elif place == "filename":
        out += (b"Content-Type: application/pdf\r\n"
                b"Content-Disposition: attachment; filename*=" +
                charset.encode() + b"''" +
                urllib.parse.quote_from_bytes(raw, safe="").encode() +
                b".pdf\r\n" + encode_body("base64", b"%PDF"))
    elif place == "attached":
        out += (b"Content-Type: message/rfc822\r\n\r\n"
                b"From: b@example.org\r\nSubject: inner\r\n" +
                f"Content-Type: text/plain; charset={charset}\r\n"
                .encode() + encode_body(cte, raw))
    else:
        out += (b"Content-Type: application/octet-stream\r\n" +
                encode_body(cte, raw))
    return out + b"--=_b--\r\nepilogue\r\n"


def search_literal(m, key, word):
    """UID SEARCH CHARSET UTF-8 key {word}: the word as a literal."""
    m.literal = word.encode()
    typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", key)
    assert typ == "OK", data
    return {int(x) for x in data[0].split()}


def test_search_finds_words_in_any_charset_and_encoding(server, instance,
                                                        ann):
    """A table of words x charsets x transfer encodings x places: SEARCH
    BODY and TEXT find a word in exactly the messages that hold it where
    each key looks, written in any case, and no others; words the charset
    cannot hold are left out."""
    m = connect(server, instance, ann)
    m.create("Words")
    holds = {w: {"BODY": set(), "TEXT": set()} for w in WORDS}
    total = 0
    for word in WORDS:
        for charset in CHARSETS:
            try:
                raw = word.encode(charset)
            except UnicodeEncodeError:
                continue  # "€" and "Œ" are not in ISO-8859-1
            for cte in ENCODINGS:
                for place, (body, text) in PLACES.items():
                    uid = append(m, "Words",
                                 search_message(place, charset, cte, raw))
                    total += 1
                    if body:
                        holds[word]["BODY"].add(uid)
                    if text:
                        holds[word]["TEXT"].add(uid)
    assert total > 300
    m.select("Words", readonly=True)
    for word in WORDS:
        for key in ("BODY", "TEXT"):
            assert search_literal(m, key, word) == holds[word][key], \
                (word, key)
            assert search_literal(m, key, word.upper()) == \
                holds[word][key], (word.upper(), key)
    # A word that is nowhere: nothing.
    assert search_literal(m, "TEXT", "Grüßen") == set()
    m.logout()


# ---- flag changes and expunges between sessions (RFC 3501 §7.4) ----


class Model:
    """What a client knows of the selected mailbox from responses alone:
    UIDs by sequence number, each message's flags, the FLAGS list."""

    def __init__(self, m):
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
        self.messages = [parse_fetch(line) for line in data if line]
        self.keywords = set()
        for line in untagged(m, "FLAGS"):
            self.keywords |= set(line.decode().strip("()").split())
        untagged(m, "FETCH")
        untagged(m, "EXPUNGE")

    def apply(self, m, fetched=()):
        """Applies what the last command brought, in the order the server
        sends it within one update: FLAGS, FETCH (numbers before the
        expunges), EXPUNGE. fetched: the FETCH lines imaplib returned as
        the command's data (STORE's, UID commands')."""
        for line in untagged(m, "FLAGS"):
            self.keywords |= set(line.decode().strip("()").split())
        for line in [x for x in fetched if x] + untagged(m, "FETCH"):
            seq = int(line.split()[0])
            uid, flags = parse_fetch(line)
            assert self.messages[seq - 1][0] == uid, (line, self.messages)
            self.messages[seq - 1] = (uid, flags)
        for line in untagged(m, "EXPUNGE"):
            del self.messages[int(line) - 1]


def parse_fetch(line):
    uid = int(re.search(rb"UID (\d+)", line).group(1))
    flags = re.search(rb"FLAGS \(([^)]*)\)", line).group(1).decode()
    return uid, frozenset(f for f in flags.split() if f != "\\Recent")


def truth(m):
    """The flags the store holds, read with a UID FETCH and undisturbed by
    the untagged responses that come with it."""
    saved = dict(m.untagged_responses)
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    m.untagged_responses.clear()
    m.untagged_responses.update(saved)
    return [parse_fetch(line) for line in data if line]


def test_sessions_see_each_others_changes(server, instance, ann):
    """Two imaplib sessions on one mailbox, a random walk of flag changes,
    new keywords and expunges by either: after its next command the other
    session's view, built only from the untagged responses it was sent,
    is the mailbox as it is, and its FLAGS list names every keyword."""
    for i in range(6):
        deliver(server, ann, mid=f"m{i}")
    a, b = connect(server, instance, ann), connect(server, instance, ann)
    a.select("INBOX")
    b.select("INBOX")
    models = {id(a): Model(a), id(b): Model(b)}
    rng = random.Random(7)
    flags = ["\\Seen", "\\Flagged", "\\Answered", "\\Draft", "$Work",
             "$Later", "$Urgent"]
    for step in range(40):
        actor, other = (a, b) if rng.random() < 0.5 else (b, a)
        messages = truth(actor)
        if not messages:
            break
        uid = rng.choice(messages)[0]
        if rng.random() < 0.15:
            typ, data = actor.uid("STORE", str(uid), "+FLAGS",
                                  "(\\Deleted)")
            models[id(actor)].apply(actor, data)
            typ, data = actor.uid("EXPUNGE", str(uid))
        else:
            typ, data = actor.uid("STORE", str(uid),
                                  rng.choice(["+FLAGS", "-FLAGS"]),
                                  f"({rng.choice(flags)})")
        models[id(actor)].apply(actor, data)
        assert other.noop()[0] == "OK"
        models[id(other)].apply(other)
        now = truth(actor)
        for m in (a, b):
            assert models[id(m)].messages == now, (step, m is a)
        used = {f for _, fl in now for f in fl if not f.startswith("\\")}
        assert used <= models[id(other)].keywords, step
    a.logout()
    b.logout()


def test_expunge_waits_for_a_command_that_may_carry_it(server, instance,
                                                       ann):
    """RFC 3501 §7.4.1: no EXPUNGE during FETCH, STORE or SEARCH by
    sequence number; the next command that may carry it does."""
    for i in range(3):
        deliver(server, ann, mid=f"m{i}")
    a, b = connect(server, instance, ann), connect(server, instance, ann)
    a.select("INBOX")
    b.select("INBOX")
    b.store("2", "+FLAGS.SILENT", "(\\Deleted)")
    b.expunge()
    untagged(a, "EXPUNGE")
    # RFC 2180 §4.1.2: what is left, and NO for what went.
    typ, data = a.fetch("1:*", "(FLAGS)")
    assert typ == "NO" and b"EXPUNGEISSUED" in data[0], data
    assert untagged(a, "FETCH") == [b"1 (FLAGS (\\Recent))",
                                    b"3 (FLAGS (\\Recent))"]
    assert untagged(a, "EXPUNGE") == []
    a.search(None, "ALL")
    assert untagged(a, "EXPUNGE") == []
    a.noop()
    assert untagged(a, "EXPUNGE") == [b"2"]
    a.logout()
    b.logout()


# ---- \Recent (RFC 3501 §2.3.2) ----


def recent_uids(m):
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    return {int(re.search(rb"UID (\d+)", line).group(1))
            for line in data if line and b"\\Recent" in line}


def test_recent_goes_to_exactly_one_session(server, instance, ann):
    """Messages delivered while several sessions have INBOX open, each
    session noticing them in a random order: every message is \\Recent to
    exactly one read-write session, SEARCH RECENT and NEW agree with the
    flags, a session opening INBOX afterwards sees none recent, and an
    EXAMINE session shows the unclaimed ones without taking them."""
    sessions = [connect(server, instance, ann) for _ in range(3)]
    for s in sessions:
        s.select("INBOX")
    rng = random.Random(3)
    uids = set()
    for _ in range(6):
        for i in range(rng.randint(1, 3)):
            deliver(server, ann, mid=f"r{len(uids)}-{i}")
        order = sessions[:]
        rng.shuffle(order)
        for s in order[:rng.randint(1, 3)]:
            s.noop()
    viewer = connect(server, instance, ann)
    viewer.select("INBOX", readonly=True)
    unclaimed = recent_uids(viewer)
    for s in sessions:
        s.noop()
    seen = [recent_uids(s) for s in sessions]
    typ, data = sessions[0].uid("SEARCH", "ALL")
    uids = {int(x) for x in data[0].split()}
    assert len(uids) >= 6
    # Each UID recent to one session, and only one.
    for uid in uids:
        assert sum(uid in r for r in seen) == 1, (uid, seen)
    # What the viewer showed as recent, a writer then claimed.
    assert unclaimed <= uids
    # SEARCH RECENT / NEW / OLD say the same as the flags.
    sessions[0].uid("STORE", "1:*", "+FLAGS.SILENT", "(\\Seen)")
    for s, r in zip(sessions, seen):
        typ, data = s.uid("SEARCH", "RECENT")
        assert {int(x) for x in data[0].split()} == r
        typ, data = s.uid("SEARCH", "OLD")
        assert {int(x) for x in data[0].split()} == uids - r
    typ, data = sessions[1].uid("SEARCH", "NEW")
    assert data == [b""]  # all seen now
    late = connect(server, instance, ann)
    typ, data = late.select("INBOX")
    assert untagged(late, "RECENT") == [b"0"]
    assert recent_uids(late) == set()
    for s in sessions + [viewer, late]:
        s.logout()


def test_recent_counted_in_select_status_and_updates(server, instance, ann):
    deliver(server, ann)
    deliver(server, ann, mid="m2")
    m = connect(server, instance, ann)
    typ, data = m.status("INBOX", "(RECENT)")
    assert data == [b'"INBOX" (RECENT 2)']
    m.select("INBOX")
    assert untagged(m, "RECENT") == [b"2"]
    untagged(m, "EXISTS")
    typ, data = m.status("INBOX", "(RECENT)")
    assert data == [b'"INBOX" (RECENT 0)']
    deliver(server, ann, mid="m3")
    m.noop()
    assert untagged(m, "EXISTS") == [b"3"]
    assert untagged(m, "RECENT") == [b"3"]
    m.logout()


# ---- LOGOUT, MOVE, atoms, FLAGS ----


def test_logout_sends_nothing_after_bye(server, instance, ann):
    """RFC 3501 §6.1.3: BYE, then the tagged OK, and nothing between them,
    even with an expunge by another session waiting to be told."""
    deliver(server, ann)
    deliver(server, ann, mid="m2")
    raw = Raw(server.ports["imap"], tls_context(instance), starttls=True)
    raw.send(f"a1 LOGIN {ann} \"{PW}\"\r\n".encode())
    assert raw.until(b"a1 ").startswith(b"a1 OK")
    raw.send(b"a2 SELECT INBOX\r\n")
    assert raw.until(b"a2 ").startswith(b"a2 OK")
    other = connect(server, instance, ann)
    other.select("INBOX")
    other.store("1", "+FLAGS.SILENT", "(\\Deleted \\Seen)")
    other.expunge()
    other.logout()
    raw.send(b"a3 LOGOUT\r\n")
    lines = []
    while True:
        line = raw.line()
        lines.append(line)
        if line.startswith(b"a3 "):
            break
    assert lines[-2].startswith(b"* BYE"), lines
    assert lines[-1].startswith(b"a3 OK"), lines
    raw.close()


def test_move_into_the_selected_mailbox(server, instance, ann):
    """RFC 6851 §3.3: MOVE to the mailbox itself is COPY and EXPUNGE
    there: new UIDs, COPYUID, the old ones expunged, the new ones told."""
    for i in range(2):
        deliver(server, ann, mid=f"m{i}", body=f"body number {i}")
    m = connect(server, instance, ann)
    m.select("INBOX")
    untagged(m, "EXISTS")
    typ, data = m.uid("MOVE", "1", "INBOX")
    assert typ == "OK", data
    assert any(re.match(rb"\[COPYUID \d+ 1 3\]", x)
               for x in untagged(m, "OK")), data
    assert untagged(m, "EXPUNGE") == [b"1"]
    assert untagged(m, "EXISTS") == [b"2"]
    typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[TEXT])")
    uids = [int(re.search(rb"UID (\d+)", x[0]).group(1))
            for x in data if isinstance(x, tuple)]
    assert uids == [2, 3]
    assert b"body number 0" in data[2][1]
    m.logout()


def test_bracket_in_an_atom(server, instance, ann):
    """RFC 3501 §9: "[" is an ATOM-CHAR; only after BODY and its kin does
    it open a section."""
    raw = Raw(server.ports["imap"], tls_context(instance), starttls=True)
    raw.send(f"a1 LOGIN {ann} \"{PW}\"\r\n".encode())
    assert raw.until(b"a1 ").startswith(b"a1 OK")
    for tag, command in ((b"a2", b"CREATE foo[bar"),
                         (b"a3", b"SELECT foo[bar"),
                         (b"a4", b"STATUS foo[bar (MESSAGES)"),
                         (b"a5", b"FETCH 1:* (BODY.PEEK[HEADER.FIELDS "
                                 b"(SUBJECT)])")):
        raw.send(tag + b" " + command + b"\r\n")
        reply = raw.until(tag + b" ")
        assert reply.startswith(tag + b" OK"), reply
    raw.send(b'a6 LIST "" foo[*\r\n')
    assert raw.line() == b'* LIST (\\HasNoChildren) "/" "foo[bar"'
    assert raw.until(b"a6 ").startswith(b"a6 OK")
    raw.close()


def test_keywords_in_use_are_in_the_flags_list(server, instance, ann):
    """RFC 3501 §7.2.6: FLAGS names the keywords messages carry, and a
    new one is told with a fresh FLAGS as soon as it appears."""
    m = connect(server, instance, ann)
    append(m, "INBOX", b"Subject: k\r\n\r\nx\r\n", flags="($Work Urgent)")
    m.select("INBOX")
    flags = untagged(m, "FLAGS")[0].decode()
    assert "$Work" in flags and "Urgent" in flags and "\\Seen" in flags
    permanent = [x for x in untagged(m, "OK") if b"PERMANENTFLAGS" in x]
    assert b"$Work" in permanent[0] and b"\\*" in permanent[0]
    other = connect(server, instance, ann)
    other.select("INBOX")
    other.store("1", "+FLAGS", "($Fresh)")
    m.noop()
    assert b"$Fresh" in untagged(m, "FLAGS")[-1]
    assert b"$Fresh" in untagged(m, "FETCH")[-1]
    m.logout()
    other.logout()
