"""People over the JSON API (SPEC D2, P2, P3): create, read, edit, notes,
password reset, unlock, disable, enable, leaver, join, transfer, delete,
restore and admin roles — every success, every refusal, each change seen by
the very next request and in audit, and each seed defect of SPEC P3 as its
own test."""

import sqlite3

import pytest

from apiclient import (NEW_PASSWORD, USER_PASSWORD, Client, global_admin,
                       make_admin, make_person, q, ready)


@pytest.fixture
def orgs(instance):
    """AAA01 (with child AAA02) and BBB01, each with a site."""
    for ods, parent in (("AAA01", None), ("AAA02", "AAA01"),
                        ("BBB01", None)):
        args = ["org", "add", "--ods", ods, "--name", f"Org {ods}"]
        if parent:
            args += ["--parent", parent]
        instance.setup(*args)
        instance.setup("site", "add", "--org", ods, "--name", f"{ods} Site",
                       "--type", "gp_practice")
    return instance


@pytest.fixture
def la(server, instance, orgs):
    """A Local Admin of AAA01 (and so of AAA02), signed in and enrolled."""
    return make_admin(server, instance, "AAA01")


def audit(instance, **filters):
    args = ["audit", "list"]
    for k, v in filters.items():
        args += [f"--{k}", v]
    return instance.json(*args)


def user_rows(instance, address):
    """Audit rows about one person, newest first."""
    pid = instance.json("user", "show", address)["id"]
    return [r for r in audit(instance, type="user_mailbox")
            if r["object_id"] == pid]


def signin(server, address, password):
    return Client(server).signin(address, password)[0]


def new_user(la, org="AAA01", first="Jo", last="Smith", **fields):
    body = {"org": org, "first_name": first, "last_name": last, **fields}
    return la.ok("POST", "/users", body, status=201)


# ---- create, read, edit, list ----

def test_created_active_at_once_never_pending(server, instance, la):
    """Seed 002: accounts stuck in Pending after creation."""
    made = new_user(la, job_title="Practice Nurse", site="AAA01 Site",
                    sync_id="HR-1")
    address = made["address"]
    assert address == instance.addr("jo.smith")
    assert made["status"] == "active"
    assert made["site"] == {"name": "AAA01 Site", "site_type": "gp_practice"}
    assert made["must_change_password"] is True
    password = made["temporary_password"]
    assert len(password) >= 16
    # Active for the very next request, and able to sign in at once.
    assert la.ok("GET", "/users/" + q(address))["status"] == "active"
    c = Client(server)
    status, body = c.signin(address, password)
    assert status == 201 and body["must_change_password"] is True
    rows = user_rows(instance, address)
    assert rows[-1]["action"] == "create"
    assert rows[-1]["summary"]["status"] == "active"
    assert rows[-1]["actor"] == la.address
    assert password not in str(audit(instance)) + server.logs()
    # A namesake is a different person and gets a number.
    assert new_user(la)["address"] == instance.addr("jo.smith1")


def test_duplicate_sync_id_is_409(server, instance, la):
    """Seed 002 #9487: duplicate accounts with one sync ID in an org."""
    first = new_user(la, sync_id="EMP-42")
    err = la.refused("POST", "/users", {"org": "AAA01", "first_name": "Jo",
                                        "last_name": "Smith",
                                        "sync_id": "EMP-42"}, status=409)
    assert err["field"] == "sync_id" and first["address"] in err["message"]
    assert len(la.ok("GET", "/users?org=AAA01")["items"]) == 2  # la + first
    other = new_user(la, first="Al", last="Other")
    err = la.refused("PATCH", "/users/" + q(other["address"]),
                     {"sync_id": "EMP-42"}, status=409)
    assert err["field"] == "sync_id"
    # A chosen address already held is a duplicate too.
    err = la.refused("POST", "/users", {"org": "AAA01", "first_name": "X",
                                        "last_name": "Y",
                                        "address": first["address"]},
                     status=409)
    assert err["field"] == "address" and "never reused" in err["message"]
    # Another org may use the same sync ID.
    assert new_user(la, org="AAA02", sync_id="EMP-42")["sync_id"] == "EMP-42"


