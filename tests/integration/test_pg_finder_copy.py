"""People Finder on each node over PostgreSQL (issue 14 item 5, bench B5;
docs/postgresql.md "People Finder on each node"): a node answers searches
from its own SQLite copy of the directory, made whole at its first start
and kept current from the database's People Finder feed (migration 36).
Every change committed before a search began shows in it, whichever
process made it: here `caremail user edit` and friends, separate
processes that write to the database alone. The copy resumes after a
restart, is made again when it cannot follow, and each of two nodes
started from one instance directory keeps its own. /metrics tells which
answered (answered_by="copy"), so a search that fell back to the
database cannot pass for one the copy answered."""

import contextlib
import time

import psycopg2
import pytest

from apiclient import global_admin, q
from conftest import Server
from test_metrics import parse, scrape, value
from test_postgresql import pg_instance, psql  # noqa: F401


def metric(server, name, **labels):
    status, _, text = scrape(server)
    assert status == 200
    samples, _ = parse(text)
    try:
        return value(samples, name, **labels)
    except KeyError:
        return 0.0


def wait_ready(server, deadline_s=30):
    """Until the node's copy answers searches (made in its own thread)."""
    until = time.monotonic() + deadline_s
    while metric(server, "caremail_people_finder_copy_ready") != 1:
        assert time.monotonic() < until, server.logs()[-2000:]
        time.sleep(0.05)


@contextlib.contextmanager
def serving(inst, log, extra=(), copy_ready=True):
    """A node, stopped afterwards; with copy_ready, only once its copy
    answers searches."""
    server = Server(inst, False, log, extra)
    try:
        server.wait_ready()
        if copy_ready:
            wait_ready(server)
        yield server
    finally:
        server.stop()


class Counted:
    """Searches through the API, each checked to be the copy's answer."""

    def __init__(self, server, inst, client=None):
        self.server = server
        self.client = client or global_admin(server, inst)

    def people(self, query):
        return self.each([query])[0]

    def each(self, queries):
        """Each query's items; the copy's counter read before and after
        all of them, as one scrape costs as much as a search."""
        self.client.server = self.server
        before = metric(self.server, "caremail_people_finder_searches_total",
                        answered_by="copy")
        replies = [self.client.ok("GET", "/people?" + query)["items"]
                   for query in queries]
        after = metric(self.server, "caremail_people_finder_searches_total",
                       answered_by="copy")
        assert after == before + len(queries), \
            "the database answered, not the copy"
        return replies


def names(items):
    return sorted(f"{p['first_name']} {p['last_name']}" for p in items)


@pytest.fixture
def directory(pg_instance):
    inst = pg_instance
    inst.setup("org", "add", "--ods", "FC001", "--name", "Fern Clinic")
    inst.setup("org", "add", "--ods", "FC002", "--name", "Oak Surgery")
    inst.setup("site", "add", "--org", "FC001", "--name", "Shop", "--type",
               "pharmacy")
    for first, last, org in (("Ann", "Fernley", "FC001"),
                             ("Bob", "Fernley", "FC001"),
                             ("Cy", "Oakes", "FC002")):
        inst.setup("user", "add", "--org", org, "--first", first, "--last",
                   last)
    return inst


def address_of(inst, first):
    listing = inst.run("user", "list").stdout
    return next(line.split()[0] for line in listing.splitlines()
                if f" {first} " in f" {line} " and "@" in line)


