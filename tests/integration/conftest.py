"""Fixtures for driving the real caremail binary.

The binary is $CAREMAIL_BIN (default build/caremail). Every call has a
timeout; every test gets its own instance in its own tmp_path.
"""

import contextlib
import http.client
import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CAREMAIL_BIN", str(ROOT / "build" / "caremail"))
# The binary that only sets a test's scene: the instance every test starts
# from, the `org` fixtures, the people of apiclient.make_person and of the
# files' own `person` helpers, the org trees of the API files' fixtures. The
# sanitizer run (`make test-asan`) points it at the plain build: these few
# commands (init, org add, site add, user add, user passwd, role add) are
# run thousands of times to set scenes, at some 0.2 s of CPU each under the
# sanitizers against 0.05 s, while their own tests run them under the
# sanitizers as everything else a test exercises. The same source and
# schema, so an instance may pass from one to the other. Default: BIN.
SETUP_BIN = os.environ.get("CAREMAIL_SETUP_BIN") or BIN
TIMEOUT = 30
DOMAIN = "example.nhs.uk"
PASSWORD = "correct horse battery staple"


# The standard folders caremail makes with every mailbox (dir_mailbox.c):
# a test or benchmark that writes mailboxes straight into the database
# calls this after, as delivery no longer makes an Inbox.
STANDARD_FOLDERS = (("INBOX", "inbox"), ("Sent Items", "sent"),
                    ("Drafts", "drafts"), ("Deleted Items", "trash"),
                    ("Junk E-mail", "junk"))


def add_standard_folders(db, now):
    """Gives every mailbox without folders the standard ones, in one
    statement per folder (UIDVALIDITY now, now + 1, ... as caremail)."""
    for i, (name, use) in enumerate(STANDARD_FOLDERS):
        db.execute(
            "INSERT INTO folders (mailbox_id, name, special_use,"
            " uidvalidity, created_at)"
            " SELECT m.id, ?, ?, ?, ? FROM mailboxes m WHERE NOT EXISTS"
            " (SELECT 1 FROM folders f WHERE f.mailbox_id = m.id"
            "  AND f.special_use = ?)", (name, use, now + i, now, use))
    db.execute("UPDATE mailboxes SET uidvalidity_last = MAX("
               "uidvalidity_last, COALESCE((SELECT MAX(uidvalidity) FROM"
               " folders WHERE folders.mailbox_id = mailboxes.id), 0))")


def run(*args, input=None, check=True, timeout=TIMEOUT, env=None,
        binary=None):
    """Runs caremail (binary, else BIN) with args; raises on a non-zero
    exit when check."""
    proc = subprocess.run(
        [binary or BIN, *map(str, args)],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"caremail {' '.join(map(str, args))} exited "
            f"{proc.returncode}: {proc.stderr.strip()}"
        )
    return proc


SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def assert_no_sanitizer(stderr):
    """No ASan, LeakSanitizer or UBSan report in a run's stderr."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode(errors="replace")
    for mark in SANITIZER_MARKS:
        assert mark not in stderr, stderr


def assert_sentence(proc, code=1):
    """The command failed with one line on stderr: 'caremail: ...'."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("caremail: "), proc.stderr
    assert lines[0].endswith("."), proc.stderr
    return lines[0]


class Instance:
    """An initialised instance directory and helpers bound to it."""

    def __init__(self, path, domain):
        self.dir = path
        self.domain = domain

    def run(self, *args, **kwargs):
        return run(*args, "--dir", self.dir, **kwargs)

    def setup(self, *args, **kwargs):
        """run, with SETUP_BIN: for a command that only sets the scene."""
        return run(*args, "--dir", self.dir, binary=SETUP_BIN, **kwargs)

    def json(self, *args, **kwargs):
        return json.loads(self.run(*args, "--json", **kwargs).stdout)

    def fails(self, *args, code=1, **kwargs):
        """Runs a command that must fail; returns its stderr sentence."""
        proc = self.run(*args, check=False, **kwargs)
        return assert_sentence(proc, code)

    def addr(self, local):
        return f"{local}@{self.domain}"