def test_bad_fields_are_422(server, instance, la):
    base = {"org": "AAA01", "first_name": "Jo", "last_name": "Smith"}
    for extra, field in (({"first_name": ""}, "first_name"),
                         ({"phone": "ring me"}, "phone"),
                         ({"mobile_hidden": "yes"}, "mobile_hidden"),
                         ({"admin": True}, "admin"),
                         ({"address": "jo..smith@example.nhs.uk"},
                          "address"),
                         ({"protocols_off": "fax"}, "protocols_off"),
                         ({"notes": "n" * 4001}, "notes")):
        err = la.refused("POST", "/users", {**base, **extra}, status=422)
        assert err["field"] == field, (extra, err)
    assert la.refused("POST", "/users", {"first_name": "Jo",
                                         "last_name": "S"},
                      status=422)["field"] == "org"
    assert la.refused("POST", "/users", {**base, "site": "Nowhere"},
                      status=404)["field"] == "site"
    assert la.refused("POST", "/users", {**base, "org": "ZZZ99"},
                      status=404)["field"] == "org"
    made = new_user(la)
    path = "/users/" + q(made["address"])
    assert la.refused("PATCH", path, {}, status=422)
    assert la.refused("PATCH", path, {"last_name": ""}, status=422)
    err = la.refused("PATCH", path, {"org": "AAA02"}, status=422)
    assert "join" in err["message"]
    assert la.refused("GET", "/users/nobody@example.nhs.uk",
                      status=404)["code"] == "not_found"
    assert la.refused("GET", "/users/not-an-address", status=422)


def test_read_and_edit_with_notes_roles_and_grants(server, instance, la):
    made = new_user(la)
    address = made["address"]
    path = "/users/" + q(address)
    got = la.ok("PATCH", path, {"notes": "Works Tuesdays only.\nAsk Sam.",
                                "site": "AAA01 Site",
                                "job_title": "GP", "sync_id": "HR-7",
                                "mobile": "07700 900123",
                                "mobile_hidden": True})
    assert got["notes"] == "Works Tuesdays only.\nAsk Sam."
    instance.run("shared", "add", "--org", "BBB01", "--name", "B Office")
    instance.run("grant", "add", instance.addr("b.office"), address,
                 "--right", "send_as")
    instance.run("role", "add", address, "--org", "AAA02", "--role",
                 "helpdesk_admin")
    shown = la.ok("GET", path)
    assert shown["notes"].startswith("Works Tuesdays")
    assert shown["site"]["name"] == "AAA01 Site"
    assert shown["sync_id"] == "HR-7" and shown["job_title"] == "GP"
    assert shown["mobile_hidden"] is True
    assert shown["status"] == "active" and shown["locked"] is False
    assert shown["roles"] == [{"role": "helpdesk_admin", "org": "AAA02"}]
    assert shown["grants"] == [{"mailbox": instance.addr("b.office"),
                                "right": "send_as", "org": "BBB01"}]
    row = [r for r in user_rows(instance, address)
           if r["action"] == "update"][0]
    assert row["summary"]["after"]["sync_id"] == "HR-7"
    assert row["summary"]["notes_changed"] is True
    assert "Tuesdays" not in str(row)
    assert row["actor"] == la.address
    # Clearing the site with "".
    assert la.ok("PATCH", path, {"site": ""})["site"] is None