def test_every_change_committed_before_a_search_shows_in_it(directory,
                                                            tmp_path):
    inst = directory
    with serving(inst, tmp_path / "serve.log") as server:
        s = Counted(server, inst)
        assert names(s.people("q=fernley")) == ["Ann Fernley",
                                                "Bob Fernley"]
        ann = address_of(inst, "Ann")
        bob = address_of(inst, "Bob")
        # Each change by another process, then at once a search: no wait.
        inst.run("user", "edit", ann, "--last", "Greenway", "--job-title",
                 "Pharmacist", "--site", "Shop")
        assert names(s.people("q=fernley")) == ["Bob Fernley"]
        assert names(s.people("q=greenway")) == ["Ann Greenway"]
        assert names(s.people("job_title=pharmacist")) == ["Ann Greenway"]
        assert names(s.people("site_type=pharmacy")) == ["Ann Greenway"]
        inst.run("role", "add", bob, "--org", "FC001", "--role",
                 "local_admin")
        [found] = s.people("q=bob")
        assert found["admin"] == [{"role": "local_admin", "org": "FC001"}]
        inst.run("org", "edit", "FC001", "--name", "Willow Clinic",
                 "--helpdesk-phone", "0101 555 0000")
        [found] = s.people("q=bob")
        assert found["org"]["name"] == "Willow Clinic"
        assert found["helpdesk"]["phone"] == "0101 555 0000"
        assert names(s.people("org=willow")) == ["Ann Greenway",
                                                 "Bob Fernley"]
        inst.run("role", "remove", bob, "--org", "FC001", "--role",
                 "local_admin")
        inst.run("user", "delete", bob)
        assert s.people("q=bob") == []
        # A person made after the copy, found by name and address.
        inst.run("user", "add", "--org", "FC002", "--first", "Dee",
                 "--last", "Oakes")
        assert names(s.people("q=oakes")) == ["Cy Oakes", "Dee Oakes"]
        dee = address_of(inst, "Dee")
        assert names(s.people("q=" + q(dee))) == ["Dee Oakes"]
        # A sign-in's time is not a People Finder change: no note.
        notes = int(psql(inst.url, "SELECT COUNT(*) FROM finder_log"))
        psql(inst.url, "UPDATE people SET last_signin_at = 1")
        assert int(psql(inst.url, "SELECT COUNT(*) FROM finder_log")) == \
            notes
        assert metric(server, "caremail_people_finder_copy_makes_total") == 1


def test_a_bulk_import_is_followed_in_several_batches(directory, tmp_path):
    """1,500 people by `caremail import users`: some 4,500 notes (the
    people, their mailboxes, their keys), more than one batch of the
    copy's (4,096), all in the next search."""
    inst = directory
    with serving(inst, tmp_path / "serve.log") as server:
        s = Counted(server, inst)
        applied = metric(server, "caremail_people_finder_copy_notes_total")
        rows = ["external_id,first_name,last_name,job_title"] + [
            f"HR{i:05d},Person{i:05d},Bulkley,Porter" for i in range(1500)]
        path = tmp_path / "people.csv"
        path.write_text("\n".join(rows) + "\n")
        inst.run("import", "users", str(path), "--org", "FC002")
        found = s.people("q=bulkley&limit=100")
        assert len(found) == 100
        assert found[0]["first_name"] == "Person00000"
        # The last page of the name order, reached by one search.
        [last] = s.people("q=person01499")
        assert last["job_title"] == "Porter"
        assert metric(server, "caremail_people_finder_copy_notes_total") - \
            applied > 4096


def test_copy_resumes_after_restart_and_is_made_again_when_it_cannot_follow(
        directory, tmp_path):
    inst = directory
    with serving(inst, tmp_path / "one.log"):
        pass    # the copy made, and kept when the node stops
    assert (inst.dir / "people-finder.db").exists()
    # A change while the node is down is followed when it is back.
    cy = address_of(inst, "Cy")
    inst.run("user", "edit", cy, "--first", "Cyril")
    with serving(inst, tmp_path / "two.log") as server:
        s = Counted(server, inst)
        assert names(s.people("q=oakes")) == ["Cyril Oakes"]
        assert metric(server, "caremail_people_finder_copy_makes_total") == 0
        # Notes pruned past the copy's newest: it cannot follow, so it is
        # made again, and searches go to the database meanwhile.
        psql(inst.url, "UPDATE finder_log_floor SET below ="
             " (SELECT max(id) FROM finder_log) + 1000")
        inst.run("user", "edit", cy, "--first", "Cyrus")
        reply = s.client.ok("GET", "/people?q=oakes")
        assert names(reply["items"]) == ["Cyrus Oakes"]
        until = time.monotonic() + 30
        while metric(server, "caremail_people_finder_copy_makes_total") < 1:
            assert time.monotonic() < until, server.logs()[-2000:]
            time.sleep(0.05)
        wait_ready(server)
        assert names(s.people("q=oakes")) == ["Cyrus Oakes"]
        assert "finder.copy_stale" in server.logs()
        assert "reason=notes_pruned" in server.logs()
    # A copy kept of another database (here: its stamp changed while the
    # node was down) never answers: it is made again before it does.
    psql(inst.url, "UPDATE finder_log_floor SET stamp = 'another'")
    inst.run("user", "edit", cy, "--first", "Cyan")
    with serving(inst, tmp_path / "three.log", copy_ready=False) as server:
        c = s.client   # the session is in the database
        c.server = server
        assert names(c.ok("GET", "/people?q=oakes")["items"]) == [
            "Cyan Oakes"]
        wait_ready(server)
        assert metric(server, "caremail_people_finder_copy_makes_total") == 1
        assert "reason=another_database" in server.logs()
        assert names(Counted(server, inst, c).people("q=oakes")) == [
            "Cyan Oakes"]


