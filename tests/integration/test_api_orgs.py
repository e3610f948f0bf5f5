"""Organisations and sites over the JSON API (SPEC D1, P2): reading what is
in scope, editing one's own org, the Global Admin creating orgs and
devolving them to a Primary Local Admin, and every refusal."""

import pytest

from apiclient import Client, global_admin, make_admin, make_person, q

# 4,000 characters, more bytes: the limit counts characters.
LONG_ADDRESS = ("Ward 7, Block C, " * 300)[:3994] + " Lééds"
assert len(LONG_ADDRESS) == 4000 and len(LONG_ADDRESS.encode()) == 4002


@pytest.fixture
def tree(instance):
    """PARENT with two children, and an unrelated OTHER org."""
    for ods, parent in (("PAR01", None), ("KID01", "PAR01"),
                        ("KID02", "PAR01"), ("OTH01", None)):
        args = ["org", "add", "--ods", ods, "--name", f"Org {ods}"]
        if parent:
            args += ["--parent", parent]
        instance.setup(*args)
    return instance


def audit(instance, **filters):
    args = ["audit", "list"]
    for k, v in filters.items():
        args += [f"--{k}", v]
    return instance.json(*args)


def test_global_admin_creates_an_org_and_a_site(server, instance):
    ga = global_admin(server, instance)
    org = ga.ok("POST", "/orgs", {
        "ods": "y12345", "name": "Riverside Practice", "type": "GP Practice",
        "helpdesk_phone": "0113 496 0000",
        "helpdesk_email": "it@riverside.example.org",
        "website": "https://riverside.example.org"}, status=201)
    assert org["ods"] == "Y12345" and org["parent"] is None
    assert org["devolved"] is False and org["primary_local_admins"] == []
    assert ga.ok("GET", "/orgs/Y12345")["helpdesk_phone"] == "0113 496 0000"
    rows = audit(instance, type="organisation", action="create")
    assert rows[0]["summary"]["ods"] == "Y12345"
    assert rows[0]["actor"] == instance.addr("admin")

    err = ga.refused("POST", "/orgs", {"ods": "Y12345", "name": "Again"},
                     status=409)
    assert err["field"] == "ods" and "already used" in err["message"]
    err = ga.refused("POST", "/orgs", {"ods": "no!", "name": "X"},
                     status=422)
    assert err["field"] == "ods"
    err = ga.refused("POST", "/orgs", {"ods": "Y99999"}, status=422)
    assert err["field"] == "name"
    assert ga.refused("POST", "/orgs", {"ods": "Y99998", "name": "X",
                                        "parent": "NOPE1"},
                      status=404)["field"] == "org"

    site = ga.ok("POST", "/orgs/Y12345/sites", {
        "name": "Branch Surgery", "site_type": "gp_practice",
        "postal_address": LONG_ADDRESS}, status=201)
    assert site["postal_address"] == LONG_ADDRESS
    sites = ga.ok("GET", "/orgs/Y12345/sites")
    assert [s["name"] for s in sites["items"]] == ["Branch Surgery"]
    assert ga.refused("POST", "/orgs/Y12345/sites", {
        "name": "Branch Surgery", "site_type": "gp_practice"},
        status=409)["field"] == "name"
    err = ga.refused("POST", "/orgs/Y12345/sites", {
        "name": "Shop", "site_type": "supermarket"}, status=422)
    assert err["field"] == "site_type" and "pharmacy" in err["message"]
    assert audit(instance, type="site")[0]["summary"]["name"] == \
        "Branch Surgery"
    assert ga.refused("GET", "/orgs/NOPE1", status=404)["code"] == \
        "not_found"


def test_only_the_global_admin_creates_orgs(server, instance, tree):
    la = make_admin(server, instance, "PAR01", "primary_local_admin")
    err = la.refused("POST", "/orgs", {"ods": "Z11111", "name": "Mine"})
    assert err["code"] == "denied" and "org.create" in err["message"]
    assert "Z11111" not in str(instance.json("org", "list"))