def test_user_list_is_scoped_and_paginated(server, instance, la):
    for last in ("One", "Two", "Three"):
        new_user(la, last=last)
    new_user(la, org="AAA02", last="Child")
    bbb = make_person(instance, "BBB01", "Bo", "Bee")
    page = la.ok("GET", "/users?org=AAA01&limit=2")
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = la.ok("GET", "/users?org=AAA01&limit=2&cursor=" +
                 page["next_cursor"])
    names = [p["last_name"] for p in page["items"] + rest["items"]]
    assert names == ["Admin", "One", "Two", "Three"]
    everyone = [p["address"] for p in la.ok("GET", "/users")["items"]]
    assert instance.addr("jo.child") in everyone and bbb not in everyone
    assert "not one you administer" in la.refused(
        "GET", "/users?org=BBB01")["message"]
    assert la.refused("GET", "/users?include_deleted=maybe",
                      status=422)["field"] == "include_deleted"


# ---- who may do what ----

def test_la_of_org_a_cannot_touch_org_b(server, instance, la):
    bbb = make_person(instance, "BBB01", "Bo", "Bee")
    path = "/users/" + q(bbb)
    for method, sub, body in (
            ("GET", "", None), ("PATCH", "", {"notes": "x"}),
            ("DELETE", "", None), ("POST", "/reset-password", None),
            ("POST", "/unlock", None), ("POST", "/disable", None),
            ("POST", "/leaver", None),
            ("POST", "/transfer", {"org": "AAA01"})):
        err = la.refused(method, path + sub, body)
        assert "not one you administer" in err["message"], (sub, err)
    assert la.refused("POST", "/users", {"org": "BBB01", "first_name": "X",
                                         "last_name": "Y"})
    shown = instance.json("user", "show", bbb)
    assert shown["status"] == "active" and shown["notes"] == ""


def test_helpdesk_admin_may_only_reset_and_unlock(server, instance, la):
    target = new_user(la)["address"]
    hd = make_admin(server, instance, "AAA01", "helpdesk_admin",
                    first="Hal", last="Desk")
    path = "/users/" + q(target)
    assert hd.ok("GET", path)["address"] == target
    assert hd.ok("POST", path + "/reset-password")["temporary_password"]
    err = hd.refused("POST", path + "/unlock", status=422)  # allowed, not locked
    assert "not locked" in err["message"]
    for method, sub, body in (
            ("PATCH", "", {"notes": "x"}), ("DELETE", "", None),
            ("POST", "/disable", None), ("POST", "/enable", None),
            ("POST", "/leaver", None), ("POST", "/join", {"org": "AAA01"}),
            ("POST", "/transfer", {"org": "AAA02"}),
            ("POST", "/restore", None),
            ("POST", "/roles", {"role": "helpdesk_admin", "org": "AAA01"})):
        err = hd.refused(method, path + sub, body)
        assert "your role does not allow this" in err["message"], (sub, err)
    assert hd.refused("POST", "/users", {"org": "AAA01", "first_name": "X",
                                         "last_name": "Y"})
    assert instance.json("user", "show", target)["status"] == "active"


def test_audit_authorisation_changes_nothing(server, instance, la):
    target = new_user(la)["address"]
    before = instance.json("user", "show", target)
    auditor = make_admin(server, instance, "AAA01", "audit_authorisation",
                         first="Aud", last="Itor")
    path = "/users/" + q(target)
    assert auditor.ok("GET", path)["address"] == target
    assert auditor.ok("GET", "/users?org=AAA01")["items"]
    for method, sub, body in (
            ("PATCH", "", {"notes": "x"}), ("DELETE", "", None),
            ("POST", "/reset-password", None), ("POST", "/unlock", None),
            ("POST", "/disable", None), ("POST", "/leaver", None),
            ("POST", "/transfer", {"org": "AAA02"}),
            ("POST", "/roles", {"role": "local_admin", "org": "AAA01"})):
        err = auditor.refused(method, path + sub, body)
        assert "your role does not allow this" in err["message"], (sub, err)
    assert auditor.refused("POST", "/users", {
        "org": "AAA01", "first_name": "X", "last_name": "Y"})
    after = instance.json("user", "show", target)
    assert after == before


# ---- sign-in help ----

