"""Distribution lists through the JSON API (SPEC P6): static and dynamic
lists, owners, members, approval of owners' changes, previews, renames and
the change freeze; the refusals (roles, scope, duplicates, bad rules, the
owner limit); an audit row for every change; and each seed defect as its
own test: the 26th owner (#12407), edits that dropped owners ("Add myself
as owner"), owners deleting their own list (#9706), Pending until approved,
previews of a large DDL (seed 002: ~21,000 timed out), renames (#8182),
and the change freeze that must not stop mail (seed 000)."""

import smtplib
import sqlite3
import time

import conftest
from apiclient import (NEW_PASSWORD, USER_PASSWORD, Client, make_admin,
                       make_person, q)

EXTERNAL = "pat.partner@council.example.org"


def user_client(server, instance, org, first, last):
    """A signed-in person with no admin role."""
    address = make_person(instance, org, first, last)
    c = Client(server)
    status, body = c.signin(address, USER_PASSWORD)
    assert status == 201, body
    c.ok("POST", "/me/password", {"current": USER_PASSWORD,
                                  "new": NEW_PASSWORD})
    return c


def person(instance, org, first, last, job_title=None):
    args = ["user", "add", "--org", org, "--first", first, "--last", last]
    if job_title:
        args += ["--job-title", job_title]
    return instance.setup(*args).stdout.strip().split()[-1]


def audit(instance, action=None):
    args = ["audit", "list", "--type", "distribution_list"]
    if action:
        args += ["--action", action]
    return instance.json(*args)


def inbox_subjects(instance, address):
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        return [r[0] for r in db.execute(
            "SELECT b.subject FROM messages m"
            " JOIN bodies b ON b.id = m.body_id"
            " JOIN folders f ON f.id = m.folder_id"
            " JOIN mailboxes x ON x.id = f.mailbox_id"
            " WHERE x.address = ? AND f.special_use = 'inbox'"
            " ORDER BY m.uid", (address,))]
    finally:
        db.close()


def send(server, to, subject):
    """Sends from outside by SMTP; (code, text) of RCPT TO."""
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.ehlo("sender.example")
        s.mail("someone@sender.example")
        code, text = s.rcpt(to)
        if code == 250:
            s.data((f"From: <someone@sender.example>\r\nTo: <{to}>\r\n"
                    f"Subject: {subject}\r\nMessage-ID: <{subject}@t>\r\n"
                    f"\r\nHello.\r\n").encode())
        return code, text


def make_list(client, org, name="Team A", status=201, **extra):
    return client.ok("POST", "/lists", {"org": org, "name": name, **extra},
                     status=status)


def test_static_list_lifecycle(la, orgs, instance):
    org = orgs[0]
    lst = make_list(la, org, description="The A team")
    assert lst["status"] == "approved" and lst["kind"] == "static"
    assert lst["address"] == instance.addr("team.a")
    assert lst["members"] == [] and lst["owners"] == []
    assert lst["waiting_for_approval"] is False
    path = "/lists/" + q(lst["address"])
    jo = person(instance, org, "Jo", "Member")
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Reception").stdout.strip()
    instance.run("contact", "add", "--org", org, "--name", "Pat",
                 "--email", EXTERNAL)
    inner = make_list(la, org, name="Inner")["address"]
    for member in (jo, box, EXTERNAL, inner):
        la.ok("POST", path + "/members", {"member": member}, status=200)
    got = la.ok("GET", path)
    assert sorted((m["kind"], m["address"]) for m in got["members"]) == \
        sorted([("person", jo), ("shared", box), ("contact", EXTERNAL),
                ("list", inner)])
    err = la.refused("POST", path + "/members", {"member": jo}, status=409)
    assert "already a member" in err["message"]
    err = la.refused("POST", path + "/members",
                     {"member": lst["address"]}, status=422)
    assert "itself" in err["message"]
    la.ok("DELETE", path + "/members/" + q(box))
    assert box not in [m["address"] for m in la.ok("GET", path)["members"]]
    assert la.ok("PATCH", path, {"description": "Now B"})["description"] \
        == "Now B"
    page = la.ok("GET", f"/lists?org={org}")
    assert [x["address"] for x in page["items"]] == [lst["address"], inner]
    assert la.ok("GET", path + "/preview")["count"] == 2  # jo, Pat
    assert la.ok("DELETE", path)["deleted"] is True
    la.refused("GET", path, status=404)
    actions = [r["action"] for r in audit(instance)]
    assert actions.count("create") == 2 and actions[0] == "delete"
    summaries = [r["summary"] for r in audit(instance, "update")]
    assert {"member_removed": box} in summaries
    assert {"description": "Now B"} in summaries
    err = la.refused("POST", "/lists", {"org": org, "name": "Team A"},
                     status=409)
    assert "distribution list Team A (deleted)" in err["message"]