def test_two_nodes_from_one_directory_each_keep_a_copy(directory, tmp_path):
    inst = directory
    with serving(inst, tmp_path / "a.log") as a, \
            serving(inst, tmp_path / "b.log") as b:
        assert (inst.dir / "people-finder.db").exists()
        assert (inst.dir / "people-finder-2.db").exists()
        sa = Counted(a, inst)
        sb = Counted(b, inst, sa.client)   # one portal session, two nodes
        assert names(sb.people("q=fernley")) == ["Ann Fernley",
                                                 "Bob Fernley"]
        # A change made through node A's API is in node B's next search.
        ann = address_of(inst, "Ann")
        sa.client.server = a
        sa.client.ok("PATCH", "/users/" + q(ann), {"last_name": "Birch"})
        assert names(sb.people("q=birch")) == ["Ann Birch"]
        assert names(sa.people("q=birch")) == ["Ann Birch"]


def test_copy_off_asks_the_database(directory, tmp_path):
    inst = directory
    with serving(inst, tmp_path / "serve.log", ["store.finder_copy=off"],
                 copy_ready=False) as server:
        c = global_admin(server, inst)
        assert names(c.ok("GET", "/people?q=fernley")["items"]) == [
            "Ann Fernley", "Bob Fernley"]
        assert metric(server, "caremail_people_finder_searches_total",
                      answered_by="copy") == 0
        assert not (inst.dir / "people-finder.db").exists()


