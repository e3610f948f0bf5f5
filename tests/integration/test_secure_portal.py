"""The secure message portal's API over real HTTPS (SPEC M10, M11;
SECURITY.md 51, 52; docs/secure-portal.md): a [secure] message with an
attachment is submitted to an outside address; the notice with the link
comes out of the real queue into an aiosmtpd sink through a DNS stub; the
reader looks at the link, asks for a code (mailed through the queue to the
same sink, read from there), signs in, lists, reads, downloads and replies;
the sender reads the reply over IMAP, sees the access log and withdraws
access, after which every reader route says 410 revoked; the expiry sweep
makes it 410 expired. Readers' and staff sessions never cross."""

import email
import email.policy
import http.client
import json
import re

import pytest

from conftest import PASSWORD
from dnsstub import DnsStub
from smtpsink import Sink
from test_queue import Outbound

ZONE = {
    "gmail.example": {"MX": [[10, "mx.gmail.example"]]},
    "mx.gmail.example": {"A": ["127.0.0.1"]},
}
READER = "pat@gmail.example"
BODY = "Results for Mrs A: the biopsy was clear."
ATTACHMENT = bytes(range(256)) * 3


def secure_mail(sender, to, cc=()):
    """A [secure] message with a text body and a binary attachment."""
    cc_line = f"Cc: {', '.join(cc)}\r\n" if cc else ""
    b64 = __import__("base64").encodebytes(ATTACHMENT).decode()
    return (f"From: Ann <{sender}>\r\nTo: {', '.join(to)}\r\n{cc_line}"
            f"Subject: [secure] Results\r\nMessage-ID: <res@test>\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=b1\r\n\r\n"
            f"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{BODY}\r\n"
            f"--b1\r\nContent-Type: application/pdf\r\n"
            f"Content-Disposition: attachment; "
            f"filename*=UTF-8''r%C3%A9sultat.pdf\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64}"
            f"--b1--\r\n").replace("\n", "\r\n").replace("\r\r\n",
                                                           "\r\n").encode()


class Https:
    """A JSON client over HTTPS keeping its own cookies."""

    def __init__(self, server):
        self.server = server
        self.cookies = {}
        self.csrf = None
        self.last = None

    def call(self, method, path, body=None, csrf=True, headers=None):
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.server.port, timeout=20,
            context=self.server.ssl_context())
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}"
                                    for k, v in self.cookies.items())
        if csrf and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        conn.request(method, "/api/v1" + path, body=data, headers=h)
        resp = conn.getresponse()
        raw = resp.read()
        self.last = resp
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            val = rest.split(";")[0]
            if "Max-Age=0" in value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = val
        conn.close()
        ctype = resp.getheader("Content-Type") or ""
        if raw and ctype.startswith("application/json"):
            return resp.status, json.loads(raw)
        return resp.status, raw


def link_of(sink, rcpt):
    """The token of the one notice mailed to rcpt."""
    tokens = []
    for m in sink.messages:
        if m.rcpt_tos != [rcpt]:
            continue
        assert BODY.encode() not in m.data
        parsed = email.message_from_bytes(m.data,
                                          policy=email.policy.default)
        text = parsed.get_body(("plain",)).get_content()
        tokens += re.findall(r"/secure/open#([A-Za-z0-9_-]{43})", text)
    (token,) = tokens
    return token


def codes_of(sink, rcpt):
    """Every code mailed to rcpt, oldest first."""
    found = []
    for m in sink.messages:
        if m.rcpt_tos != [rcpt]:
            continue
        parsed = email.message_from_bytes(m.data,
                                          policy=email.policy.default)
        if "code" not in parsed["Subject"]:
            continue
        # Nothing of the message in the code's mail either.
        assert BODY.encode() not in m.data
        text = parsed.get_body(("plain",)).get_content()
        found += re.findall(r"^\s+(\d{6})\s*$", text, re.M)
    return found


@pytest.fixture
def portal(instance, org, start_server):
    out = Outbound(instance, org, start_server(tls=True))
    with DnsStub(ZONE) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.sink = sink
        yield out


def sealed(portal, to=(READER,), cc=()):
    portal.send(list(to) + list(cc), raw=secure_mail(portal.ann, to, cc))
    portal.run()
    return link_of(portal.sink, to[0])