def test_dynamic_list_and_bad_rules(la, orgs, instance):
    org = orgs[0]
    person(instance, org, "Gill", "Doctor", job_title="GP")
    person(instance, org, "Nat", "Nurse", job_title="Nurse")
    lst = make_list(la, org, name="GPs", kind="dynamic",
                    rule={"job_titles": ["gp"]})
    assert lst["rule"] == {"job_titles": ["gp"]}
    assert lst["members"] is None
    path = "/lists/" + q(lst["address"])
    assert la.ok("GET", path + "/preview")["count"] == 1
    assert la.ok("PATCH", path, {"rule": {"job_titles": ["GP", "Nurse"]}}
                 )["rule"] == {"job_titles": ["GP", "Nurse"]}
    assert la.ok("GET", path + "/preview")["count"] == 2
    for rule, field in [({"job_title": ["GP"]}, "job_title"),
                        ({"job_titles": "GP"}, "job_titles"),
                        ({"roles": ["wizard"]}, "roles"),
                        ({"include_children": "yes"}, "include_children")]:
        err = la.refused("POST", "/lists", {"org": org, "name": "Bad",
                                            "kind": "dynamic",
                                            "rule": rule}, status=422)
        assert err["field"] == field, err
        err = la.refused("PATCH", path, {"rule": rule}, status=422)
        assert err["field"] == field
    err = la.refused("POST", "/lists", {"org": org, "name": "Bad",
                                        "kind": "dynamic",
                                        "rule": "job_titles"}, status=422)
    assert err["field"] == "rule"
    err = la.refused("POST", "/lists", {"org": org, "name": "Bad",
                                        "kind": "dynamic"}, status=422)
    assert err["field"] == "rule"
    la.refused("POST", "/lists", {"org": org, "name": "Bad",
                                  "kind": "dynamic",
                                  "rule": {"orgs": ["NOPE9"]}}, status=404)
    err = la.refused("POST", path + "/members", {"member": EXTERNAL},
                     status=422)
    assert "dynamic" in err["message"]
    assert la.ok("GET", path)["rule"] == {"job_titles": ["GP", "Nurse"]}
    assert la.ok("GET", f"/lists?org={org}")["items"][0]["name"] == "GPs"


def test_26th_owner_refused(la, orgs, instance):
    """#12407: past 25 owners the error must say so, and change nothing."""
    org = orgs[0]
    lst = make_list(la, org)
    path = "/lists/" + q(lst["address"])
    people = [person(instance, org, "Owner", f"Number{i}")
              for i in range(26)]
    for p in people[:25]:
        la.ok("POST", path + "/owners", {"person": p})
    before = len(audit(instance))
    err = la.refused("POST", path + "/owners", {"person": people[25]},
                     status=422)
    assert err["code"] == "limit"
    assert "25 owners" in err["message"]
    assert "remove one" in err["message"]
    owners = la.ok("GET", path)["owners"]
    assert len(owners) == 25 and people[25] not in owners
    assert len(audit(instance)) == before


def test_edit_never_drops_owners(la, orgs, instance):
    """The "Add myself as owner" defect: adding one owner replaced all."""
    org = orgs[0]
    lst = make_list(la, org)
    path = "/lists/" + q(lst["address"])
    ann = person(instance, org, "Ann", "Owner")
    bob = person(instance, org, "Bob", "Owner")
    la.ok("POST", path + "/owners", {"person": ann})
    la.ok("POST", path + "/owners", {"person": bob})
    # Add myself: the others stay.
    got = la.ok("POST", path + "/owners", {"person": la.address})
    assert sorted(got["owners"]) == sorted([ann, bob, la.address])
    # An edit naming owners is refused, not taken as the whole set.
    err = la.refused("PATCH", path, {"owners": [la.address]}, status=422)
    assert err["field"] == "owners"
    assert "changes nothing" in la.refused("PATCH", path, {},
                                           status=422)["message"]
    assert sorted(la.ok("PATCH", path, {"description": "d"})["owners"]) \
        == sorted([ann, bob, la.address])
    # Removing one removes exactly that one.
    assert sorted(la.ok("DELETE", path + "/owners/" + q(ann))["owners"]) \
        == sorted([bob, la.address])
    err = la.refused("POST", path + "/owners", {"person": bob}, status=409)
    assert "already an owner" in err["message"]