# The longest files under the sanitizers (2 workers on 2 cores, each
# file's tests summed from pytest --durations=0, 2026-12-06), longest
# first. Under pytest-xdist each file runs whole on one worker, handed out
# in collection order: a long file collected last would run on alone
# while the other worker waits. Only an order: a file missing here, or a
# stale list, costs time, nothing else.
LONGEST_FILES = ("test_upgrade.py", "test_queue.py", "test_api_people.py",
                 "test_imap_search_index.py", "test_pg_finder_copy.py",
                 "test_postgresql.py", "test_api_self.py",
                 "test_api_users.py", "test_two_nodes.py",
                 "test_api_audit.py", "test_imap.py", "test_audit_chain.py",
                 "test_api_access.py")


def pytest_collection_modifyitems(config, items):
    """The longest files first (LONGEST_FILES), each file's tests and the
    other files in the order collected (the sort is stable)."""
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture
def caremail():
    return BIN


@pytest.fixture(name="run")
def run_fixture():
    return run


def make_instance(path, domain=DOMAIN, store=None, binary=None):
    """An initialised instance; on the PostgreSQL database at URL store
    when given (a `new_database`), else on SQLite."""
    run("init", "--dir", path, "--domain", domain,
        *(("--store", store) if store is not None else ()),
        "--admin-password-stdin", input=PASSWORD + "\n", binary=binary)
    return Instance(path, domain)


_template = []


def _instance_template():
    """An instance made by `caremail init` once in this pytest process, to
    be copied for each test's `instance`. init is the dearest of the CLI's
    commands (keys, certificates, the Argon2id hash of the admin password,
    the whole schema: 0.55 s of CPU under the sanitizers, nearly four other
    commands), and the suite asks for an instance hundreds of times. A test
    that needs an instance of its own making (init itself, a second
    instance with keys of its own) calls make_instance."""
    if not _template:
        import atexit
        import shutil
        import tempfile
        where = pathlib.Path(tempfile.mkdtemp(prefix="caremail-template-"))
        atexit.register(shutil.rmtree, where, True)
        _template.append(make_instance(where / "instance",
                                       binary=SETUP_BIN).dir)
    return _template[0]


def copy_instance(path):
    """A new instance at path: a copy of this process's template (files,
    modes and all), so nothing of one test is seen by another."""
    import shutil
    shutil.copytree(_instance_template(), path, symlinks=True)
    return Instance(path, DOMAIN)


@pytest.fixture
def instance(tmp_path):
    """A new instance for the test (copy_instance)."""
    return copy_instance(tmp_path / "instance")


@pytest.fixture
def org(instance):
    """An org, ODS X26001, with one site, for tests that need somewhere."""
    instance.setup("org", "add", "--ods", "X26001", "--name",
                   "Test Practice", "--type", "GP Practice")
    instance.setup("site", "add", "--org", "X26001", "--name",
                   "Main Surgery", "--type", "gp_practice")
    return "X26001"


OTHER = "X26002"


@pytest.fixture
def orgs(instance, org):
    """Two sibling orgs: org (X26001) and OTHER, for scope refusals."""
    instance.setup("org", "add", "--ods", OTHER, "--name",
                   "Other Practice", "--type", "GP Practice")
    return org, OTHER


@pytest.fixture
def la(server, instance, orgs):
    """A Local Admin of the first of orgs, signed in with TOTP enrolled."""
    from apiclient import make_admin
    return make_admin(server, instance, orgs[0], first="Lee", last="Local")


@pytest.fixture
def ga(server, instance):
    """The Global Admin, signed in with TOTP enrolled."""
    from apiclient import global_admin
    return global_admin(server, instance)


def free_port():
    return free_ports(1)[0]


