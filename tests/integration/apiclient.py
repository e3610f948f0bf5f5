"""A small client for the JSON API, shared by the API tests: it keeps its
own cookie and CSRF token, computes TOTP codes (RFC 6238) and brings a
person from first sign-in to a working session (password changed, MFA
enrolled for admins)."""

import base64
import hashlib
import hmac
import http.client
import json
import struct
import time
import urllib.parse

from conftest import PASSWORD

NEW_PASSWORD = "a much longer passphrase now"
USER_PASSWORD = "user password number one"


def totp(secret, t=None, step_offset=0):
    """RFC 6238 with SHA-1, 30 s steps and 6 digits, as RFC 4226 §5.3."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int(time.time() if t is None else t) // 30 + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1000000:06d}"


def q(value):
    """A path segment, percent-encoded."""
    return urllib.parse.quote(value, safe="@")


class Client:
    """An API client keeping its own cookie and CSRF token."""

    def __init__(self, server):
        self.server = server
        self.cookie = None
        self.csrf = None
        self.bearer = None
        self.mfa_secret = None
        self.address = None

    def call(self, method, path, body=None, headers=None, raw=None,
             csrf=True, content_type="application/json"):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                          timeout=20)
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type:
            h["Content-Type"] = content_type
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.bearer:
            h["Authorization"] = "Bearer " + self.bearer
        if csrf and self.csrf and method != "GET":
            h.setdefault("X-CSRF-Token", self.csrf)
        conn.request(method, "/api/v1" + path, body=data, headers=h)
        resp = conn.getresponse()
        text = resp.read()
        conn.close()
        self.last = resp
        self.last_text = text  # the body's bytes, as sent
        return resp.status, (json.loads(text) if text else None)

    def ok(self, method, path, body=None, status=(200, 201)):
        """The call's reply body; fails the test on any other status."""
        got, reply = self.call(method, path, body)
        wanted = status if isinstance(status, tuple) else (status,)
        assert got in wanted, (method, path, got, reply)
        return reply

    def refused(self, method, path, body=None, status=403):
        """The error of a refused call, after checking its status and that
        it says a sentence."""
        got, reply = self.call(method, path, body)
        assert got == status, (method, path, got, reply)
        err = reply["error"]
        assert err["message"] and err["code"], reply
        return err

    def signin(self, email, password, code=None):
        body = {"email": email, "password": password}
        if code is not None:
            body["code"] = code
        status, reply = self.call("POST", "/session", body)
        if status == 201:
            cookie = self.last.getheader("Set-Cookie")
            self.cookie = cookie.split(";")[0]
            self.csrf = reply["csrf_token"]
            self.address = email
        return status, reply


def ready(server, address, password, new_password=NEW_PASSWORD):
    """A signed-in client past every gate: the password changed when it
    had to be, and TOTP enrolled for an admin (its secret kept on the
    client as mfa_secret)."""
    c = Client(server)
    status, body = c.signin(address, password)
    assert status == 201, body
    if body["must_change_password"]:
        c.ok("POST", "/me/password", {"current": password,
                                      "new": new_password})
    if body.get("mfa_setup_required"):
        secret = c.ok("POST", "/me/mfa")["secret"]
        c.ok("POST", "/me/mfa/verify", {"code": totp(secret)})
        c.mfa_secret = secret
    return c


def global_admin(server, instance):
    """The instance's Global Admin (admin@domain), ready to work."""
    return ready(server, instance.addr("admin"), PASSWORD)


def make_person(instance, org, first, last, password=USER_PASSWORD):
    """A person made with the CLI, with a password set; their address."""
    address = instance.setup("user", "add", "--org", org, "--first", first,
                             "--last", last).stdout.strip().split()[-1]
    instance.setup("user", "passwd", address, "--stdin",
                   input=password + "\n")
    return address


def make_admin(server, instance, org, role="local_admin", first="Lee",
               last="Admin"):
    """A new person holding role for org, signed in and enrolled."""
    address = make_person(instance, org, first, last)
    instance.setup("role", "add", address, "--org", org, "--role", role)
    return ready(server, address, USER_PASSWORD)


SECURITY_ANSWERS = [
    {"question": "What was the name of your first pet?",
     "answer": "Rex the Dog"},
    {"question": "In which town were you born?", "answer": "Little Snoring"},
    {"question": "What was your childhood nickname?", "answer": "Bunny"},
]


def ready_to_send(server, address, password=USER_PASSWORD):
    """Makes a person able to send mail under the sending limits (SPEC
    M7) as they would in the portal's My account: signed in, the
    Acceptable Use Policy accepted and three security questions set.
    The password must be permanent (`user passwd --permanent`), so the
    person still signs in to SMTP with it; returns their API client."""
    c = ready(server, address, password)
    c.ok("PUT", "/me/security-questions",
         {"current": password, "answers": SECURITY_ANSWERS})
    c.ok("POST", "/me/aup", {"accepted": True})
    return c
