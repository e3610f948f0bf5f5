"""Audit search over the JSON API (SPEC P10): every filter, the caller's
scope, date ranges, paging; sign-in failures, unlocks, password resets and
report downloads are all there to be found. And devices (SPEC A7): a
person's own, an admin's view, and the audited devices report."""

import datetime
import json
import urllib.parse

import pytest

from apiclient import (USER_PASSWORD, Client, global_admin, make_admin,
                       make_person, q, ready)

OTHER = "Y26002"


def search(client, **params):
    return client.ok("GET", "/audit?" + urllib.parse.urlencode(params))


def today(days=0):
    d = datetime.datetime.now(datetime.timezone.utc).date()
    return (d + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def two_orgs(instance, org):
    """Org X26001 and Y26002, each with a person, a shared mailbox, a
    contact and a list, all made with the CLI."""
    instance.run("org", "add", "--ods", OTHER, "--name", "Other Trust")
    made = {}
    for ods in (org, OTHER):
        made[ods] = make_person(instance, ods, "Pat", "In" + ods)
        instance.run("shared", "add", "--org", ods, "--name",
                     "Reception " + ods)
        instance.run("contact", "add", "--org", ods, "--name", "Ext",
                     "--email", f"ext.{ods.lower()}@example.com")
        instance.run("list", "add", "--org", ods, "--name", "Team " + ods)
    return made


@pytest.fixture
def admins(server, instance, org, two_orgs):
    return {
        org: make_admin(server, instance, org, "local_admin", "Al", "Ay"),
        OTHER: make_admin(server, instance, OTHER, "local_admin", "Bo",
                          "Bee"),
    }


def test_each_object_type(server, instance, admins, org):
    ga = global_admin(server, instance)
    for kind in ("user_mailbox", "shared_mailbox", "distribution_list",
                 "contact", "organisation"):
        rows = search(ga, object_type=kind, limit=500)["items"]
        assert rows, kind
        assert {r["object_type"] for r in rows} == {kind}
        assert {r["org"] for r in rows} >= {org, OTHER}, kind
    err = ga.refused("GET", "/audit?object_type=spaceship", status=422)
    assert err["field"] == "object_type"
    assert "user_mailbox" in err["message"]


def test_action_and_actor(server, instance, admins, two_orgs, org):
    ga = global_admin(server, instance)
    instance.run("user", "delete", two_orgs[org])
    rows = search(ga, action="delete")["items"]
    assert [r["summary"]["address"] for r in rows] == [two_orgs[org]]
    assert {r["action"] for r in search(ga, action="create",
                                        limit=500)["items"]} == {"create"}
    err = ga.refused("GET", "/audit?action=destroy", status=422)
    assert err["field"] == "action"
    la = admins[org]
    rows = search(ga, actor=la.address)["items"]
    assert rows and {r["actor"] for r in rows} == {la.address}
    assert search(ga, actor="nobody@example.nhs.uk")["items"] == []


def test_scope_of_a_local_admin(admins, org):
    la = admins[org]
    rows = search(la, limit=500)["items"]
    assert rows
    assert {r["org"] for r in rows} == {org}
    assert search(la, org=org, limit=500)["items"] == rows
    err = la.refused("GET", "/audit?org=" + OTHER)
    assert "not one you administer" in err["message"]
    err = la.refused("GET", "/audit?org=NOSUCH1", status=404)
    assert err["field"] == "org"
    # The other org's admin sees the mirror image.
    assert {r["org"] for r in search(admins[OTHER], limit=500)["items"]} \
        == {OTHER}


def test_scope_covers_child_orgs_and_global_sees_all(server, instance,
                                                     admins, org):
    instance.run("org", "add", "--ods", "C26005", "--name", "Child",
                 "--parent", org)
    make_person(instance, "C26005", "Kid", "Child")
    la = admins[org]
    assert {r["org"] for r in search(la, limit=500)["items"]} == {
        org, "C26005"}
    assert search(la, org="C26005")["items"]
    ga = global_admin(server, instance)
    orgs = {r["org"] for r in search(ga, limit=500)["items"]}
    assert {org, OTHER, "C26005"} <= orgs


def test_who_may_search(server, instance, org, two_orgs):
    user = ready(server, two_orgs[org], USER_PASSWORD)
    err = user.refused("GET", "/audit")
    assert "audit.read" in err["message"]
    helpdesk = make_admin(server, instance, org, "helpdesk_admin", "Hal",
                          "Desk")
    helpdesk.refused("GET", "/audit")
    auditor = make_admin(server, instance, org, "audit_authorisation",
                         "Aud", "Itor")
    assert {r["org"] for r in search(auditor, limit=500)["items"]} == {org}
    status, _ = Client(server).call("GET", "/audit")
    assert status == 401


def test_date_range(server, instance, admins):
    ga = global_admin(server, instance)
    everything = search(ga, limit=500)["items"]
    assert search(ga, limit=500, **{"from": today()})["items"] == everything
    assert search(ga, limit=500, **{"from": today(), "to": today()}
                  )["items"] == everything
    assert search(ga, **{"from": today(1)})["items"] == []
    assert search(ga, to=today(-1))["items"] == []
    newest = everything[0]["at"]
    assert search(ga, limit=500, **{"from": newest})["items"][0] == \
        everything[0]
    for field, value in (("from", "yesterday"), ("to", "2026-13-45"),
                         ("from", "2026-11-22T25:00:00Z")):
        err = ga.refused("GET", f"/audit?{field}={value}", status=422)
        assert err["field"] == field, (field, value)
    err = ga.refused("GET", f"/audit?from={today(1)}&to={today()}",
                     status=422)
    assert err["field"] == "from"


def test_paging_walks_every_row_once(server, instance, admins):
    ga = global_admin(server, instance)
    everything = [r["id"] for r in search(ga, limit=500)["items"]]
    assert len(everything) > 9
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        reply = search(ga, **params)
        seen += [r["id"] for r in reply["items"]]
        pages += 1
        cursor = reply["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    assert seen == sorted(seen, reverse=True)
    assert pages >= 3
    err = ga.refused("GET", "/audit?cursor=abc", status=422)
    assert err["field"] == "cursor"


def test_signin_failures_unlocks_and_resets_are_found(server, instance,
                                                      admins, two_orgs, org):
    la = admins[org]
    victim = two_orgs[org]
    c = Client(server)
    for _ in range(12):
        status, _ = c.signin(victim, "not the password, sorry")
        assert status == 401
    rows = search(la, object_type="user_mailbox", action="other",
                  limit=500)["items"]
    failures = [r for r in rows if r["summary"].get("signin_failed")]
    assert len(failures) == 12
    assert failures[0]["summary"]["locked"] is True
    assert "not the password" not in json.dumps(rows)
    instance.run("user", "unlock", victim)
    instance.run("user", "passwd", victim, "--stdin",
                 input="a fresh password for someone\n")
    rows = search(la, object_type="user_mailbox", action="other")["items"]
    assert rows[0]["summary"] == {"password_set": 1} or \
        rows[0]["summary"].get("password_set")
    unlocked = [r for r in rows if r["summary"].get("unlocked")]
    assert len(unlocked) == 1 and unlocked[0]["org"] == org
    # The other org's admin sees none of it.
    theirs = json.dumps(search(admins[OTHER], limit=500)["items"])
    assert victim.split("@")[0] not in theirs
    assert "signin_failed" not in theirs


# ---- devices (SPEC A7) and the devices report (P9) ----

def test_own_devices(server, instance, org, two_orgs):
    user = ready(server, two_orgs[org], USER_PASSWORD)
    mine = user.ok("GET", "/me/devices")
    assert mine["next_cursor"] is None
    [web] = mine["items"]
    assert web["protocol"] == "web" and web["ip"] == "127.0.0.1"
    assert web["last_seen"].endswith("Z")
    assert user.ok("GET", "/users/" + q(user.address) + "/devices") == mine


def test_devices_of_someone_else(server, instance, org, admins, two_orgs):
    user = ready(server, two_orgs[org], USER_PASSWORD)
    other = ready(server, two_orgs[OTHER], USER_PASSWORD)
    err = user.refused("GET", "/users/" + q(other.address) + "/devices")
    assert "user.read" in err["message"]
    la = admins[org]
    seen = la.ok("GET", "/users/" + q(user.address) + "/devices")
    assert [d["protocol"] for d in seen["items"]] == ["web"]
    err = la.refused("GET", "/users/" + q(other.address) + "/devices")
    assert "not one you administer" in err["message"]
    la.refused("GET", "/users/" + q("nobody@example.nhs.uk") + "/devices",
               status=404)


def test_devices_report_is_scoped_and_audited(server, instance, org, admins,
                                              two_orgs):
    ready(server, two_orgs[org], USER_PASSWORD)
    ready(server, two_orgs[OTHER], USER_PASSWORD)
    la = admins[org]
    reply = la.ok("GET", "/reports/devices?org=" + org)
    got = {(d["address"], d["org"]) for d in reply["items"]}
    assert got == {(two_orgs[org], org), (la.address, org)}
    assert reply["items"][0]["last_seen"].endswith("Z")
    assert la.ok("GET", "/reports/devices")["items"] == reply["items"]
    la.refused("GET", "/reports/devices?org=" + OTHER)
    rows = search(la, object_type="organisation", action="other",
                  actor=la.address)["items"]
    assert len(rows) == 2
    assert all(r["summary"]["report"] == "devices" and r["org"] == org
               for r in rows)
    # Paged by device, each once.
    page = la.ok("GET", "/reports/devices?limit=1")
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = la.ok("GET", "/reports/devices?limit=1&cursor="
                 + page["next_cursor"])
    assert rest["items"][0]["id"] > page["items"][0]["id"]
    # Plain users and helpdesk admins get no report.
    user = ready(server, make_person(instance, org, "Ulla", "Plain"),
                 USER_PASSWORD)
    err = user.refused("GET", "/reports/devices")
    assert "report.read" in err["message"]
    ga = global_admin(server, instance)
    orgs = {d["org"] for d in ga.ok("GET", "/reports/devices")["items"]}
    assert {org, OTHER} <= orgs
    everywhere = search(ga, object_type="organisation", actor=ga.address)
    assert everywhere["items"][0]["org"] is None
    assert everywhere["items"][0]["summary"]["org"] == "all"


def test_cli_and_api_agree(server, instance, admins, org):
    ga = global_admin(server, instance)
    api = search(ga, object_type="shared_mailbox", org=org,
                 limit=500, **{"from": today(), "to": today()})["items"]
    cli = instance.json("audit", "list", "--type", "shared_mailbox",
                        "--org", org, "--from", today(), "--to", today())
    assert [r["id"] for r in api] == [r["id"] for r in cli]
    assert [r["summary"] for r in api] == [r["summary"] for r in cli]
    assert "not an object type" in instance.fails(
        "audit", "list", "--type", "spaceship", code=2)
    assert "not an action" in instance.fails(
        "audit", "list", "--action", "destroy", code=2)
