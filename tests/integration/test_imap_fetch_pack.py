"""FETCH of ENVELOPEs over most of a large folder reads the ENVELOPE part
of its summary pack (PERFORMANCE.md B3, docs/design.md "A folder's
summaries, packed"), on SQLite and on PostgreSQL: the first such FETCH
reads the rows and writes the pack, later ones take the ENVELOPEs it holds
and read the rest by row, so every answer is byte for byte the one the
rows give (the same FETCH a few hundred messages at a time, which reads
by row) right after APPEND (few, then many: a run added), after a search
wrote a run without ENVELOPEs, with FLAGS changed by another session,
after EXPUNGE and MOVE, for bodies stored without their ENVELOPE (which
the pack marks, so a FETCH neither reads them twice nor writes the pack
each time), when another session expunged messages this one has not been
told of (the rows' NO EXPUNGEISSUED), and when the pack is stale (another
UIDVALIDITY's) or its ENVELOPE part does not decode. The FETCH really
reads the pack, with FLAGS or without: an ENVELOPE changed by hand under
it does not change the packed answer.
"""
import re

from test_imap import connect
from test_imap_rfc import append
from test_imap_search_pack import (LARGE, append_more, expunge_through,  # noqa: F401
                                   forget, message, packs, search, setup)
from conftest import Server

CHUNK = 400  # fewer than 1,024 and half the folder: read by row
ITEMS = "(UID ENVELOPE)"
ALL_ITEMS = "(UID FLAGS ENVELOPE RFC822.SIZE INTERNALDATE)"


def responses(data):
    """The FETCH responses of imaplib's data, each as one bytes value."""
    out = []
    for d in data:
        d = d[0] + d[1] if isinstance(d, tuple) else d
        if re.match(rb"\d+ \(", d) or not out:
            out.append(d)
        else:  # the rest of a response after a literal
            out[-1] += d
    return out


def fetch(m, which, items):
    m.response("FETCH")  # what a NOOP was told, not this FETCH's
    typ, data = m.fetch(which, items)
    assert typ == "OK", (which, data)
    return responses(data)


def log_pack_writes(store):
    """From now on, pack_log gets the part of each pack row written."""
    store.rows("CREATE TABLE pack_log (part INTEGER)")
    if store.url:
        store.rows("CREATE FUNCTION pack_logged() RETURNS trigger"
                   " LANGUAGE plpgsql AS $$ BEGIN INSERT INTO pack_log"
                   " VALUES (NEW.part); RETURN NEW; END $$;"
                   " CREATE TRIGGER pack_logged AFTER INSERT ON"
                   " folder_summary_packs FOR EACH ROW EXECUTE FUNCTION"
                   " pack_logged()")
    else:
        store.rows("CREATE TRIGGER pack_logged AFTER INSERT ON"
                   " folder_summary_packs BEGIN INSERT INTO pack_log"
                   " VALUES (NEW.part); END")


def check(m, uid_of, items=ITEMS):
    """FETCH 1:* answers as the rows do, with every message's own
    Message-ID; uid_of maps each message number to its UID."""
    count = len(uid_of)
    packed = fetch(m, "1:*", items)
    rows = []
    for lo in range(1, count + 1, CHUNK):
        rows += fetch(m, f"{lo}:{min(lo + CHUNK - 1, count)}", items)
    assert len(packed) == count, (len(packed), count)
    assert packed == rows, [(a, b) for a, b in zip(packed, rows)
                            if a != b][:2]
    of_uid = {u: n for n, u in uid_of.items()}
    for r in packed:
        uid = int(re.search(rb"UID (\d+)", r).group(1))
        assert f"<p{of_uid[uid]}@example.org>".encode() in r, r


