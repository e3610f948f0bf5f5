"""Shared and resource mailboxes through the JSON API (SPEC P4, P5):
create, list, show, edit, delete, transfer, owners, members and
permissions; the refusals (roles, scope, duplicates, bad input); an audit
row for every change; and the seed defects: a duplicate shared mailbox
refused (seed 000), removing an owner keeps membership (seed 002)."""

import smtplib
import ssl

import pytest

from apiclient import NEW_PASSWORD, USER_PASSWORD, make_admin, make_person, q



def audit(instance, object_type, action=None):
    args = ["audit", "list", "--type", object_type]
    if action:
        args += ["--action", action]
    return instance.json(*args)


def make_shared(client, org, name="Reception", **extra):
    return client.ok("POST", "/shared-mailboxes",
                     {"org": org, "name": name, **extra}, status=201)


def test_shared_mailbox_lifecycle(la, orgs, instance):
    org = orgs[0]
    box = make_shared(la, org)
    assert box["address"] == instance.addr("reception")
    assert box["kind"] == "shared" and box["org"] == org
    assert box["owners"] == [] and box["members"] == []
    got = la.ok("GET", "/shared-mailboxes/" + q(box["address"]))
    assert got["display_name"] == "Reception"
    page = la.ok("GET", f"/shared-mailboxes?org={org}")
    assert [m["address"] for m in page["items"]] == [box["address"]]
    assert page["next_cursor"] is None
    changed = la.ok("PATCH", "/shared-mailboxes/" + q(box["address"]),
                    {"name": "Front Desk", "quota_mb": 2048})
    assert changed["display_name"] == "Front Desk"
    assert changed["quota_mb"] == 2048
    again = la.ok("GET", "/shared-mailboxes/" + q(box["address"]))
    assert again["display_name"] == "Front Desk"
    gone = la.ok("DELETE", "/shared-mailboxes/" + q(box["address"]))
    assert gone == {"address": box["address"], "deleted": True}
    err = la.refused("GET", "/shared-mailboxes/" + q(box["address"]),
                     status=404)
    assert "deleted" in err["message"]
    assert la.ok("GET", f"/shared-mailboxes?org={org}")["items"] == []
    rows = audit(instance, "shared_mailbox")
    assert [r["action"] for r in rows] == ["delete", "update", "create"]
    assert all(r["actor"] == la.address for r in rows)
    assert rows[1]["summary"]["display_name"] == {"from": "Reception",
                                                  "to": "Front Desk"}


def test_duplicate_shared_mailbox_refused(la, orgs, instance):
    """Seed 000: a second shared mailbox with the same address was made."""
    org = orgs[0]
    first = make_shared(la, org)
    before = audit(instance, "shared_mailbox")
    err = la.refused("POST", "/shared-mailboxes",
                     {"org": org, "name": "Reception"}, status=409)
    assert err["code"] == "exists"
    assert first["address"] in err["message"]
    assert "shared mailbox Reception" in err["message"]
    # Naming an address a person holds is refused naming that person.
    person = make_person(instance, org, "Jo", "Bloggs")
    err = la.refused("POST", "/shared-mailboxes",
                     {"org": org, "name": "Jo's box", "address": person},
                     status=409)
    assert "Jo Bloggs" in err["message"]
    # Deleted, the address is still never reused.
    la.ok("DELETE", "/shared-mailboxes/" + q(first["address"]))
    err = la.refused("POST", "/shared-mailboxes",
                     {"org": org, "name": "Reception"}, status=409)
    assert "(deleted)" in err["message"]
    page = la.ok("GET", f"/shared-mailboxes?org={org}")
    assert page["items"] == []
    assert len(audit(instance, "shared_mailbox")) == len(before) + 1


def test_bad_input_refused(la, orgs):
    org = orgs[0]
    err = la.refused("POST", "/shared-mailboxes", {"org": org}, status=422)
    assert err["field"] == "name"
    err = la.refused("POST", "/shared-mailboxes",
                     {"org": org, "name": "X", "owner": "a"}, status=422)
    assert err["field"] == "owner"
    err = la.refused("POST", "/shared-mailboxes",
                     {"org": "NOPE1", "name": "X"}, status=404)
    assert "NOPE1" in err["message"]
    err = la.refused("POST", "/shared-mailboxes",
                     {"org": org, "name": "X", "address": "x@elsewhere.org"},
                     status=422)
    assert err["field"] == "address"
    box = make_shared(la, org)
    err = la.refused("PATCH", "/shared-mailboxes/" + q(box["address"]),
                     {"quota_mb": -5}, status=422)
    assert err["field"] == "quota_mb"
    err = la.refused("PATCH", "/shared-mailboxes/" + q(box["address"]), {},
                     status=422)
    assert "changes nothing" in err["message"]
    la.refused("GET", "/shared-mailboxes?org=X26001&limit=0", status=422)


