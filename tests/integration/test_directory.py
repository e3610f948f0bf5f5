"""The directory from the command line: orgs, people, addresses, mailboxes,
contacts, lists, owners, grants, roles and the audit trail (SPEC D, P)."""

import json


def add_person(inst, org, first, last, *extra):
    return inst.run("user", "add", "--org", org, "--first", first, "--last",
                    last, *extra).stdout.strip()


def test_long_postal_address_round_trips(instance):
    address = ("Unit 14, The Old Infirmary Buildings, Lower Abbey Street, "
               "Wessexford Business Park (North Entrance, opposite the "
               "multi-storey car park), Wessexford, Wessex Vale, WX1 9ZZ; "
               "deliveries via the goods yard on Tanners Row, ring the bell "
               "marked 'Medicines Management' and ask for the duty "
               "pharmacist, Monday to Friday 08:00-18:00.")
    assert len(address) >= 300
    instance.run("org", "add", "--ods", "QWE", "--name",
                 "NHS Wessex Vale ICB", "--address", address)
    org = instance.json("org", "show", "qwe")
    assert org["postal_address"] == address
    assert org["ods"] == "QWE"
    text = instance.run("org", "show", "QWE").stdout
    assert f"postal_address: {address}\n" in text


def test_org_tree_and_edit(instance):
    instance.run("org", "add", "--ods", "QWE", "--name", "ICB")
    instance.run("org", "add", "--ods", "J81001", "--name", "Riverside",
                 "--parent", "QWE", "--website", "https://example.org",
                 "--helpdesk-phone", "01632 960000", "--quota-mb", "2048")
    org = instance.json("org", "show", "J81001")
    assert org["parent"] == "QWE"
    assert org["default_quota_mb"] == 2048
    org = instance.json("org", "edit", "J81001", "--parent", "",
                        "--name", "Riverside Surgery")
    assert org["parent"] is None and org["name"] == "Riverside Surgery"
    # A cycle is refused.
    instance.run("org", "edit", "J81001", "--parent", "QWE")
    instance.fails("org", "edit", "QWE", "--parent", "J81001")
    instance.fails("org", "edit", "QWE", code=2)
    odss = [o["ods"] for o in instance.json("org", "list")]
    assert {"QWE", "J81001", "SERVICE"} <= set(odss)


def test_ods_codes_are_unique(instance):
    instance.run("org", "add", "--ods", "RXV", "--name", "Vale Trust")
    line = instance.fails("org", "add", "--ods", "rxv", "--name", "Other")
    assert "RXV" in line and "Vale Trust" in line
    assert [o["name"] for o in instance.json("org", "list")
            if o["ods"] == "RXV"] == ["Vale Trust"]


def test_sites(instance, org):
    instance.fails("site", "add", "--org", org, "--name", "Annexe",
                   "--type", "spaceship")
    sites = instance.json("site", "list", "--org", org)
    assert [(s["name"], s["site_type"]) for s in sites] == \
        [("Main Surgery", "gp_practice")]
    p = json.loads(instance.run("user", "add", "--org", org, "--first", "Al",
                                "--last", "Jones", "--site", "Main Surgery",
                                "--json").stdout)
    assert p["site"] == {"name": "Main Surgery", "site_type": "gp_practice"}


def test_deleted_address_is_never_reused(instance, org):
    """The 'Done when' story: Jo Smith, deleted, and another Jo Smith."""
    first = add_person(instance, org, "Jo", "Smith")
    assert first == instance.addr("jo.smith")
    instance.run("user", "delete", first)
    assert instance.json("user", "show", first)["status"] == "deleted"
    second = add_person(instance, org, "Jo", "Smith")
    assert second != first
    assert second == instance.addr("jo.smith1")
    line = instance.fails("user", "add", "--org", org, "--first", "Jo",
                          "--last", "Smith", "--email", first)
    assert first in line and "Jo Smith" in line and "deleted" in line
    people = instance.json("user", "list", "--org", org)
    assert [p["address"] for p in people] == [second]
    everyone = instance.json("user", "list", "--org", org,
                             "--include-deleted")
    assert {p["address"] for p in everyone} == {first, second}