def _worker_ports():
    """This pytest process's own port range, or None when it runs alone.

    Under pytest-xdist (`make test` runs the integration suite on several
    workers) a port chosen by binding to 0 and closing could be handed by
    the kernel to another worker's client or server before our server binds
    it. Each worker therefore draws from its own slice of 10000-32767, below
    Linux's ephemeral range (32768-60999), where no client's connection and
    no other worker ever takes a port."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return None
    count = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    width = (32768 - 10000) // count
    low = 10000 + int(worker[2:]) * width
    return low, low + width


_next_port = []	# the next port of this worker's range to try


def free_ports(n):
    """n distinct free ports: every socket stays bound until all are
    chosen, so the same port is not handed out twice."""
    span = _worker_ports()
    socks = []
    try:
        while len(socks) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if span is None:
                s.bind(("127.0.0.1", 0))
            else:
                # The next port of this worker's slice, round and round;
                # one still bound or in TIME_WAIT refuses the bind and is
                # passed over.
                low, high = span
                port = _next_port.pop() if _next_port else low
                _next_port.append(port + 1 if port + 1 < high else low)
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    s.close()
                    continue
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Server:
    """A `caremail serve` process on a loopback port."""

    def __init__(self, inst, tls, log_path, extra=()):
        self.instance = inst
        self.tls = tls
        self.scheme = "https" if tls else "http"
        self.log_path = log_path
        self.extra = list(extra)
        # A test that names a listen address wants exactly that address.
        self.retries = 0 if any(".listen=" in e for e in self.extra) else 3
        self.spawn()

    def spawn(self):
        """Starts serve with every listener on its own free port, so
        tests never collide."""
        names = ("smtp", "submission", "submissions", "relay", "pop3",
                 "pop3s", "imap", "imaps")
        self.port, *rest = free_ports(len(names) + 1)
        self.ports = dict(zip(names, rest))
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"
        args = [BIN, "serve", "--dir", str(self.instance.dir),
                "--set", f"http.listen=127.0.0.1:{self.port}"]
        for name, port in self.ports.items():
            args += ["--set", f"{name}.listen=127.0.0.1:{port}"]
        if not self.tls:
            args += ["--set", "http.tls=off"]
        # A short greet pause still refuses early talkers without costing
        # each test a second; tests of the pause set their own (extra).
        args += ["--set", "smtp.greet_pause_ms=50",
                 "--set", "submission.greet_pause_ms=50"]
        # Outbound delivery and the sender checks of mail from the
        # internet stay off unless a test turns them on (with a DNS stub):
        # both would otherwise wait on the machine's DNS.
        args += ["--set", "outbound.workers=0",
                 "--set", "mail.sender_auth=false"]
        # People made here with `user add` + `passwd` have not accepted
        # the AUP nor set security questions, so the sending limits (SPEC
        # M7) would stop all their mail: they are off unless a test turns
        # them on (test_send_limits.py does, and makes its people ready
        # through the API).
        args += ["--set", "mail.send_limits=false"]
        for setting in self.extra:
            args += ["--set", setting]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)

    def respawn_if_port_taken(self):
        """True when serve stopped because a port chosen free was taken
        before it could listen (another process on a shared machine got
        it first) and it was started again on other ports."""
        if self.retries == 0 or "Address already in use" not in self.logs():
            return False
        self.retries -= 1
        self.log.close()
        self.spawn()
        return True

    def ssl_context(self):
        import ssl
        ctx = ssl.create_default_context(
            cafile=str(self.instance.dir / "tls" / "cert.pem"))
        return ctx

    def get(self, path, timeout=5):
        """(status, parsed JSON body) of a GET."""
        ctx = self.ssl_context() if self.tls else None
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout,
                                        context=ctx) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if self.respawn_if_port_taken():
                    deadline = time.monotonic() + timeout
                    continue
                raise AssertionError(
                    f"serve exited {self.proc.returncode}: {self.logs()}")
            try:
                status, _ = self.get("/healthcheck", timeout=1)
                if status == 200:
                    return
            except (OSError, ValueError, http.client.HTTPException):
                # Not listening yet, or a connection cut while it starts
                # (an IncompleteRead is not an OSError).
                pass
            time.sleep(0.05)
        raise AssertionError(f"serve never became healthy: {self.logs()}")

    def logs(self):
        if not self.log.closed:
            self.log.flush()
        return pathlib.Path(self.log_path).read_text()

    def stop(self, check=True):
        """SIGTERM; the server must exit 0 with no sanitizer report."""
        was_running = self.proc.poll() is None
        if was_running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                raise AssertionError(f"serve ignored SIGTERM: {self.logs()}")
        logs = self.logs()
        self.log.close()
        if check and was_running:
            assert self.proc.returncode == 0, logs[-4000:]
            assert_no_sanitizer(logs)


def submit(server, login, password, mail_from, rcpts, data, options=()):
    """(code, text) of the reply to DATA over submission with STARTTLS,
    signed in as login; options: each RCPT's ESMTP parameters."""
    import smtplib
    with smtplib.SMTP("127.0.0.1", server.ports["submission"],
                      timeout=10) as s:
        s.starttls(context=server.ssl_context())
        s.login(login, password)
        s.mail(mail_from)
        for r in rcpts:
            assert s.rcpt(r, list(options))[0] == 250, r
        return s.data(data)


