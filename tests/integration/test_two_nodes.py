"""Two `caremail serve` nodes over one PostgreSQL database (issue 14 item
2, docs/postgresql.md "Two nodes"): what one node commits wakes IMAP IDLE
on the other (LISTEN/NOTIFY), a scheduled jobs period runs on one node
only, and a node killed in the middle of a burst of mail loses nothing it
acknowledged, while the other carries on. Both nodes are started from one
instance directory (its keys and configuration) with ports of their own,
as the recipe in docs/postgresql.md does. Skipped only when the machine
has no PostgreSQL 15 (scripts/deps.sh installs it)."""

import imaplib
import re
import select
import signal
import smtplib
import threading
import time
import uuid

import pytest

from apiclient import global_admin, q
from conftest import PASSWORD, Server, read_folder, submit
from test_postgresql import mail, person, pg_instance, psql  # noqa: F401


def node(inst, tmp_path, name, extra=()):
    server = Server(inst, False, tmp_path / f"{name}.log", extra)
    server.wait_ready()
    return server


@pytest.fixture
def two(pg_instance, tmp_path):
    """The recipe's instance: PostgreSQL and one blob directory outside
    the instance directory, as shared storage both nodes mount."""
    inst = pg_instance
    inst.blobs = tmp_path / "shared-blobs"
    conf = inst.dir / "caremail.conf"
    text = re.sub(r"(?m)^backend = database$", "backend = directory",
                  conf.read_text())
    conf.write_text(re.sub(r"(?m)^path = blobs$", f"path = {inst.blobs}",
                           text))
    inst.run("org", "add", "--ods", "TN001", "--name", "Two Nodes",
             "--type", "GP Practice")
    inst.ann = person(inst, "TN001", "Ann", "Sender")
    inst.bob = person(inst, "TN001", "Bob", "Reader")
    yield inst


def idle_until_exists(server, address, started, deadline_s):
    """Signs in on server's IMAP, selects INBOX, IDLEs; calls started()
    once idling, and returns the seconds from started()'s return to the
    first EXISTS above the count at SELECT (None when none came)."""
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=30)
    try:
        m.starttls(ssl_context=server.ssl_context())
        m.login(address, PASSWORD)
        typ, data = m.select("INBOX")
        before = int(data[0])
        tag = m._new_tag().decode()
        m.send(f"{tag} IDLE\r\n".encode())
        assert m.readline().startswith(b"+")
        sent_at = started()
        end = time.monotonic() + deadline_s
        sock = m.socket()
        while time.monotonic() < end:
            ready, _, _ = select.select([sock], [], [],
                                        end - time.monotonic())
            if not ready:
                break
            line = m.readline()
            found = re.match(rb"\* (\d+) EXISTS", line)
            if found and int(found.group(1)) > before:
                return time.monotonic() - sent_at
        return None
    finally:
        try:
            m.send(b"DONE\r\n")
            m.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def send_to_bob(server, inst, subject):
    """Ann's message to Bob through server, acknowledged: the time of the
    250 (what idle_until_exists measures from)."""
    code, _ = submit(server, inst.ann, PASSWORD, inst.ann, [inst.bob],
                     mail(inst.ann, inst.bob, subject))
    assert code == 250
    return time.monotonic()


def test_idle_on_one_node_wakes_for_mail_through_the_other(two, tmp_path):
    inst = two
    a = node(inst, tmp_path, "a")
    b = node(inst, tmp_path, "b")
    try:
        def deliver_through_a():
            return send_to_bob(a, inst, "across nodes")

        # Without the listener B's IDLE would sleep until its timeout:
        # nothing on B wrote the message. A generous bound, so a loaded
        # machine does not fail it; the latency itself is a benchmark's.
        waited = idle_until_exists(b, inst.bob, deliver_through_a, 10)
        assert waited is not None, "IDLE on node B never saw the mail"
        print(f"EXISTS on node B {waited * 1000:.1f} ms after the 250")
        # Both nodes serve the same mailbox.
        assert [m["Subject"] for m in read_folder(a, inst.bob, PASSWORD)] \
            == ["across nodes"]
        assert [m["Subject"] for m in read_folder(b, inst.bob, PASSWORD)] \
            == ["across nodes"]
        assert "store.listen_lost" not in b.logs()
        # The body A stored went to the shared directory, not the
        # database, and B read it from there.
        hashes = psql(inst.url, "SELECT hash FROM bodies WHERE outside = 1"
                      " AND length(data) = 0").split()
        assert len(hashes) == 1
        assert (inst.blobs / hashes[0][:2] / hashes[0]).is_file()
    finally:
        a.stop()
        b.stop()