def test_the_copy_answers_as_the_database_after_any_changes(directory,
                                                             tmp_path):
    """The property, not a list of cases: after each change of a seeded
    random run (names, job titles, sites, roles, an org's name, people
    made and deleted, by other processes; and by SQL, a site renamed or
    retyped, two orgs' ODS codes swapped in one transaction, a mailbox's
    address changed), every search of a fixed set gets the same answer
    from a node's copy as from a node that asks the database
    (store.finder_copy=off). The copy's cards are kept by triggers as its
    rows are put in: each kind of row a card shows is changed here."""
    import random
    import re
    inst = directory
    rng = random.Random(1405)
    words = ["Ash", "Birch", "Cedar", "Fernley", "Oakes"]
    titles = ["Porter", "Nurse", "Pharmacist"]
    queries = [f"q={w.lower()}" for w in words] + [
        f"job_title={t.lower()}" for t in titles] + [
        "site_type=pharmacy", "org=FC001", "org=clinic", "q=a"]
    unlimited = ["ratelimit.search_per_person=1000000"]
    with serving(inst, tmp_path / "copy.log", unlimited) as copy, \
            serving(inst, tmp_path / "db.log",
                    unlimited + ["store.finder_copy=off"],
                    copy_ready=False) as db:
        by_copy = Counted(copy, inst)
        by_db = by_copy.client

        def same_answers(step):
            by_db.server = db
            want = [by_db.ok("GET", "/people?" + query)["items"]
                    for query in queries]
            for query, got, wanted in zip(queries, by_copy.each(queries),
                                          want):
                assert got == wanted, (step, query)

        people = [address_of(inst, first) for first in ("Ann", "Bob", "Cy")]
        roles = {}   # who holds local_admin, and the ODS it is held at
        site, site_org = "Shop", "FC001"   # the site, and its org's ODS
        same_answers("start")
        for step in range(60):
            kind = rng.choice(["last", "job", "site", "role", "org", "add",
                               "delete", "sitesql", "swap", "address"])
            if kind == "add" or not people:
                first = f"New{step:02d}"
                inst.run("user", "add", "--org", rng.choice(
                    ["FC001", "FC002"]), "--first", first, "--last",
                    rng.choice(words))
                people.append(address_of(inst, first))
            elif kind == "last":
                inst.run("user", "edit", rng.choice(people), "--last",
                         rng.choice(words))
            elif kind == "job":
                inst.run("user", "edit", rng.choice(people), "--job-title",
                         rng.choice(titles))
            elif kind == "site":
                who = rng.choice(people)
                shown = inst.run("user", "show", who).stdout
                if re.search(r"org:\n  ods: (\S+)", shown)[1] == site_org:
                    inst.run("user", "edit", who, "--site",
                             rng.choice([site, ""]))
            elif kind == "sitesql":
                renamed = "Corner Shop" if site == "Shop" else "Shop"
                psql(inst.url, f"UPDATE sites SET name = '{renamed}',"
                     f" site_type = '{rng.choice(['pharmacy', 'clinic'])}'"
                     f" WHERE name = '{site}'")
                site = renamed
            elif kind == "swap":
                psql(inst.url, "BEGIN; UPDATE orgs SET ods = 'FC999'"
                     " WHERE ods = 'FC001'; UPDATE orgs SET ods = 'FC001'"
                     " WHERE ods = 'FC002'; UPDATE orgs SET ods = 'FC002'"
                     " WHERE ods = 'FC999'; COMMIT")
                other = {"FC001": "FC002", "FC002": "FC001"}
                site_org = other[site_org]
                roles = {who: other[ods] for who, ods in roles.items()}
            elif kind == "address":
                # Left alone afterwards: the commands find people by it.
                who = rng.choice(people)
                psql(inst.url, f"UPDATE mailboxes SET address ="
                     f" 'moved{step}.' || address WHERE address = '{who}'")
                people.remove(who)
                roles.pop(who, None)
            elif kind == "role":
                who = rng.choice(people)
                if who in roles:
                    inst.run("role", "remove", who, "--org", roles.pop(who),
                             "--role", "local_admin")
                else:
                    inst.run("role", "add", who, "--org", "FC002", "--role",
                             "local_admin")
                    roles[who] = "FC002"
            elif kind == "org":
                inst.run("org", "edit", "FC001", "--name",
                         rng.choice(words) + " Clinic")
            else:
                who = rng.choice(people)
                if who in roles:
                    inst.run("role", "remove", who, "--org", roles.pop(who),
                             "--role", "local_admin")
                inst.run("user", "delete", who)
                people.remove(who)
            same_answers((step, kind))