def test_la_edits_own_org_helpdesk_and_long_address(server, instance, tree):
    la = make_admin(server, instance, "PAR01")
    org = la.ok("PATCH", "/orgs/PAR01", {
        "helpdesk_phone": "+44 113 496 0001",
        "helpdesk_email": "servicedesk@par.example.org",
        "postal_address": LONG_ADDRESS,
        "description": "Commissioning body", "website": "http://par.example"})
    assert org["postal_address"] == LONG_ADDRESS    # never cut at 64
    got = la.ok("GET", "/orgs/PAR01")
    assert got["helpdesk_email"] == "servicedesk@par.example.org"
    assert got["postal_address"] == LONG_ADDRESS
    # Child orgs are in scope too.
    assert la.ok("PATCH", "/orgs/KID01",
                 {"description": "a practice"})["description"] == \
        "a practice"
    row = audit(instance, type="organisation", action="update")[1]
    assert row["summary"]["after"]["helpdesk_phone"] == "+44 113 496 0001"
    assert row["summary"]["before"]["helpdesk_phone"] == ""

    err = la.refused("PATCH", "/orgs/PAR01",
                     {"postal_address": LONG_ADDRESS + "x"},
                     status=422)
    assert err["field"] == "postal_address" and "4000" in err["message"]
    assert la.refused("PATCH", "/orgs/PAR01",
                      {"helpdesk_email": "not an email"},
                      status=422)["field"] == "helpdesk_email"
    assert la.refused("PATCH", "/orgs/PAR01", {"website": "ftp://x"},
                      status=422)["field"] == "website"
    assert la.refused("PATCH", "/orgs/PAR01", {"helpdesk_phone": "call us"},
                      status=422)["field"] == "helpdesk_phone"
    assert la.refused("PATCH", "/orgs/PAR01", {}, status=422)
    assert la.refused("PATCH", "/orgs/PAR01", {"ods": "NEW01"},
                      status=422)["field"] == "ods"
    # Name, type and place in the tree are the service's to change.
    assert la.refused("PATCH", "/orgs/PAR01", {"name": "Renamed"})
    assert la.refused("PATCH", "/orgs/KID01", {"parent": ""})
    assert la.ok("GET", "/orgs/PAR01")["name"] == "Org PAR01"
    ga = global_admin(server, instance)
    assert ga.ok("PATCH", "/orgs/KID02",
                 {"name": "Renamed", "parent": "OTH01"})["parent"] == "OTH01"


def test_la_of_one_org_cannot_touch_another(server, instance, tree):
    la = make_admin(server, instance, "KID01")
    assert la.ok("GET", "/orgs/KID01")["ods"] == "KID01"
    for method, path, body in (
            ("GET", "/orgs/OTH01", None),
            ("PATCH", "/orgs/OTH01", {"description": "mine now"}),
            ("GET", "/orgs/KID02", None),         # a sibling
            ("GET", "/orgs/PAR01", None),         # the parent
            ("GET", "/orgs/OTH01/sites", None),
            ("POST", "/orgs/OTH01/sites", {"name": "S", "site_type":
                                           "other"})):
        err = la.refused(method, path, body)
        assert "not one you administer" in err["message"], (path, err)
    assert instance.json("org", "show", "OTH01")["description"] == ""


def test_org_list_is_scoped_and_paginated(server, instance, tree):
    la = make_admin(server, instance, "PAR01")
    page = la.ok("GET", "/orgs?limit=2")
    assert [o["ods"] for o in page["items"]] == ["PAR01", "KID01"]
    assert page["next_cursor"]
    rest = la.ok("GET", "/orgs?limit=2&cursor=" + page["next_cursor"])
    assert [o["ods"] for o in rest["items"]] == ["KID02"]
    assert rest["next_cursor"] is None
    ga = global_admin(server, instance)
    every = [o["ods"] for o in ga.ok("GET", "/orgs?limit=500")["items"]]
    assert set(every) == {"SERVICE", "PAR01", "KID01", "KID02", "OTH01"}
    assert la.refused("GET", "/orgs?limit=0", status=422)["field"] == "limit"
    # Someone with no admin role lists nothing: the role is missing.
    user = make_person(instance, "PAR01", "Pat", "Plain")
    from apiclient import USER_PASSWORD, ready
    c = ready(server, user, USER_PASSWORD)
    assert "org.read" in c.refused("GET", "/orgs")["message"]


