"""SEARCH SUBJECT, FROM, TO, CC and BCC on a large folder read its
summary pack (migration 37; PERFORMANCE.md B3, docs/design.md "A folder's
summaries, packed"), on SQLite and on PostgreSQL: the first search writes
the pack, later ones take what it holds and read the rest by row, so every
answer is the one the rows give (the same key with UNDELETED, which reads
body_summaries by row, with SENTBEFORE, which reads the whole body row,
and the test's own record) right after APPEND (few,
then many: a run added), EXPUNGE, MOVE, while another session changes the
folder, and when the pack is stale (another UIDVALIDITY's) or does not
decode. The search really reads the pack: a summary changed by hand
under it does not change the packed answer until the pack is written
again.
"""
import pytest

from conftest import Server, make_instance, new_database
from test_imap import connect, person
from test_imap_rfc import append, encoded_word
from test_imap_search_index import Store

BEFORE = "1-Jan-2100"  # every message's Date is before it
LARGE = 1100  # a pack is kept for folders of 1,024 messages or more


def message(i):
    """Message i: `foo` in the subject of 1 in 7, `bar` of 1 in 11 (some
    encoded), the sender one of 13, `zed` in the Cc of 1 in 5."""
    words = [f"note{i:05d}"]
    if i % 7 == 0:
        words.append("foo")
    if i % 11 == 0:
        words.append("Bär")
    subject = " ".join(words)
    if i % 2 == 0:
        subject = encoded_word("utf-8", "base64", subject.encode())
    head = [f"From: Sender {i % 13} <s{i % 13}@from.example>",
            f"To: ann{i}@to.example", f"Subject: {subject}",
            "Date: Mon, 1 Jun 2026 09:00:00 +0000",
            f"Message-ID: <p{i}@example.org>"]
    if i % 5 == 0:
        head.append(f"Cc: zed{i}@cc.example")
    return ("\r\n".join(head) + "\r\n\r\nHello.\r\n").encode()


def expect(numbers, key, word):
    """The message numbers whose field holds word, by the test's record."""
    if key == "SUBJECT":
        return {n for n in numbers if (word == "foo" and n % 7 == 0) or
                (word == "bär" and n % 11 == 0)}
    if key == "FROM":
        return {n for n in numbers if n % 13 == int(word[1:])}
    if key == "CC":
        return {n for n in numbers if n % 5 == 0}
    raise AssertionError(key)


def search(m, key, word, *more):
    m.literal = word.encode()
    typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", *more, key)
    assert typ == "OK", (key, word, data)
    return {int(x) for x in data[0].split()}


QUERIES = [("SUBJECT", "foo"), ("SUBJECT", "bär"), ("FROM", "s3"),
           ("CC", "zed")]


def check(m, uid_of):
    """Every query answers as the rows and the record do; uid_of maps
    each message number in the folder to its UID."""
    of_uid = {u: n for n, u in uid_of.items()}
    for key, word in QUERIES:
        packed = search(m, key, word)
        rows = search(m, key, word, "UNDELETED")
        bodies = search(m, key, word, "SENTBEFORE", BEFORE)
        assert packed == rows == bodies, (key, word, packed ^ rows)
        assert {of_uid[u] for u in packed} == \
            expect(set(uid_of), key, word), (key, word)


def append_more(session, uid_of, numbers):
    """Appends messages `numbers` to INBOX through the session, noting
    their UIDs in uid_of."""
    for i in numbers:
        uid_of[i] = append(session, "INBOX", message(i))


def expunge_through(session, uid_of, numbers):
    """Marks messages `numbers` \\Deleted and expunges them through the
    session (uid_of is left to the caller: another session is told later)."""
    session.uid("STORE", ",".join(str(uid_of[n]) for n in numbers),
                "+FLAGS.SILENT", "(\\Deleted)")
    session.expunge()


def forget(uid_of, numbers):
    for n in numbers:
        del uid_of[n]


def packs(store, folder="INBOX"):
    """(runs, rows) of the folder's pack."""
    rows = store.rows(
        "SELECT p.first_uid, p.part FROM folder_summary_packs p"
        " JOIN folders f ON f.id = p.folder_id"
        f" WHERE f.name = '{folder}'")
    return len({r[0] for r in rows}), len(rows)


@pytest.fixture(params=["sqlite", "postgresql"])
def setup(request, tmp_path):
    url = new_database(request.getfixturevalue("cluster")) \
        if request.param == "postgresql" else None
    inst = make_instance(tmp_path / "instance", "example.nhs.uk", url)
    inst.run("org", "add", "--ods", "X36001", "--name", "Practice",
             "--type", "GP Practice")
    return inst, Store(inst, url), person(inst, "X36001", "Ann", "One")


