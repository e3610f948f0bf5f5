"""caremail serve: the health check over HTTP and HTTPS, a store that goes
away, and a clean stop on SIGTERM (SPEC S1, S3)."""

import shutil
import signal
import subprocess
import time

import pytest

from conftest import run


def version():
    return run("version").stdout.split()[1]


def test_healthcheck_plain_http(server):
    status, body = server.get("/healthcheck")
    assert status == 200
    assert body["status"] == "ok"
    assert body["store"] == "ok"
    assert body["version"] == version()
    assert "event=serve.ready" in server.logs()
    assert f"listen=127.0.0.1:{server.port}" in server.logs()


def test_healthcheck_tls_with_instance_certificate(start_server):
    server = start_server(tls=True)
    assert server.url.startswith("https://127.0.0.1:")
    status, body = server.get("/healthcheck")
    assert (status, body["store"]) == (200, "ok")


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_healthcheck_with_curl(start_server):
    server = start_server(tls=True)
    proc = subprocess.run(
        ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
         f"{server.url}/healthcheck"],
        capture_output=True, text=True, timeout=10)
    assert proc.stdout == "200"


def test_moved_store_is_503(server):
    db = server.instance.dir / "caremail.db"
    db.rename(db.with_suffix(".moved"))
    status, body = server.get("/healthcheck")
    assert status == 503
    assert body["status"] == "unavailable"
    assert str(server.instance.dir) not in str(body), "no paths leak"
    db.with_suffix(".moved").rename(db)
    assert server.get("/healthcheck")[0] == 200


def test_sigterm_stops_cleanly(server):
    start = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=5) == 0
    assert time.monotonic() - start < 5
    assert "event=serve.stopped" in server.logs()


def test_sigint_stops_cleanly(server):
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=5) == 0


def test_port_in_use_is_a_clear_error(server, instance):
    proc = run("serve", "--dir", instance.dir, "--set",
               f"http.listen=127.0.0.1:{server.port}", "--set",
               "http.tls=off", check=False, timeout=10)
    assert proc.returncode == 1
    assert "caremail: " in proc.stderr
    assert str(server.port) in proc.stderr