def test_removing_owner_keeps_membership(la, orgs, instance):
    """Seed 002: removing someone as owner also took their membership."""
    org = orgs[0]
    box = make_shared(la, org)
    path = "/shared-mailboxes/" + q(box["address"])
    ann = make_person(instance, org, "Ann", "Owner")
    bob = make_person(instance, org, "Bob", "Other")
    la.ok("POST", path + "/members", {"person": ann}, status=201)
    la.ok("POST", path + "/owners", {"person": ann}, status=201)
    la.ok("POST", path + "/owners", {"person": bob}, status=201)
    got = la.ok("GET", path)
    assert got["owners"] == [ann, bob] and got["members"] == [ann]
    after = la.ok("DELETE", path + "/owners/" + q(ann))
    assert after["owners"] == [bob]
    assert after["members"] == [ann]
    assert la.ok("GET", path)["members"] == [ann]
    err = la.refused("DELETE", path + "/owners/" + q(ann), status=404)
    assert "not an owner" in err["message"]
    err = la.refused("POST", path + "/members", {"person": ann}, status=409)
    assert "already a member" in err["message"]
    la.ok("DELETE", path + "/members/" + q(ann))
    assert la.ok("GET", path)["members"] == []
    summaries = [r["summary"] for r in audit(instance, "shared_mailbox",
                                             "update")]
    assert {"owner_removed": ann} in summaries
    assert {"member_removed": ann} in summaries


def submit_as(server, instance, login, sender, to):
    s = smtplib.SMTP("127.0.0.1", server.ports["submission"], timeout=10)
    s.ehlo("client.example")
    s.starttls(context=ssl.create_default_context(
        cafile=str(instance.dir / "tls" / "cert.pem")))
    s.ehlo("client.example")
    s.login(login, NEW_PASSWORD)
    msg = (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: as box\r\n"
           f"Message-ID: <g1@test>\r\n\r\nHello.\r\n").encode()
    try:
        code, text = s.mail(sender)
        if code != 250:
            return code
        s.rcpt(to)
        s.data(msg)
        return 250
    finally:
        s.quit()


def test_grants_apply_at_once(la, orgs, instance, server):
    org = orgs[0]
    box = make_shared(la, org)
    path = "/shared-mailboxes/" + q(box["address"])
    ann = make_person(instance, org, "Ann", "Sender")
    instance.run("user", "passwd", ann, "--stdin", "--permanent",
                 input=NEW_PASSWORD + "\n")
    bob = make_person(instance, org, "Bob", "Reader")
    assert submit_as(server, instance, ann, box["address"], bob) == 553
    got = la.ok("POST", path + "/grants",
                {"person": ann, "right": "send_as"}, status=201)
    assert got["grants"][0]["person"] == ann
    assert got["grants"][0]["right"] == "send_as"
    # The very next SMTP transaction sees the grant, and then its removal.
    assert submit_as(server, instance, ann, box["address"], bob) == 250
    la.ok("DELETE", path + "/grants/" + q(ann) + "/send_as")
    assert la.ok("GET", path)["grants"] == []
    assert submit_as(server, instance, ann, box["address"], bob) == 553
    err = la.refused("POST", path + "/grants",
                     {"person": ann, "right": "read_only"}, status=422)
    assert err["field"] == "right"
    err = la.refused("DELETE", path + "/grants/" + q(ann) + "/full_access",
                     status=404)
    assert "does not have full_access" in err["message"]
    rows = audit(instance, "shared_mailbox", "update")
    assert rows[0]["summary"] == {"grant_removed": {"person": ann,
                                                    "right": "send_as"}}
    assert rows[1]["summary"] == {"grant_added": {"person": ann,
                                                  "right": "send_as"}}


def test_transfer_needs_both_orgs(la, ga, orgs, instance):
    org, other = orgs
    box = make_shared(la, org)
    path = "/shared-mailboxes/" + q(box["address"])
    err = la.refused("POST", path + "/transfer", {"org": other})
    assert "organisation" in err["message"]
    assert la.ok("GET", path)["org"] == org
    moved = ga.ok("POST", path + "/transfer", {"org": other})
    assert moved["org"] == other
    # Now outside the Local Admin's orgs.
    la.refused("GET", path)
    la.refused("DELETE", path)
    assert ga.ok("GET", path)["org"] == other
    rows = audit(instance, "shared_mailbox", "update")
    assert {r["org"] for r in rows[:2]} == {org, other}
    assert rows[0]["summary"] == {"transferred": {"from": org, "to": other}}
    err = ga.refused("POST", path + "/transfer", {"org": other}, status=422)
    assert "already belongs" in err["message"]