def test_a_record_reads_from_the_copy_as_from_the_database(directory,
                                                           tmp_path):
    """Bench B9's reads (docs/postgresql.md, "People Finder on each
    node"): a person's record comes from the node's copy, with what it
    has heard of sign-ins. The property: after each change of a seeded
    random run (roles, a shared mailbox's owners, members and grants, a
    list's members and owners, either deleted, names, people deleted,
    sign-ins through either node or written by another process), every
    person's GET /users/{address} answers the same through a node that
    reads its copy as through one that asks the database; and /metrics
    says the copy answered."""
    import random
    from apiclient import Client, make_person, USER_PASSWORD
    inst = directory
    rng = random.Random(1414)
    people = [address_of(inst, first) for first in ("Ann", "Bob", "Cy")]
    signer = make_person(inst, "FC001", "Sig", "Nell")
    people.append(signer)
    shared = [inst.run("shared", "add", "--org", "FC001", "--name",
                       f"Desk {i}").stdout.split()[-1] for i in range(2)]
    lists = [inst.run("list", "add", "--org", "FC002", "--name",
                      f"Team {i}").stdout.split()[-1] for i in range(2)]
    held = set()
    unlimited = ["ratelimit.search_per_person=1000000"]
    with serving(inst, tmp_path / "copy.log", unlimited) as copy, \
            serving(inst, tmp_path / "db.log",
                    unlimited + ["store.finder_copy=off"],
                    copy_ready=False) as db:
        # Records come from the copy once it is sure of every sign-in.
        until = time.monotonic() + 30
        while "finder.signins_caught_up" not in copy.logs():
            assert time.monotonic() < until, copy.logs()[-2000:]
            time.sleep(0.05)
        by_copy = by_db = global_admin(copy, inst)
        # Reads through the copy's node: all, and those after another
        # process's sign-in (which may go to the database until heard).
        reads = {"all": 0, "settling": 0}

        def read(client, server, who, settle=False):
            client.server = server
            if server is copy:
                reads["all"] += 1
                reads["settling"] += settle
            return client.call("GET", "/users/" + q(who))

        def same(step, settle=False):
            for who in people:
                want = read(by_db, db, who)
                got = read(by_copy, copy, who, settle)
                until = time.monotonic() + 5
                # Another process's sign-in is heard a moment later.
                while settle and got != want and time.monotonic() < until:
                    time.sleep(0.02)
                    got = read(by_copy, copy, who, settle)
                assert got == want, (step, who)

        before = metric(copy, "caremail_person_records_total",
                        answered_by="copy")
        same("start")
        for step in range(30):
            kind = rng.choice(["role", "owner", "member", "grant",
                               "list_member", "list_owner", "last",
                               "same", "signin", "signin_here",
                               "signin_there", "drop"])
            who = rng.choice(people)
            settle = False
            if kind == "role":
                verb = "remove" if ("role", who) in held else "add"
                inst.run("role", verb, who, "--org", "FC002", "--role",
                         "local_admin")
                held ^= {("role", who)}
            elif kind in ("owner", "member") and shared:
                box = rng.choice(shared)
                verb = "remove" if (kind, box, who) in held else "add"
                inst.run("shared", kind + "s", verb, box, who)
                held ^= {(kind, box, who)}
            elif kind == "grant" and shared:
                box = rng.choice(shared)
                right = rng.choice(["full_access", "send_as"])
                verb = "remove" if (right, box, who) in held else "add"
                inst.run("grant", verb, box, who, "--right", right)
                held ^= {(right, box, who)}
            elif kind in ("list_member", "list_owner") and lists:
                lst = rng.choice(lists)
                verb = "remove" if (kind, lst, who) in held else "add"
                inst.run("list", kind.split("_")[1] + "s", verb, lst, who)
                held ^= {(kind, lst, who)}
            elif kind == "last":
                inst.run("user", "edit", who, "--last",
                         rng.choice(["Ash", "Birch", "Cedar"]))
            elif kind == "same":
                # Nothing changed but the time of the change.
                time.sleep(1.05)
                inst.run("user", "edit", who, "--department", "")
            elif kind == "signin":
                psql(inst.url, "UPDATE people SET last_signin_at ="
                     f" {1800000000 + step} WHERE id = (SELECT holder_id"
                     f" FROM addresses WHERE address = '{who}')")
                settle = True
            elif kind in ("signin_here", "signin_there"):
                node = copy if kind == "signin_here" else db
                status, _ = Client(node).signin(signer, USER_PASSWORD)
                assert status == 201
                settle = kind == "signin_there"
            elif kind == "drop" and step > 20:
                if shared:
                    inst.run("shared", "delete", shared.pop())
                if lists:
                    inst.run("list", "delete", lists.pop())
            same((step, kind, who), settle)
        inst.run("user", "delete", people[1])
        same("deleted")
        answered = metric(copy, "caremail_person_records_total",
                          answered_by="copy") - before
        # A read while the listener takes in what a command's commit
        # announced goes to the database: rare, but not never.
        assert 0.75 * (reads["all"] - reads["settling"]) <= answered \
            <= reads["all"]


def wait_logged(server, event, deadline_s=30):
    """Until the node's log has a line of event."""
    until = time.monotonic() + deadline_s
    while event not in server.logs():
        assert time.monotonic() < until, server.logs()[-2000:]
        time.sleep(0.05)


