"""What the tests that run the README's demos as written share
(test_readme_tour.py, test_demo_outbound.py): the README's marked shell
blocks, their variables and default ports pointed at the test's server,
and a demo script serving on free ports until the test is done."""

import contextlib
import os
import re
import signal
import ssl
import subprocess
import time
import types
import urllib.request

from conftest import BIN, ROOT, free_ports

LISTENERS = ("http", "smtp", "submission", "submissions", "relay", "imap",
             "imaps", "pop3", "pop3s")


def readme_block(marker):
    """The sh block between README.md's <!-- MARKER:begin/end --> lines."""
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"<!-- {marker}:begin -->\n```sh\n(.*?)```\n"
                  rf"<!-- {marker}:end -->", text, re.S)
    assert m, f"README.md has no {marker} block"
    return m.group(1)


def set_variable(script, name, value):
    """The script's NAME=... line, pointed at this test's server."""
    script, n = re.subn(rf"^{name}=.*$", f"{name}='{value}'", script,
                        count=1, flags=re.M)
    assert n == 1, name
    return script


def move_ports(script, ports):
    """The README's submission and IMAP ports (the demo's defaults) moved
    to this test's."""
    return script.replace(
        "--port 5587", f"--port {ports['submission']}").replace(
        "127.0.0.1:1143", f"127.0.0.1:{ports['imap']}")


def wait_healthy(url, cafile, proc, log, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            # The certificate exists once the instance is made.
            ctx = ssl.create_default_context(cafile=str(cafile))
            with urllib.request.urlopen(url + "/healthcheck", timeout=2,
                                        context=ctx) as resp:
                if resp.status == 200:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError("the demo never became healthy: " +
                         log.read_text()[-3000:])


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@contextlib.contextmanager
def running_demo(tmp_path, argv, **env):
    """Runs argv (a demo script) from an empty checkout under tmp_path with
    every listener moved to a free port (its --set arguments) and the demo
    in the checkout's var/demo, until it is healthy; yields what the test
    needs (checkout, demo, ports, base, env, log), then stops it with
    SIGTERM. Once it has served, the stop must be clean (exit 0)."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    demo = checkout / "var" / "demo"
    ports = dict(zip(LISTENERS, free_ports(len(LISTENERS))))
    sets = [f"{name}.listen=127.0.0.1:{port}" for name, port in ports.items()]
    env = dict(os.environ, CAREMAIL_BIN=BIN, CAREMAIL_DEMO_DIR=str(demo),
               **env)
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([*argv, *sets], stdout=out, stderr=out,
                                env=env)
    served = False
    try:
        base = f"https://127.0.0.1:{ports['http']}"
        wait_healthy(base, demo / "tls" / "cert.pem", proc, log)
        served = True
        yield types.SimpleNamespace(checkout=checkout, demo=demo,
                                    ports=ports, base=base, env=env, log=log)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        assert code == 0 or not served, log.read_text()[-3000:]