def test_non_admin_owner_deletes_own_list(server, la, orgs, instance):
    """#9706: an owner without an admin role could not delete their DL."""
    org = orgs[0]
    lst = make_list(la, org)
    path = "/lists/" + q(lst["address"])
    owner = user_client(server, instance, org, "Olive", "Owner")
    stranger = user_client(server, instance, org, "Sam", "Stranger")
    la.ok("POST", path + "/owners", {"person": owner.address})
    err = stranger.refused("DELETE", path)
    assert "owners" in err["message"]
    assert stranger.refused("GET", path)["code"] == "denied"
    assert owner.ok("GET", path)["address"] == lst["address"]
    assert owner.ok("DELETE", path) == {"address": lst["address"],
                                        "deleted": True}
    la.refused("GET", path, status=404)
    row = audit(instance, "delete")[0]
    assert row["actor"] == owner.address
    assert row["summary"] == {"address": lst["address"]}


def test_pending_until_approved(server, la, orgs, instance):
    """Lists made or changed by non-admins wait for an LA's approval; mail
    to a list never approved is refused, and a change waiting on an
    approved list leaves the approved version live."""
    org, other = orgs
    owner = user_client(server, instance, org, "Olive", "Owner")
    jo = person(instance, org, "Jo", "First")
    kim = person(instance, org, "Kim", "Second")
    lst = make_list(owner, org, name="Book Club")
    assert lst["status"] == "pending"
    assert lst["owners"] == [owner.address]
    assert lst["waiting_for_approval"] is True
    path = "/lists/" + q(lst["address"])
    # Changes before approval apply to the pending list itself.
    got = owner.ok("POST", path + "/members", {"member": jo})
    assert [m["address"] for m in got["members"]] == [jo]
    code, text = send(server, lst["address"], "early")
    assert code == 550 and b"waiting for an administrator" in text
    # Not in another org's queue; not an owner's to approve.
    la2 = make_admin(server, instance, other, first="Olga", last="Other")
    assert la2.ok("GET", "/lists/approvals")["items"] == []
    owner.refused("POST", path + "/approve", {})
    la2.refused("POST", path + "/approve", {})
    queue = la.ok("GET", "/lists/approvals")["items"]
    assert [x["address"] for x in queue] == [lst["address"]]
    assert queue[0]["requested_by"] == owner.address
    assert la.ok("GET", f"/lists?org={org}&status=pending")["items"][0][
        "address"] == lst["address"]
    approved = la.ok("POST", path + "/approve", {})
    assert approved["status"] == "approved"
    assert approved["last_decision"]["decision"] == "approved"
    assert la.ok("GET", "/lists/approvals")["items"] == []
    assert send(server, lst["address"], "first")[0] == 250
    assert inbox_subjects(instance, jo) == ["first"]
    # An owner's change to an approved list waits; mail uses the live one.
    waiting = owner.ok("POST", path + "/members", {"member": kim},
                       status=202)
    assert waiting["waiting_for_approval"] is True
    assert waiting["pending_change"] == {"members_add": [kim]}
    assert [m["address"] for m in waiting["members"]] == [jo]
    owner.ok("PATCH", path, {"description": "Monthly"}, status=202)
    assert la.ok("GET", path)["description"] == ""
    assert send(server, lst["address"], "second")[0] == 250
    assert inbox_subjects(instance, kim) == []
    err = la.refused("POST", path + "/reject", {}, status=422)
    assert err["field"] == "reason"
    rejected = la.ok("POST", path + "/reject", {"reason": "Use Team A"})
    assert rejected["status"] == "approved"
    assert rejected["pending_change"] is None
    assert rejected["last_decision"]["reason"] == "Use Team A"
    assert [m["address"] for m in rejected["members"]] == [jo]
    err = la.refused("POST", path + "/approve", {}, status=422)
    assert "nothing" in err["message"]
    # Asked again and approved, the change applies whole.
    owner.ok("POST", path + "/members", {"member": kim}, status=202)
    owner.ok("PATCH", path, {"description": "Monthly"}, status=202)
    done = la.ok("POST", path + "/approve", {})
    assert sorted(m["address"] for m in done["members"]) == sorted([jo, kim])
    assert done["description"] == "Monthly"
    assert send(server, lst["address"], "third")[0] == 250
    assert inbox_subjects(instance, kim) == ["third"]
    # A new list rejected stays closed to mail.
    other_list = make_list(owner, org, name="Gossip")
    la.ok("POST", "/lists/" + q(other_list["address"]) + "/reject",
          {"reason": "No"})
    code, text = send(server, other_list["address"], "gossip")
    assert code == 550 and b"rejected" in text
    decisions = [r["summary"].get("decision") for r in audit(instance)]
    assert decisions.count("approved") == 2
    assert decisions.count("rejected") == 2