def never_signed_in(server, inst, first):
    """Once the node's copy has caught up its sign-ins: the address of
    the person called first, the API path of their record, which shows
    no sign-in yet, and an admin client."""
    address = address_of(inst, first)
    path = "/users/" + q(address)
    wait_logged(server, "finder.signins_caught_up")
    admin = global_admin(server, inst)
    assert admin.ok("GET", path)["last_signin_at"] is None
    return address, path, admin


def signed_in_now(inst, address, announced=True):
    """A sign-in of address a second ago, written straight into the
    database (announced to the nodes' listeners, as caremail's own are,
    unless announced is False): its time."""
    quiet = "" if announced else "SET caremail.loading = 'on'; "
    return int(psql(inst.url, quiet + "UPDATE people SET last_signin_at ="
                    " EXTRACT(EPOCH FROM now())::bigint - 1 WHERE id ="
                    " (SELECT holder_id FROM addresses WHERE"
                    f" address = '{address}') RETURNING last_signin_at"))


def wait_record_shows_signin(server, admin, path, at):
    """Every read of the record at path shows the sign-in at `at`, until
    one is the copy's (a read while the listener takes in an
    announcement, or before the copy has caught up, goes to the
    database)."""
    shown = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    until = time.monotonic() + 10
    while True:
        before = metric(server, "caremail_person_records_total",
                        answered_by="copy")
        assert admin.ok("GET", path)["last_signin_at"] == shown
        if metric(server, "caremail_person_records_total",
                  answered_by="copy") > before:
            return
        assert time.monotonic() < until, server.logs()[-2000:]
        time.sleep(0.05)


def test_a_copy_resumed_reads_back_the_sign_ins_made_while_it_was_off(
        directory, tmp_path):
    """A node stopped hears no sign-in. Started again, it keeps its copy
    (not made again) and, before the copy answers a record, reads back
    every sign-in since the time the copy was sure to (kept in the copy's
    file); so one made while the node was off shows, from the copy."""
    inst = directory
    with serving(inst, tmp_path / "first.log") as server:
        ann, path, admin = never_signed_in(server, inst, "Ann")
    at = signed_in_now(inst, ann)
    with serving(inst, tmp_path / "again.log") as server:
        assert metric(server, "caremail_people_finder_copy_makes_total") == 0
        wait_logged(server, "finder.signins_caught_up")
        admin.server = server
        wait_record_shows_signin(server, admin, path, at)


@contextlib.contextmanager
def table_held(url, table):
    """A connection of its own holding table's ACCESS EXCLUSIVE lock until
    the block ends: a reader of it waits (no longer than the node's
    lock_timeout, store.busy_timeout_ms), with what it read before."""
    holder = psycopg2.connect(url)
    try:
        with holder.cursor() as cur:   # in a transaction until commit
            cur.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        holder.commit()
        holder.close()


def test_a_copy_made_again_catches_up_the_sign_ins_its_snapshot_missed(
        directory, tmp_path):
    """A copy is made from one snapshot of the database. A sign-in
    committed after that snapshot, and never announced (here an outside
    writer with announcements off), is not in the new copy; the copy
    reads back every sign-in since before its snapshot once it is in
    place, before it answers a record, so the sign-in shows from it. The
    make is held after its snapshot, deterministically, by a lock on the
    last table it reads (grants)."""
    inst = directory
    with serving(inst, tmp_path / "serve.log") as server:
        ann, path, admin = never_signed_in(server, inst, "Ann")
        with table_held(inst.url, "grants"):
            # Notes pruned past the copy: made again within a second.
            psql(inst.url, "UPDATE finder_log_floor SET below ="
                 " (SELECT max(id) FROM finder_log) + 1000")
            until = time.monotonic() + 4
            while psql(inst.url, "SELECT count(*) FROM pg_locks WHERE"
                       " relation = 'grants'::regclass AND NOT granted") \
                    == "0":
                assert time.monotonic() < until, server.logs()[-2000:]
                time.sleep(0.02)
            at = signed_in_now(inst, ann, announced=False)
        until = time.monotonic() + 30
        while metric(server, "caremail_people_finder_copy_makes_total") < 1:
            assert time.monotonic() < until, server.logs()[-2000:]
            time.sleep(0.05)
        wait_ready(server)
        wait_record_shows_signin(server, admin, path, at)
        assert server.logs().count("finder.signins_caught_up") >= 2
