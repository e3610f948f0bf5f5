"""GET /metrics for Prometheus (SPEC S3, issue 14 item 4,
docs/operations.md): the counters move with real SMTP, IMAP and API
traffic, the text is the exposition format 0.0.4, no address reaches it,
only http.metrics_allow may read it, and a real Prometheus (Debian's
prometheus package) scrapes it."""
import http.client
import imaplib
import json
import math
import os
import re
import shutil
import smtplib
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from apiclient import global_admin
from conftest import BIN, PASSWORD, free_port
from test_smtp import message, person

PROMETHEUS = "/usr/bin/prometheus"

# One sample line of format 0.0.4: a name, optional labels, a value.
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:' + LABEL + r')(?:,' + LABEL +
    r')*\})? (-?[0-9][0-9.e+-]*|\+Inf|-Inf|NaN)$')
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(server):
    """(status, content type, text) of GET /metrics."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/metrics")
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    return resp.status, resp.getheader("Content-Type"), text


def parse(text):
    """{(name, ((label, value), ...)): float} and {family: type}, checking
    every line against the format as it goes."""
    samples, types, helps = {}, {}, set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            assert name in helps, f"TYPE before HELP: {line}"
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line of format 0.0.4: {line!r}"
        labels = tuple(LABEL_PAIR.findall(m.group(2) or ""))
        key = (m.group(1), labels)
        assert key not in samples, f"duplicate series: {line}"
        samples[key] = float(m.group(3))
    return samples, types


def value(samples, name, **labels):
    return samples[(name, tuple(labels.items()))]


def check_histograms(samples, types):
    """Buckets rise with le, end at +Inf, and +Inf equals _count."""
    for family, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name != family + "_bucket":
                continue
            rest = tuple(p for p in labels if p[0] != "le")
            le = dict(labels)["le"]
            series.setdefault(rest, []).append(
                (math.inf if le == "+Inf" else float(le), v))
        for rest, buckets in series.items():
            buckets.sort()
            counts = [c for _, c in buckets]
            assert counts == sorted(counts), (family, rest, buckets)
            assert buckets[-1][0] == math.inf
            assert samples[(family + "_count", rest)] == counts[-1]
            assert (family + "_sum", rest) in samples


def wait_for(predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


@pytest.fixture
def metrics_server(start_server, instance):
    # Three failed sign-ins lock an account, so the test can lock one.
    return start_server(extra=("auth.lockout_failures=3",))


def test_metrics_move_with_traffic(metrics_server, instance, org):
    server = metrics_server
    status, ctype, text = scrape(server)
    assert status == 200
    assert ctype == "text/plain; version=0.0.4; charset=utf-8"
    before, types = parse(text)
    # Every family is listed from the start, at zero where nothing happened.
    for family, kind in {
            "caremail_sessions_open": "gauge",
            "caremail_sessions_accepted_total": "counter",
            "caremail_messages_accepted_total": "counter",
            "caremail_messages_delivered_total": "counter",
            "caremail_messages_deferred_total": "counter",
            "caremail_messages_bounced_total": "counter",
            "caremail_queue_recipients": "gauge",
            "caremail_queue_oldest_age_seconds": "gauge",
            "caremail_store_commit_seconds": "histogram",
            "caremail_api_request_seconds": "histogram",
            "caremail_http_waiting": "gauge",
            "caremail_http_wait_queue_seconds": "histogram",
            "caremail_job_runs_total": "counter",
            "caremail_lockouts_total": "counter"}.items():
        assert types.get(family) == kind, family
    for listener in ("smtp", "submission", "imap", "pop3", "http"):
        assert ("caremail_sessions_accepted_total",
                (("listener", listener),)) in before, listener
    assert value(before, "caremail_lockouts_total") == 0
    assert value(before, "caremail_store_up") == 1

    ann = person(instance, org, "Ann", "One", PASSWORD)
    bob = person(instance, org, "Bob", "Two", PASSWORD)
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.sendmail("someone@sender.example", [ann, bob],
                   message("someone@sender.example", ann))
        s.sendmail("someone@sender.example", [ann],
                   message("someone@sender.example", ann, mid="m2"))
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    m.starttls(ssl_context=server.ssl_context())
    m.login(ann, PASSWORD)
    assert m.select("INBOX")[0] == "OK"
    # An IMAP session stays open across the scrape.
    open_now, _ = parse(scrape(server)[2])
    assert value(open_now, "caremail_sessions_open", listener="imap") >= 1
    m.logout()
    # Bob's account locks at the third wrong password in a row.
    for _ in range(3):
        m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
        m.starttls(ssl_context=server.ssl_context())
        with pytest.raises(imaplib.IMAP4.error):
            m.login(bob, "not the password")
        m.logout()
    admin = global_admin(server, instance)
    admin.ok("GET", "/users/" + urllib.parse.quote(ann))
    admin.ok("GET", "/users/" + urllib.parse.quote(bob))

    text = scrape(server)[2]
    after, types = parse(text)
    check_histograms(after, types)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("caremail_messages_accepted_total") == 2
    # Three copies: Ann twice and Bob once.
    assert moved("caremail_messages_delivered_total",
                 destination="local") == 3
    assert moved("caremail_sessions_accepted_total", listener="smtp") == 1
    assert moved("caremail_sessions_accepted_total", listener="imap") == 4
    assert moved("caremail_sessions_accepted_total", listener="http") >= 4
    assert value(after, "caremail_sessions_open", listener="smtp") == 0
    # The sign-ins waited apart, and none is left counted as waiting (a
    # request is uncounted just after its reply has gone).
    assert wait_for(lambda: value(parse(scrape(server)[2])[0],
                                  "caremail_http_waiting") == 0)
    # The global admin's sign-in (a POST) queued for a waiting thread;
    # the reads did not.
    assert moved("caremail_http_wait_queue_seconds_count") >= 1
    assert moved("caremail_lockouts_total") == 1
    assert moved("caremail_store_commit_seconds_count") >= 2
    assert value(after, "caremail_store_commit_seconds_sum") > 0
    # serve runs the jobs once at start, in a thread of its own.
    assert wait_for(lambda: value(parse(scrape(server)[2])[0],
                                  "caremail_job_runs_total",
                                  outcome="ok") == 1)
    # The API by route template, never the path that named a person.
    got = value(after, "caremail_api_request_seconds_count",
                method="GET", route="/api/v1/users/{address}")
    assert got == 2
    assert value(after, "caremail_api_request_seconds_count",
                 method="POST", route="/api/v1/session") >= 1
    # No address, local part or domain of a person in any line.
    for who in (ann, bob, instance.addr("admin")):
        assert who not in text
        assert who.split("@")[0] not in text
    assert instance.domain not in text


def test_queue_gauges_read_at_scrape(metrics_server, instance, org):
    """Mail to a remote address waits (outbound.workers is 0 in tests):
    the queue's gauges count it, and its age grows."""
    server = metrics_server
    ann = person(instance, org, "Ann", "One", PASSWORD)
    with smtplib.SMTP("127.0.0.1", server.ports["submission"],
                      timeout=10) as s:
        s.starttls(context=server.ssl_context())
        s.login(ann, PASSWORD)
        s.sendmail(ann, ["someone@remote.example"],
                   message(ann, "someone@remote.example"))
    samples, _ = parse(scrape(server)[2])
    assert value(samples, "caremail_queue_recipients") == 1
    assert value(samples, "caremail_queue_deferred_recipients") == 0
    assert value(samples, "caremail_sessions_accepted_total",
                 listener="submission") == 1

    def aged():
        s, _ = parse(scrape(server)[2])
        return value(s, "caremail_queue_oldest_age_seconds") >= 1
    assert wait_for(aged, timeout=10)