def test_list_roles_and_scope(server, la, orgs, instance):
    org, other = orgs
    lst = make_list(la, org)
    path = "/lists/" + q(lst["address"])
    for role in ("helpdesk_admin", "audit_authorisation"):
        c = make_admin(server, instance, org, role=role, first="Hal",
                       last=role.split("_")[0].title())
        for method, p, body in [
                ("GET", f"/lists?org={org}", None),
                ("GET", path, None), ("PATCH", path, {"description": "x"}),
                ("DELETE", path, None), ("GET", "/lists/approvals", None),
                ("POST", path + "/approve", {}),
                ("POST", path + "/rename", {"name": "X"}),
                ("PUT", "/settings/change-freeze", {"on": True,
                                                    "reason": "x"})]:
            assert c.refused(method, p, body)["code"] == "denied", \
                (role, method, p)
    la2 = make_admin(server, instance, other, first="Olga", last="Other")
    for method, p, body in [
            ("GET", f"/lists?org={org}", None), ("GET", path, None),
            ("PATCH", path, {"description": "x"}), ("DELETE", path, None),
            ("POST", "/lists", {"org": org, "name": "Theirs"}),
            ("POST", "/lists/preview", {"org": org, "rule": {}})]:
        assert la2.refused(method, p, body)["code"] == "denied"
    # Only a Global Admin flips the freeze.
    err = la.refused("PUT", "/settings/change-freeze", {"on": True,
                                                        "reason": "x"})
    assert "organisation" in err["message"]
    assert la.ok("GET", path)["description"] == ""


def test_ddl_preview_of_a_large_list(server, la, orgs, instance):
    """Seed 002: previews and mail to DDLs over ~21,000 people timed out.
    The count is one SQL query, so 21,000 people are counted at once, and
    expansion for mail is one query too."""
    org = orgs[0]
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=30)
    (org_id,) = db.execute("SELECT id FROM orgs WHERE ods = ?",
                           (org,)).fetchone()
    now = int(time.time())
    n = 21000
    with db:
        db.execute(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k"
            " WHERE i < ?) INSERT INTO mailboxes (kind, org_id, address,"
            " display_name, quota_mb, created_at, updated_at)"
            " SELECT 'user', ?, 'bulk' || i || '@example.nhs.uk',"
            " 'Bulk ' || i, 100, ?, ? FROM k", (n, org_id, now, now))
        db.execute(
            "INSERT INTO people (org_id, mailbox_id, first_name, last_name,"
            " display_name, job_title, created_at, updated_at)"
            " SELECT org_id, id, 'Bulk', display_name, display_name,"
            " CASE WHEN id % 3 = 0 THEN 'Nurse' ELSE 'Porter' END, ?, ?"
            " FROM mailboxes WHERE address LIKE 'bulk%'", (now, now))
        db.execute("UPDATE mailboxes SET person_id = (SELECT p.id FROM"
                   " people p WHERE p.mailbox_id = mailboxes.id)"
                   " WHERE address LIKE 'bulk%'")
        db.execute("INSERT INTO addresses (address, holder_kind, holder_id,"
                   " assigned_at) SELECT m.address, 'person', m.person_id,"
                   " ? FROM mailboxes m WHERE m.address LIKE 'bulk%'",
                   (now,))
        conftest.add_standard_folders(db, now)
        nurses = db.execute(
            "SELECT COUNT(*) FROM people WHERE job_title = 'Nurse'"
        ).fetchone()[0]
        everyone = db.execute(
            "SELECT COUNT(*) FROM people WHERE org_id = ?"
            " AND deleted_at IS NULL", (org_id,)).fetchone()[0]
    db.close()
    t0 = time.monotonic()
    got = la.ok("POST", "/lists/preview", {"org": org, "rule": {}})
    assert got["count"] == everyone and everyone > n
    assert len(got["sample"]) == 5
    got = la.ok("POST", "/lists/preview",
                {"org": org, "rule": {"job_titles": ["NURSE"]}})
    assert got["count"] == nurses
    lst = make_list(la, org, name="Everyone", kind="dynamic",
                    rule={"orgs": [org]})
    path = "/lists/" + q(lst["address"]) + "/preview"
    assert la.ok("GET", path)["count"] == everyone
    assert time.monotonic() - t0 < 10
    # And mail to it reaches every one of them.
    assert send(server, lst["address"], "to everyone")[0] == 250
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=30)
    delivered = db.execute("SELECT COUNT(*) FROM messages m JOIN bodies b"
                           " ON b.id = m.body_id WHERE b.subject ="
                           " 'to everyone'").fetchone()[0]
    db.close()
    assert delivered == everyone
    err = la.refused("POST", "/lists/preview",
                     {"org": org, "rule": {"sites": "Main"}}, status=422)
    assert err["field"] == "sites"