def test_devolved_child_is_out_of_the_parent_las_reach(server, instance,
                                                      tree):
    la = make_admin(server, instance, "PAR01")
    assert la.ok("GET", "/orgs/KID01")["devolved"] is False
    head = make_person(instance, "KID01", "Kim", "Head")
    # Devolving is the Global Admin's alone, even for the parent's LA.
    err = la.refused("POST", "/orgs/KID01/primary-admins", {"address": head})
    assert "org.devolve" in err["message"]
    ga = global_admin(server, instance)
    org = ga.ok("POST", "/orgs/KID01/primary-admins", {"address": head},
                status=201)
    assert org["devolved"] is True and org["primary_local_admins"] == [head]
    # At once, the parent's LA no longer reaches the child.
    assert "not one you administer" in la.refused("GET", "/orgs/KID01")[
        "message"]
    assert la.refused("PATCH", "/orgs/KID01", {"description": "x"})
    listed = [o["ods"] for o in la.ok("GET", "/orgs")["items"]]
    assert listed == ["PAR01", "KID02"]
    kid_user = make_person(instance, "KID01", "Kit", "Staff")
    assert la.refused("GET", "/users/" + q(kid_user))
    rows = audit(instance, type="user_mailbox", action="other")
    added = [r for r in rows if "role_added" in r["summary"]]
    assert added[0]["summary"]["role_added"] == {
        "role": "primary_local_admin", "org": "KID01"}
    assert added[0]["actor"] == instance.addr("admin")

    # Only someone who works there, a person, not already PLA.
    outsider = make_person(instance, "OTH01", "Oli", "Out")
    err = ga.refused("POST", "/orgs/KID01/primary-admins",
                     {"address": outsider}, status=422)
    assert "does not work in KID01" in err["message"]
    instance.run("shared", "add", "--org", "KID01", "--name", "Kid Office")
    shared = instance.addr("kid.office")
    err = ga.refused("POST", "/orgs/KID01/primary-admins",
                     {"address": shared}, status=422)
    assert "belong to one person" in err["message"]
    assert ga.refused("POST", "/orgs/KID01/primary-admins",
                      {"address": head}, status=409)
    assert ga.refused("POST", "/orgs/KID01/primary-admins", {},
                      status=422)["field"] == "address"


def test_audit_authorisation_and_helpdesk_change_no_org(server, instance,
                                                       tree):
    auditor = make_admin(server, instance, "PAR01", "audit_authorisation")
    assert auditor.ok("GET", "/orgs/PAR01")["ods"] == "PAR01"
    assert auditor.ok("GET", "/orgs/PAR01/sites")["items"] == []
    for method, path, body in (
            ("PATCH", "/orgs/PAR01", {"description": "x"}),
            ("POST", "/orgs/PAR01/sites", {"name": "S", "site_type":
                                           "other"}),
            ("POST", "/orgs", {"ods": "A12345", "name": "A"})):
        err = auditor.refused(method, path, body)
        assert "your role does not allow this" in err["message"]
    helpdesk = make_admin(server, instance, "PAR01", "helpdesk_admin",
                          first="Hal", last="Desk")
    assert "org.read" in helpdesk.refused("GET", "/orgs/PAR01")["message"]
    assert helpdesk.refused("PATCH", "/orgs/PAR01", {"description": "x"})
    assert instance.json("org", "show", "PAR01")["description"] == ""


def test_sites_list_paginates(server, instance, tree):
    la = make_admin(server, instance, "PAR01")
    for name in ("Alpha", "Beta", "Gamma"):
        la.ok("POST", "/orgs/PAR01/sites",
              {"name": name, "site_type": "pharmacy"}, status=201)
    first = la.ok("GET", "/orgs/PAR01/sites?limit=2")
    assert [s["name"] for s in first["items"]] == ["Alpha", "Beta"]
    second = la.ok("GET", "/orgs/PAR01/sites?limit=2&cursor=" +
                   first["next_cursor"])
    assert [s["name"] for s in second["items"]] == ["Gamma"]
    assert second["next_cursor"] is None


def test_no_session_and_no_csrf(server, instance, tree):
    c = Client(server)
    assert c.call("GET", "/orgs")[0] == 401
    ga = global_admin(server, instance)
    status, body = ga.call("PATCH", "/orgs/PAR01", {"description": "x"},
                           csrf=False)
    assert status == 403 and body["error"]["code"] == "csrf"
