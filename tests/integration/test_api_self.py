"""Self-service (SPEC P11, seeds 001 and 003, SECURITY.md 39, 40, 47):
profile, security questions, the Acceptable Use Policy, forgotten password
and self-service unlock by security answers plus an SMS code, the SMS
gateways (file outbox and HTTPS JSON), and the 429 rate limits."""

import http.server
import json
import re
import sqlite3
import ssl
import threading

import pytest

from apiclient import NEW_PASSWORD, Client, make_admin, make_person, ready

QUESTIONS = [
    "What was the name of your first pet?",
    "In which town were you born?",
    "What was your childhood nickname?",
]
ANSWERS = ["Rex the Dog", "Little Snoring", "Bunny"]
MOBILE = "07700 900123"
FRESH = "a brand new passphrase here"


def answers(values=ANSWERS, questions=QUESTIONS):
    return [{"question": q, "answer": a} for q, a in zip(questions, values)]


def outbox(instance):
    """Every SMS the file gateway has written, oldest first."""
    path = instance.dir / "sms-outbox.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def code_messages(instance):
    return [m for m in outbox(instance) if "recovery code" in m["text"]]


def last_code(instance):
    msgs = code_messages(instance)
    assert msgs, "no SMS was sent"
    return re.search(r"\b(\d{6})\b", msgs[-1]["text"]).group(1)


@pytest.fixture
def person(instance, org):
    return make_person(instance, org, "Sam", "Patel")


def enrolled(server, instance, person, mobile=MOBILE):
    """A signed-in person with a mobile and three security answers."""
    c = ready(server, person, "user password number one")
    if mobile:
        c.ok("PATCH", "/me", {"mobile": mobile})
    c.ok("PUT", "/me/security-questions",
         {"current": NEW_PASSWORD, "answers": answers()})
    return c


@pytest.fixture
def roomy(start_server):
    """A server whose recovery limits leave room for many tries."""
    return start_server(extra=["ratelimit.recovery_per_address=100",
                               "ratelimit.recovery_per_ip=100"])


def audit(instance):
    return instance.json("audit", "list", "--type", "user_mailbox")


# ---- profile ----

def test_admin_changing_a_mobile_tells_the_old_number(server, instance,
                                                      person, org):
    """SECURITY.md 40: recovery codes go to the mobile, so its owner hears
    of a change whoever makes it."""
    instance.run("user", "edit", person, "--mobile", MOBILE)
    la = make_admin(server, instance, org, first="Lou", last="Admin")
    la.ok("PATCH", f"/users/{person}", {"mobile": "07700 900999"})
    told = outbox(instance)
    assert len(told) == 1 and told[0]["to"] == MOBILE
    assert "mobile number" in told[0]["text"]
    la.ok("PATCH", f"/users/{person}", {"job_title": "Nurse"})
    assert len(outbox(instance)) == 1   # no mobile change, no message


def test_patch_me_mobile_and_hidden(server, instance, person):
    c = ready(server, person, "user password number one")
    me = c.ok("PATCH", "/me", {"mobile": MOBILE, "mobile_hidden": True})
    assert me["mobile"] == MOBILE and me["mobile_hidden"] is True
    me = c.ok("GET", "/me")
    assert me["mobile"] == MOBILE and me["mobile_hidden"] is True
    assert outbox(instance) == []       # there was no mobile to tell
    c.ok("PATCH", "/me", {"mobile": "07700 900999"})
    told = outbox(instance)
    assert len(told) == 1 and told[0]["to"] == MOBILE
    assert "mobile number" in told[0]["text"]
    c.ok("PATCH", "/me", {"mobile": MOBILE})
    assert instance.json("user", "show", person)["mobile"] == MOBILE
    rows = [r for r in audit(instance) if r["action"] == "update"]
    assert rows and rows[0]["summary"]["after"]["mobile"] == MOBILE
    assert rows[0]["actor"] == person
    c.ok("PATCH", "/me", {"mobile_hidden": False})
    assert c.ok("GET", "/me")["mobile_hidden"] is False
    err = c.refused("PATCH", "/me", {"mobile": "call me maybe"}, 422)
    assert err["field"] == "mobile"
    err = c.refused("PATCH", "/me", {"display_name": "X"}, 422)
    assert err["field"] == "display_name"
    err = c.refused("PATCH", "/me", {"mobile_hidden": "yes"}, 422)
    # Without CSRF or without a session it is refused.
    assert c.call("PATCH", "/me", {"mobile": "0"}, csrf=False)[0] == 403
    assert Client(server).call("PATCH", "/me", {"mobile": "1"})[0] == 401
    assert c.ok("GET", "/me")["mobile"] == MOBILE