def test_reset_password_must_be_changed_at_next_signin(server, instance,
                                                      la):
    """SPEC P3: a reset gives a temporary password that must be changed,
    even when it lands in the same second as the person's own change."""
    target = new_user(la)
    address = target["address"]
    user = ready(server, address, target["temporary_password"])
    assert user.ok("GET", "/me")["must_change_password"] is False
    reset = la.ok("POST", "/users/" + q(address) + "/reset-password")
    temp = reset["temporary_password"]
    assert reset["must_change_password"] is True and temp != NEW_PASSWORD
    # The person's existing session ends with the reset.
    assert user.call("GET", "/me")[0] == 401
    assert signin(server, address, NEW_PASSWORD) == 401
    c = Client(server)
    status, body = c.signin(address, temp)
    assert status == 201 and body["must_change_password"] is True
    assert c.call("GET", "/me")[1]["error"]["code"] == \
        "password_change_required"
    assert c.ok("POST", "/me/password", {"current": temp,
                                         "new": "my own choice again"})
    assert c.ok("GET", "/me")["must_change_password"] is False
    row = [r for r in user_rows(instance, address)
           if r["summary"].get("password_reset")][0]
    assert row["actor"] == la.address and row["action"] == "other"
    assert temp not in str(audit(instance)) + server.logs()
    # Two resets never give the same password.
    again = la.ok("POST", "/users/" + q(address) + "/reset-password")
    assert again["temporary_password"] != temp
    assert la.refused("POST", "/users/" + q(address) + "/reset-password",
                      {"password": "mine"}, status=422)["field"] == "password"


def test_unlock_keeps_status(server, instance, la):
    """Seed 002 #11809: unlocking a leaver made them active again."""
    address = make_person(instance, "AAA01", "Lee", "Locked")
    path = "/users/" + q(address)
    la.ok("POST", path + "/leaver")
    for _ in range(12):
        assert signin(server, address, "wrong wrong wrong") == 401
    shown = la.ok("GET", path)
    assert shown["locked"] is True and shown["status"] == "leaver"
    got = la.ok("POST", path + "/unlock")
    assert got["locked"] is False and got["status"] == "leaver"
    assert la.ok("GET", path)["status"] == "leaver"
    err = la.refused("POST", path + "/unlock", status=422)
    assert "not locked" in err["message"]
    row = [r for r in user_rows(instance, address)
           if r["summary"].get("unlocked")][0]
    assert row["summary"]["status"] == "leaver"
    assert row["actor"] == la.address


def test_unlocked_active_user_signs_in_again(server, instance, la):
    address = make_person(instance, "AAA01", "Ann", "Active")
    for _ in range(12):
        signin(server, address, "wrong wrong wrong")
    assert signin(server, address, USER_PASSWORD) == 401
    assert la.ok("POST", "/users/" + q(address) + "/unlock")["status"] == \
        "active"
    assert signin(server, address, USER_PASSWORD) == 201


# ---- lifecycle ----

def test_disable_enable_no_in_between_state(server, instance, la):
    """Seed 002: accounts stuck in Enabling or Disabling."""
    address = make_person(instance, "AAA01", "Dee", "Sable")
    path = "/users/" + q(address)
    user = ready(server, address, USER_PASSWORD)
    assert user.call("GET", "/me")[0] == 200
    assert la.ok("POST", path + "/disable")["status"] == "disabled"
    # The very next request sees it: the session is over, sign-in refused.
    assert la.ok("GET", path)["status"] == "disabled"
    assert user.call("GET", "/me")[0] == 401
    assert signin(server, address, NEW_PASSWORD) == 401
    err = la.refused("POST", path + "/disable", status=409)
    assert "only an active account can be disabled" in err["message"]
    assert la.ok("POST", path + "/enable")["status"] == "active"
    assert la.ok("GET", path)["status"] == "active"
    assert signin(server, address, NEW_PASSWORD) == 201
    err = la.refused("POST", path + "/enable", status=409)
    assert "only a disabled or inactive account can be enabled" in err["message"]
    changes = [(r["summary"]["status"]["before"],
                r["summary"]["status"]["after"])
               for r in reversed(user_rows(instance, address))
               if "status" in r["summary"] and
               isinstance(r["summary"]["status"], dict)]
    assert changes == [("active", "disabled"), ("disabled", "active")]
    statuses = {r[0] for r in sqlite3.connect(
        instance.dir / "caremail.db").execute("SELECT status FROM people")}
    assert statuses <= {"active", "disabled", "leaver", "deleted"}
    assert la.refused("POST", path + "/disable", {"why": "x"},
                      status=422)["field"] == "why"


