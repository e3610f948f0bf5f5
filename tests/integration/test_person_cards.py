"""A person's card (SQLite's migration 41, docs/design.md "A person's
card"): the row a People Finder result is read from, kept by triggers.
Checked against an oracle written here from the rows, after every one of
many random writes of raw SQL (so in any order, and by any writer), and
through the API: each change a person, an org, a site, a mailbox or a role
can have shows in the next search."""

import random
import sqlite3
import urllib.parse

import pytest

from apiclient import USER_PASSWORD, global_admin, make_person, ready


def db(instance):
    return sqlite3.connect(instance.dir / "caremail.db", timeout=10)


def oracle(conn):
    """Each live person's card, computed from the rows: a card only when
    the person, their mailbox and their org are all there; a hidden
    mobile never on it; roles as a set of (org id, role, org's ODS code),
    each role whose org is there."""
    orgs = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, ods, name, helpdesk_phone, helpdesk_email FROM orgs")}
    sites = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, name, site_type FROM sites")}
    boxes = dict(conn.execute("SELECT id, address FROM mailboxes"))
    roles = {}
    for person_id, org_id, role in conn.execute(
            "SELECT person_id, org_id, role FROM roles"):
        if org_id in orgs:
            roles.setdefault(person_id, set()).add(
                (org_id, role, orgs[org_id][0]))
    cards = {}
    for (pid, org_id, site_id, mailbox_id, first, last, display, job, dept,
         phone, mobile, hidden, status, deleted) in conn.execute(
            "SELECT id, org_id, site_id, mailbox_id, first_name, last_name,"
            " display_name, job_title, department, phone, mobile,"
            " mobile_hidden, status, deleted_at FROM people"):
        if deleted is not None or mailbox_id not in boxes or org_id not in orgs:
            continue
        site = sites.get(site_id, ("", ""))
        cards[pid] = (org_id, site_id or 0, boxes[mailbox_id], first, last,
                      display, job, dept, phone, "" if hidden else mobile,
                      status) + orgs[org_id] + site + (
                          frozenset(roles.get(pid, ())),)
    return cards


def held(conn):
    """The cards as the store holds them, their roles column parsed."""
    out = {}
    for row in conn.execute("SELECT * FROM person_cards"):
        tags = frozenset(
            (int(o), r, ods) for o, r, ods in
            (item.split("\x1f") for item in row[-1].split("\x1e") if item))
        out[row[0]] = tuple(row[1:-1]) + (tags,)
    return out


