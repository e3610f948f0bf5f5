"""Sessions remembered by each node over PostgreSQL (issue 14, bench B5 on
PostgreSQL: a session's round trip was a third of a People Finder
search's CPU; store.session_cache_s, src/store/store_session_cache.h).
A `caremail serve` node answers a signed-in request from the session it
read before, and forgets it when the database announces a change to the
session, its person or their roles (migration 39's triggers, on the
directory channel). The promise tested: the node that made a change
honours it on the very next request; the other node within a second
(polled every 0.05 s for up to 2 s, room for a loaded machine). The
memory is used (the last test counts the session reads the database
logs), so each test fails if a node went on answering from it after the
change. Also: nothing remembered is used while a node's listener is
away, `store.session_cache_s=0` asks the database every time, and
nothing is kept longer than the age set, announced or not. Both nodes
are started from one instance directory, as in test_two_nodes.py."""

import contextlib
import time

import pytest

from apiclient import Client, global_admin, q, totp
from conftest import PASSWORD
from test_pg_finder_copy import metric, wait_ready as wait_copy_ready
from test_postgresql import cluster_dir, pg_instance, psql  # noqa: F401
from test_two_nodes import node, two  # noqa: F401

DEADLINE_S = 2.0
POLL_S = 0.05
# The one statement that reads a session (store_session.c SESSION_FIND).
SESSION_READ = "FROM sessions se JOIN people p ON p.id = se.person_id"
NO_CACHE = ("store.session_cache_s=0",)


@contextlib.contextmanager
def nodes(inst, tmp_path, b_extra=()):
    """Nodes A and B over the instance's database, stopped afterwards."""
    a = node(inst, tmp_path, "a")
    try:
        b = node(inst, tmp_path, "b", b_extra)
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


def signed_in(server, address):
    """A person's API client, signed in through server with PASSWORD."""
    c = Client(server)
    status, body = c.signin(address, PASSWORD)
    assert status == 201, body
    assert not body["mfa_setup_required"], body
    assert not body["must_change_password"], body
    return c


def get(client, server, path="/me"):
    """The status of a GET with client's session, through server."""
    client.server = server
    return client.call("GET", path)[0]


def eventually(probe):
    """Whether probe() came true within DEADLINE_S, asked every POLL_S."""
    end = time.monotonic() + DEADLINE_S
    while not probe():
        if time.monotonic() >= end:
            return False
        time.sleep(POLL_S)
    return True


def remembered(client, server, path="/me", status=200):
    """Requests the node reads client's session for, then answers from
    memory (the first may come before its listener has connected, and
    is then not kept)."""
    for _ in range(3):
        assert get(client, server, path) == status, client.last_text


def sign_out_through(client, server):
    """Signs client out through server, keeping the cookie to replay."""
    cookie = client.cookie
    client.server = server
    assert client.call("DELETE", "/session")[0] == 200, client.last_text
    client.cookie = cookie


def test_a_sign_out_through_one_node_ends_the_session_on_the_other(
        two, tmp_path):
    inst = two
    with nodes(inst, tmp_path) as (a, b):
        ann = signed_in(a, inst.ann)
        remembered(ann, a)
        remembered(ann, b)
        sign_out_through(ann, a)
        # A forgot it with its own commit; B hears it from the database.
        assert get(ann, a) == 401
        assert eventually(lambda: get(ann, b) == 401), ann.last_text


def test_an_idle_node_hears_a_sign_out_within_a_second(two, tmp_path):
    """B's listener hears another node's commit with no request at all:
    left alone for the promised second, B refuses the very first
    request. (B keeps no People Finder copy here, so nothing else of B
    talks to the database meanwhile.)"""
    inst = two
    with nodes(inst, tmp_path, ("store.finder_copy=off",)) as (a, b):
        ann = signed_in(a, inst.ann)
        remembered(ann, b)
        sign_out_through(ann, a)
        time.sleep(1)
        assert get(ann, b) == 401, ann.last_text


# Disabling ends the person's sessions (401); a session found with its
# person disabled would be refused too (403). A reset ends them as well.
@pytest.mark.parametrize("action, refused", [("disable", (401, 403)),
                                             ("reset-password", (401,))])