def test_user_add_prints_only_the_address(instance, org):
    out = instance.run("user", "add", "--org", org, "--first", "Siân",
                       "--last", "O'Brien").stdout
    assert out == instance.addr("sian.obrien") + "\n"


def test_sync_id_is_unique_within_an_org(instance, org):
    instance.run("org", "add", "--ods", "X26002", "--name", "Other")
    add_person(instance, org, "Ann", "Lee", "--sync-id", "HR-1")
    line = instance.fails("user", "add", "--org", org, "--first", "Bob",
                          "--last", "Lee", "--sync-id", "HR-1")
    assert "HR-1" in line
    assert len(instance.json("user", "list", "--org", org)) == 1
    add_person(instance, "X26002", "Bob", "Lee", "--sync-id", "HR-1")


def test_malformed_addresses_are_refused(instance, org):
    for bad, why in [(".jo", "start"), ("jo.", "end"), ("j..o", "row")]:
        line = instance.fails("user", "add", "--org", org, "--first", "Jo",
                              "--last", "Bad", "--email",
                              instance.addr(bad))
        assert "dot" in line and why in line, line
    assert instance.json("user", "list", "--org", org) == []


def test_user_edit_and_hidden_mobile(instance, org):
    addr = add_person(instance, org, "Kim", "Ng", "--mobile", "07700 900123",
                      "--hide-mobile", "--job-title", "GP")
    p = instance.json("user", "show", addr)
    assert p["mobile_hidden"] is True and p["job_title"] == "GP"
    p = instance.json("user", "edit", addr, "--show-mobile", "--department",
                      "Clinical")
    assert p["mobile_hidden"] is False and p["department"] == "Clinical"
    instance.fails("user", "edit", addr, "--show-mobile", "--hide-mobile",
                   code=2)


def test_duplicate_shared_mailbox_and_contact_are_refused(instance, org):
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Reception").stdout.strip()
    assert box == instance.addr("reception")
    line = instance.fails("shared", "add", "--org", org, "--name",
                          "Front Desk", "--email", box)
    assert box in line and "Reception" in line
    # A person cannot take it either.
    instance.fails("user", "add", "--org", org, "--first", "Re",
                   "--last", "Ception", "--email", box)
    instance.run("contact", "add", "--org", org, "--name", "Council",
                 "--email", "care@council.example.gov.uk")
    line = instance.fails("contact", "add", "--org", org, "--name",
                          "Council Again", "--email",
                          "care@council.example.gov.uk")
    assert "care@council.example.gov.uk" in line and "Council" in line
    assert len(instance.json("contact", "list", "--org", org)) == 1
    # A contact in our own domain is a mailbox, not a contact.
    instance.fails("contact", "add", "--org", org, "--name", "Us",
                   "--email", instance.addr("someone"))


def test_shared_and_resource_mailboxes(instance, org):
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Prescriptions").stdout.strip()
    room = instance.run("resource", "add", "--org", org, "--name",
                        "Seminar Room").stdout.strip()
    boss = add_person(instance, org, "Pat", "Manager")
    instance.run("shared", "owners", "add", box, boss)
    instance.run("grant", "add", box, boss, "--right", "send_as")
    shown = instance.json("shared", "show", box)
    assert shown["owners"] == [boss]
    assert [(g["person"], g["right"]) for g in shown["grants"]] == \
        [(boss, "send_as")]
    assert [m["address"] for m in instance.json("shared", "list")] == [box]
    assert [m["address"] for m in instance.json("resource", "list")] == \
        [room]
    instance.fails("shared", "show", room)
    instance.run("resource", "delete", room)
    assert instance.json("resource", "list") == []
    instance.run("shared", "delete", box)
    assert instance.json("shared", "list") == []
    instance.fails("shared", "add", "--org", org, "--name", "X",
                   "--email", box)