def test_leaver_cannot_sign_in_and_loses_roles(server, instance, la):
    address = make_person(instance, "AAA01", "Les", "Leaver")
    instance.run("role", "add", address, "--org", "AAA02", "--role",
                 "local_admin")
    path = "/users/" + q(address)
    got = la.ok("POST", path + "/leaver")
    assert got["status"] == "leaver" and got["roles"] == []
    assert signin(server, address, USER_PASSWORD) == 401
    assert la.refused("POST", path + "/leaver", status=409)
    err = la.refused("POST", path + "/enable", status=409)
    assert "joining" in err["message"]
    err = la.refused("POST", path + "/disable", status=409)
    assert "only an active account" in err["message"]
    row = [r for r in user_rows(instance, address)
           if r["summary"].get("change")][0]
    assert row["summary"]["change"] == "leaver"
    assert row["summary"]["roles_removed"] == [
        {"role": "local_admin", "org": "AAA02"}]


def test_join_clears_old_site(server, instance, la):
    """Seed 002 #9689: the previous org's site stayed with the person."""
    address = new_user(la, site="AAA01 Site")["address"]
    path = "/users/" + q(address)
    la.ok("POST", path + "/leaver")
    b_admin = make_admin(server, instance, "BBB01", first="Bea",
                         last="Admin")
    joined = b_admin.ok("POST", path + "/join", {"org": "BBB01"})
    assert joined["org"]["ods"] == "BBB01"
    assert joined["site"] is None
    assert joined["status"] == "active"
    assert b_admin.ok("GET", path)["site"] is None


def test_join_with_a_site_of_the_new_org(server, instance, la):
    address = new_user(la, site="AAA01 Site", sync_id="OLD-1")["address"]
    path = "/users/" + q(address)
    la.ok("POST", path + "/leaver")
    b_admin = make_admin(server, instance, "BBB01", first="Bea",
                         last="Admin")
    # A site of the old org is not a site of the new one.
    assert b_admin.refused("POST", path + "/join", {
        "org": "BBB01", "site": "AAA01 Site"}, status=404)["field"] == "site"
    assert instance.json("user", "show", address)["status"] == "leaver"
    joined = b_admin.ok("POST", path + "/join", {
        "org": "BBB01", "site": "BBB01 Site", "sync_id": "NEW-9"})
    assert joined["site"]["name"] == "BBB01 Site"
    assert joined["sync_id"] == "NEW-9"