def test_an_account_changed_through_one_node_is_refused_on_both(
        two, tmp_path, action, refused):
    inst = two
    with nodes(inst, tmp_path) as (a, b):
        ga = global_admin(a, inst)
        ann = signed_in(a, inst.ann)
        remembered(ann, a)
        remembered(ann, b)
        ga.ok("POST", f"/users/{q(inst.ann)}/{action}")
        assert get(ann, a) in refused
        assert eventually(lambda: get(ann, b) in refused), ann.last_text
        # Bob, whom nothing changed, goes on through both.
        bob = signed_in(b, inst.bob)
        assert get(bob, b) == 200 and get(bob, a) == 200


def test_roles_and_mfa_changed_through_one_node_show_on_the_other(
        two, tmp_path):
    """Whether the person holds a role is part of what is remembered, and
    so is their enrolment: an admin without two-factor sign-in may only
    set it up (403 mfa_setup_required). A role given and taken away (the
    roles table's trigger) and the enrolment (a change to the person's
    row alone, the session untouched) each show on both nodes."""
    inst = two
    with nodes(inst, tmp_path) as (a, b):
        ga = global_admin(a, inst)
        ann = signed_in(a, inst.ann)
        remembered(ann, a)
        remembered(ann, b)
        roles = f"/users/{q(inst.ann)}/roles"
        local_admin = {"role": "local_admin", "org": "TN001"}

        def gated(server):
            return get(ann, server) == 403 and \
                b"mfa_setup_required" in ann.last_text
        ga.ok("POST", roles, local_admin, status=201)
        assert gated(a), ann.last_text
        assert eventually(lambda: gated(b)), ann.last_text
        ga.ok("DELETE", roles + "/local_admin?org=TN001")
        assert get(ann, a) == 200, ann.last_text
        assert eventually(lambda: get(ann, b) == 200), ann.last_text
        ga.ok("POST", roles, local_admin, status=201)
        assert gated(a), ann.last_text
        assert eventually(lambda: gated(b)), ann.last_text
        # Set up on A (what an admin without it may do).
        ann.server = a
        secret = ann.ok("POST", "/me/mfa")["secret"]
        ann.ok("POST", "/me/mfa/verify", {"code": totp(secret)})
        assert get(ann, a) == 200, ann.last_text
        assert eventually(lambda: get(ann, b) == 200), ann.last_text
        me = ann.ok("GET", "/me")
        assert me["mfa_enrolled"] is True
        assert me["roles"] == [local_admin]


def test_a_person_added_through_one_node_is_found_through_the_other(
        two, tmp_path):
    """The searcher's session is remembered on both nodes before the
    add: the node knows how current its People Finder copy must be from
    the feed's newest note, announced on the same channel, not from a
    read of the session."""
    inst = two
    with nodes(inst, tmp_path) as (a, b):
        for n in (a, b):
            wait_copy_ready(n)
        ga = global_admin(a, inst)
        ann = signed_in(a, inst.ann)
        search = "/people?q=zed%20newcomer"

        def found(server):
            ann.server = server
            return [p["address"] for p in ann.ok("GET", search)["items"]]
        for n in (a, b, a, b, a, b):
            assert found(n) == []
        before = metric(b, "caremail_people_finder_searches_total",
                        answered_by="copy")
        made = ga.ok("POST", "/users", {"org": "TN001", "first_name": "Zed",
                                        "last_name": "Newcomer"},
                     status=201)["address"]
        assert found(a) == [made]
        assert eventually(lambda: found(b) == [made])
        # B's copy answered: a search the database answered is always
        # current, and would prove nothing here.
        assert metric(b, "caremail_people_finder_searches_total",
                      answered_by="copy") > before


def wait_logged(server, event, deadline_s=10):
    """Until the node's log has a line of event."""
    end = time.monotonic() + deadline_s
    while event not in server.logs():
        assert time.monotonic() < end, server.logs()[-2000:]
        time.sleep(POLL_S)