def test_shared_mailbox_owner_removal_keeps_membership(instance, org):
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Front Desk").stdout.strip()
    lead = add_person(instance, org, "Lou", "Lead")
    clerk = add_person(instance, org, "Cal", "Clerk")
    instance.run("shared", "owners", "add", box, lead)
    instance.run("shared", "members", "add", box, lead, clerk)
    instance.run("shared", "owners", "remove", box, lead)
    shown = instance.json("shared", "show", box)
    assert shown["owners"] == []
    assert sorted(shown["members"]) == \
        sorted([lead, clerk])
    # A bad address among several adds none of them.
    newcomer = add_person(instance, org, "New", "Comer")
    instance.fails("shared", "members", "add", box, newcomer,
                   instance.addr("nobody.here"))
    assert len(instance.json("shared", "show", box)["members"]) == 2
    # A second mailbox of the same name is a duplicate, not a namesake.
    sentence = instance.fails("shared", "add", "--org", org, "--name",
                              "Front Desk")
    assert "already taken by the shared mailbox Front Desk" in sentence


def test_grants(instance, org):
    box = instance.run("shared", "add", "--org", org, "--name",
                       "Team").stdout.strip()
    who = add_person(instance, org, "Sam", "Evans")
    for right in ["full_access", "send_on_behalf"]:
        instance.run("grant", "add", box, who, "--right", right)
    held = instance.json("user", "show", who)["grants"]
    assert sorted(g["right"] for g in held) == ["full_access",
                                                "send_on_behalf"]
    instance.run("grant", "remove", box, who, "--right", "full_access")
    assert [g["right"] for g in instance.json("grant", "list", box)] == \
        ["send_on_behalf"]


def test_list_expansion_cuts_loops(instance, org):
    people = [add_person(instance, org, "Ann", n) for n in
              ["Able", "Baker", "Cole"]]
    a = instance.run("list", "add", "--org", org, "--name",
                     "List A").stdout.strip()
    b = instance.run("list", "add", "--org", org, "--name",
                     "List B").stdout.strip()
    instance.run("list", "members", "add", a, b, people[0], people[1])
    instance.run("list", "members", "add", b, a, people[1], people[2])
    out = instance.run("list", "expand", a, timeout=10).stdout.split()
    assert sorted(out) == sorted(people)
    assert instance.json("list", "expand", b) == sorted(people)
    members = instance.json("list", "members", a)
    assert {m["address"] for m in members} == {b, people[0], people[1]}
    assert {m["kind"] for m in members} == {"list", "person"}
    # A list cannot contain itself directly.
    instance.fails("list", "members", "add", a, a)


def test_failing_member_add_adds_none(instance, org):
    good = add_person(instance, org, "Gil", "Good")
    lst = instance.run("list", "add", "--org", org, "--name",
                       "Careful").stdout.strip()
    line = instance.fails("list", "members", "add", lst, good,
                          instance.addr("nobody.here"))
    assert "nobody.here" in line
    assert instance.json("list", "members", lst) == []
    instance.run("list", "members", "add", lst, good)
    instance.fails("list", "members", "remove", lst, good,
                   instance.addr("nobody.here"))
    assert [m["address"] for m in instance.json("list", "members", lst)] \
        == [good]


def test_dynamic_list(instance, org):
    instance.run("org", "add", "--ods", "X26002", "--name", "Child",
                 "--parent", org)
    pharmacists = [
        add_person(instance, org, "Phil", "Arm", "--job-title",
                   "Pharmacist"),
        add_person(instance, "X26002", "Pam", "Arm", "--job-title",
                   "pharmacist"),
    ]
    add_person(instance, org, "Gus", "Pee", "--job-title", "GP")
    rule = json.dumps({"orgs": [org], "include_children": True,
                       "job_titles": ["Pharmacist"]})
    lst = json.loads(instance.run("list", "add", "--org", org, "--name",
                                  "All Pharmacists", "--dynamic", "--rule",
                                  rule, "--json").stdout)
    assert lst["kind"] == "dynamic" and lst["rule"]["job_titles"]
    assert instance.json("list", "expand", lst["address"]) == \
        sorted(pharmacists)
    later = add_person(instance, org, "Pia", "Arm", "--job-title",
                       "Pharmacist")
    assert later in instance.json("list", "expand", lst["address"])
    instance.fails("list", "add", "--org", org, "--name", "Bad",
                   "--dynamic", "--rule", '{"job_tittles": ["GP"]}')
    instance.fails("list", "add", "--org", org, "--name", "Bad",
                   "--dynamic", code=2)