# ---- security questions ----

def test_question_choices_default_and_configured(start_server, instance,
                                                 person):
    server = start_server()
    c = ready(server, person, "user password number one")
    got = c.ok("GET", "/me/security-questions/choices")
    assert len(got["questions"]) == 8 and got["choose"] == 3
    assert QUESTIONS[0] in got["questions"]
    assert Client(server).call(
        "GET", "/me/security-questions/choices")[0] == 401
    other = start_server(extra=[
        "auth.security_questions=Favourite colour?, Best film?, "
        "First teacher?, Home town?"])
    c2 = Client(other)
    assert c2.signin(person, NEW_PASSWORD)[0] == 201
    got = c2.ok("GET", "/me/security-questions/choices")
    assert got["questions"] == ["Favourite colour?", "Best film?",
                                "First teacher?", "Home town?"]


def test_set_security_questions(server, instance, person):
    c = ready(server, person, "user password number one")
    assert c.ok("GET", "/me")["security_questions"] == []
    got = c.ok("PUT", "/me/security-questions",
               {"current": NEW_PASSWORD, "answers": answers()})
    assert got["security_questions"] == QUESTIONS
    assert c.ok("GET", "/me")["security_questions"] == QUESTIONS
    # Hashed with Argon2id; the answer is nowhere in the database.
    db = sqlite3.connect(instance.dir / "caremail.db")
    rows = db.execute("SELECT question, answer_hash FROM security_answers"
                      " ORDER BY position").fetchall()
    db.close()
    assert [r[0] for r in rows] == QUESTIONS
    assert all(r[1].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
               for r in rows)
    raw = (instance.dir / "caremail.db").read_bytes().lower()
    for a in ANSWERS:
        assert a.lower().encode() not in raw
    summaries = json.dumps(audit(instance))
    assert "security_questions_set" in summaries
    assert "Little Snoring" not in summaries


@pytest.mark.parametrize("body,field,status", [
    ({"current": "wrong password here", "answers": answers()}, "current",
     403),
    ({"current": NEW_PASSWORD, "answers": answers()[:2]}, "answers", 422),
    ({"current": NEW_PASSWORD,
      "answers": answers(questions=[QUESTIONS[0]] * 3)}, "answers", 422),
    ({"current": NEW_PASSWORD,
      "answers": answers(questions=["Who am I?"] + QUESTIONS[1:])},
     "answers", 422),
    ({"current": NEW_PASSWORD, "answers": answers(["  ", "b", "c"])},
     "answers", 422),
    ({"current": NEW_PASSWORD, "answers": [{"question": QUESTIONS[0]}] * 3},
     "answers", 422),
    ({"current": NEW_PASSWORD, "answers": "Rex"}, "answers", 422),
    ({"answers": answers()}, "current", 422),
])
def test_security_question_refusals(server, instance, person, body, field,
                                    status):
    c = ready(server, person, "user password number one")
    err = c.refused("PUT", "/me/security-questions", body, status)
    assert err["field"] == field
    assert c.ok("GET", "/me")["security_questions"] == []


# ---- Acceptable Use Policy ----