@contextlib.contextmanager
def listener_away(inst, server):
    """Every node's listening connection (named caremail-listener in
    pg_stat_activity) cut, and kept away for the block while the database
    lets nobody sign in; server listening again after it. The pool
    connections stay, and serve."""
    role = inst.url.split("//", 1)[1].split("@", 1)[0]
    psql(inst.url, f"ALTER ROLE {role} NOLOGIN")
    try:
        psql(inst.url, "SELECT pg_terminate_backend(pid) FROM"
             " pg_stat_activity WHERE application_name ="
             " 'caremail-listener'")
        wait_logged(server, "store.listen_lost")
        yield
    finally:
        psql(inst.url, f"ALTER ROLE {role} LOGIN")
    wait_logged(server, "store.listen_resumed")


def test_a_node_whose_listener_is_away_remembers_nothing(two, tmp_path):
    """Nothing remembered is used while B's listener is away (what is
    committed meanwhile goes unheard), and it listens again afterwards
    (listener_away, as in test_two_nodes.py's resync test)."""
    inst = two
    with nodes(inst, tmp_path) as (a, b):
        ann = signed_in(a, inst.ann)
        remembered(ann, a)
        remembered(ann, b)
        with listener_away(inst, b):
            # Read while away: none of it may be kept, nor answered from.
            remembered(ann, b)
            sign_out_through(ann, a)
            # At once on B too: it has nothing to hear the sign-out with.
            assert get(ann, b) == 401, ann.last_text
            assert get(ann, a) == 401
        # Listening again, B remembers afresh and hears A's sign-outs.
        bob = signed_in(a, inst.bob)
        remembered(bob, b)
        sign_out_through(bob, a)
        assert eventually(lambda: get(bob, b) == 401), bob.last_text


def delete_unannounced(url, address):
    """Ends a person's sessions in the database with no announcement (in
    replica mode no ordinary trigger fires): only a node that asks the
    database, or has forgotten, sees it."""
    psql(url, "SET session_replication_role = replica")
    try:
        psql(url, "DELETE FROM sessions WHERE person_id = (SELECT p.id"
             " FROM people p JOIN mailboxes m ON m.id = p.mailbox_id"
             f" WHERE m.address = '{address}')")
    finally:
        psql(url, "RESET session_replication_role")


def test_without_the_memory_every_request_asks_the_database(two,
                                                            tmp_path):
    inst = two
    with nodes(inst, tmp_path, NO_CACHE) as (a, b):
        ann = signed_in(a, inst.ann)
        remembered(ann, b)
        sign_out_through(ann, a)
        # B reads every session from the database: no wait at all, even
        # for a change it could never hear of.
        assert get(ann, b) == 401
        assert get(ann, a) == 401
        bob = signed_in(a, inst.bob)
        remembered(bob, b)
        delete_unannounced(inst.url, inst.bob)
        assert get(bob, b) == 401


def test_a_session_is_remembered_no_longer_than_the_age_set(two, tmp_path):
    """store.session_cache_s bounds what a node answers from memory even
    when nothing is heard: here a change nobody announced, seen by a
    node remembering sessions for 1 s within the deadline."""
    inst = two
    server = node(inst, tmp_path, "aged", ("store.session_cache_s=1",))
    try:
        ann = signed_in(server, inst.ann)
        remembered(ann, server)
        delete_unannounced(inst.url, inst.ann)
        assert eventually(lambda: get(ann, server) == 401), ann.last_text
    finally:
        server.stop()


def test_a_write_never_uses_a_remembered_session(two, tmp_path):
    """Only requests that change nothing are answered from memory. With
    the session ended in a way nobody announces, the node still answers
    a read from memory (so the memory is in use), and refuses a write
    at once: a write reads its session from the database."""
    inst = two
    server = node(inst, tmp_path, "writes")
    try:
        ann = signed_in(server, inst.ann)
        remembered(ann, server)
        delete_unannounced(inst.url, inst.ann)
        assert get(ann, server) == 200, ann.last_text
        assert ann.call("DELETE", "/session")[0] == 401, ann.last_text
    finally:
        server.stop()