def test_packed_searches_answer_as_the_rows(setup, tmp_path):
    inst, store, ann = setup
    server = Server(inst, False, tmp_path / "serve.log",
                    ["jobs.interval_s=0", "jobs.text_index_interval_s=0"])
    server.wait_ready()
    try:
        m = connect(server, inst, ann)
        uid_of = {i: append(m, "INBOX", message(i)) for i in range(LARGE)}
        m.select("INBOX")
        assert packs(store) == (0, 0)
        # The first search writes the pack (six parts, one run); the
        # answers are the rows' before and after.
        check(m, uid_of)
        assert packs(store) == (1, 6)
        check(m, uid_of)

        # The search reads the pack: a subject changed by hand under it
        # (as no writer does) leaves the packed answer as it was.
        n = 7 * 3
        body = store.body_of(ann, uid_of[n])
        store.rows("UPDATE body_summaries SET subject = 'hand-changed'"
                   f" WHERE body_id = {body}")
        assert search(m, "SUBJECT", "hand-changed") == set()
        assert uid_of[n] in search(m, "SUBJECT", "foo")
        # A flag in the key reads the rows (body_summaries) as before.
        assert search(m, "SUBJECT", "hand-changed", "UNDELETED") == \
            {uid_of[n]}
        store.rows("UPDATE body_summaries SET subject = (SELECT subject"
                   f" FROM bodies WHERE id = {body}) WHERE body_id = {body}")

        # A few appended: read by row beside the pack, which stays.
        append_more(m, uid_of, range(LARGE, LARGE + 3))
        m.noop()
        check(m, uid_of)
        assert packs(store) == (1, 6)
        # Many appended: a run is added for them.
        append_more(m, uid_of, range(LARGE + 3, LARGE + 100))
        m.noop()
        check(m, uid_of)
        assert packs(store) == (2, 12)

        # EXPUNGE: the messages gone are in the pack, not the view.
        gone = [n for n in uid_of if n % 7 == 0][:40] + [LARGE + 2]
        expunge_through(m, uid_of, gone)
        forget(uid_of, gone)
        check(m, uid_of)

        # MOVE: gone from INBOX, found in Drafts (a small folder: rows).
        moved = [n for n in uid_of if n % 7 == 0][:5]
        typ, _ = m.uid("MOVE", ",".join(str(uid_of[n]) for n in moved),
                       "Drafts")
        assert typ == "OK"
        forget(uid_of, moved)
        check(m, uid_of)
        m.select("Drafts", readonly=True)
        assert len(search(m, "SUBJECT", "foo")) == len(moved)
        m.select("INBOX")

        # Another session changes the folder while this one is open.
        other = connect(server, inst, ann)
        other.select("INBOX")
        more = {}
        append_more(other, more, range(LARGE + 100, LARGE + 180))
        drop = [n for n in uid_of if n % 11 == 0][:10]
        expunge_through(other, uid_of, drop)
        other.logout()
        m.noop()
        uid_of.update(more)
        forget(uid_of, drop)
        check(m, uid_of)

        if not store.url:
            # Free pages in holes, one in two, as other writes leave them.
            store.rows("CREATE TABLE junk (x BLOB)")
            store.rows("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
                       " SELECT i + 1 FROM n WHERE i < 24)"
                       " INSERT INTO junk SELECT zeroblob(6000) FROM n")
            store.rows("DELETE FROM junk WHERE rowid % 2 = 0")
        # A stale pack (of another UIDVALIDITY) is passed over, and the
        # folder's pack written again, one run.
        store.rows("UPDATE folder_summary_packs"
                   " SET uidvalidity = uidvalidity + 1")
        check(m, uid_of)
        assert packs(store) == (1, 6)
        if not store.url:
            # On SQLite the pack written again went to the end of the file
            # in order, not into the pages the old one left free: its
            # overflow pages lie in few runs, and no filler row is left.
            assert store.count("SELECT count(*) FROM folder_summary_packs"
                               " WHERE part < 0") == 0
            pages = [int(r[0]) for r in store.rows(
                "SELECT pageno FROM dbstat WHERE name ="
                " 'folder_summary_packs' AND pagetype = 'overflow'"
                " ORDER BY pageno")]
            runs = 1 + sum(1 for a, b in zip(pages, pages[1:]) if b != a + 1)
            assert len(pages) > 10 and runs <= 3, (len(pages), runs)
        # A part that does not decode: the same.
        store.rows("UPDATE folder_summary_packs SET data = "
                   + ("'\\x00'::bytea" if store.url else "X'00'") +
                   " WHERE part = 1")
        check(m, uid_of)
        assert packs(store) == (1, 6)
        check(m, uid_of)

        # A deleted folder takes its pack with it.
        m.create("Big")
        m.select("INBOX")
        m.uid("COPY", "1:*", "Big")
        m.select("Big")
        assert search(m, "SUBJECT", "foo") == \
            search(m, "SUBJECT", "foo", "SENTBEFORE", BEFORE)
        assert packs(store, "Big")[0] == 1
        m.select("INBOX")
        m.delete("Big")
        assert store.count("SELECT count(*) FROM folder_summary_packs p"
                           " WHERE NOT EXISTS (SELECT 1 FROM folders f"
                           " WHERE f.id = p.folder_id)") == 0
        m.logout()
    finally:
        server.stop()