def test_accept_aup(start_server, instance, person):
    server = start_server(extra=["auth.aup_version=2026-11"])
    c = ready(server, person, "user password number one")
    aup = c.ok("GET", "/me")["aup"]
    assert aup["accepted_at"] is None and aup["current_accepted"] is False
    assert aup["current_version"] == "2026-11"
    err = c.refused("POST", "/me/aup", {"accepted": False}, 422)
    assert err["field"] == "accepted"
    c.refused("POST", "/me/aup", {}, 422)
    got = c.ok("POST", "/me/aup", {"accepted": True})
    assert got["accepted_version"] == "2026-11" and got["current_accepted"]
    aup = c.ok("GET", "/me")["aup"]
    assert aup["accepted_at"] is not None and aup["current_accepted"]
    rows = [r for r in audit(instance) if r["summary"].get("aup_accepted")]
    assert rows and rows[0]["summary"]["aup_version"] == "2026-11"
    assert Client(server).call("POST", "/me/aup", {"accepted": True})[0] \
        == 401


# ---- recovery: start ----

def test_recovery_start_tells_nothing(server, instance, org, person):
    enrolled(server, instance, person)
    bare = make_person(instance, org, "No", "Questions")
    c = Client(server)
    known = c.call("POST", "/recovery/start", {"email": person})
    assert known[0] == 202
    assert known[1]["questions"] == QUESTIONS
    assert len(code_messages(instance)) == 1
    assert code_messages(instance)[0]["to"] == MOBILE
    for address in (instance.addr("nobody.here"), bare,
                    "not-even@elsewhere.example"):
        status, body = c.call("POST", "/recovery/start", {"email": address})
        assert status == 202
        assert body["message"] == known[1]["message"]
        assert sorted(body) == sorted(known[1])
        assert len(body["questions"]) == 3
        assert len(set(body["questions"])) == 3
        # Stable, so asking twice does not give the decoy away.
        again = c.call("POST", "/recovery/start", {"email": address})[1]
        assert again["questions"] == body["questions"]
    assert len(code_messages(instance)) == 1, "an SMS went to a non-account"
    assert c.call("POST", "/recovery/start", {})[0] == 422
    assert c.call("POST", "/recovery/start", {"email": person},
                  content_type="text/plain")[0] == 415


# ---- recovery: complete (forgotten password) ----

def test_forgot_password_with_answers_and_code(server, instance, person):
    enrolled(server, instance, person)
    c = Client(server)
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    code = last_code(instance)
    assert "expires in 10 minutes" in code_messages(instance)[-1]["text"]
    # Hashed at rest, and the outbox is for the service's eyes only.
    db = sqlite3.connect(instance.dir / "caremail.db")
    stored = db.execute("SELECT code_hash FROM recovery_codes").fetchall()
    db.close()
    assert len(stored) == 1 and code not in stored[0][0]
    assert (instance.dir / "sms-outbox.log").stat().st_mode & 0o777 == 0o600
    # Case and spacing of the answers do not matter.
    typed = answers(["  rEX   THE dog ", "LITTLE\tsnoring", "bunny  "])
    got = c.ok("POST", "/recovery/complete",
               {"email": person.upper(), "answers": typed, "code": code,
                "new_password": FRESH})
    assert got == {"password_changed": True}
    assert Client(server).signin(person, FRESH)[0] == 201
    assert Client(server).signin(person, NEW_PASSWORD)[0] == 401
    # The person chose it, so it need not be changed again.
    s = Client(server)
    assert s.signin(person, FRESH)[1]["must_change_password"] is False
    # The code is spent.
    err = c.refused("POST", "/recovery/complete",
                    {"email": person, "answers": typed, "code": code,
                     "new_password": "yet another passphrase"})
    assert "code" in err["message"]
    assert Client(server).signin(person, FRESH)[0] == 201
    # Told by SMS; audited without secrets.
    assert "password was just reset" in outbox(instance)[-1]["text"]
    text = json.dumps(audit(instance))
    assert "self_service_recovery" in text and "recovery_code_sent" in text
    assert code not in text and FRESH not in text
    logs = server.logs()
    assert code not in logs and "Rex" not in logs and FRESH not in logs


