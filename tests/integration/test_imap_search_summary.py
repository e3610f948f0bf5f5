"""The header summary SEARCH SUBJECT, FROM, TO, CC and BCC read
(body_summaries, migration 35; PERFORMANCE.md B3, docs/design.md "Where a
message's summary lives"): on SQLite and on PostgreSQL, for random messages
with encoded and non-ASCII subjects and names and To: and Cc: lists of
hundreds of addresses (longer than PostgreSQL's b-tree can hold, some
incompressible, so TOASTed out of the row), every search answers as the
same search reading the bodies' own columns (the key with SENTBEFORE, which
reads the whole body row), and as the test's own record of where it put
each marker word, a marker at the far end of a long list included. The
search really reads the table (a row changed there changes its answer);
triggers keep it one row per body, equal to the bodies' columns, through
APPEND, COPY, expunge and the purge of forgotten bodies.
"""
import random

import pytest

from conftest import Server, make_instance, new_database
from test_imap import connect, person
from test_imap_rfc import append, encoded_word
from test_imap_search_index import Store

# Words in subjects and display names: accents, case, Greek, Cyrillic, a
# sharp s, characters LIKE would read as syntax.
VOCAB = ["alpha", "Beta", "GAMMA", "délta", "Zoë", "Ångström", "straße",
         "Ελλάδα", "Москва", "a%b", "c_d", "night-shift", "Œuvre"]
CHARSETS = ["utf-8", "iso-8859-1", "koi8-r", "iso-8859-7"]
KEYS = ("SUBJECT", "FROM", "TO", "CC", "BCC")
QUERIES = sorted(set(
    VOCAB + [w.upper() for w in VOCAB] + [w.lower() for w in VOCAB] +
    ["zoe", "angstrom", "strasse", "elta", "ph", "a%", "_d", "example",
     "far.example", "nobody-here", "москва", "ελλάδα", "@"]))
BEFORE = "1-Jan-2100"  # every message's Date is before it


def header_text(rng, charset, text):
    """text as a header value: an encoded word when it must (or at
    random), plain otherwise; None when the charset cannot write it."""
    try:
        raw = text.encode(charset)
    except UnicodeEncodeError:
        return None
    if all(c < 0x80 for c in raw) and rng.random() < 0.5:
        return text
    return encoded_word(charset, rng.choice(["base64", "q"]), raw)


def phrase(rng):
    return " ".join(rng.choice(VOCAB) for _ in range(rng.randint(1, 3)))


def address_list(rng, i, field, n, incompressible):
    """n addresses folded over lines, a marker one (mark{i}{field}) last."""
    out = []
    for k in range(n - 1):
        local = (f"{rng.getrandbits(48):012x}" if incompressible else
                 f"person{k:04d}")
        out.append(f"{local}@far.example")
    out.append(f"mark{i:03d}{field}z@far.example")
    return ",\r\n ".join(out)


def random_message(rng, i):
    """Message i and where its markers are: {key: marker}."""
    for _ in range(50):
        charset = rng.choice(CHARSETS)
        subject = header_text(rng, charset, f"{phrase(rng)} subj{i:03d}z")
        name = header_text(rng, charset, phrase(rng))
        if subject is not None and name is not None:
            break
    else:
        subject, name = f"alpha subj{i:03d}z", "Beta"
    marks = {"SUBJECT": f"subj{i:03d}z", "FROM": f"mark{i:03d}fromz"}
    head = [f"From: {name} <mark{i:03d}fromz@example.org>",
            f"Subject: {subject}",
            "Date: Mon, 1 Jun 2026 09:00:00 +0000",
            f"Message-ID: <m{i}@example.org>", "MIME-Version: 1.0"]
    size = rng.choice([1, 3, 40, 300])
    head.append("To: " + address_list(rng, i, "to", size, rng.random() < .5))
    marks["TO"] = f"mark{i:03d}toz"
    for field in ("cc", "bcc"):
        if rng.random() < 0.5:
            size = rng.choice([1, 2, 200])
            head.append(f"{field.capitalize()}: " + address_list(
                rng, i, field, size, rng.random() < 0.5))
            marks[field.upper()] = f"mark{i:03d}{field}z"
    text = "\r\n".join(head) + "\r\n\r\nHello.\r\n"
    return text.encode(), marks


def search(m, key, word, *before):
    m.literal = word.encode()
    typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", *before, key)
    assert typ == "OK", (key, word, data)
    return {int(x) for x in data[0].split()}