def signed_in(portal, link):
    """A reader's client signed in with a code from the sink."""
    r = Https(portal.server)
    status, body = r.call("POST", "/secure/codes", {"link": link})
    assert status == 202, body
    assert body == {"sent_to": READER, "expires_in_s": 900}
    portal.run()
    code = codes_of(portal.sink, READER)[-1]
    status, body = r.call("POST", "/secure/session",
                          {"link": link, "code": code})
    assert status == 201, body
    r.csrf = body["csrf_token"]
    return r


def staff(portal):
    s = Https(portal.server)
    status, body = s.call("POST", "/session", {"email": portal.ann,
                                               "password": PASSWORD})
    assert status == 201, body
    s.csrf = body["csrf_token"]
    return s


def test_read_download_reply_revoke(portal):
    link = sealed(portal)
    r = Https(portal.server)
    status, body = r.call("POST", "/secure/link", {"link": link})
    assert status == 200, body
    assert body["recipient"] == READER and body["sender"] == portal.ann
    assert body["has_password"] is False
    # Not signed in yet: nothing to read.
    assert r.call("GET", "/secure/messages")[0] == 401

    r = signed_in(portal, link)
    cookie = r.last.getheader("Set-Cookie")
    assert cookie.startswith("caremail_secure=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" in cookie
    assert "caremail_secure_browser" in r.cookies

    status, listing = r.call("GET", "/secure/messages")
    assert status == 200
    (item,) = listing["items"]
    assert item["subject"] == "[secure] Results"
    assert item["read"] is False and item["revoked"] is False
    mid = item["id"]

    status, msg = r.call("GET", f"/secure/messages/{mid}")
    assert status == 200, msg
    assert BODY in msg["text"]
    assert msg["to"] == [READER]
    (att,) = msg["attachments"]
    assert att["filename"] == "résultat.pdf"
    assert att["size"] == len(ATTACHMENT)

    status, data = r.call("GET", f"/secure/messages/{mid}/attachments/0")
    assert status == 200
    assert data == ATTACHMENT
    assert r.last.getheader("Content-Type") == "application/octet-stream"
    assert r.last.getheader("X-Content-Type-Options") == "nosniff"
    assert "filename*=UTF-8''r%C3%A9sultat.pdf" in \
        r.last.getheader("Content-Disposition")
    assert r.call("GET", f"/secure/messages/{mid}/attachments/1")[0] == 404

    # A reply needs the CSRF token.
    assert r.call("POST", f"/secure/messages/{mid}/reply",
                  {"text": "Thanks"}, csrf=False)[0] == 403
    status, body = r.call("POST", f"/secure/messages/{mid}/reply",
                          {"text": "Thank you, noted."})
    assert status == 201, body
    status, msg = r.call("GET", f"/secure/messages/{mid}")
    assert [x["text"].strip() for x in msg["replies"]] == \
        ["Thank you, noted."]
    (reply,) = [m for m in portal.inbox() if m["From"].addresses[0]
                .addr_spec == READER]
    assert reply["Subject"] == "Re: [secure] Results"
    assert reply["In-Reply-To"] == "<res@test>"
    assert "Thank you, noted." in reply.get_body(("plain",)).get_content()

    s = staff(portal)
    # Neither cookie reaches the other's routes.
    assert Https(portal.server).call("GET", "/secure/sent")[0] == 401
    crossed = Https(portal.server)
    crossed.cookies = {"caremail_secure": r.cookies["caremail_secure"]}
    assert crossed.call("GET", "/secure/sent")[0] == 401
    assert crossed.call("GET", "/me")[0] == 401
    crossed.cookies = dict(s.cookies)
    assert crossed.call("GET", "/secure/messages")[0] == 401

    status, sent = s.call("GET", "/secure/sent")
    assert status == 200
    (mine,) = sent["items"]
    assert mine["subject"] == "[secure] Results"
    (rcpt,) = mine["recipients"]
    assert rcpt["address"] == READER and rcpt["first_read_at"]
    assert rcpt["revoked_at"] is None
    status, one = s.call("GET", f"/secure/sent/{mine['id']}")
    events = [(a["event"], a["ok"]) for a in one["access"]]
    for e in ("link", "code_sent", "signed_in", "opened", "downloaded",
              "replied"):
        assert (e, True) in events, events
    assert all(a["peer"] == "127.0.0.1" for a in one["access"])

    # Without the staff CSRF token nothing is withdrawn.
    assert s.call("POST", f"/secure/sent/{mine['id']}/revoke",
                  {"recipient": READER}, csrf=False)[0] == 403
    status, after = s.call("POST", f"/secure/sent/{mine['id']}/revoke",
                           {"recipient": READER})
    assert status == 200, after
    assert after["recipients"][0]["revoked_at"]
    for method, path, body in [
            ("GET", f"/secure/messages/{mid}", None),
            ("GET", f"/secure/messages/{mid}/attachments/0", None),
            ("POST", f"/secure/messages/{mid}/reply", {"text": "again"})]:
        status, body = r.call(method, path, body)
        assert status == 410 and body["error"]["code"] == "revoked", path
    status, body = Https(portal.server).call("POST", "/secure/link",
                                             {"link": link})
    assert status == 410 and body["error"]["code"] == "revoked"
    status, listing = r.call("GET", "/secure/messages")
    assert listing["items"][0]["revoked"] is True
    assert listing["items"][0]["subject"] == ""
    status, one = s.call("GET", f"/secure/sent/{mine['id']}")
    assert ("opened", False) in [(a["event"], a["ok"])
                                 for a in one["access"]]
    rows = portal.instance.json("audit", "list", "--type", "message")
    summaries = json.dumps(rows)
    for event in ("secure_signin", "secure_read", "secure_revoke"):
        assert event in summaries
    # Nothing secret in the audit or the log.
    assert link not in summaries and BODY not in summaries
    logs = portal.server.logs()
    assert link not in logs and BODY not in logs
    assert r.cookies["caremail_secure"] not in logs


def test_wrong_codes_other_browser_and_limits(portal):
    link = sealed(portal)
    a = Https(portal.server)
    assert a.call("POST", "/secure/codes", {"link": link})[0] == 202
    portal.run()
    code = codes_of(portal.sink, READER)[-1]
    # Another browser (no cookie of its own from the request) is refused.
    b = Https(portal.server)
    status, body = b.call("POST", "/secure/session",
                          {"link": link, "code": code})
    assert status == 422 and "another browser" in body["error"]["message"]
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for left in (4, 3, 2, 1):
        status, body = a.call("POST", "/secure/session",
                              {"link": link, "code": wrong})
        assert status == 422 and body["error"]["field"] == "code"
        assert f"{left} tr" in body["error"]["message"], body
    status, body = a.call("POST", "/secure/session",
                          {"link": link, "code": wrong})
    assert status == 422 and "new code" in body["error"]["message"]
    # The fifth wrong try killed it: the right code no longer works.
    status, body = a.call("POST", "/secure/session",
                          {"link": link, "code": code})
    assert status == 422 and "new code" in body["error"]["message"]
    # Four more codes make five this hour; a sixth is refused.
    for _ in range(4):
        assert a.call("POST", "/secure/codes", {"link": link})[0] == 202
    status, body = a.call("POST", "/secure/codes", {"link": link})
    assert status == 429, body
    assert a.last.getheader("Retry-After")


def test_unknown_links_and_another_readers_message(portal):
    link = sealed(portal)
    r = Https(portal.server)
    status, body = r.call("POST", "/secure/link", {"link": "A" * 43})
    assert status == 404 and "not one we sent" in body["error"]["message"]
    assert r.call("POST", "/secure/link", {"link": "short"})[0] == 404
    reader = signed_in(portal, link)
    assert reader.call("GET", "/secure/messages/999999")[0] == 404
    # The sender's own message id as another person is a 404.
    other = Https(portal.server)
    person = portal.instance.run("user", "add", "--org", "X26001",
                                 "--first", "Bo", "--last", "Other"
                                 ).stdout.strip()
    portal.instance.run("user", "passwd", person, "--stdin", "--permanent",
                        input=PASSWORD + "\n")
    status, body = other.call("POST", "/session", {"email": person,
                                                   "password": PASSWORD})
    assert status == 201
    other.csrf = body["csrf_token"]
    status, mine = staff(portal).call("GET", "/secure/sent")
    mid = mine["items"][0]["id"]
    assert other.call("GET", f"/secure/sent/{mid}")[0] == 404
    assert other.call("POST", f"/secure/sent/{mid}/revoke",
                      {"all": True})[0] == 404
    assert other.call("GET", "/secure/sent")[1]["items"] == []


def test_password_sign_in_and_sign_out(portal):
    link = sealed(portal)
    r = signed_in(portal, link)
    status, body = r.call("PUT", "/secure/password", {"password": "short"})
    assert status == 422 and body["error"]["field"] == "password"
    assert r.call("PUT", "/secure/password",
                  {"password": "a long passphrase for the portal"}
                  )[0] == 204
    status, body = r.call("GET", "/secure/session")
    assert status == 200 and body["has_password"] is True
    assert r.call("DELETE", "/secure/session")[0] == 204
    assert r.call("GET", "/secure/session")[0] == 401
    again = Https(portal.server)
    status, body = again.call("POST", "/secure/session", {
        "email": READER, "password": "not the passphrase at all"})
    assert status == 401
    status, body = again.call("POST", "/secure/session", {
        "email": READER, "password": "a long passphrase for the portal"})
    assert status == 201, body
    again.csrf = body["csrf_token"]
    assert len(again.call("GET", "/secure/messages")[1]["items"]) == 1


def test_expiry_purge(portal):
    link = sealed(portal)
    r = signed_in(portal, link)
    mid = r.call("GET", "/secure/messages")[1]["items"][0]["id"]
    assert r.call("GET", f"/secure/messages/{mid}")[0] == 200
    # Nothing has expired yet.
    assert portal.instance.json("secure", "purge") == {"purged": 0}
    # 91 days on, the default 90-day expiry has passed.
    out = portal.instance.json("secure", "purge", "--at",
                               str(portal.t0 + 91 * 86400))
    assert out == {"purged": 1}
    status, body = r.call("GET", f"/secure/messages/{mid}")
    assert status == 410 and body["error"]["code"] == "expired"
    status, body = Https(portal.server).call("POST", "/secure/link",
                                             {"link": link})
    assert status == 410 and body["error"]["code"] == "expired"
    status, bad = portal.instance.run("secure", "purge", "--at", "soon",
                                      check=False).returncode, None
    assert status != 0


def test_reply_all_seals_again_for_outside_and_long_replies(portal):
    """A reply to all: the sender gets it in clear in their Inbox, the
    other outside recipient gets a notice of their own (sealed again);
    the reader's body is larger than an anonymous request may be."""
    other = "sam@gmail.example"
    link = sealed(portal, to=(READER,), cc=(other,))
    r = signed_in(portal, link)
    mid = r.call("GET", "/secure/messages")[1]["items"][0]["id"]
    text = "Thank you.\n" + "All of this matters. " * 600
    assert len(text) > 8 * 1024
    before = len(portal.sink.messages)
    status, body = r.call("POST", f"/secure/messages/{mid}/reply",
                          {"text": text, "all": True})
    assert status == 201, body
    portal.run()
    new = portal.sink.messages[before:]
    (notice,) = [m for m in new if m.rcpt_tos == [other]]
    assert b"All of this matters" not in notice.data
    parsed = email.message_from_bytes(notice.data,
                                      policy=email.policy.default)
    assert parsed["Subject"] == f"Encrypted message from {READER}"
    (reply,) = [m for m in portal.inbox()
                if m["From"].addresses[0].addr_spec == READER]
    assert [a.addr_spec for a in reply["Cc"].addresses] == [other]
    assert "All of this matters" in \
        reply.get_body(("plain",)).get_content()


@pytest.fixture
def strict(instance, org, start_server):
    out = Outbound(instance, org, start_server(tls=True, extra=[
        "ratelimit.token_failures_per_ip=3"]))
    with DnsStub(ZONE) as stub, Sink() as sink:
        out.settings(stub, sink.port)
        out.sink = sink
        yield out


def test_unknown_links_are_rate_limited(strict):
    link = sealed(strict)
    r = Https(strict.server)
    for i in range(3):
        status, _ = r.call("POST", "/secure/link",
                           {"link": f"{i}" * 43})
        assert status == 404
    # Past the limit even a real link is refused from this address.
    status, body = r.call("POST", "/secure/link", {"link": link})
    assert status == 429, body
    assert r.last.getheader("Retry-After")
    assert r.call("POST", "/secure/codes", {"link": link})[0] == 429
