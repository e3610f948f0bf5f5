"""Issue 10 item 2 in a real browser: sign-in, the first password, two-
factor set-up, sign-out, idle timeout and self-service unlock, each page
checked by tests/browser/harness.mjs (no console error, no failed or
outside request, axe-core WCAG 2.1 A/AA at 375 and 1280 px)."""

import json

from conftest import PASSWORD

NEW_PASSWORD = "a much longer passphrase now"


def test_global_admin_first_signin_totp_signout_and_again(
        web_server, instance, run_scenario):
    server = web_server()
    run_scenario("signin", server, email=instance.addr("admin"),
                 password=PASSWORD, new_password=NEW_PASSWORD)


USER_PASSWORD = "user password number one"
QUESTIONS = ["What was the name of your first pet?",
             "In which town were you born?",
             "What was your childhood nickname?"]
ANSWERS = ["Rex the Dog", "Little Snoring", "Bunny"]


def make_person(instance, first, last, mobile=None):
    """A person of a new practice with a permanent password: no gates."""
    if not instance.run("org", "list", "--json").stdout.count("X26001"):
        instance.run("org", "add", "--ods", "X26001", "--name",
                     "Test Practice", "--type", "GP Practice")
    args = ["user", "add", "--org", "X26001", "--first", first,
            "--last", last]
    if mobile:
        args += ["--mobile", mobile]
    address = instance.run(*args).stdout.strip().split()[-1]
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=USER_PASSWORD + "\n")
    return address


def test_idle_timeout_returns_to_the_page_after_sign_in(
        web_server, instance, run_scenario):
    server = web_server(extra=["session.idle_timeout_s=4"])
    person = make_person(instance, "Ida", "Idle")
    run_scenario("idle", server, email=person, password=USER_PASSWORD,
                 idle_s=4)


def test_lockout_is_told_and_self_service_unlock_works(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    person = make_person(instance, "Lola", "Locked", mobile="07700 900123")
    c = https_client(server)
    assert c.call("POST", "/session", {"email": person,
                                       "password": USER_PASSWORD})[0] == 201
    c.ok("PUT", "/me/security-questions", {
        "current": USER_PASSWORD,
        "answers": [{"question": q, "answer": a}
                    for q, a in zip(QUESTIONS, ANSWERS)]})
    # auth.lockout_failures (12) wrong passwords in a row lock it.
    for _ in range(12):
        status, _ = https_client(server).call(
            "POST", "/session", {"email": person, "password": "wrong one"})
        assert status == 401
    assert instance.json("user", "show", person)["locked"] is True
    run_scenario("unlock", server, email=person, password=USER_PASSWORD,
                 outbox=instance.dir / "sms-outbox.log",
                 answers=json.dumps(dict(zip(QUESTIONS, ANSWERS))))
    assert instance.json("user", "show", person)["locked"] is False
