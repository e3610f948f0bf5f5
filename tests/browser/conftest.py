"""Fixtures for the browser tests: the integration tests' real server
(tests/integration/conftest.py, loaded under another name and re-exported
here) serving the built pages ($CAREMAIL_WEB_ROOT, default build/web) over
HTTPS, and run_scenario, which runs one node script (tests/browser/*.mjs)
against it and fails with the script's message."""

import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
_spec = importlib.util.spec_from_file_location(
    "integration_conftest", ROOT / "tests" / "integration" / "conftest.py")
_integration = importlib.util.module_from_spec(_spec)
sys.modules["integration_conftest"] = _integration
_spec.loader.exec_module(_integration)
globals().update({k: v for k, v in vars(_integration).items()
                  if not k.startswith("_")})

WEB_ROOT = pathlib.Path(os.environ.get("CAREMAIL_WEB_ROOT",
                                       ROOT / "build" / "web"))
# Where the scenarios leave each checked page's screenshots; set empty,
# none are taken (`make test`: they are for people, not a check).
SCREENSHOTS = os.environ.get("CAREMAIL_SCREENSHOTS",
                             str(ROOT / "build" / "screenshots"))
# One scenario, browser start to close, at most this many seconds.
SCENARIO_TIMEOUT = 180


# The longest files (2 workers, pytest --durations, 2026-12-05), longest
# first: each file runs whole on one worker, handed out in collection
# order, and the tour collected near the end ran on alone for a minute.
LONGEST_FILES = ("test_tour.py", "test_signin.py", "test_orgs.py",
                 "test_secure.py", "test_users.py", "test_mailboxes.py",
                 "test_lists.py", "test_harness.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
    missing = [what for what, ok in (
        ("the built pages (make web)", (WEB_ROOT / "index.html").exists()),
        ("node", shutil.which("node")),
        ("Chromium", pathlib.Path(os.environ.get(
            "CHROMIUM", "/usr/bin/chromium")).exists()),
        ("web/node_modules (make web)",
         (ROOT / "web" / "node_modules" / "playwright-core").exists()),
    ) if not ok]
    if missing:
        # Failing, not skipping: `make test` must not pass without them.
        raise pytest.UsageError("browser tests need " + ", ".join(missing))


@pytest.fixture
def web_server(start_server):
    """`caremail serve` over HTTPS with the built pages, as `make run`."""
    def start(extra=()):
        return start_server(tls=True, extra=[f"http.web_root={WEB_ROOT}",
                                             *extra])
    return start


@pytest.fixture
def run_scenario():
    """run_scenario(name, server, **env) runs tests/browser/NAME.mjs
    (a long one may take timeout seconds)."""
    def run(name, server, timeout=SCENARIO_TIMEOUT, **env):
        full = dict(os.environ)
        full.update({"CAREMAIL_URL": server.url,
                     "CAREMAIL_SCREENSHOTS": SCREENSHOTS})
        full.update({f"CAREMAIL_{k.upper()}": str(v) for k, v in env.items()})
        proc = subprocess.run(["node", str(HERE / f"{name}.mjs")],
                              capture_output=True, text=True, env=full,
                              timeout=timeout, cwd=ROOT)
        if proc.returncode != 0:
            pytest.fail(f"{name}.mjs: {proc.stderr.strip()[-4000:]}",
                        pytrace=False)
        return proc.stdout
    return run


class HttpsClient:
    """The few API calls a scenario's set-up needs, over HTTPS with the
    instance's certificate (tests/integration/apiclient.py speaks plain
    HTTP)."""

    def __init__(self, server):
        self.server = server
        self.cookie = None
        self.csrf = None

    def call(self, method, path, body=None):
        import http.client
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.server.port, timeout=20,
            context=self.server.ssl_context())
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf and method != "GET":
            headers["X-CSRF-Token"] = self.csrf
        conn.request(method, "/api/v1" + path, headers=headers,
                     body=None if body is None else json.dumps(body))
        resp = conn.getresponse()
        text = resp.read()
        cookie = resp.getheader("Set-Cookie")
        conn.close()
        if cookie:
            self.cookie = cookie.split(";")[0]
        reply = json.loads(text) if text else None
        if method == "POST" and path == "/session" and resp.status == 201:
            self.csrf = reply["csrf_token"]
        return resp.status, reply

    def ok(self, method, path, body=None):
        status, reply = self.call(method, path, body)
        assert status in (200, 201, 202), (method, path, status, reply)
        return reply


@pytest.fixture
def https_client():
    return HttpsClient


# Setting up a scenario: shared by the page tests.

def ready(https_client, server, address, password):
    """An HTTPS client past every gate (password, TOTP): its cookie is
    handed to the browser, as a person who has signed in."""
    c = https_client(server)
    status, body = c.call("POST", "/session",
                          {"email": address, "password": password})
    assert status == 201, body
    if body["must_change_password"]:
        c.ok("POST", "/me/password", {"current": password,
                                      "new": password + " but longer"})
    if body.get("mfa_setup_required"):
        secret = c.ok("POST", "/me/mfa")["secret"]
        from apiclient import totp
        c.ok("POST", "/me/mfa/verify", {"code": totp(secret)})
    return c


# The two practices most scenarios use, and the password their people get.
OURS, OTHER = "X26001", "X26002"
USER_PASSWORD = "user password number one"


def person(instance, org, first, last, password=None, role=None):
    """A new person's address; with a (temporary) password set and an
    admin role held in org when asked."""
    address = instance.run("user", "add", "--org", org, "--first", first,
                           "--last", last).stdout.strip().split()[-1]
    if password:
        instance.run("user", "passwd", address, "--stdin",
                     input=password + "\n")
    if role:
        instance.run("role", "add", address, "--org", org, "--role", role)
    return address


def practices(instance, *orgs):
    """Adds a GP practice for each (ods, name)."""
    for ods, name in orgs:
        instance.run("org", "add", "--ods", ods, "--name", name,
                     "--type", "GP Practice")


def two_practices(instance, site=False):
    """OURS (Riverside) and OTHER (Hillside); site: OURS gets a surgery."""
    practices(instance, (OURS, "Riverside Practice"),
              (OTHER, "Hillside Practice"))
    if site:
        instance.run("site", "add", "--org", OURS, "--name",
                     "Main Surgery", "--type", "gp_practice")
