"""The text index behind SEARCH BODY and TEXT (PERFORMANCE.md B3,
docs/imap.md "Searching"): on SQLite and on PostgreSQL, with no body
indexed, every body indexed and some indexed, UID SEARCH BODY and TEXT give
exactly the answers of the scan (which reads every message whole) for
random messages in several charsets and transfer encodings, with encoded
words, accents, case, runs of blanks, words shorter than three characters,
words only in a header and words only in a body. The index really answers
(a row taken out of it hides its message from an indexed search), a body
forgotten leaves no index row, bodies kept outside the database are
indexed and found, and serve indexes new mail on its own schedule.

The scan's answers are read first, while every body is pending (a search
then reads every message); the same searches after `caremail jobs run`
(which indexes) must answer the same."""
import random
import sqlite3
import time
import urllib.parse

import pytest

from conftest import Server, make_instance, new_database, pg_sql
from test_blobs import set_blobs
from test_imap import connect, person
from test_imap_rfc import append, encode_body, encoded_word

# Words the messages are made of: accents, case, a ligature and a sharp s
# that fold to ASCII, Greek and Cyrillic that do not, characters FTS5 and
# LIKE would read as syntax were they not escaped, and short words.
VOCAB = ["alpha", "Beta", "GAMMA", "délta", "Ëpsilon", "straße", "ÆRØ",
         "naïveté", "Ελλάδα", "Москва", "€uro", "a%b", "c_d", 'q"t', "s*t",
         "back\\slash", "ok", "é", "zebra", "Quokka", "night-shift",
         "pre:op", "GRÜSSE", "mañana", "Œuvre"]
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "koi8-r", "iso-8859-7"]
ENCODINGS = ["7bit", "8bit", "quoted-printable", "base64"]
BLANKS = [" ", "  ", "\t", " \t ", "\r\n ", "\r\n\r\n"]

# What is looked for: each word, in upper case too, pieces of words, two
# words across one space (a run of blanks folds to one), words nowhere.
QUERIES = sorted(set(
    VOCAB + [w.upper() for w in VOCAB] +
    ["lph", "ph", "ELTA", "delta", "EPSILON", "strasse", "STRASSE", "aero",
     "naivete", "ελλ", "моск", "uro", "%b", "a%", "_d", 'q"', '"t', "*t",
     "k\\s", "ok", "o", "zeb", "alpha beta", "beta gamma", "gamma  delta",
     "x-note", "subject: ", "only-head", "onlyhead", "onlybody",
     "missingword", "ß", "grusse", "mana", "oeuvre"]))


def words(rng, n):
    out = []
    for _ in range(n):
        out.append(rng.choice(VOCAB))
        out.append(rng.choice(BLANKS))
    return "".join(out).strip()


def encodable(text, charset):
    try:
        return text.encode(charset)
    except UnicodeEncodeError:
        return None


def random_message(rng):
    """A message of random words in a random charset and transfer
    encoding, as one part or with an HTML alternative and an attachment
    whose file name holds a word; its Subject an encoded word or plain;
    sometimes a word only in the header or only in the body."""
    for _ in range(50):
        charset = rng.choice(CHARSETS)
        body_text = words(rng, rng.randint(1, 12))
        subject = words(rng, rng.randint(1, 3)).replace("\r\n", " ")
        raw_body = encodable(body_text, charset)
        raw_subject = encodable(subject, charset)
        if raw_body is not None and raw_subject is not None:
            break
    else:
        charset, raw_body, raw_subject = "utf-8", b"alpha", b"beta"
    cte = rng.choice(ENCODINGS)
    if cte == "7bit" and any(b >= 0x80 for b in raw_body):
        cte = "8bit"
    head = b"From: a@example.org\r\nTo: b@example.org\r\nMIME-Version: 1.0\r\n"
    if rng.random() < 0.5:
        head += (b"Subject: " + encoded_word(charset, rng.choice(
            ["base64", "q"]), raw_subject).encode() + b"\r\n")
    else:
        head += b"Subject: " + subject.encode() + b"\r\n"
    if rng.random() < 0.3:
        head += b"X-Note: only-head onlyhead\r\n"
    if rng.random() < 0.3:
        raw_body += b" onlybody"
    if rng.random() < 0.5:
        return (head + f"Content-Type: text/plain; charset={charset}\r\n"
                .encode() + encode_body(cte, raw_body))
    html = b"<p>" + raw_body.replace(b"\r\n", b"<br>") + b"</p>"
    name = rng.choice(VOCAB)
    return (head + b'Content-Type: multipart/mixed; boundary="=_m"\r\n\r\n'
            b'--=_m\r\nContent-Type: multipart/alternative; boundary="=_a"'
            b"\r\n\r\n--=_a\r\n" +
            f"Content-Type: text/plain; charset={charset}\r\n".encode() +
            encode_body(cte, raw_body) + b"--=_a\r\n" +
            f"Content-Type: text/html; charset={charset}\r\n".encode() +
            encode_body(rng.choice(["quoted-printable", "base64"]), html) +
            b"--=_a--\r\n--=_m\r\nContent-Type: application/pdf\r\n"
            b"Content-Disposition: attachment; filename*=utf-8''" +
            urllib.parse.quote_from_bytes(name.encode(), safe="").encode() +
            b".pdf\r\n" + encode_body("base64", b"%PDF-1.4 \x00\xff") +
            b"--=_m--\r\n")