def session_reads(log, since):
    """The session reads the database logged after offset since."""
    with open(log, "rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    return sum(SESSION_READ in line for line in text.splitlines())


@pytest.mark.parametrize("extra, most, least", [
    ((), 10, 0),          # remembered: hardly a read
    (NO_CACHE, None, 50),  # as before: one a request
], ids=["remembered", "session_cache_s=0"])
def test_the_memory_saves_the_session_reads(two, tmp_path, cluster, extra,
                                            most, least):
    """Counted in the database's own statement log rather than
    pg_stat_database, whose counters an idle backend may report up to
    10 s late (PostgreSQL 15's PGSTAT_IDLE_INTERVAL)."""
    inst = two
    database = inst.url.rsplit("/", 1)[1]
    # Every statement of the node's connections (made after this).
    psql(inst.url, f"ALTER DATABASE {database} SET log_statement = 'all'")
    log = f"{cluster_dir(cluster)}/server.log"
    server = node(inst, tmp_path, "counted", extra)
    try:
        ann = signed_in(server, inst.ann)
        remembered(ann, server)
        with open(log, "rb") as f:
            since = f.seek(0, 2)
        before = {by: metric(server, "caremail_session_reads_total",
                             answered_by=by) for by in ("memory", "database")}
        for _ in range(50):
            assert get(ann, server) == 200, ann.last_text
        reads = session_reads(log, since)
        # /metrics says the same: each request counted once, by what
        # answered it (none at all with the memory off).
        counted = {by: metric(server, "caremail_session_reads_total",
                              answered_by=by) - before[by]
                   for by in ("memory", "database")}
    finally:
        server.stop()
        psql(inst.url, f"ALTER DATABASE {database} RESET log_statement")
    # The count is right only if reads are logged at all.
    assert session_reads(log, 0) > 0
    if most is not None:
        assert reads < most, reads
        assert counted["memory"] + counted["database"] == 50, counted
        assert counted["database"] == reads, (counted, reads)
    else:
        assert counted == {"memory": 0, "database": 0}, counted
    assert reads >= least, reads


@pytest.mark.parametrize("lag", [1, 180])
def test_a_sign_in_missed_while_away_shows_once_the_listener_is_back(
        two, tmp_path, lag):
    """A node reads a person's record from its People Finder copy, with
    the sign-in times it has heard (migration 40, store_signins.h). While
    its listener is away it hears none, so records come from the database
    (/metrics says which); back, the copy first reads every sign-in since
    it was last complete, so one committed while it was away shows when
    the copy answers again, and afterwards a sign-in through the other
    node is heard at once. A sign-in's time is its node's clock: one
    written by a node whose clock is `lag` seconds behind is read back
    too, within the five minutes' margin (FINDER_SIGNIN_MARGIN_S, less
    the minute between folds): with a margin of one minute the second
    case fails, with none both do."""
    inst = two
    with nodes(inst, tmp_path) as (a, b):
        wait_copy_ready(b)
        admin = global_admin(a, inst)
        path = "/users/" + q(inst.ann)

        def read(server):
            admin.server = server
            status, body = admin.call("GET", path)
            assert status == 200, body
            return body["last_signin_at"]

        def by(server, answered_by):
            return metric(server, "caremail_person_records_total",
                          answered_by=answered_by)

        shown = read(b)
        assert eventually(lambda: read(b) == shown and by(b, "copy") > 0)
        with listener_away(inst, b):
            # Unheard: no node listens. (A sign-in's time is its node's
            # clock: the copy reads back those since a little before it
            # was last complete.)
            at = int(psql(inst.url, "UPDATE people SET last_signin_at ="
                          f" EXTRACT(EPOCH FROM now())::bigint - {lag} WHERE"
                          " id = (SELECT holder_id FROM addresses WHERE"
                          f" address = '{inst.ann}') RETURNING"
                          " last_signin_at"))
            missed = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
            before = by(b, "database")
            assert read(b) == missed
            assert by(b, "database") == before + 1
        # Every read shows it, until and after the copy answers again.
        end = time.monotonic() + 10
        while True:
            copied = by(b, "copy")
            assert read(b) == missed
            if by(b, "copy") > copied:
                break
            assert time.monotonic() < end, b.logs()[-2000:]
            time.sleep(POLL_S)
        # Heard again: a sign-in through A shows through B's copy.
        time.sleep(1.1)
        signed_in(a, inst.ann)
        assert eventually(lambda: read(b) != missed)
        signed = read(a)

        def from_the_copy():
            copied = by(b, "copy")
            assert read(b) == signed
            return by(b, "copy") > copied
        assert eventually(from_the_copy)