def test_join_lists_grants_held_elsewhere(server, instance, la):
    """Seed 004: joiners keep delegate access to their old org's
    mailboxes, and the admin must be able to see it."""
    address = make_person(instance, "AAA01", "Gil", "Grants")
    instance.run("shared", "add", "--org", "AAA01", "--name", "A Office")
    office = instance.addr("a.office")
    instance.run("grant", "add", office, address, "--right", "full_access")
    instance.run("grant", "add", office, address, "--right",
                 "send_on_behalf")
    instance.run("shared", "owners", "add", office, address)
    instance.run("shared", "members", "add", office, address)
    instance.run("list", "add", "--org", "AAA01", "--name", "A Staff")
    instance.run("list", "members", "add", instance.addr("a.staff"), address)
    instance.run("shared", "add", "--org", "BBB01", "--name", "B Desk")
    instance.run("grant", "add", instance.addr("b.desk"), address,
                 "--right", "send_as")
    path = "/users/" + q(address)
    la.ok("POST", path + "/leaver")
    b_admin = make_admin(server, instance, "BBB01", first="Bea",
                         last="Admin")
    joined = b_admin.ok("POST", path + "/join", {"org": "BBB01"})
    held = {(h["relation"], h["address"], h["org"])
            for h in joined["held_elsewhere"]}
    assert held == {("full_access", office, "AAA01"),
                    ("send_on_behalf", office, "AAA01"),
                    ("owner", office, "AAA01"),
                    ("member", office, "AAA01"),
                    ("member", instance.addr("a.staff"), "AAA01")}
    # What is held in the new org is not "elsewhere", but still shown.
    assert ("send_as", instance.addr("b.desk"), "BBB01") in {
        (h["relation"], h["address"], h["org"])
        for h in joined["holdings"]}
    row = user_rows(instance, address)[0]
    assert row["summary"]["change"] == "join"
    assert row["summary"]["from_org"] == "AAA01"
    assert row["summary"]["to_org"] == "BBB01"
    assert len(row["summary"]["held_elsewhere"]) == 5


def test_join_refusals(server, instance, la):
    address = new_user(la)["address"]
    path = "/users/" + q(address)
    err = la.refused("POST", path + "/join", {"org": "AAA02"}, status=409)
    assert "only a leaver" in err["message"]
    la.ok("POST", path + "/leaver")
    err = la.refused("POST", path + "/join", {"org": "BBB01"})
    assert "not one you administer" in err["message"]
    assert la.refused("POST", path + "/join", {}, status=422)["field"] == \
        "org"
    assert la.refused("POST", path + "/join", {"org": "ZZZ99"},
                      status=404)["field"] == "org"
    assert instance.json("user", "show", address)["status"] == "leaver"


def test_transfer_checks_both_orgs_and_keeps_status(server, instance, la):
    address = new_user(la, site="AAA01 Site")["address"]
    path = "/users/" + q(address)
    la.ok("POST", path + "/disable")
    # Target out of the caller's scope.
    assert "not one you administer" in la.refused(
        "POST", path + "/transfer", {"org": "BBB01"})["message"]
    # Source out of the caller's scope, though the target is theirs.
    b_admin = make_admin(server, instance, "BBB01", first="Bea",
                         last="Admin")
    assert "not one you administer" in b_admin.refused(
        "POST", path + "/transfer", {"org": "BBB01"})["message"]
    assert instance.json("user", "show", address)["org"]["ods"] == "AAA01"
    moved = la.ok("POST", path + "/transfer", {"org": "AAA02"})
    assert moved["org"]["ods"] == "AAA02"
    assert moved["status"] == "disabled"            # kept
    assert moved["site"] is None                    # seed 002 #9689
    moved = la.ok("POST", path + "/transfer", {"org": "AAA01",
                                               "site": "AAA01 Site"})
    assert moved["site"]["name"] == "AAA01 Site"
    assert la.refused("POST", path + "/transfer", {"org": "AAA01"},
                      status=422)["field"] == "org"
    row = user_rows(instance, address)[0]
    assert row["summary"]["change"] == "transfer"
    assert row["summary"]["from_org"] == "AAA02"
    ga = global_admin(server, instance)
    assert ga.ok("POST", path + "/transfer",
                 {"org": "BBB01"})["org"]["ods"] == "BBB01"


def test_transfer_refuses_a_sync_id_clash(server, instance, la):
    a = new_user(la, sync_id="S-1")["address"]
    new_user(la, org="AAA02", first="Al", last="Kid", sync_id="S-1")
    err = la.refused("POST", "/users/" + q(a) + "/transfer",
                     {"org": "AAA02"}, status=409)
    assert err["field"] == "sync_id"
    assert instance.json("user", "show", a)["org"]["ods"] == "AAA01"