@contextlib.contextmanager
def imap_session(server, address, password):
    """An IMAP connection with STARTTLS, signed in as address."""
    import imaplib
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    try:
        m.starttls(ssl_context=server.ssl_context())
        m.login(address, password)
        yield m
        m.logout()
    finally:
        try:
            m.shutdown()
        except OSError:
            pass


def fetch_folder(m, folder, items="(RFC822)"):
    """Each message of folder, read-only: its FETCH response (the data
    line's prefix, the literal)."""
    assert m.select(f'"{folder}"', readonly=True)[0] == "OK"
    _, data = m.search(None, "ALL")
    out = []
    for num in data[0].split():
        _, parts = m.fetch(num, items)
        out.append(parts[0])
    return out


def read_folder(server, address, password, folder="INBOX"):
    """Every message in one folder of a mailbox, read over IMAP with
    STARTTLS and parsed with Python's email package."""
    import email
    import email.policy
    with imap_session(server, address, password) as m:
        return [email.message_from_bytes(raw, policy=email.policy.default)
                for _, raw in fetch_folder(m, folder)]


@pytest.fixture
def start_server(instance, tmp_path):
    """start_server(tls=False) runs serve and waits for /healthcheck."""
    servers = []

    def start(tls=False, extra=()):
        s = Server(instance, tls, tmp_path / f"serve{len(servers)}.log",
                   extra)
        servers.append(s)
        s.wait_ready()
        return s

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def server(start_server):
    """A plain-HTTP server (--set http.tls=off) on a free loopback port."""
    return start_server(tls=False)


# ---- PostgreSQL: a throwaway cluster for the tests that need one ----

PG_BIN = "/usr/lib/postgresql/15/bin"
PGCLUSTER = ROOT / "scripts" / "pgcluster.sh"
# The directory of each running cluster, by its URL (a test restarts it).
PG_CLUSTERS = {}


@pytest.fixture(scope="module")
def cluster():
    """A PostgreSQL 15 cluster of the module's own (scripts/pgcluster.sh):
    its URL. Skipped only when the machine has no PostgreSQL 15
    (scripts/deps.sh installs it)."""
    import uuid
    if not os.path.exists(os.path.join(PG_BIN, "initdb")):
        pytest.skip("no PostgreSQL 15 (scripts/deps.sh installs it)")
    # Under /tmp itself: run as root, the cluster belongs to "postgres",
    # who cannot enter pytest's owner-only directories.
    where = f"/tmp/caremail-pg-{uuid.uuid4().hex[:12]}"
    url = subprocess.run(["bash", str(PGCLUSTER), "start", where],
                         check=True, capture_output=True, text=True,
                         timeout=120).stdout.strip().splitlines()[-1]
    PG_CLUSTERS[url] = where
    try:
        yield url
    finally:
        PG_CLUSTERS.pop(url, None)
        pg_forget(url)
        subprocess.run(["bash", str(PGCLUSTER), "stop", where],
                       capture_output=True, timeout=120)