def answers(m):
    """Each key and query: (the summary's answer, the bodies' answer)."""
    m.select("INBOX", readonly=True)
    return {(key, q): (search(m, key, q),
                       search(m, key, q, "SENTBEFORE", BEFORE))
            for key in KEYS for q in QUERIES}


SUMMARY = ["sent_date", "header_size", "subject", "from_addr", "to_addr",
           "cc_addr", "bcc_addr", "message_id"]


def summaries_match_bodies(store):
    """One summary row per body, each equal to the body's columns."""
    b = ", ".join("b." + c for c in SUMMARY)
    s = ", ".join("s." + c for c in SUMMARY)
    same = store.count(f"SELECT count(*) FROM bodies b JOIN body_summaries s"
                       f" ON s.body_id = b.id WHERE ({b}) = ({s})")
    return (store.count("SELECT count(*) FROM bodies") == same ==
            store.count("SELECT count(*) FROM body_summaries"))


@pytest.fixture(params=["sqlite", "postgresql"])
def setup(request, tmp_path):
    url = new_database(request.getfixturevalue("cluster")) \
        if request.param == "postgresql" else None
    inst = make_instance(tmp_path / "instance", "example.nhs.uk", url)
    inst.run("org", "add", "--ods", "X35001", "--name", "Practice",
             "--type", "GP Practice")
    return inst, Store(inst, url), person(inst, "X35001", "Ann", "One")


def test_summary_searches_answer_as_the_bodies(setup, tmp_path):
    inst, store, ann = setup
    rng = random.Random(20261205)
    server = Server(inst, False, tmp_path / "serve.log",
                    ["jobs.interval_s=0", "jobs.text_index_interval_s=0"])
    server.wait_ready()
    try:
        m = connect(server, inst, ann)
        marks = {}
        for i in range(80):
            raw, where = random_message(rng, i)
            marks[append(m, "INBOX", raw)] = where
        # Long lists are really there: PostgreSQL's b-tree would refuse.
        assert store.count("SELECT max(length(to_addr))"
                           " FROM body_summaries") > 2704 * 2
        assert summaries_match_bodies(store)

        got = answers(m)
        for (key, q), (summary, bodies) in got.items():
            assert summary == bodies, (key, q)
        assert sum(1 for s, _ in got.values() if s) > len(got) // 3
        # Every marker finds its message alone, at the end of 300
        # addresses too, and in upper case; a marker in no message finds
        # nothing.
        for uid, where in marks.items():
            for key in KEYS:
                word = where.get(key)
                if word is None:
                    continue
                assert search(m, key, word) == {uid}, (key, word)
                assert search(m, key, word.upper()) == {uid}, (key, word)
        assert search(m, "TO", "mark999toz") == set()

        # The search reads body_summaries: a row changed there (by hand,
        # as no writer does) changes its answer, not the bodies' one.
        uid = min(marks)
        body = store.body_of(ann, uid)
        store.rows("UPDATE body_summaries SET subject = 'hand-changed'"
                   f" WHERE body_id = {body}")
        m.select("INBOX", readonly=True)
        assert search(m, "SUBJECT", "hand-changed") == {uid}
        assert search(m, "SUBJECT", "hand-changed", "SENTBEFORE",
                      BEFORE) == set()
        store.rows("UPDATE body_summaries SET subject = (SELECT subject"
                   f" FROM bodies WHERE id = {body}) WHERE body_id = {body}")
        assert summaries_match_bodies(store)

        # A copy shares its body, and its summary.
        m.select("INBOX")
        copied = sorted(marks)[1:4]
        typ, _ = m.uid("COPY", ",".join(map(str, copied)), "Drafts")
        assert typ == "OK"
        m.select("Drafts", readonly=True)
        for uid in copied:
            word = marks[uid]["SUBJECT"]
            assert len(search(m, "SUBJECT", word)) == 1, word
        assert summaries_match_bodies(store)

        # Bodies forgotten take their summaries with them; the rest answer
        # as before.
        gone = sorted(marks)[-10:]
        m.select("INBOX")
        m.uid("STORE", ",".join(map(str, gone)), "+FLAGS", "(\\Deleted)")
        m.expunge()
        before = store.count("SELECT count(*) FROM body_summaries")
        inst.run("jobs", "run")
        assert store.count("SELECT count(*) FROM body_summaries") == \
            before - len(gone)
        assert summaries_match_bodies(store)
        after = answers(m)
        for (key, q), (summary, bodies) in got.items():
            assert after[(key, q)] == (summary - set(gone),
                                       bodies - set(gone)), (key, q)
        m.logout()
    finally:
        server.stop()