def test_delete_removes_every_admin_role(server, instance, la):
    """Seed 002 #14044/#14944: admin roles and tags survived deletion."""
    address = make_person(instance, "AAA01", "Del", "Eted")
    for org, role in (("AAA01", "local_admin"), ("AAA02", "helpdesk_admin"),
                      ("AAA01", "audit_authorisation")):
        instance.run("role", "add", address, "--org", org, "--role", role)
    victim = ready(server, address, USER_PASSWORD)
    path = "/users/" + q(address)
    got = la.ok("DELETE", path)
    assert got["status"] == "deleted" and got["roles"] == []
    assert {(r["role"], r["org"]) for r in got["roles_removed"]} == {
        ("local_admin", "AAA01"), ("helpdesk_admin", "AAA02"),
        ("audit_authorisation", "AAA01")}
    assert got["restorable_until"] is not None
    assert la.ok("GET", path)["roles"] == []
    assert instance.json("user", "show", address)["roles"] == []
    assert victim.call("GET", "/me")[0] == 401
    assert signin(server, address, NEW_PASSWORD) == 401
    row = [r for r in user_rows(instance, address)
           if r["action"] == "delete"][0]
    assert row["actor"] == la.address
    assert len(row["summary"]["roles_removed"]) == 3
    assert la.refused("DELETE", path, status=404)
    assert address not in [p["address"] for p in
                           la.ok("GET", "/users?org=AAA01")["items"]]
    assert address in [p["address"] for p in la.ok(
        "GET", "/users?org=AAA01&include_deleted=true")["items"]]


def test_restore_within_the_window_by_global_admin_only(server, instance,
                                                        la):
    address = new_user(la)["address"]
    path = "/users/" + q(address)
    la.ok("DELETE", path)
    err = la.refused("POST", path + "/restore")
    assert "user.restore" in err["message"]
    ga = global_admin(server, instance)
    got = ga.ok("POST", path + "/restore")
    assert got["status"] == "active" and got["deleted_at"] is None
    assert la.ok("GET", path)["status"] == "active"
    err = ga.refused("POST", path + "/restore", status=409)
    assert "not deleted" in err["message"]
    row = user_rows(instance, address)[0]
    assert row["summary"]["change"] == "restore"

    # Past dir.deleted_retention_days (30) it is refused with a sentence.
    ga.ok("DELETE", path)
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=10)
    db.execute("UPDATE people SET deleted_at = deleted_at - 31 * 86400"
               " WHERE id = ?", (instance.json("user", "show",
                                               address)["id"],))
    db.commit()
    db.close()
    err = ga.refused("POST", path + "/restore", status=409)
    assert "can no longer be restored" in err["message"]
    assert "30 days" in err["message"]
    assert ga.ok("GET", path)["status"] == "deleted"


# ---- roles ----

