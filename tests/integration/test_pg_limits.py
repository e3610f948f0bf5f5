"""Rate limits across nodes (issue 14 item 2, docs/postgresql.md "Rate
limits across nodes"): two `caremail serve` processes, each with an
instance directory of its own, over one PostgreSQL database, as behind a
load balancer. Sign-in attempts from one client address alternate
between them, and the 429 comes at the same total count as on one node
(ratelimit.signin_per_ip): the counters are the database's, not each
process's. The database holds them under a hash, never the address in
clear. Skipped only when the machine has no PostgreSQL 15 binaries
(scripts/deps.sh installs them)."""

import contextlib
import shutil
import subprocess
import time

import pytest

from apiclient import Client
from conftest import Instance, Server, PASSWORD
from test_postgresql import person, pg_instance, psql  # noqa: F401

LIMIT = 4
# A day, the longest window there is: windows are aligned on the clock
# (midnight UTC here), so the test cannot straddle two unless it runs
# at midnight, which it waits out.
WINDOW = 86400


@pytest.fixture
def two_nodes(tmp_path, pg_instance):
    inst = pg_instance
    one, url = inst.dir, inst.url
    inst.run("org", "add", "--ods", "RL001", "--name", "Practice",
             "--type", "GP Practice")
    ann = person(inst, "RL001", "Ann", "Target")
    # The second node: the same config, keys and store.path URL, in a
    # directory of its own (its ports are set on its command line).
    two = tmp_path / "node2"
    shutil.copytree(one, two)
    # A short wait for a lock, for test_uncountable_tries_are_refused.
    settings = [f"ratelimit.signin_per_ip={LIMIT}",
                f"ratelimit.window_s={WINDOW}",
                "store.busy_timeout_ms=1000"]
    nodes = []
    try:
        for i, d in enumerate((one, two)):
            nodes.append(Server(Instance(d, "care.example"), False,
                                tmp_path / f"serve{i + 1}.log",
                                extra=settings))
        for n in nodes:
            n.wait_ready()
        yield url, inst, ann, nodes
    finally:
        for n in nodes:
            n.stop()


def away_from_window_end():
    left = WINDOW - int(time.time()) % WINDOW
    if left < 30:
        time.sleep(left + 1)


def test_signin_limit_is_shared_by_two_nodes(two_nodes):
    url, inst, ann, nodes = two_nodes
    assert nodes[0].port != nodes[1].port
    away_from_window_end()
    clients = [Client(n) for n in nodes]
    statuses = []
    for i in range(2 * LIMIT + 2):
        status, body = clients[i % 2].signin(ann, "wrong wrong wrong")
        statuses.append(status)
    # The limit is counted across both: LIMIT tries in all, not on each.
    assert statuses == [401] * LIMIT + [429] * (LIMIT + 2), statuses
    assert body["error"]["code"] == "rate_limited"
    # Both nodes name the same end of the window.
    retries = []
    for c in clients:
        status, _ = c.signin(ann, PASSWORD)
        assert status == 429
        retries.append(int(c.last.getheader("Retry-After")))
    assert abs(retries[0] - retries[1]) <= 1, retries
    assert 1 <= min(retries) <= WINDOW
    # Only the LIMIT tries let through reached the password check.
    assert inst.json("user", "show", ann)["locked"] is False
    # The counter is in the database, under a SHA-256, never the address.
    rows = [r.split("|") for r in psql(
        url, "SELECT key, hits FROM rate_counts").splitlines()]
    assert len(rows) == 1, rows
    key, hits = rows[0]
    assert len(key) == 64 and all(ch in "0123456789abcdef" for ch in key)
    assert "127.0.0.1" not in key
    assert int(hits) == 2 * LIMIT + 4


def test_one_node_allows_the_same(two_nodes):
    """The same limit on one node alone: the two-node total is no more."""
    url, inst, ann, nodes = two_nodes
    away_from_window_end()
    c = Client(nodes[1])
    statuses = [c.signin(ann, "wrong wrong wrong")[0]
                for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429], statuses


@contextlib.contextmanager
def counter_locked(url):
    """rate_counts locked by another session (as a database too busy to
    answer), until the block ends: every count waits out the nodes'
    store.busy_timeout_ms and fails."""
    holder = subprocess.Popen(["psql", url, "-X", "-q"], text=True,
                              stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL)
    holder.stdin.write("BEGIN;\nLOCK TABLE rate_counts IN ACCESS EXCLUSIVE"
                       " MODE;\n")
    holder.stdin.flush()
    try:
        deadline = time.monotonic() + 30
        while psql(url, "SELECT count(*) FROM pg_locks l JOIN pg_class c"
                   " ON c.oid = l.relation WHERE c.relname = 'rate_counts'"
                   " AND l.mode = 'AccessExclusiveLock' AND l.granted") \
                != "1":
            assert time.monotonic() < deadline, "the lock was never had"
            time.sleep(0.05)
        yield
    finally:
        holder.stdin.write("ROLLBACK;\n\\q\n")
        holder.stdin.close()
        holder.wait(timeout=30)


def test_uncountable_tries_are_refused(two_nodes):
    """When the database cannot count, the limited routes answer 503
    (fail closed) rather than let tries through uncounted; they count
    again as soon as it can."""
    url, inst, ann, nodes = two_nodes
    away_from_window_end()
    with counter_locked(url):
        for n in nodes:
            c = Client(n)
            status, body = c.signin(ann, "wrong wrong wrong")
            assert status == 503, body
            assert body["error"]["code"] == "temporary"
            assert c.last.getheader("Retry-After")
            # A bearer token's failures are limited the same way.
            c.bearer = "cm_not_a_token_of_ours"
            status, body = c.call("GET", "/users")
            assert status == 503, body
    # Nothing was counted, and nothing reached the password check.
    assert psql(url, "SELECT count(*) FROM rate_counts") == "0"
    assert inst.json("user", "show", ann)["locked"] is False
    c = Client(nodes[0])
    assert c.signin(ann, "wrong wrong wrong")[0] == 401
    assert psql(url, "SELECT hits FROM rate_counts") == "1"
    assert "api.unavailable" in nodes[0].logs()