class Writer:
    """Random raw-SQL writes to the five tables a card is made from, with
    the foreign keys off so that rows arrive in any order, as a copy made
    table by table or an operator's SQL may have them."""

    def __init__(self, conn, rnd):
        self.c, self.rnd, self.n = conn, rnd, 1000
        self.ahead = {}  # table: ids named before their row is there

    def some(self, table):
        ids = [r[0] for r in self.c.execute(f"SELECT id FROM {table}")]
        if ids and self.rnd.random() < 0.85:
            return self.rnd.choice(ids)
        # Now and then an id that is not there (yet): a row ahead of the
        # rows it names, which new_id may give to a row later.
        self.ahead.setdefault(table, set()).add(self.n + self.rnd.randrange(1, 8))
        return max(self.ahead[table])

    def new_id(self, table):
        """A new row's id: one named ahead of it, or a new one."""
        ahead = sorted(self.ahead.get(table, ()))
        if ahead and self.rnd.random() < 0.5:
            self.ahead[table].discard(ahead[0])
            return ahead[0]
        return self.n + self.rnd.randrange(1, 8)

    def text(self):
        self.n += 1
        return self.rnd.choice(["Ann", "Bea", "Cy", "Dé", "O'Neil"]) + str(self.n)

    def step(self):
        rnd, c, n = self.rnd, self.c, self.n
        op = rnd.randrange(18)
        if op in (2, 5, 8, 13) and rnd.random() < 0.6:
            op -= 2 if op != 13 else 3  # fewer deletes than inserts
        if op == 0:
            c.execute("INSERT OR IGNORE INTO orgs (id, ods, name, helpdesk_phone,"
                      " default_quota_mb, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, 100, 1, 1)",
                      (self.new_id("orgs"), "Q%d" % n, self.text(), self.text()))
        elif op == 1:
            col = rnd.choice(["ods", "name", "helpdesk_phone",
                              "helpdesk_email", "description", "type"])
            c.execute(f"UPDATE orgs SET {col} = ? WHERE id = ?",
                      (self.text(), self.some("orgs")))
        elif op == 2:
            c.execute("DELETE FROM orgs WHERE id = ?", (self.some("orgs"),))
        elif op == 3:
            c.execute("INSERT OR IGNORE INTO sites (id, org_id, name, site_type,"
                      " created_at) VALUES (?, ?, ?, ?, 1)",
                      (self.new_id("sites"), self.some("orgs"), self.text(),
                       rnd.choice(["gp_practice", "pharmacy"])))
        elif op == 4:
            col = rnd.choice(["name", "site_type", "postal_address"])
            c.execute(f"UPDATE OR IGNORE sites SET {col} = ? WHERE id = ?",
                      (self.text(), self.some("sites")))
        elif op == 5:
            c.execute("DELETE FROM sites WHERE id = ?", (self.some("sites"),))
        elif op == 6:
            c.execute("INSERT OR IGNORE INTO mailboxes (id, kind, org_id,"
                      " address, display_name, quota_mb, created_at,"
                      " updated_at) VALUES (?, 'user', ?, ?, 'x', 1, 1, 1)",
                      (self.new_id("mailboxes"), self.some("orgs"),
                       "a%d@example.nhs.uk" % n))
        elif op == 7:
            col = rnd.choice(["address", "quota_mb"])
            c.execute(f"UPDATE mailboxes SET {col} = ? WHERE id = ?",
                      ("b%d@example.nhs.uk" % n if col == "address" else n,
                       self.some("mailboxes")))
        elif op == 8:
            c.execute("DELETE FROM mailboxes WHERE id = ?",
                      (self.some("mailboxes"),))
        elif op in (9, 10):
            c.execute("INSERT OR IGNORE INTO people (id, org_id, site_id,"
                      " mailbox_id, first_name, last_name, display_name,"
                      " job_title, mobile, mobile_hidden, created_at,"
                      " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)",
                      (self.new_id("people"), self.some("orgs"),
                       rnd.choice([None, self.some("sites")]),
                       self.some("mailboxes"), self.text(), self.text(),
                       self.text(), self.text(), "0770 %d" % n,
                       rnd.randrange(2)))
        elif op in (11, 12):
            col, value = rnd.choice([
                ("first_name", self.text()), ("job_title", self.text()),
                ("department", self.text()), ("phone", self.text()),
                ("mobile", self.text()), ("mobile_hidden", rnd.randrange(2)),
                ("status", rnd.choice(["active", "leaver", "disabled"])),
                ("org_id", self.some("orgs")), ("site_id", self.some("sites")),
                ("site_id", None), ("mailbox_id", self.some("mailboxes")),
                ("deleted_at", rnd.choice([None, n])),
                ("notes", self.text()), ("last_signin_at", n)])
            c.execute(f"UPDATE OR IGNORE people SET {col} = ? WHERE id = ?",
                      (value, self.some("people")))
        elif op == 13:
            c.execute("DELETE FROM people WHERE id = ?", (self.some("people"),))
        elif op in (14, 15):
            c.execute("INSERT OR IGNORE INTO roles (person_id, org_id, role,"
                      " granted_at) VALUES (?, ?, ?, 1)",
                      (self.some("people"), self.some("orgs"),
                       rnd.choice(["local_admin", "helpdesk"])))
        elif op == 16:
            c.execute("UPDATE OR IGNORE roles SET role = ?, granted_at = ?"
                      " WHERE rowid IN (SELECT rowid FROM roles"
                      " ORDER BY random() LIMIT 1)",
                      (rnd.choice(["local_admin", "helpdesk"]), n))
        else:
            c.execute("DELETE FROM roles WHERE rowid IN"
                      " (SELECT rowid FROM roles ORDER BY random() LIMIT 1)")
        self.n += 8


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cards_follow_every_write_in_any_order(instance, seed):
    conn = db(instance)
    conn.execute("PRAGMA foreign_keys = OFF")
    # The instance's first admin has a card from the start.
    assert held(conn) == oracle(conn) and len(held(conn)) == 1
    w = Writer(conn, random.Random(seed))
    most = 0
    for i in range(600):
        w.step()
        assert held(conn) == oracle(conn), f"after step {i}"
        most = max(most, len(held(conn)))
    # Not a tautology of empty tables: people came and went with cards.
    assert most >= 10