def test_owner_limit_and_owners_apart_from_members(instance, org):
    lst = instance.run("list", "add", "--org", org, "--name",
                       "Big List").stdout.strip()
    people = [instance.setup("user", "add", "--org", org, "--first",
                             "Owner", "--last", f"Number{chr(97 + i)}")
              .stdout.strip() for i in range(26)]
    instance.run("list", "owners", "add", lst, *people[:25])
    assert len(instance.json("list", "show", lst)["owners"]) == 25
    line = instance.fails("list", "owners", "add", lst, people[25])
    assert "25" in line
    assert len(instance.json("list", "show", lst)["owners"]) == 25
    # An owner who is also a member stays a member when no longer owner.
    instance.run("list", "members", "add", lst, people[0])
    instance.run("list", "owners", "remove", lst, people[0])
    owners = instance.json("list", "show", lst)["owners"]
    assert people[0] not in owners and len(owners) == 24
    assert [m["address"] for m in instance.json("list", "members", lst)] \
        == [people[0]]


def test_deleting_a_person_removes_their_roles(instance, org):
    who = add_person(instance, org, "Lou", "Admin")
    instance.fails("role", "add", who, "--org", org, "--role", "boss",
                   code=2)
    instance.run("role", "add", who, "--org", org, "--role",
                 "primary_local_admin")
    roles = instance.json("user", "show", who)["roles"]
    assert [(r["org"], r["role"]) for r in roles] == \
        [(org, "primary_local_admin")]
    instance.run("user", "delete", who)
    assert instance.json("user", "show", who)["roles"] == []
    assert "roles: (none)" in instance.run("user", "show", who).stdout


def test_audit_trail(instance, org):
    who = add_person(instance, org, "Aud", "It")
    instance.run("user", "delete", who)
    rows = instance.json("audit", "list")
    actions = {(r["action"], r["object_type"]) for r in rows}
    assert ("create", "user_mailbox") in actions
    assert ("delete", "user_mailbox") in actions
    assert ("create", "organisation") in actions
    deletes = instance.json("audit", "list", "--action", "delete")
    assert deletes and all(r["action"] == "delete" for r in deletes)
    users = instance.json("audit", "list", "--type", "user_mailbox")
    assert users and all(r["object_type"] == "user_mailbox" for r in users)
    assert len(instance.json("audit", "list", "--limit", "1")) == 1
    assert instance.json("audit", "list", "--org", org)
    assert instance.json("audit", "list", "--until", "2000-01-01") == []
    assert instance.json("audit", "list", "--since", "2000-01-01")
    instance.fails("audit", "list", "--since", "yesterday", code=2)
    text = instance.run("audit", "list", "--type", "user_mailbox").stdout
    assert "delete" in text and "user_mailbox" in text


def test_json_output_parses(instance, org):
    who = add_person(instance, org, "Jay", "Son")
    lst = instance.run("list", "add", "--org", org, "--name",
                       "Json List").stdout.strip()
    for args in [("org", "list"), ("org", "show", org), ("site", "list"),
                 ("user", "list"), ("user", "show", who),
                 ("shared", "list"), ("contact", "list"),
                 ("list", "list"), ("list", "show", lst),
                 ("list", "members", lst), ("list", "expand", lst),
                 ("grant", "list", who), ("audit", "list"),
                 ("list", "members", "add", lst, who),
                 ("list", "owners", "add", lst, who),
                 ("user", "delete", who), ("version",)]:
        json.loads(instance.run(*args, "--json").stdout)


def test_delete_list_and_contact(instance, org):
    lst = instance.run("list", "add", "--org", org, "--name",
                       "Short Lived").stdout.strip()
    instance.run("list", "delete", lst)
    assert instance.json("list", "list") == []
    instance.fails("list", "add", "--org", org, "--name", "Again",
                   "--email", lst)
    instance.run("contact", "add", "--org", org, "--name", "Ext",
                 "--email", "x@elsewhere.example.org")
    instance.run("contact", "delete", "x@elsewhere.example.org")
    assert instance.json("contact", "list") == []