@pytest.mark.parametrize("role", ["helpdesk_admin", "audit_authorisation"])
def test_roles_without_mailbox_management_refused(server, instance, orgs,
                                                  la, role):
    org = orgs[0]
    box = make_shared(la, org)
    path = "/shared-mailboxes/" + q(box["address"])
    other = make_admin(server, instance, org, role=role, first="Hal",
                       last="Helper")
    for method, p, body in [
            ("POST", "/shared-mailboxes", {"org": org, "name": "Nope"}),
            ("GET", f"/shared-mailboxes?org={org}", None),
            ("GET", path, None),
            ("PATCH", path, {"name": "Nope"}),
            ("DELETE", path, None),
            ("POST", path + "/owners", {"person": box["address"]}),
            ("POST", "/resource-mailboxes", {"org": org, "name": "Room"})]:
        err = other.refused(method, p, body)
        assert err["code"] == "denied"
        assert "role" in err["message"]
    assert la.ok("GET", path)["display_name"] == "Reception"


def test_out_of_scope_org_refused(server, instance, orgs, la):
    org, other = orgs
    la2 = make_admin(server, instance, other, first="Olga", last="Other")
    box = make_shared(la, org)
    err = la2.refused("GET", "/shared-mailboxes/" + q(box["address"]))
    assert "organisation" in err["message"]
    la2.refused("POST", "/shared-mailboxes", {"org": org, "name": "Mine"})
    la2.refused("GET", f"/shared-mailboxes?org={org}")
    # Without ?org= a listing covers the caller's own scope, nothing more.
    assert la2.ok("GET", "/shared-mailboxes")["items"] == []
    assert [m["address"] for m in la.ok("GET", "/shared-mailboxes")["items"]
            ] == [box["address"]]
    # A plain user gets the same refusal as any other role-less caller.
    user = make_person(instance, org, "Pat", "Plain")
    from apiclient import Client
    c = Client(la.server)
    c.signin(user, USER_PASSWORD)
    c.ok("POST", "/me/password", {"current": USER_PASSWORD,
                                  "new": NEW_PASSWORD})
    assert c.refused("GET", "/shared-mailboxes/" +
                     q(box["address"]))["code"] == "denied"


def test_paging(la, ga, orgs):
    org = orgs[0]
    made = [make_shared(la, org, name=f"Box {i}")["address"]
            for i in range(3)]
    first = la.ok("GET", f"/shared-mailboxes?org={org}&limit=2")
    assert [m["address"] for m in first["items"]] == made[:2]
    assert first["next_cursor"]
    second = la.ok("GET", f"/shared-mailboxes?org={org}&limit=2&cursor="
                   + first["next_cursor"])
    assert [m["address"] for m in second["items"]] == made[2:]
    assert second["next_cursor"] is None
    every = ga.ok("GET", "/shared-mailboxes")
    assert [m["address"] for m in every["items"]] == made


def test_resource_mailboxes(la, ga, orgs, instance):
    org, other = orgs
    room = la.ok("POST", "/resource-mailboxes",
                 {"org": org, "name": "Room 1"}, status=201)
    assert room["kind"] == "resource"
    path = "/resource-mailboxes/" + q(room["address"])
    assert la.ok("GET", path)["display_name"] == "Room 1"
    assert [r["address"] for r in la.ok(
        "GET", f"/resource-mailboxes?org={org}")["items"]] == \
        [room["address"]]
    # Resource and shared listings and paths keep to their own kind.
    assert la.ok("GET", f"/shared-mailboxes?org={org}")["items"] == []
    err = la.refused("GET", "/shared-mailboxes/" + q(room["address"]),
                     status=404)
    assert "no shared mailbox" in err["message"]
    assert la.ok("PATCH", path, {"name": "Room One"})["display_name"] == \
        "Room One"
    assert ga.ok("POST", path + "/transfer", {"org": other})["org"] == other
    la.refused("GET", path)
    assert ga.ok("DELETE", path)["deleted"] is True
    ga.refused("GET", path, status=404)
    rows = audit(instance, "resource_mailbox")
    assert [r["action"] for r in rows] == ["delete", "update", "update",
                                           "update", "create"]
    err = la.refused("POST", "/resource-mailboxes",
                     {"org": org, "name": "Room 1"}, status=409)
    assert "resource mailbox Room One" in err["message"]