def test_a_card_is_one_row_in_a_transaction_rolled_back(instance):
    conn = db(instance)
    before = held(conn)
    conn.execute("UPDATE people SET job_title = 'Gone' WHERE id ="
                 " (SELECT MIN(id) FROM people)")
    assert held(conn) != before
    conn.rollback()
    assert held(conn) == before == oracle(conn)


def find(client, **params):
    return client.ok("GET", "/people?" + urllib.parse.urlencode(params))


def only(reply):
    assert len(reply["items"]) == 1, reply
    return reply["items"][0]


def test_each_change_shows_in_the_next_search(server, instance, org):
    """Every kind of change a result shows, by the paths that make it:
    the API for a person, their mobile, roles and org; raw SQL for what
    no path edits (a site, a mailbox's address)."""
    admin = global_admin(server, instance)
    user = ready(server, make_person(instance, org, "Una", "Plain"),
                 USER_PASSWORD)
    address = make_person(instance, org, "Kit", "Marlowe")
    assert only(find(user, q="kit marlowe"))["site"] is None
    admin.ok("PATCH", "/users/" + address, {
        "job_title": "Ward Sister", "mobile": "07700 900123",
        "site": "Main Surgery"})
    got = only(find(user, q="kit marlowe"))
    assert (got["job_title"], got["mobile"], got["site"]) == (
        "Ward Sister", "07700 900123",
        {"name": "Main Surgery", "type": "gp_practice"})
    admin.ok("PATCH", "/users/" + address, {"mobile_hidden": True})
    assert only(find(user, q="kit marlowe"))["mobile"] is None
    admin.ok("PATCH", "/orgs/X26001", {"name": "Renamed Practice",
                                       "helpdesk_phone": "0113 000 0000"})
    got = only(find(user, q="kit marlowe"))
    assert got["org"] == {"ods": "X26001", "name": "Renamed Practice"}
    assert got["helpdesk"]["phone"] == "0113 000 0000"
    admin.ok("POST", "/users/%s/roles" % address,
             {"role": "local_admin", "org": "X26001"})
    assert only(find(user, q="kit marlowe"))["admin"] == [
        {"role": "local_admin", "org": "X26001"}]
    admin.ok("DELETE", "/users/%s/roles/local_admin?org=X26001" % address)
    assert only(find(user, q="kit marlowe"))["admin"] == []
    with db(instance) as conn:
        conn.execute("UPDATE sites SET name = 'New Surgery'"
                     " WHERE name = 'Main Surgery'")
        conn.execute("UPDATE mailboxes SET address = 'kit.m@example.nhs.uk'"
                     " WHERE address = ?", (address,))
    got = only(find(user, q="kit marlowe"))
    assert (got["site"]["name"], got["address"]) == (
        "New Surgery", "kit.m@example.nhs.uk")
    # Back as the address registry has it, for the API calls below.
    with db(instance) as conn:
        conn.execute("UPDATE mailboxes SET address = ?"
                     " WHERE address = 'kit.m@example.nhs.uk'", (address,))
    assert only(find(user, q="kit marlowe"))["address"] == address
    admin.ok("POST", "/users/%s/leaver" % address)
    assert only(find(user, q="kit marlowe"))["leaver"] is True
    admin.ok("DELETE", "/users/" + address)
    assert find(user, q="kit marlowe")["items"] == []
    with db(instance) as conn:
        assert held(conn) == oracle(conn)