def test_role_grant_and_revoke(server, instance, la):
    pla = make_admin(server, instance, "AAA01", "primary_local_admin",
                     first="Pri", last="Mary")
    target = new_user(pla)["address"]
    path = "/users/" + q(target)
    got = pla.ok("POST", path + "/roles", {"role": "local_admin",
                                           "org": "AAA02"}, status=201)
    assert got["roles"] == [{"role": "local_admin", "org": "AAA02"}]
    pla.ok("POST", path + "/roles", {"role": "helpdesk_admin",
                                     "org": "AAA01"}, status=201)
    assert pla.refused("POST", path + "/roles", {"role": "helpdesk_admin",
                                                 "org": "AAA01"},
                       status=409)
    # Visible at once to the person: they must now set up MFA.
    temp = pla.ok("POST", path + "/reset-password")["temporary_password"]
    status, body = Client(server).signin(target, temp)
    assert status == 201 and body["mfa_setup_required"] is True
    rows = [r for r in user_rows(instance, target)
            if "role_added" in r["summary"]]
    assert rows[0]["actor"] == pla.address

    # A plain LA cannot grant; nobody but the GA grants the service's roles.
    assert "role.grant" in la.refused("POST", path + "/roles", {
        "role": "local_admin", "org": "AAA01"})["message"]
    assert "role.grant_global" in pla.refused("POST", path + "/roles", {
        "role": "global_admin", "org": "AAA01"})["message"]
    assert "org.devolve" in pla.refused("POST", path + "/roles", {
        "role": "primary_local_admin", "org": "AAA02"})["message"]
    assert pla.refused("POST", path + "/roles", {
        "role": "local_admin", "org": "BBB01"})
    assert pla.refused("POST", path + "/roles", {"role": "wizard",
                                                 "org": "AAA01"},
                       status=422)["field"] == "role"
    ga = global_admin(server, instance)
    assert ga.ok("POST", path + "/roles", {"role": "ediscovery",
                                           "org": "SERVICE"}, status=201)

    got = pla.ok("DELETE", path + "/roles/local_admin?org=AAA02")
    assert {"role": "local_admin", "org": "AAA02"} not in got["roles"]
    assert pla.refused("DELETE", path + "/roles/local_admin?org=AAA02",
                       status=404)
    assert pla.refused("DELETE", path + "/roles/helpdesk_admin",
                       status=422)["field"] == "org"
    assert pla.refused("DELETE", path + "/roles/ediscovery?org=SERVICE")
    assert [r for r in user_rows(instance, target)
            if "role_removed" in r["summary"]]


def test_admin_roles_belong_to_one_person(server, instance, la):
    """Seed 003: admin accounts must not be shared."""
    pla = make_admin(server, instance, "AAA01", "primary_local_admin",
                     first="Pri", last="Mary")
    instance.run("shared", "add", "--org", "AAA01", "--name", "Team Inbox")
    shared = instance.addr("team.inbox")
    err = pla.refused("POST", "/users/" + q(shared) + "/roles",
                      {"role": "local_admin", "org": "AAA01"}, status=404)
    assert "is a shared mailbox, not a person" in err["message"]
    disabled = new_user(pla)["address"]
    pla.ok("POST", "/users/" + q(disabled) + "/disable")
    err = pla.refused("POST", "/users/" + q(disabled) + "/roles",
                      {"role": "local_admin", "org": "AAA01"}, status=409)
    assert "only an active person" in err["message"]


# ---- the story ----

def test_joiner_leaver_join_elsewhere_story(server, instance, la):
    """A person joins AAA01, works, leaves, and joins BBB01: each step is
    seen by the next request, in audit, and at sign-in."""
    made = new_user(la, first="Sam", last="Story", site="AAA01 Site",
                    sync_id="A-77")
    address = made["address"]
    path = "/users/" + q(address)
    sam = ready(server, address, made["temporary_password"])
    assert sam.ok("GET", "/me")["org"]["ods"] == "AAA01"

    left = la.ok("POST", path + "/leaver")
    assert left["status"] == "leaver"
    assert sam.call("GET", "/me")[0] == 401           # session over
    assert signin(server, address, NEW_PASSWORD) == 401

    b_admin = make_admin(server, instance, "BBB01", first="Bea",
                         last="Admin")
    joined = b_admin.ok("POST", path + "/join",
                        {"org": "BBB01", "site": "BBB01 Site"})
    assert joined["status"] == "active"
    assert joined["org"]["ods"] == "BBB01"
    assert joined["site"]["name"] == "BBB01 Site"
    assert joined["sync_id"] is None
    assert joined["held_elsewhere"] == []
    # The old org's LA no longer reaches them; the new one does.
    assert la.refused("GET", path)
    assert b_admin.ok("GET", path)["status"] == "active"
    sam = Client(server)
    status, body = sam.signin(address, NEW_PASSWORD)
    assert status == 201 and body["person"]["org"]["ods"] == "BBB01"
    changes = [r["summary"].get("change") for r in
               reversed(user_rows(instance, address))
               if r["action"] == "update" and "change" in r["summary"]]
    assert changes == ["leaver", "join"]