def test_outbound_outcomes_counted(start_server, instance, org):
    """serve sends one message to three remote recipients through a real
    SMTP server (aiosmtpd) that takes one, defers one and refuses one:
    each outcome is counted once it is recorded."""
    from dnsstub import DnsStub
    from smtpsink import Sink
    from test_queue import Outbound, zone
    with DnsStub(zone()) as stub, \
            Sink(replies={"bob@far.example": "451 4.3.0 try later",
                          "bad@far.example": "550 5.1.1 no such user"}) \
            as sink:
        server = start_server(extra=[
            f"dns.servers=127.0.0.1@{stub.port}", "dns.trust_anchor=",
            f"outbound.port={sink.port}", "outbound.workers=1",
            "outbound.poll_s=1"])
        out = Outbound(instance, org, server)
        out.send(["carl@far.example", "bob@far.example", "bad@far.example"])

        def counted():
            s, _ = parse(scrape(server)[2])
            got = (value(s, "caremail_messages_delivered_total",
                         destination="remote"),
                   value(s, "caremail_messages_deferred_total"),
                   value(s, "caremail_messages_bounced_total"))
            return got if got == (1, 1, 1) else None
        assert wait_for(counted, timeout=20), (scrape(server)[2],
                                               server.logs()[-3000:])
        samples, _ = parse(scrape(server)[2])
        # Bob waits to be tried again; the other two are done.
        assert value(samples, "caremail_queue_recipients") == 1
        assert value(samples, "caremail_queue_deferred_recipients") == 1