def search(m, key, word):
    m.literal = word.encode()
    typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", key)
    assert typ == "OK", (key, word, data)
    return {int(x) for x in data[0].split()}


def answers(m):
    m.select("INBOX", readonly=True)
    return {(key, q): search(m, key, q) for q in QUERIES
            for key in ("BODY", "TEXT")}


# ---- the store, either backend ----


class Store:
    """SQL on the instance's database, SQLite or PostgreSQL."""

    def __init__(self, inst, url=None):
        self.inst, self.url = inst, url
        self.key = "body_id" if url else "rowid"

    def rows(self, sql):
        if self.url:
            out = pg_sql(self.url, sql).stdout
            return [tuple(line.split("|")) for line in out.splitlines()
                    if line]
        db = sqlite3.connect(self.inst.dir / "caremail.db", timeout=30)
        try:
            return [tuple(str(v) for v in r) for r in db.execute(sql)]
        finally:
            db.commit()
            db.close()

    def count(self, sql):
        return int(self.rows(sql)[0][0])

    def pending(self):
        return self.count("SELECT count(*) FROM body_text_pending")

    def indexed(self):
        return {int(r[0]) for r in
                self.rows(f"SELECT {self.key} FROM body_text")}

    def bodies(self):
        return {int(r[0]) for r in self.rows("SELECT id FROM bodies")}

    def body_of(self, address, uid):
        return self.count(
            "SELECT m.body_id FROM messages m JOIN folders f"
            " ON f.id = m.folder_id JOIN mailboxes x ON x.id = f.mailbox_id"
            f" WHERE x.address = '{address}' AND f.name = 'INBOX'"
            f" AND m.uid = {uid}")


@pytest.fixture(params=["sqlite", "postgresql"])
def setup(request, tmp_path):
    """(instance, store, address): an instance on either backend with one
    person, and a serve that indexes only when `jobs run` is run."""
    url = new_database(request.getfixturevalue("cluster")) \
        if request.param == "postgresql" else None
    inst = make_instance(tmp_path / "instance", "example.nhs.uk", url)
    inst.run("org", "add", "--ods", "X26001", "--name", "Practice",
             "--type", "GP Practice")
    ann = person(inst, "X26001", "Ann", "One")
    return inst, Store(inst, url), ann


def serve(inst, tmp_path, name, extra=()):
    s = Server(inst, False, tmp_path / f"{name}.log",
               ["jobs.interval_s=0", "jobs.text_index_interval_s=0",
                *extra])
    s.wait_ready()
    return s


# Bodies of another mailbox holding every query: more than four per
# message of the searched folder (120 then), so that a search checks the
# folder's messages rather than the index's rows; fewer than four per
# message once it holds 180, so that the index is asked first again.
FILLERS = 500


def fill_others(inst, server, address, count):
    """count distinct messages in address's INBOX, each holding every
    query and every word, one a line."""
    text = "\r\n".join(QUERIES + VOCAB)
    m = connect(server, inst, address)
    for i in range(count):
        append(m, "INBOX", (f"Subject: filler {i}\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: text/plain; charset=utf-8\r\n"
                            "Content-Transfer-Encoding: 8bit\r\n"
                            f"\r\n{text}\r\n").encode())
    m.logout()