def test_forgot_password_refuses_a_guessable_one(server, instance, person):
    """SECURITY.md 37 at recovery: a common password is refused before
    anything is proved; one holding the person's name once they have
    proved who they are (so the reply tells a stranger nothing of them).
    Neither spends the code."""
    enrolled(server, instance, person)
    c = Client(server)
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    base = {"email": person, "answers": answers(), "code": last_code(instance)}
    for password, why in (("password1234", "common password"),
                          ("Samuel Patel for ever", "contains your name")):
        err = c.refused("POST", "/recovery/complete",
                        dict(base, new_password=password), 422)
        assert err["field"] == "new_password" and why in err["message"]
    # A stranger naming a made-up address hears nothing about names.
    stranger = dict(base, email=instance.addr("nobody.here"),
                    new_password="Samuel Patel for ever")
    assert "not right" in c.refused("POST", "/recovery/complete",
                                    stranger)["message"]
    c.ok("POST", "/recovery/complete", dict(base, new_password=FRESH))
    assert Client(server).signin(person, FRESH)[0] == 201


def test_forgot_password_refusals(roomy, instance, person):
    server = roomy
    enrolled(server, instance, person)
    c = Client(server)
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    code = last_code(instance)
    wrong_code = "000000" if code != "000000" else "111111"
    base = {"email": person, "answers": answers(), "code": code,
            "new_password": FRESH}
    cases = [
        dict(base, code=wrong_code),
        dict(base, answers=answers(["Rex", "Little Snoring", "Bunny"])),
        dict(base, answers=answers()[:2]),
        dict(base, answers=answers(questions=[QUESTIONS[0]] * 3)),
        dict(base, email=instance.addr("nobody.here")),
    ]
    for body in cases:
        err = c.refused("POST", "/recovery/complete", body)
        assert "not right" in err["message"]
    err = c.refused("POST", "/recovery/complete",
                    dict(base, new_password="short"), 422)
    assert err["field"] == "new_password"
    # Answers never stand alone: the code is required.
    body = dict(base)
    del body["code"]
    assert c.refused("POST", "/recovery/complete", body, 422)["field"] \
        == "code"
    assert Client(server).signin(person, NEW_PASSWORD)[0] == 201
    # Four wrong tries so far on this code; the fifth kills it.
    c.refused("POST", "/recovery/complete", dict(base, code=wrong_code))
    err = c.refused("POST", "/recovery/complete", base)
    assert "not right" in err["message"]
    # A new start gives a new code, and only the newest works.
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    codes = [re.search(r"\d{6}", m["text"]).group(0)
             for m in code_messages(instance)[-2:]]
    if codes[0] != codes[1]:
        c.refused("POST", "/recovery/complete", dict(base, code=codes[0]))
    c.ok("POST", "/recovery/complete", dict(base, code=codes[1]))
    rows = [r for r in audit(instance) if r["summary"].get("recovery_failed")]
    assert len(rows) >= 4


def test_code_expires(start_server, instance, person, monkeypatch):
    t0 = 1_900_000_000
    monkeypatch.setenv("CAREMAIL_NOW", str(t0))
    # The clock is years ahead: serve's lifecycle jobs would find the
    # person made just now long unused (docs/lifecycle.md) and delete them.
    server = start_server(extra=["jobs.interval_s=0"])
    enrolled(server, instance, person)
    c = Client(server)
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    code = last_code(instance)
    halt(server)
    monkeypatch.setenv("CAREMAIL_NOW", str(t0 + 601))
    later = start_server(extra=["jobs.interval_s=0"])
    c = Client(later)
    body = {"email": person, "answers": answers(), "code": code,
            "new_password": FRESH}
    assert "expired" in c.refused("POST", "/recovery/complete",
                                  body)["message"]
    halt(later)
    monkeypatch.setenv("CAREMAIL_NOW", str(t0 + 599))
    c = Client(start_server(extra=["jobs.interval_s=0"]))
    c.ok("POST", "/recovery/complete", body)


def halt(server):
    """Stops a server mid-test; the fixture still checks how it ended."""
    server.proc.terminate()
    assert server.proc.wait(timeout=10) == 0


# ---- locked accounts (seeds 001 and 003) ----

def lock(server, person):
    c = Client(server)
    for _ in range(12):
        c.signin(person, "wrong wrong wrong")