def test_packed_envelopes_answer_as_the_rows(setup, tmp_path):
    inst, store, ann = setup
    server = Server(inst, False, tmp_path / "serve.log",
                    ["jobs.interval_s=0", "jobs.text_index_interval_s=0"])
    server.wait_ready()
    try:
        m = connect(server, inst, ann)
        uid_of = {i: append(m, "INBOX", message(i)) for i in range(LARGE)}
        # Bodies stored without their ENVELOPE (before the column): worked
        # out again from the body, packed or not.
        for n in [5] + list(range(200, 300)):
            store.rows("UPDATE bodies SET envelope = '' WHERE id ="
                       f" {store.body_of(ann, uid_of[n])}")
        m.select("INBOX")
        assert packs(store) == (0, 0)
        log_pack_writes(store)
        # The first FETCH writes the pack: seven parts, one run.
        check(m, uid_of)
        assert packs(store) == (1, 7)
        written = store.count("SELECT count(*) FROM pack_log")
        check(m, uid_of, ALL_ITEMS)
        # Those bodies are marked in the pack: not read again, and the
        # pack not written again, FETCH after FETCH.
        fetch(m, "1:*", ITEMS)
        assert store.count("SELECT count(*) FROM pack_log") == written

        # The FETCH reads the pack: an ENVELOPE changed by hand under it
        # (as no writer does) leaves the packed answer as it was.
        n = 21
        body = store.body_of(ann, uid_of[n])
        old = fetch(m, f"{n + 1}", ITEMS)[0]
        store.rows("UPDATE bodies SET envelope = replace(envelope,"
                   f" 'note{n:05d}', 'hand-changed') WHERE id = {body}")
        assert b"hand-changed" in fetch(m, f"{n + 1}", ITEMS)[0]
        assert fetch(m, "1:*", ITEMS)[n] == old
        assert b"hand-changed" not in fetch(m, "1:*", ALL_ITEMS)[n]
        store.rows("UPDATE bodies SET envelope = replace(envelope,"
                   f" 'hand-changed', 'note{n:05d}') WHERE id = {body}")

        # A few appended: read by row beside the pack, which stays.
        append_more(m, uid_of, range(LARGE, LARGE + 3))
        m.noop()
        check(m, uid_of)
        assert packs(store) == (1, 7)
        # Many appended: a run is added for them, with their ENVELOPEs.
        append_more(m, uid_of, range(LARGE + 3, LARGE + 100))
        m.noop()
        check(m, uid_of)
        assert packs(store) == (2, 14)

        # A search adds a run without ENVELOPEs; the next FETCH gives
        # the run its ENVELOPE part.
        append_more(m, uid_of, range(LARGE + 100, LARGE + 200))
        m.noop()
        assert search(m, "SUBJECT", "foo")
        assert packs(store) == (3, 20)
        check(m, uid_of)
        assert packs(store) == (3, 21)

        # Flags set by another session: FLAGS from the view, once told.
        other = connect(server, inst, ann)
        other.select("INBOX")
        flagged = [uid_of[n] for n in list(uid_of)[::9]]
        other.uid("STORE", ",".join(map(str, flagged)), "+FLAGS.SILENT",
                  "(\\Flagged $Important)")
        other.logout()
        m.noop()
        check(m, uid_of, ALL_ITEMS)
        assert b"$Important" in fetch(m, "1:*", ALL_ITEMS)[0]

        # EXPUNGE and MOVE: the messages gone are in the pack, not the
        # view.
        gone = [n for n in uid_of if n % 7 == 0][:40] + [LARGE + 2]
        expunge_through(m, uid_of, gone)
        forget(uid_of, gone)
        check(m, uid_of)
        moved = [n for n in uid_of if n % 11 == 0][:5]
        typ, _ = m.uid("MOVE", ",".join(str(uid_of[n]) for n in moved),
                       "Drafts")
        assert typ == "OK"
        forget(uid_of, moved)
        check(m, uid_of, ALL_ITEMS)

        # Another session expunges messages this one has not been told
        # of: they are still in its view and in the pack, but the FETCH
        # answers as the rows do, without them and NO EXPUNGEISSUED.
        other = connect(server, inst, ann)
        other.select("INBOX")
        told = [n for n in uid_of if n % 17 == 3][:6]
        expunge_through(other, uid_of, told)
        other.logout()
        m.response("FETCH")
        typ, data = m.fetch("1:*", ITEMS)
        assert typ == "NO" and b"EXPUNGEISSUED" in data[0], (typ, data)
        sent = responses(m.response("FETCH")[1])
        assert len(sent) == len(uid_of) - len(told), len(sent)
        m.noop()
        forget(uid_of, told)
        check(m, uid_of)

        # Another session changes the folder while this one is open.
        other = connect(server, inst, ann)
        other.select("INBOX")
        more = {}
        append_more(other, more, range(LARGE + 200, LARGE + 280))
        drop = [n for n in uid_of if n % 13 == 0][:10]
        expunge_through(other, uid_of, drop)
        other.logout()
        m.noop()
        uid_of.update(more)
        forget(uid_of, drop)
        check(m, uid_of)

        # An ENVELOPE part that does not decode: the pack is written
        # again, one run of seven parts.
        store.rows("UPDATE folder_summary_packs SET data = "
                   + ("'\\x00'::bytea" if store.url else "X'00'") +
                   " WHERE part = 6")
        check(m, uid_of)
        assert packs(store) == (1, 7)
        check(m, uid_of)
        # A stale pack (of another UIDVALIDITY): the same.
        store.rows("UPDATE folder_summary_packs"
                   " SET uidvalidity = uidvalidity + 1")
        check(m, uid_of, ALL_ITEMS)
        assert packs(store) == (1, 7)
        # A search that writes the pack again from the rows (its subjects
        # do not decode) writes no ENVELOPEs; the next FETCH gives the
        # run its ENVELOPE part again.
        store.rows("UPDATE folder_summary_packs SET data = "
                   + ("'\\x00'::bytea" if store.url else "X'00'") +
                   " WHERE part = 1")
        assert search(m, "SUBJECT", "foo")
        assert packs(store) == (1, 6)
        check(m, uid_of)
        assert packs(store) == (1, 7)
        m.logout()
    finally:
        server.stop()