def test_listener_resyncs_after_its_connection_is_cut(two, tmp_path):
    """Notifications are not durable: a node whose listening connection
    is cut connects again and wakes every IDLE to look for itself."""
    inst = two
    a = node(inst, tmp_path, "a")
    b = node(inst, tmp_path, "b")
    try:
        def cut_then_deliver():
            # Every listening connection of the database is ended (B's and
            # A's); the mail is then sent before B can have listened again
            # only by chance, so its wake-up comes from the resync or
            # from a notification heard after it; either way it comes.
            psql(inst.url, "SELECT pg_terminate_backend(pid) FROM"
                 " pg_stat_activity WHERE application_name ="
                 " 'caremail-listener'")
            return send_to_bob(a, inst, "after the cut")

        waited = idle_until_exists(b, inst.bob, cut_then_deliver, 10)
        assert waited is not None, "IDLE on node B never woke after the cut"
        deadline = time.monotonic() + 10
        while "store.listen_resumed" not in b.logs() and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        assert "store.listen_lost" in b.logs()
        assert "store.listen_resumed" in b.logs()
    finally:
        a.stop()
        b.stop()


def log_fields(text, event, field):
    """The value of `field` in each line of `event` in a serve log."""
    return [re.search(rf"\b{field}=(\S+)", line).group(1)
            for line in text.splitlines()
            if f" event={event} " in f" {line} "]


def skipped_runs(server):
    """serve's count of scheduled runs skipped, from its /metrics."""
    import urllib.request
    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as r:
        text = r.read().decode()
    found = re.search(r'caremail_job_runs_total\{outcome="skipped"\} (\d+)',
                      text)
    assert found, text[:2000]
    return int(found.group(1))


def test_a_jobs_period_runs_on_one_node_only(two, tmp_path):
    inst = two
    every = ["jobs.interval_s=2"]
    a = node(inst, tmp_path, "a", every)
    b = node(inst, tmp_path, "b", every)
    try:
        time.sleep(9)
        skipped = sum(skipped_runs(n) for n in (a, b))
    finally:
        a.stop()
        b.stop()
    # Both nodes' timers fire in every period; one of them runs it. Each
    # run names its period, which is the lease's, not the time it ended.
    periods = sorted(log_fields(a.logs(), "jobs.ran", "period") +
                     log_fields(b.logs(), "jobs.ran", "period"))
    assert len(periods) >= 2, (a.logs(), b.logs())
    assert all(int(p) % 2 == 0 for p in periods), periods
    assert len(periods) == len(set(periods)), periods
    # Both nodes' timers did fire: the runs not made were skipped.
    assert skipped >= 2, skipped


def test_node_killed_mid_burst_loses_nothing_acknowledged(two, tmp_path):
    inst = two
    a = node(inst, tmp_path, "a")
    b = node(inst, tmp_path, "b")
    acknowledged, stop = [], threading.Event()
    lock = threading.Lock()

    def burst(server, label):
        i = 0
        while not stop.is_set():
            subject = f"{label}-{i}-{uuid.uuid4().hex[:6]}"
            i += 1
            try:
                with smtplib.SMTP("127.0.0.1", server.ports["submission"],
                                  timeout=10) as s:
                    s.starttls()
                    s.login(inst.ann, PASSWORD)
                    s.sendmail(inst.ann, [inst.bob],
                               mail(inst.ann, inst.bob, subject))
                with lock:
                    acknowledged.append(subject)
            except (OSError, smtplib.SMTPException):
                if label == "b":
                    raise
                time.sleep(0.05)   # node A is gone: nothing was promised

    threads = [threading.Thread(target=burst, args=(a, "a")),
               threading.Thread(target=burst, args=(b, "b"))]
    try:
        for t in threads:
            t.start()
        time.sleep(3)
        a.proc.send_signal(signal.SIGKILL)   # no goodbye, mid-burst
        a.proc.wait(10)
        time.sleep(2)                        # B carries on alone
        stop.set()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads)
        got = {m["Subject"] for m in read_folder(b, inst.bob, PASSWORD)}
        from_a = [s for s in acknowledged if s.startswith("a-")]
        from_b = [s for s in acknowledged if s.startswith("b-")]
        assert from_a and from_b, acknowledged
        missing = [s for s in acknowledged if s not in got]
        assert missing == [], missing
        # And B went on taking mail after A died.
        count = int(psql(inst.url, "SELECT COUNT(*) FROM messages"))
        assert count >= len(acknowledged)
    finally:
        stop.set()
        a.log.close()
        b.stop()


