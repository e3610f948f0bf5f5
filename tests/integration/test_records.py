"""One view of a record, one renderer (issue 9): `caremail ... --json`
prints a person, org, site, mailbox, list and contact exactly as the API
replies them, and an API listing or a PATCH costs a number of queries
that does not grow with the page or with what the person holds (the
count is the store's own, logged per request at debug level)."""

import re
import sqlite3

from apiclient import global_admin, make_admin, make_person, q

ORGS = (("RCA01", None), ("RCA02", "RCA01"), ("RCB01", None))


def directory(instance):
    """Orgs (one devolved), sites, people with roles and holdings,
    mailboxes, lists and a contact, all made through the CLI."""
    for ods, parent in ORGS:
        args = ["org", "add", "--ods", ods, "--name", f"Org {ods}",
                "--type", "GP Practice"]
        if parent:
            args += ["--parent", parent]
        instance.setup(*args)
        instance.setup("site", "add", "--org", ods, "--name", f"Site {ods}",
                       "--type", "gp_practice")
    people = []
    for i, (ods, _) in enumerate(ORGS * 2):
        args = ["user", "add", "--org", ods, "--first", f"Rec{i}",
                "--last", "Person", "--job-title", "Nurse"]
        if i % 2 == 0:
            args += ["--site", f"Site {ods}"]
        people.append(instance.setup(*args).stdout.strip().split()[-1])
    instance.setup("role", "add", people[1], "--org", "RCA02", "--role",
                   "primary_local_admin")
    instance.setup("role", "add", people[0], "--org", "RCA01", "--role",
                   "local_admin")
    box = instance.setup("shared", "add", "--org", "RCA01", "--name",
                         "Records Team").stdout.strip().split()[-1]
    instance.setup("resource", "add", "--org", "RCB01", "--name", "Room 1")
    instance.setup("shared", "owners", "add", box, people[0])
    instance.setup("grant", "add", box, people[0], "--right", "send_as")
    nurses = instance.setup("list", "add", "--org", "RCA01", "--name",
                            "Nurses All").stdout.strip().split()[-1]
    instance.setup("list", "members", "add", nurses, people[0], box)
    instance.setup("list", "owners", "add", nurses, people[1])
    instance.setup("list", "add", "--org", "RCB01", "--name", "Dyn Nurses",
                   "--dynamic", "--rule", '{"job_titles": ["Nurse"]}')
    instance.setup("contact", "add", "--org", "RCA01", "--email",
                   "ext@partner.example.org", "--name", "Partner")
    return people


def items(client, path):
    return client.ok("GET", path + ("&" if "?" in path else "?") +
                     "limit=500")["items"]


def test_cli_json_is_the_api_json(server, instance):
    people = directory(instance)
    ga = global_admin(server, instance)
    for address in people + [instance.addr("admin")]:
        api = ga.ok("GET", "/users/" + q(address))
        assert instance.json("user", "show", address) == api
    # Every key the API gives a whole record: none missing, none extra.
    shown = instance.json("user", "show", people[0])
    assert {(r["role"], r["org"]) for r in shown["roles"]} == \
        {("local_admin", "RCA01")}
    assert shown["org"] == {"ods": "RCA01", "name": "Org RCA01"}
    assert shown["site"] == {"name": "Site RCA01",
                             "site_type": "gp_practice"}
    assert instance.json("user", "list") == items(ga, "/users")
    assert instance.json("user", "list", "--org", "RCB01") == \
        items(ga, "/users?org=RCB01")
    edited = instance.json("user", "edit", people[2], "--department", "X")
    assert edited == ga.ok("GET", "/users/" + q(people[2]))
    for ods, _ in ORGS:
        assert instance.json("org", "show", ods) == \
            ga.ok("GET", "/orgs/" + ods)
        cli_sites = instance.json("site", "list", "--org", ods)
        # The CLI's site list crosses orgs, so it names each site's org.
        assert [s.pop("org") for s in cli_sites] == [ods]
        assert cli_sites == items(ga, f"/orgs/{ods}/sites")
    by_ods = {o["ods"]: o for o in items(ga, "/orgs")}
    assert {o["ods"]: o for o in instance.json("org", "list")} == by_ods
    assert by_ods["RCA02"]["primary_local_admins"] == [people[1]]
    assert instance.json("shared", "list") == items(ga, "/shared-mailboxes")
    assert instance.json("resource", "list") == \
        items(ga, "/resource-mailboxes")
    lists = items(ga, "/lists")
    assert len(lists) == 2
    assert sorted(instance.json("list", "list"),
                  key=lambda l: l["address"]) == \
        sorted(lists, key=lambda l: l["address"])
    assert instance.json("contact", "list") == items(ga, "/contacts")
    # A mailbox or list in full: owners, members, grants, approval record.
    for kind, route in (("shared", "/shared-mailboxes"),
                        ("resource", "/resource-mailboxes")):
        for box in items(ga, route):
            whole = ga.ok("GET", f"{route}/" + q(box["address"]))
            assert instance.json(kind, "show", box["address"]) == whole
    for one in lists:
        whole = ga.ok("GET", "/lists/" + q(one["address"]))
        assert instance.json("list", "show", one["address"]) == whole
    assert any(ga.ok("GET", "/shared-mailboxes/" + q(b["address"]))
               ["owners"] for b in items(ga, "/shared-mailboxes"))