def test_only_allowed_addresses_read_metrics(start_server):
    server = start_server(extra=("http.metrics_allow=192.0.2.0/24",))
    status, ctype, text = scrape(server)
    assert status == 403
    body = json.loads(text)
    assert body["error"]["code"] == "denied"
    assert "caremail_" not in text
    # The health check is not affected.
    assert server.get("/healthcheck")[0] == 200


def test_empty_allow_list_serves_nobody(start_server):
    server = start_server(extra=("http.metrics_allow=",))
    assert scrape(server)[0] == 403


def test_bad_allow_list_stops_serve(instance):
    """The bad setting is named even when another listener's port is
    taken: serve checks its settings before anything binds (an SMTP
    port in use once hid this error behind its own)."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        proc = subprocess.run(
            [BIN, "serve",
             "--dir", str(instance.dir), "--set",
             f"http.listen=127.0.0.1:{free_port()}",
             "--set", f"smtp.listen=127.0.0.1:{taken.getsockname()[1]}",
             "--set", "http.metrics_allow=127.0.0.1, not-an-address"],
            capture_output=True, text=True, timeout=30)
    finally:
        taken.close()
    assert proc.returncode != 0
    assert "http.metrics_allow" in proc.stderr
    assert "not-an-address" in proc.stderr


def prometheus_query(port, query):
    url = (f"http://127.0.0.1:{port}/api/v1/query?" +
           urllib.parse.urlencode({"query": query}))
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = json.loads(resp.read())
    except (OSError, ValueError):
        return None
    if body.get("status") != "success":
        return None
    return body["data"]["result"]


@pytest.mark.skipif(not os.path.exists(PROMETHEUS),
                    reason="needs Debian's prometheus package "
                           "(/usr/bin/prometheus; scripts/deps.sh installs "
                           "it)")
def test_real_prometheus_scrapes(start_server, instance, org, tmp_path):
    """Prometheus scrapes /metrics over HTTPS with the instance's own
    certificate, as docs/operations.md shows, and answers queries."""
    server = start_server(tls=True)
    ann = person(instance, org, "Ann", "One", PASSWORD)
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.sendmail("someone@sender.example", [ann],
                   message("someone@sender.example", ann))
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        "  - job_name: caremail\n"
        "    scheme: https\n"
        "    metrics_path: /metrics\n"
        "    tls_config:\n"
        f"      ca_file: {instance.dir / 'tls' / 'cert.pem'}\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{server.port}']\n")
    log = open(tmp_path / "prometheus.log", "w")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}",
         f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=log)
    try:
        def up():
            r = prometheus_query(port, 'up{job="caremail"}')
            return r and r[0]["value"][1] == "1"
        assert wait_for(up, timeout=60), \
            (tmp_path / "prometheus.log").read_text()[-3000:]

        def accepted():
            r = prometheus_query(port, "caremail_messages_accepted_total")
            return r and float(r[0]["value"][1]) == 1

        assert wait_for(accepted, timeout=30)
        # A histogram Prometheus can compute a quantile from.
        r = wait_for(lambda: prometheus_query(
            port, "histogram_quantile(0.99, "
                  "caremail_store_commit_seconds_bucket)"), timeout=30)
        assert r and float(r[0]["value"][1]) > 0
        # The target's health as Prometheus saw it: no scrape errors.
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/v1/targets", timeout=5) as resp:
            targets = json.loads(resp.read())["data"]["activeTargets"]
        assert [t["health"] for t in targets] == ["up"], targets
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
        shutil.rmtree(tmp_path / "tsdb", ignore_errors=True)