def test_outbound_queue_sends_each_message_once_from_two_nodes(two,
                                                               tmp_path):
    """Both nodes' queue runners start on the same waiting rows at once:
    each row is claimed by one of them (FOR UPDATE SKIP LOCKED), so the
    remote server gets every message once."""
    from dnsstub import DnsStub
    from smtpsink import Sink
    inst = two
    zone = {"far.example": {"MX": [[10, "mx1.far.example"]]},
            "mx1.far.example": {"A": ["127.0.0.1"]}}
    count = 60
    with DnsStub(zone) as stub, Sink() as sink:
        # Queued while no runner works, then two runners at once.
        a = node(inst, tmp_path, "queue-a")
        try:
            with smtplib.SMTP("127.0.0.1", a.ports["submission"],
                              timeout=10) as s:
                s.starttls(context=a.ssl_context())
                s.login(inst.ann, PASSWORD)
                for i in range(count):
                    to = f"r{i}@far.example"
                    s.sendmail(inst.ann, [to], mail(inst.ann, to, f"out-{i}"))
        finally:
            a.stop()
        sending = [f"dns.servers=127.0.0.1@{stub.port}", "dns.trust_anchor=",
                   f"outbound.port={sink.port}", "outbound.workers=4",
                   "outbound.poll_s=1"]
        nodes = [Server(inst, False, tmp_path / f"send-{n}.log", sending)
                 for n in "ab"]
        try:
            for n in nodes:
                n.wait_ready()
            deadline = time.monotonic() + 60
            while len(sink.messages) < count and \
                    time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2)   # a second copy would come now
        finally:
            for n in nodes:
                n.stop()
        subjects = [re.search(rb"^Subject: (.*?)\r?$", m.data,
                              re.M).group(1).decode()
                    for m in sink.messages]
        assert sorted(subjects) == sorted(f"out-{i}" for i in range(count))
        assert int(psql(inst.url, "SELECT COUNT(*) FROM queue WHERE"
                        " status = 'delivered'")) == count


def test_a_portal_session_works_through_either_node(two, tmp_path):
    """The portal's session, its CSRF token and what it changes are in
    the database: an administrator signed in through node A carries on
    through node B, and signing out on B ends the session on A too: at
    once for a change, within the moment A takes to hear it for a read."""
    inst = two
    a = node(inst, tmp_path, "a")
    b = node(inst, tmp_path, "b")
    try:
        ga = global_admin(a, inst)
        made = ga.ok("POST", "/users", {"org": "TN001", "first_name": "Cara",
                                        "last_name": "Across"}, status=201)
        ga.server = b
        got = ga.ok("GET", "/users/" + q(made["address"]))
        assert got["first_name"] == "Cara"
        ga.ok("PATCH", "/users/" + q(made["address"]),
              {"job_title": "Practice Nurse"})
        ga.server = a
        assert ga.ok("GET", "/users/" + q(made["address"]))[
            "job_title"] == "Practice Nurse"
        ga.server = b
        cookie = ga.cookie
        assert ga.call("GET", "/me")[0] == 200
        assert ga.call("DELETE", "/session")[0] == 200
        # The old cookie, replayed on A: the session has gone there too.
        # A change is refused at once (it reads its session from the
        # database); a read within the milliseconds A takes to hear of it
        # (docs/postgresql.md, "Sessions remembered by each node").
        ga.server = a
        ga.cookie = cookie
        assert ga.call("DELETE", "/session")[0] == 401
        deadline = time.monotonic() + 1.0
        while (ga.call("GET", "/me")[0] != 401 and
               time.monotonic() < deadline):
            time.sleep(0.02)
        assert ga.call("GET", "/me")[0] == 401
    finally:
        a.stop()
        b.stop()