def test_forgot_password_refused_while_locked_then_unlock(roomy, instance,
                                                          person):
    server = roomy
    enrolled(server, instance, person)
    lock(server, person)
    assert instance.json("user", "show", person)["locked"] is True
    c = Client(server)
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    code = last_code(instance)
    err = c.refused("POST", "/recovery/complete",
                    {"email": person, "answers": answers(), "code": code,
                     "new_password": FRESH})
    assert "locked" in err["message"]
    assert "unlock" in err["message"]
    assert instance.json("user", "show", person)["locked"] is True
    # With a mobile registered, unlock needs the code too.
    err = c.refused("POST", "/recovery/unlock",
                    {"email": person, "answers": answers()})
    assert "not right" in err["message"]
    c.refused("POST", "/recovery/unlock",
              {"email": person, "answers": answers(["x", "y", "z"]),
               "code": code})
    got = c.ok("POST", "/recovery/unlock",
               {"email": person, "answers": answers(), "code": code})
    assert got == {"unlocked": True}
    shown = instance.json("user", "show", person)
    assert shown["locked"] is False and shown["status"] == "active"
    assert Client(server).signin(person, NEW_PASSWORD)[0] == 201
    # The code was spent by the unlock.
    c.refused("POST", "/recovery/complete",
              {"email": person, "answers": answers(), "code": code,
               "new_password": FRESH})
    rows = [r for r in audit(instance) if r["summary"].get("unlocked")]
    assert rows and rows[0]["summary"]["by_self"] is True
    assert rows[0]["summary"]["status"] == "active"
    assert rows[0]["actor"] == person
    # Not locked any more: unlocking again says so.
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    err = c.refused("POST", "/recovery/unlock",
                    {"email": person, "answers": answers(),
                     "code": last_code(instance)}, 422)
    assert "not locked" in err["message"]


def test_unlock_without_mobile_needs_answers_only(server, instance, person):
    enrolled(server, instance, person, mobile=None)
    lock(server, person)
    c = Client(server)
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    assert code_messages(instance) == []      # nowhere to send a code
    c.refused("POST", "/recovery/unlock",
              {"email": person, "answers": answers(["a", "b", "c"])})
    assert instance.json("user", "show", person)["locked"] is True
    c.ok("POST", "/recovery/unlock",
         {"email": person, "answers": answers([a.lower() for a in ANSWERS])})
    assert instance.json("user", "show", person)["locked"] is False
    # But a password reset always needs the code, which never came.
    c.refused("POST", "/recovery/complete",
              {"email": person, "answers": answers(), "code": "123456",
               "new_password": FRESH})


def test_inactive_account_gets_no_code(server, instance, person):
    enrolled(server, instance, person)
    instance.run("user", "delete", person)
    c = Client(server)
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    assert code_messages(instance) == []


# ---- the HTTPS gateway ----