def test_indexed_answers_are_the_scans(setup, tmp_path):
    inst, store, ann = setup
    bob = person(inst, "X26001", "Bob", "Two")
    rng = random.Random(20261204)
    server = serve(inst, tmp_path, "serve")
    try:
        m = connect(server, inst, ann)
        first = [append(m, "INBOX", random_message(rng)) for _ in range(120)]
        # Nothing indexed: every search reads every message.
        assert store.pending() >= 120 and store.indexed() == set()
        scan = answers(m)
        assert sum(1 for v in scan.values() if v) > len(scan) // 3
        assert any(scan[("BODY", q)] != scan[("TEXT", q)] for q in QUERIES)
        inst.run("jobs", "run")
        assert store.pending() == 0 and len(store.indexed()) >= 100
        assert answers(m) == scan
        # Every word in more bodies of another mailbox than four per
        # message of the folder: the folder's messages are checked one by
        # one instead of the index's rows read (store_text.c), with the
        # same answers.
        fill_others(inst, server, bob, FILLERS)
        assert store.pending() == FILLERS
        inst.run("jobs", "run")
        assert store.pending() == 0
        assert answers(m) == scan
        # The index answers: a body taken out of it (and not put back on
        # the pending list) is no longer found by a word of three or more
        # characters, though a short word still finds it by the scan.
        uid = next(u for u in first if u in scan[("BODY", "onlybody")])
        body = store.body_of(ann, uid)
        store.rows(f"DELETE FROM body_text WHERE {store.key} = {body}")
        m.select("INBOX", readonly=True)
        assert uid not in search(m, "BODY", "onlybody")
        store.rows("INSERT INTO body_text_pending (body_id)"
                   f" VALUES ({body})")
        assert uid in search(m, "BODY", "onlybody")
        inst.run("jobs", "run")
        assert body in store.indexed()
        # Some indexed, some not: the new ones are scanned.
        second = [append(m, "INBOX", random_message(rng)) for _ in range(60)]
        assert store.pending() >= 50
        mixed = answers(m)
        for (key, q), uids in mixed.items():
            assert uids & set(first) == scan[(key, q)], (key, q)
        inst.run("jobs", "run")
        assert store.pending() == 0
        assert answers(m) == mixed
        # A body forgotten leaves no index row (nor a pending one).
        gone = second[:20]
        bodies = {store.body_of(ann, u) for u in gone}
        assert bodies <= store.indexed()
        m.select("INBOX")
        m.uid("STORE", ",".join(map(str, gone)), "+FLAGS", "(\\Deleted)")
        m.expunge()
        inst.run("jobs", "run")
        assert not bodies & store.bodies()
        assert not bodies & store.indexed()
        assert store.indexed() <= store.bodies()
        after = answers(m)
        for (key, q), uids in mixed.items():
            assert after[(key, q)] == uids - set(gone), (key, q)
        m.logout()
    finally:
        server.stop()


def test_bodies_outside_the_database_are_indexed(tmp_path, instance, org):
    set_blobs(instance, "directory")
    ann = person(instance, org, "Ann", "One")
    store = Store(instance)
    rng = random.Random(7)
    server = serve(instance, tmp_path, "serve")
    try:
        m = connect(server, instance, ann)
        for _ in range(40):
            append(m, "INBOX", random_message(rng))
        assert store.count("SELECT count(*) FROM bodies"
                           " WHERE outside = 1") >= 40
        scan = answers(m)
        instance.run("jobs", "run")
        assert store.pending() == 0 and len(store.indexed()) >= 40
        assert answers(m) == scan
        m.logout()
    finally:
        server.stop()


def test_serve_indexes_new_mail_on_its_schedule(tmp_path, instance, org):
    ann = person(instance, org, "Ann", "One")
    store = Store(instance)
    server = serve(instance, tmp_path, "serve",
                   ["jobs.text_index_interval_s=1"])
    try:
        m = connect(server, instance, ann)
        uid = append(m, "INBOX", b"Subject: rota\r\n\r\nnight-shift cover\r\n")
        deadline = time.monotonic() + 20
        while store.pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert store.pending() == 0 and len(store.indexed()) == 1
        m.select("INBOX", readonly=True)
        assert search(m, "BODY", "SHIFT COVER") == {uid}
        assert search(m, "BODY", "rota") == set()
        assert search(m, "TEXT", "rota") == {uid}
        m.logout()
    finally:
        server.stop()
    assert "jobs.text_indexed" in server.logs()