def test_rename_updates_every_attribute(server, la, orgs, instance):
    """#8182: a rename left the old name or address behind."""
    org = orgs[0]
    jo = person(instance, org, "Jo", "Member")
    lst = make_list(la, org)
    old = lst["address"]
    la.ok("POST", "/lists/" + q(old) + "/members", {"member": jo})
    outer = make_list(la, org, name="Outer", kind="dynamic",
                      rule={"job_titles": ["nobody"], "include_lists": [old]})
    renamed = la.ok("POST", "/lists/" + q(old) + "/rename",
                    {"name": "Team B"})
    new = instance.addr("team.b")
    assert renamed["name"] == "Team B" and renamed["address"] == new
    assert [m["address"] for m in renamed["members"]] == [jo]
    got = la.ok("GET", "/lists/" + q(new))
    assert (got["name"], got["address"]) == ("Team B", new)
    listed = la.ok("GET", f"/lists?org={org}")["items"]
    assert (listed[0]["name"], listed[0]["address"]) == ("Team B", new)
    # Every rule that named the old address names the new one.
    assert la.ok("GET", "/lists/" + q(outer["address"]))["rule"][
        "include_lists"] == [new]
    # The old address stays reserved to the list: it still reaches it
    # and nothing else can take it.
    assert la.ok("GET", "/lists/" + q(old))["address"] == new
    err = la.refused("POST", "/shared-mailboxes",
                     {"org": org, "name": "Team A"}, status=409)
    assert "Team B" in err["message"]
    assert send(server, new, "renamed")[0] == 250
    assert inbox_subjects(instance, jo) == ["renamed"]
    # A chosen address, and a taken one refused.
    chosen = la.ok("POST", "/lists/" + q(new) + "/rename",
                   {"name": "Team C", "address": instance.addr("team-c")})
    assert chosen["address"] == instance.addr("team-c")
    err = la.refused("POST", "/lists/" + q(chosen["address"]) + "/rename",
                     {"name": "Jo", "address": jo}, status=409)
    assert "Jo Member" in err["message"]
    # Only the name changing keeps the address.
    same = la.ok("POST", "/lists/" + q(chosen["address"]) + "/rename",
                 {"name": "Team C!"})
    assert same["address"] == instance.addr("team.c")
    row = [r for r in audit(instance, "update")
           if "renamed_from" in r["summary"]][-1]
    assert row["summary"] == {"renamed_from": {"name": "Team A",
                                               "address": old},
                              "renamed_to": {"name": "Team B",
                                             "address": new}}