def queries(server, method, route):
    """The store statements of each request to route, oldest first."""
    pattern = re.compile(r'api\.request method=%s route="%s" queries=(\d+)'
                         % (method, re.escape(route)))
    return [int(n) for n in pattern.findall(server.logs())]


def test_a_page_costs_the_same_for_10_as_for_100(start_server, instance):
    server = start_server(extra=["log.level=debug"])
    directory(instance)
    # A hundred more people, in one CSV import (docs/csv.md).
    rows = ["external_id,org,first_name,last_name,site"] + [
        f"M{i},{ORGS[i % 3][0]},Many{i},Person,Site {ORGS[i % 3][0]}"
        for i in range(100)]
    (instance.dir / "many.csv").write_text("\n".join(rows) + "\n")
    instance.setup("import", "users", instance.dir / "many.csv")
    for i in range(12):
        ods = ORGS[i % 3][0]
        instance.setup("shared", "add", "--org", ods, "--name", f"Box {i}")
        instance.setup("list", "add", "--org", ods, "--name", f"List {i}")
        instance.setup("contact", "add", "--org", ods, "--email",
                       f"c{i}@partner.example.org", "--name", f"C {i}")
    ga = global_admin(server, instance)
    for path, small, big in (("/users", 10, 100), ("/orgs", 1, 3),
                             ("/shared-mailboxes", 2, 12),
                             ("/lists", 2, 12), ("/contacts", 2, 12)):
        a = ga.ok("GET", f"{path}?limit={small}")["items"]
        b = ga.ok("GET", f"{path}?limit={big}")["items"]
        assert (len(a), len(b)) == (small, big), path
        cost = queries(server, "GET", path)[-2:]
        assert len(cost) == 2 and cost[0] == cost[1], (path, cost)
        assert cost[1] <= 12, (path, cost)


def test_a_patch_costs_the_same_however_much_the_person_holds(
        start_server, instance):
    server = start_server(extra=["log.level=debug"])
    people = directory(instance)
    busy, bare = people[0], people[4]
    for i in range(6):
        box = instance.setup("shared", "add", "--org", "RCA01", "--name",
                             f"Held {i}").stdout.strip().split()[-1]
        instance.setup("shared", "members", "add", box, busy)
        instance.setup("grant", "add", box, busy, "--right", "full_access")
    instance.setup("role", "add", busy, "--org", "RCA02", "--role",
                   "helpdesk_admin")
    ga = global_admin(server, instance)
    for who in (bare, busy):
        ga.ok("PATCH", "/users/" + q(who), {"job_title": "Sister"})
    held = ga.ok("GET", "/users/" + q(busy))
    assert len(held["holdings"]) >= 13 and len(held["roles"]) == 2
    cost = queries(server, "PATCH", "/users/{address}")
    assert len(cost) == 2 and cost[0] == cost[1], cost
    assert cost[0] <= 30, cost


def test_a_record_too_large_to_show_is_said_only_to_who_may_read_it(
        server, instance):
    """A person on so many lists that their record does not fit a
    request's memory (8 MiB) is refused as too large to a reader who may
    read them, and as denied, like any other record of theirs, to one
    who may not: how much someone holds is not for that reader to learn.
    Lists added by SQL (80,000 through the API would take minutes)."""
    people = directory(instance)
    held = people[2]                      # in RCB01
    outsider = make_admin(server, instance, "RCA01")
    ga = global_admin(server, instance)
    status, small = outsider.call("GET", "/users/" + q(held))
    assert status == 403, small
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=10)
    with db:
        org, box = db.execute(
            "SELECT p.org_id, p.mailbox_id FROM people p JOIN mailboxes m"
            " ON m.id = p.mailbox_id WHERE m.address = ?", (held,)).fetchone()
        first = db.execute("SELECT COALESCE(max(id), 0) + 1 FROM lists"
                           ).fetchone()[0]
        n = 80000
        db.executemany(
            "INSERT INTO lists (id, org_id, kind, name, address, created_at,"
            " updated_at) VALUES (?, ?, 'static', ?, ?, 1, 1)",
            ((first + i, org, f"Bulk {i}", f"bulk-list-{i:06d}@example.nhs.uk")
             for i in range(n)))
        db.executemany(
            "INSERT INTO list_members (list_id, member_kind, member_id)"
            " VALUES (?, 'mailbox', ?)", ((first + i, box) for i in range(n)))
    db.close()
    status, body = ga.call("GET", "/users/" + q(held))
    assert status == 422, (status, body)
    assert body["error"]["code"] == "limit", body
    status, body = outsider.call("GET", "/users/" + q(held))
    assert (status, body["error"]["code"]) == (403, small["error"]["code"]), \
        (status, body)