def steps(conn, statements):
    """SQLite's virtual machine steps (in hundreds) the statements and
    their triggers take, undone after."""
    count = [0]

    def tick():
        count[0] += 1
        return 0
    conn.execute("SAVEPOINT measure")
    conn.set_progress_handler(tick, 100)
    for sql in statements:
        conn.execute(sql)
    conn.set_progress_handler(None, 100)
    conn.execute("ROLLBACK TO measure")
    conn.execute("RELEASE measure")
    return count[0]


def add_people(conn, first, n):
    """n people in org 9000 (made if need be), ids from first."""
    conn.execute("INSERT OR IGNORE INTO orgs (id, ods, name,"
                  " default_quota_mb, created_at, updated_at)"
                  " VALUES (9000, 'P9000', 'Many', 1, 1, 1)")
    conn.executemany(
        "INSERT INTO mailboxes (id, kind, org_id, address, display_name,"
        " quota_mb, created_at, updated_at)"
        " VALUES (?, 'user', 9000, ?, 'x', 1, 1, 1)",
        [(i, "p%d@example.nhs.uk" % i) for i in range(first, first + n)])
    conn.executemany(
        "INSERT INTO people (id, org_id, mailbox_id, first_name, last_name,"
        " display_name, created_at, updated_at)"
        " VALUES (?, 9000, ?, 'F', 'L', 'F L', 1, 1)",
        [(i, i) for i in range(first, first + n)])
    conn.commit()


def test_keeping_a_card_reads_no_more_for_more_people(instance):
    """Each trigger finds the people it remakes by their ids: its cost
    does not grow with the people there are (one that walked every live
    person made an import of 100,000 take ten minutes)."""
    conn = db(instance)
    conn.execute("PRAGMA foreign_keys = OFF")
    add_people(conn, 100000, 2000)
    writes = [w.replace("?", "700001") for w in [
        "INSERT INTO orgs (id, ods, name, default_quota_mb, created_at,"
        " updated_at) VALUES (?, 'N1', 'New', 1, 1, 1)",
        "INSERT INTO sites (id, org_id, name, site_type, created_at)"
        " VALUES (?, ?, 'S', 'pharmacy', 1)",
        "INSERT INTO mailboxes (id, kind, org_id, address, display_name,"
        " quota_mb, created_at, updated_at)"
        " VALUES (?, 'user', ?, 'n@example.nhs.uk', 'n', 1, 1, 1)",
        "UPDATE mailboxes SET address = 'm@example.nhs.uk' WHERE id = ?",
        "INSERT INTO people (id, org_id, site_id, mailbox_id, first_name,"
        " last_name, display_name, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'N', 'M', 'N M', 1, 1)",
        "UPDATE people SET job_title = 'Nurse' WHERE id = ?",
        "UPDATE orgs SET name = 'Renamed' WHERE id = ?",
        "UPDATE sites SET name = 'T' WHERE id = ?",
        "INSERT INTO roles VALUES (?, ?, 'local_admin', 1)",
        "DELETE FROM roles WHERE person_id = ?",
        "DELETE FROM people WHERE id = ?",
        "DELETE FROM sites WHERE id = ?",
        "DELETE FROM mailboxes WHERE id = ?",
        "DELETE FROM orgs WHERE id = ?",
    ]]

    def life():
        """Each write's steps, each made after the ones before it, as a
        person's life goes; all undone after."""
        conn.execute("SAVEPOINT life")
        out = []
        for w in writes:
            out.append(steps(conn, [w]))
            conn.execute(w)
        conn.execute("ROLLBACK TO life")
        conn.execute("RELEASE life")
        return out
    few = life()
    add_people(conn, 200000, 8000)
    many = life()
    for sql, a, b in zip(writes, few, many):
        assert b <= a * 1.5 + 2, (sql, a, b)