def test_change_freeze_blocks_ddl_edits_while_mail_flows(server, la, ga,
                                                         orgs, instance):
    """Seed 000: a change freeze must stop DDL edits but not list mail."""
    org = orgs[0]
    gill = person(instance, org, "Gill", "Doctor", job_title="GP")
    ddl = make_list(la, org, name="GPs", kind="dynamic",
                    rule={"job_titles": ["GP"]})
    static = make_list(la, org, name="Static")
    path = "/lists/" + q(ddl["address"])
    assert ga.ok("GET", "/settings/change-freeze")["on"] is False
    on = ga.ok("PUT", "/settings/change-freeze",
               {"on": True, "reason": "Christmas change freeze"})
    assert on["on"] is True and on["updated_by"] == ga.address
    assert la.ok("GET", "/settings/change-freeze")["reason"] == \
        "Christmas change freeze"
    # Who may flip it is said with it: the Global Admin, not a Local one.
    assert ga.ok("GET", "/settings/change-freeze")["may_set"] is True
    assert la.ok("GET", "/settings/change-freeze")["may_set"] is False
    for method, p, body in [
            ("POST", "/lists", {"org": org, "name": "New DDL",
                                "kind": "dynamic", "rule": {}}),
            ("PATCH", path, {"rule": {"job_titles": ["Nurse"]}}),
            ("PATCH", path, {"description": "x"}),
            ("POST", path + "/rename", {"name": "Doctors"}),
            ("DELETE", path, None)]:
        err = la.refused(method, p, body, status=409)
        assert err["code"] == "change_freeze", (method, p, err)
        assert "Christmas change freeze" in err["message"]
    got = la.ok("GET", path)
    assert got["rule"] == {"job_titles": ["GP"]} and got["name"] == "GPs"
    # Static lists are not frozen, and mail to the DDL still flows.
    la.ok("PATCH", "/lists/" + q(static["address"]), {"description": "ok"})
    assert send(server, ddl["address"], "frozen but flowing")[0] == 250
    assert inbox_subjects(instance, gill) == ["frozen but flowing"]
    ga.ok("PUT", "/settings/change-freeze", {"on": False})
    assert la.ok("PATCH", path, {"description": "thawed"})["description"] \
        == "thawed"
    rows = instance.json("audit", "list", "--type", "setting")
    assert [r["summary"]["change_freeze"]["on"] for r in rows] == \
        [False, True]
    err = ga.refused("PUT", "/settings/change-freeze", {"on": True},
                     status=422)
    assert err["field"] == "reason"


def test_owned_lists_and_preview_sample(server, la, orgs, instance):
    """GET /lists?owned=true gives anyone signed in the lists they own
    (a non-admin has no other way to find them); a preview names the
    first few people it counts, by address; the record says the owner
    limit, for the page's "N of 25 owners"."""
    org = orgs[0]
    owner = user_client(server, instance, org, "Olive", "Owner")
    stranger = user_client(server, instance, org, "Sam", "Stranger")
    asked = owner.ok("POST", "/lists", {"org": org, "name": "Owl Club"})
    mine = make_list(la, org, name="Mine")
    assert mine["owners_max"] == 25
    la.ok("POST", "/lists/" + q(mine["address"]) + "/owners",
          {"person": owner.address})
    make_list(la, org, name="Not theirs")
    got = owner.ok("GET", "/lists?owned=true")["items"]
    assert [x["address"] for x in got] == [asked["address"],
                                           mine["address"]]
    assert stranger.ok("GET", "/lists?owned=true")["items"] == []
    assert len(owner.ok("GET", "/lists?owned=true&limit=1")["items"]) == 1
    stranger.refused("GET", "/lists")
    err = owner.refused("GET", "/lists?owned=yes", status=422)
    assert err["field"] == "owned"

    people = sorted(person(instance, org, f"Gee{i}", "Pee", job_title="GP")
                    for i in range(7))
    rule = {"job_titles": ["gp"]}
    got = la.ok("POST", "/lists/preview", {"org": org, "rule": rule})
    assert got["count"] == 7
    assert [s["address"] for s in got["sample"]] == people[:5]
    assert all(s["display_name"] for s in got["sample"])
    lst = make_list(la, org, name="GPs", kind="dynamic", rule=rule)
    got = la.ok("GET", "/lists/" + q(lst["address"]) + "/preview")
    assert got["count"] == 7 and len(got["sample"]) == 5
    # A static list's preview expands it: the few it names are its own.
    path = "/lists/" + q(mine["address"])
    la.ok("POST", path + "/members", {"member": people[6]})
    la.ok("POST", path + "/members", {"member": people[5]})
    got = la.ok("GET", path + "/preview")
    assert got["count"] == 2
    assert [s["address"] for s in got["sample"]] == people[5:7]
