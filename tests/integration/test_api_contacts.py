"""External contacts through the JSON API (SPEC P7): create, list, show,
edit, delete; refusals for roles, scope, bad input and duplicates (seed
002 #9218); an audit row for every change."""

import pytest

from apiclient import global_admin, make_admin, make_person, q

EXTERNAL = "pat.partner@council.example.org"


def make_contact(client, org, name="Pat Partner", address=EXTERNAL):
    return client.ok("POST", "/contacts",
                     {"org": org, "name": name, "address": address},
                     status=201)


def test_contact_lifecycle(la, orgs, instance):
    org = orgs[0]
    c = make_contact(la, org)
    assert c == {**c, "address": EXTERNAL, "display_name": "Pat Partner",
                 "org": org}
    path = "/contacts/" + q(EXTERNAL)
    assert la.ok("GET", path)["address"] == EXTERNAL
    page = la.ok("GET", f"/contacts?org={org}")
    assert [x["address"] for x in page["items"]] == [EXTERNAL]
    assert la.ok("PATCH", path, {"name": "Pat P."})["display_name"] == \
        "Pat P."
    assert la.ok("GET", path)["display_name"] == "Pat P."
    assert la.ok("DELETE", path) == {"address": EXTERNAL, "deleted": True}
    assert "deleted" in la.refused("GET", path, status=404)["message"]
    assert la.ok("GET", f"/contacts?org={org}")["items"] == []
    rows = instance.json("audit", "list", "--type", "contact")
    assert [r["action"] for r in rows] == ["delete", "update", "create"]
    assert rows[1]["summary"] == {"display_name": {"from": "Pat Partner",
                                                   "to": "Pat P."}}
    assert all(r["actor"] == la.address and r["org"] == org for r in rows)


def test_contact_duplicate_refused(la, orgs, instance):
    """Seed 002 #9218: the same external contact could be made twice."""
    org, other = orgs
    make_contact(la, org)
    for body in ({"org": org, "name": "Pat again", "address": EXTERNAL},
                 {"org": org, "name": "Pat", "address": EXTERNAL.upper()}):
        err = la.refused("POST", "/contacts", body, status=409)
        assert err["code"] == "exists" and err["field"] == "address"
        assert EXTERNAL in err["message"]
        assert "contact Pat Partner" in err["message"]
    ga = global_admin(la.server, instance)
    err = ga.refused("POST", "/contacts", {"org": other, "name": "Pat",
                                          "address": EXTERNAL}, status=409)
    assert "already taken" in err["message"]
    assert len(la.ok("GET", f"/contacts?org={org}")["items"]) == 1
    assert len(instance.json("audit", "list", "--type", "contact")) == 1


def test_contact_bad_input(la, orgs, instance):
    org = orgs[0]
    err = la.refused("POST", "/contacts",
                     {"org": org, "name": "Ann", "address": "not an address"},
                     status=422)
    assert err["field"] == "address"
    err = la.refused("POST", "/contacts",
                     {"org": org, "name": "Inside",
                      "address": instance.addr("someone")}, status=422)
    assert "hosts" in err["message"]
    err = la.refused("POST", "/contacts", {"org": org, "address": EXTERNAL},
                     status=422)
    assert err["field"] == "name"
    make_contact(la, org)
    err = la.refused("PATCH", "/contacts/" + q(EXTERNAL), {"name": ""},
                     status=422)
    assert err["field"] == "name"
    # A person's address is not a contact.
    person = make_person(instance, org, "Jo", "Staff")
    err = la.refused("GET", "/contacts/" + q(person), status=404)
    assert "not a contact" in err["message"]


@pytest.mark.parametrize("role", ["helpdesk_admin", "audit_authorisation"])
def test_contact_wrong_role_refused(server, instance, orgs, la, role):
    org = orgs[0]
    make_contact(la, org)
    other = make_admin(server, instance, org, role=role, first="Hal",
                       last="Helper")
    path = "/contacts/" + q(EXTERNAL)
    for method, p, body in [
            ("POST", "/contacts", {"org": org, "name": "N",
                                   "address": "n@x.example.org"}),
            ("GET", f"/contacts?org={org}", None),
            ("GET", path, None), ("PATCH", path, {"name": "N"}),
            ("DELETE", path, None)]:
        assert other.refused(method, p, body)["code"] == "denied"
    assert la.ok("GET", path)["display_name"] == "Pat Partner"


def test_contact_out_of_scope_refused(server, instance, orgs, la):
    org, other = orgs
    la2 = make_admin(server, instance, other, first="Olga", last="Other")
    make_contact(la, org)
    path = "/contacts/" + q(EXTERNAL)
    for method, p, body in [
            ("POST", "/contacts", {"org": org, "name": "N",
                                   "address": "n@x.example.org"}),
            ("GET", f"/contacts?org={org}", None),
            ("GET", path, None), ("PATCH", path, {"name": "N"}),
            ("DELETE", path, None)]:
        err = la2.refused(method, p, body)
        assert "organisation" in err["message"] or "role" in err["message"]
    assert la.ok("GET", path)["display_name"] == "Pat Partner"
    # Without ?org= a listing covers the caller's own scope, nothing more.
    assert la2.ok("GET", "/contacts")["items"] == []
    assert [c["address"] for c in la.ok("GET", "/contacts")["items"]] == \
        [EXTERNAL]


def test_contact_paging(la, orgs):
    org = orgs[0]
    made = [make_contact(la, org, f"C {i}", f"c{i}@x.example.org")["address"]
            for i in range(3)]
    first = la.ok("GET", f"/contacts?org={org}&limit=2")
    second = la.ok("GET", f"/contacts?org={org}&limit=2&cursor="
                   + first["next_cursor"])
    assert [c["address"] for c in first["items"] + second["items"]] == made
    assert second["next_cursor"] is None


def test_contact_search(la, orgs):
    """?q= keeps the contacts whose name or address holds the text, in any
    case, as a plain substring; within the caller's scope and with the
    pagination as usual."""
    org, other = orgs
    for name, address in (("Pat Partner", EXTERNAL),
                          ("Social Care Team", "care.team@county.example.org"),
                          ("100% Dental", "reception@dental.example.org"),
                          ("Partnership Office", "office@partners.example.org")):
        make_contact(la, org, name, address)

    def found(query):
        page = la.ok("GET", f"/contacts?org={org}&q={q(query)}")
        return [c["address"] for c in page["items"]]

    assert found("PARTNER") == [EXTERNAL, "office@partners.example.org"]
    assert found("county.example") == ["care.team@county.example.org"]
    assert found("social care") == ["care.team@county.example.org"]
    assert found("100%") == ["reception@dental.example.org"]
    # '%' and '_' are themselves, not wildcards.
    assert found("%") == ["reception@dental.example.org"]
    assert found("_") == []
    assert found("nobody") == []
    assert len(found("")) == 4
    # Paged like any listing.
    first = la.ok("GET", f"/contacts?org={org}&q=partner&limit=1")
    second = la.ok("GET", f"/contacts?org={org}&q=partner&limit=1&cursor="
                   + first["next_cursor"])
    assert [c["address"] for c in first["items"] + second["items"]] == \
        [EXTERNAL, "office@partners.example.org"]
    err = la.refused("GET", f"/contacts?org={org}&q=" + "x" * 201,
                     status=422)
    assert err["field"] == "q"
    # Another org's contacts stay out of reach, whatever the search.
    assert la.refused("GET", f"/contacts?org={other}&q=partner",
                      status=403)["code"] == "denied"
