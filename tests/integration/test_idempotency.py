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


def row_counts(instance):
    """Every table's row count but the keys' own: what a request made."""
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name != 'idempotency_keys'")]
        return {n: db.execute('SELECT COUNT(*) FROM "%s"' % n).fetchone()[0]
                for n in names}
    finally:
        db.close()


def creating_routes(org):
    """Each creating POST (docs/openapi.json) with a body that works."""
    people = [{"external_id": "I1", "first_name": "Idem",
               "last_name": "Synced"}]
    return [
        ("/orgs", {"ods": "Y26099", "name": "Idem Practice",
                   "type": "GP Practice"}),
        (f"/orgs/{org}/sites", {"name": "Idem Branch",
                                "site_type": "gp_practice"}),
        ("/users", body(org, last="Routed")),
        ("/shared-mailboxes", {"org": org, "name": "Idem Shared"}),
        ("/resource-mailboxes", {"org": org, "name": "Idem Room"}),
        ("/contacts", {"org": org, "name": "Idem Contact",
                       "address": "idem@outside.example"}),
        ("/lists", {"org": org, "name": "Idem List"}),
        ("/tokens", {"label": "idem", "org": org, "expires_days": 30,
                     "actions": ["user.read"]}),
        # The sync before the import: the import's person, who has an
        # external ID, would be a leaver of a sync that does not list them.
        (f"/orgs/{org}/sync", {"people": people}),
        ("/imports", {"org": org, "csv": "external_id,first_name,last_name"
                      "\nI9,Idem,Imported\n"}),
    ]


def test_every_creating_route_replays_and_creates_nothing(server, instance,
                                                          orgs):
    """The issue's property for each creating route, not only /users: the
    same key again returns the first status and reply (less what is shown
    once) and no table gains a row."""
    from apiclient import global_admin
    ga = global_admin(server, instance)
    for i, (path, payload) in enumerate(creating_routes(orgs[0])):
        key = "route-key-%02d" % i
        status, first = post(ga, path, payload, key)
        assert status in (200, 201), (path, first)
        assert ga.last.getheader("Idempotent-Replayed") is None, path
        made = row_counts(instance)
        for _ in range(2):
            again_status, again = post(ga, path, payload, key)
            assert again_status == status, (path, again)
            assert ga.last.getheader("Idempotent-Replayed") == "true", path
            for secret in ("temporary_password", "token", "password",
                           "secret", "recovery_codes"):
                first.pop(secret, None)
                assert secret not in again, (path, secret)
            assert again == first, path
            assert row_counts(instance) == made, path
