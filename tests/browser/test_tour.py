"""Issue 10 item 7: the README's API tour ("The portal API, step by step")
done again by clicking in a real browser (tests/browser/tour.mjs), on the
demo region `make run` serves, each person in a browser context of their
own; every page it shows is checked by tests/browser/harness.mjs (no
console error, no failed or outside request, axe-core WCAG 2.1 A/AA at
375 and 1280 px). What the clicks did is read back with the CLI."""

import json

from conftest import PASSWORD

OURS, OTHER = "J81001", "J81002"
NEW = "a long new passphrase for the tour"	# tour.mjs's new passwords


def test_the_readme_tour_by_clicking(web_server, instance, run_scenario,
                                     https_client):
    server = web_server()
    # As `make run`: the demo region, and the Global Admin's password kept
    # (they still set up two-factor sign-in the first time).
    instance.run("demo")
    admin = instance.addr("admin")
    instance.run("user", "passwd", admin, "--stdin", "--permanent",
                 input=PASSWORD + "\n")
    theirs = instance.json("user", "list", "--org", OTHER)[0]["address"]
    # Owners enough to fill a list: anyone in the region, as the README's
    # tour takes them from People Finder.
    people = [p["address"] for p in instance.json("user", "list")
              if p["status"] == "active" and p["address"] != admin]
    # One scenario doing what the page tests do in ten: about a minute on a
    # quiet machine, three or more on a loaded 2-core one, hence the timeout.
    out = run_scenario("tour", server, email=admin, password=PASSWORD,
                       org=OURS, other=OTHER, theirs=theirs,
                       owners=",".join(people[:24]), timeout=360)
    tour = json.loads(out.strip().splitlines()[-1])

    def roles(address):
        return {(r["org"], r["role"])
                for r in instance.json("user", "show", address)["roles"]}

    def signin(address, password):
        return https_client(server).call(
            "POST", "/session", {"email": address, "password": password})

    # The Global Admin and Robin (with the password Robin chose) set up
    # TOTP: the right password alone is not enough now, the code is asked
    # for. Alex chose a password and has no code to give.
    for address, password in ((admin, PASSWORD), (tour["robin"], NEW)):
        status, reply = signin(address, password)
        assert status == 401 and reply["mfa_required"] is True, reply
    status, reply = signin(tour["alex"], NEW)
    assert status == 201 and not reply["must_change_password"], reply
    # Robin runs Riverside only.
    assert roles(tour["robin"]) == {(OURS, "local_admin")}
    # Sam left Riverside and joined Abbey, still holding the Reception grant.
    sam = instance.json("user", "show", tour["sam"])
    assert sam["status"] == "active" and sam["org"]["ods"] == OTHER
    assert sam["job_title"] == "Practice Nurse"
    reception = instance.json("shared", "show",
                              instance.addr("riverside.reception"))
    assert {"person": tour["sam"], "right": "full_access"} in [
        {"person": g["person"], "right": g["right"]}
        for g in reception["grants"]]
    # Alex holds no role, and asked for nothing they were refused.
    assert roles(tour["alex"]) == set()
    names = [(p["first_name"], p["last_name"])
             for p in instance.json("user", "list")]
    assert ("No", "Role") not in names
    # The shared mailbox: Robin owns it, Alex is a member; made once.
    box = instance.json("shared", "show", tour["box"])
    assert box["display_name"] == "Home Visits" and box["org"] == OURS
    assert box["owners"] == [tour["robin"]]
    assert box["members"] == [tour["alex"]]
    assert [b["display_name"] for b in instance.json("shared", "list")].count(
        "Home Visits") == 1
    # The list Alex asked for, approved by Robin, with 25 owners.
    lst = instance.json("list", "show", tour["list"])
    assert lst["status"] == "approved"
    assert lst["requested_by"] == tour["alex"]
    assert lst["last_decision"]["decision"] == "approved"
    assert lst["last_decision"]["by"] == tour["robin"]
    assert sorted(lst["owners"]) == sorted([tour["alex"], *people[:24]])
