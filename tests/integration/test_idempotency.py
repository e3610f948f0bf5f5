"""Idempotency-Key (SPEC D3, issue 13 item 5): a creating POST sent again
with the same key within 24 hours (a network retry, a double click) gets
its first reply and creates nothing -- never twice.sent1; the same key
with another body is a 422; keys are per caller; a secret shown once is
not shown again by a replay; without a key nothing changes."""

import sqlite3

from apiclient import make_admin


def body(org, first="Twice", last="Sent"):
    return {"org": org, "first_name": first, "last_name": last}


def post(client, path, payload, key):
    return client.call("POST", path, payload,
                       headers={"Idempotency-Key": key})


def count(instance, last):
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        return db.execute("SELECT COUNT(*) FROM people WHERE last_name = ?",
                          (last,)).fetchone()[0]
    finally:
        db.close()


def test_a_retried_create_makes_one_person(server, instance, orgs):
    org = orgs[0]
    la = make_admin(server, instance, org)
    status, first = post(la, "/users", body(org), "key-0001")
    assert status == 201, first
    assert first["address"] == instance.addr("twice.sent")
    assert first["temporary_password"]
    status, again = post(la, "/users", body(org), "key-0001")
    assert status == 201
    assert la.last.getheader("Idempotent-Replayed") == "true"
    assert again["address"] == first["address"]
    # The temporary password was shown once; a replay does not repeat it.
    assert "temporary_password" not in again
    assert count(instance, "Sent") == 1
    # Another body with the same key is refused, naming the header.
    status, reply = post(la, "/users", body(org, first="Other"), "key-0001")
    assert status == 422
    assert reply["error"]["field"] == "Idempotency-Key"
    assert count(instance, "Sent") == 1
    # A new key is a new request: a genuinely different person.
    status, other = post(la, "/users", body(org), "key-0002")
    assert status == 201 and other["address"] == instance.addr("twice.sent1")


def test_keys_are_per_caller_and_failures_are_not_kept(server, instance,
                                                        orgs):
    org, other_org = orgs
    la = make_admin(server, instance, org)
    other = make_admin(server, instance, other_org, first="Olga",
                       last="Other")
    status, _ = post(la, "/users", body(org, last="Mine"), "shared-key")
    assert status == 201
    # The same key from another caller is their own request.
    status, theirs = post(other, "/users", body(other_org, last="Theirs"),
                          "shared-key")
    assert status == 201 and theirs["address"] == instance.addr(
        "twice.theirs")
    # A refused request is not kept: its retry is decided afresh.
    bad = {"org": org, "first_name": "", "last_name": "Bad"}
    assert post(la, "/users", bad, "bad-key")[0] == 422
    assert post(la, "/users", body(org, last="Fixed"), "bad-key")[0] == 201
    # A key that is not visible ASCII is refused with a sentence.
    status, reply = post(la, "/users", body(org, last="Spaced"), "a key")
    assert status == 422 and "visible ASCII" in reply["error"]["message"]


def test_without_a_key_a_repeat_is_a_new_request(server, instance, orgs):
    org = orgs[0]
    la = make_admin(server, instance, org)
    la.ok("POST", "/users", body(org, last="Plain"), status=201)
    made = la.ok("POST", "/users", body(org, last="Plain"), status=201)
    assert made["address"] == instance.addr("twice.plain1")