class Sink(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Sink.received.append((self.path, dict(self.headers),
                              json.loads(body)))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def serve_sink(instance, tls12_ciphers=None):
    """An HTTPS server on loopback with the instance's own certificate;
    with tls12_ciphers, TLS 1.2 at most and only those suites."""
    Sink.received = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(instance.dir / "tls" / "cert.pem",
                        instance.dir / "tls" / "key.pem")
    if tls12_ciphers is not None:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(tls12_ciphers)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def https_sink(instance):
    yield from serve_sink(instance)


def gateway_server(start_server, port):
    """A server whose SMS go to the sink on port, trusting its cert."""
    return start_server(extra=[
        "sms.gateway=https",
        f"sms.url=https://127.0.0.1:{port}/v1/sms",
        "sms.token=gateway-secret-42",
        "sms.ca_file=tls/cert.pem"])


def test_https_gateway_posts_json(start_server, instance, person,
                                  https_sink):
    server = gateway_server(start_server, https_sink)
    enrolled(server, instance, person)
    c = Client(server)
    # Setting the questions was notified to the mobile already.
    assert "security questions" in Sink.received[0][2]["text"]
    c.ok("POST", "/recovery/start", {"email": person}, status=202)
    assert len(Sink.received) == 2
    path, headers, body = Sink.received[1]
    assert path == "/v1/sms"
    assert headers["Authorization"] == "Bearer gateway-secret-42"
    assert headers["Content-Type"] == "application/json"
    assert body["to"] == MOBILE
    code = re.search(r"\d{6}", body["text"]).group(0)
    assert outbox(instance) == []
    c.ok("POST", "/recovery/complete",
         {"email": person, "answers": answers(), "code": code,
          "new_password": FRESH})
    assert "gateway-secret-42" not in server.logs()


def test_https_gateway_verifies_the_certificate(start_server, instance,
                                                person, https_sink,
                                                tmp_path):
    # A CA file that did not sign the sink's certificate: nothing is sent,
    # the reply is unchanged and the operator is told in the log.
    other = tmp_path / "other"
    from conftest import make_instance
    stranger = make_instance(other)
    server = start_server(extra=[
        "sms.gateway=https",
        f"sms.url=https://127.0.0.1:{https_sink}/v1/sms",
        f"sms.ca_file={stranger.dir / 'tls' / 'cert.pem'}"])
    enrolled(server, instance, person)
    status, _ = Client(server).call("POST", "/recovery/start",
                                    {"email": person})
    assert status == 202
    assert Sink.received == []
    assert "auth.recovery_sms_failed" in server.logs()


@pytest.fixture
def tls12_sink(instance, request):
    """The sink over TLS 1.2 with only the cipher suite request.param."""
    yield from serve_sink(instance, request.param)


@pytest.mark.parametrize("tls12_sink, sent", [
    ("ECDHE-ECDSA-AES128-GCM-SHA256", True),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", True),
    ("ECDHE-ECDSA-AES128-SHA", False),      # CBC
    ("ECDHE-ECDSA-AES256-SHA384", False),   # CBC
], indirect=["tls12_sink"])
def test_https_gateway_keeps_the_tls_rules(start_server, instance, person,
                                           tls12_sink, sent):
    # SECURITY.md items 1 and 2 hold for the gateway as for our listeners:
    # a CBC suite is refused before the request (and its token) is sent.
    server = gateway_server(start_server, tls12_sink)
    enrolled(server, instance, person)
    status, _ = Client(server).call("POST", "/recovery/start",
                                    {"email": person})
    assert status == 202
    assert (len(Sink.received) == 2) == sent
    assert ("auth.recovery_sms_failed" in server.logs()) != sent
    assert "gateway-secret-42" not in server.logs()


# ---- rate limits (SECURITY.md 47) ----

def test_signin_rate_limit_per_ip(start_server, instance, person):
    server = start_server(extra=["ratelimit.signin_per_ip=3"])
    c = Client(server)
    for _ in range(3):
        assert c.signin(person, "wrong wrong wrong")[0] == 401
    status, body = c.signin(person, "user password number one")
    assert status == 429, body
    assert body["error"]["code"] == "rate_limited"
    retry = int(c.last.getheader("Retry-After"))
    assert 1 <= retry <= 60
    assert str(retry) in body["error"]["message"]
    # Refused before the password was looked at: no failure counted.
    assert instance.json("user", "show", person)["locked"] is False


def test_recovery_rate_limits(start_server, instance, org, person):
    server = start_server(extra=["ratelimit.recovery_per_address=3",
                                 "ratelimit.recovery_per_ip=6"])
    c = Client(server)
    for _ in range(3):
        c.ok("POST", "/recovery/start", {"email": person}, status=202)
    status, body = c.call("POST", "/recovery/start",
                          {"email": person.upper()})
    assert status == 429 and c.last.getheader("Retry-After")
    status, _ = c.call("POST", "/recovery/complete",
                       {"email": person, "answers": answers(),
                        "code": "123456", "new_password": FRESH})
    assert status == 429
    # Another address from the same client: the per-IP limit is 6.
    other = instance.addr("someone.else")
    assert c.call("POST", "/recovery/start", {"email": other})[0] == 202
    assert c.call("POST", "/recovery/start", {"email": other})[0] == 429