_pg_connections = {}	# url: this process's open connection to it


def _pg_connection(url):
    """This process's connection to url, opened at first use: a psql and
    its backend cost a tenth of a second of CPU each, a statement on an
    open connection a millisecond. Autocommit, as psql -c; every value
    given as the server's text, as psql prints it."""
    import psycopg2
    import psycopg2.extensions as ext
    conn = _pg_connections.get(url)
    if conn is not None and not conn.closed:
        return conn
    conn = psycopg2.connect(url, connect_timeout=30,
                            options="-c statement_timeout=60000")
    conn.autocommit = True
    ext.register_type(ext.new_type(tuple(ext.string_types), "PSQL_TEXT",
                                   lambda value, cursor: value), conn)
    _pg_connections[url] = conn
    return conn


def pg_forget(cluster):
    """Closes this process's connections to the cluster's databases
    (the cluster is going away)."""
    server = cluster.rsplit("/", 1)[0] + "/"
    for url in [u for u in _pg_connections if u.startswith(server)]:
        _pg_connections.pop(url).close()


def _pg_run(url, sql, sep):
    """(returncode, stdout, stderr) of sql on url, as psql -A -t -q:
    fields split by sep, a row a line, NULL empty; on an error, exit 1
    and the server's message. A connection found closed by the server
    (its cluster restarted) is opened again once: the statement was not
    sent on it."""
    import psycopg2
    for attempt in (1, 2):
        try:
            conn = _pg_connection(url)
        except psycopg2.OperationalError as e:
            return 2, "", f"psql: error: {e}"
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                rows = cur.fetchall() if cur.description else []
        except psycopg2.Error as e:
            if conn.closed and e.pgcode is None and attempt == 1:
                _pg_connections.pop(url, None)
                continue
            return 1, "", e.pgerror or f"psql: error: {e}"
        return 0, "".join(
            sep.join("" if v is None else v for v in row) + "\n"
            for row in rows), ""


def pg_sql(url, sql, check=True, sep="|"):
    """sql on url as psql -c would run it (unaligned, fields split by
    sep, stopping at the first error): a finished process's returncode,
    stdout and stderr (AssertionError when it failed and check is set).
    One statement runs on this process's open connection to url; several
    run through psql itself, which prints each one's rows."""
    if ";" in sql.strip().rstrip(";"):
        proc = subprocess.run(
            ["psql", url, "-X", "-q", "-A", "-t", "-F", sep,
             "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, timeout=60)
    else:
        proc = subprocess.CompletedProcess(["psql", url, "-c", sql],
                                           *_pg_run(url, sql, sep))
    if check and proc.returncode != 0:
        raise AssertionError(f"psql failed: {proc.stderr}\n{sql[:500]}")
    return proc


def pg_grouped(url, sql):
    """The rows of sql on url by their first column: {value: [the rest of
    each row, in order]}. One query for every table (or index) of a
    catalogue rather than one each: a psql and its backend cost a tenth
    of a second of CPU."""
    out = {}
    for line in pg_sql(url, sql).stdout.splitlines():
        if line:
            key, *rest = line.split("|")
            out.setdefault(key, []).append(rest)
    return out


def new_database(cluster, prefix="t_"):
    """A new, empty database in the cluster: its URL."""
    import uuid
    name = prefix + uuid.uuid4().hex[:12]
    pg_sql(cluster, f"CREATE DATABASE {name}")
    return cluster.rsplit("/", 1)[0] + "/" + name
