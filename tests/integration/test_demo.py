"""caremail demo: a believable region in one go, and only once."""

import json


def test_demo_fills_a_region(instance):
    summary = instance.json("demo")
    assert summary["people"] >= 250
    orgs = instance.json("org", "list")
    assert len(orgs) >= 10
    types = {o["type"] for o in orgs}
    assert {"GP Practice", "Community Pharmacy", "NHS Trust",
            "Care Home"} <= types
    sites = instance.json("site", "list")
    assert {"gp_practice", "pharmacy", "nhs_trust_site", "care_home"} <= \
        {s["site_type"] for s in sites}
    assert len([s for s in sites if s["org"] == "RXV"]) == 3
    people = instance.json("user", "list")
    assert len(people) >= 250
    addresses = [p["address"] for p in people]
    assert len(addresses) == len(set(addresses))
    # Namesakes get numbered addresses.
    assert instance.addr("james.smith1") in addresses
    # Accented names fold to plain addresses and keep their display name.
    assert any(p["display_name"].startswith("Zoë ") for p in people)
    assert any(p["mobile_hidden"] for p in people)
    assert instance.json("shared", "list")
    assert instance.json("contact", "list")


def test_demo_is_deterministic(tmp_path, instance):
    from conftest import make_instance
    other = make_instance(tmp_path / "other")
    instance.run("demo")
    other.run("demo")

    def names(inst):
        return [(p["address"], p["job_title"], p["mobile"])
                for p in inst.json("user", "list")]
    assert names(instance) == names(other)


def test_demo_twice_is_refused(instance):
    instance.run("demo")
    before = len(instance.json("user", "list"))
    line = instance.fails("demo")
    assert "demo" in line and "QWE" in line
    assert len(instance.json("user", "list")) == before


def test_demo_lists_expand(instance):
    instance.run("demo")
    lists = {l["name"]: l for l in instance.json("list", "list")}
    region = instance.json("list", "expand",
                           lists["Region Clinical Leads"]["address"])
    partners = instance.json("list", "expand",
                             lists["All GP Partners"]["address"])
    assert len(partners) >= 6
    assert set(partners) <= set(region)
    assert len(region) == len(set(region))
    pharmacists = instance.json("list", "expand",
                                lists["All Pharmacists"]["address"])
    people = {p["address"]: p for p in instance.json("user", "list")}
    assert pharmacists
    assert all(people[a]["job_title"] == "Pharmacist" for a in pharmacists)
    assert {people[a]["org"]["ods"] for a in pharmacists} >= {"QWE", "RXV",
                                                       "FA123"}
    text = instance.run("list", "expand",
                        lists["Safeguarding Leads"]["address"]).stdout
    assert "safeguarding.hub@wessex.pnn.police.uk" in text.split()


def test_demo_roles_and_grants(instance):
    instance.run("demo")
    people = instance.json("user", "list", "--org", "J81001")
    manager = next(p for p in people if p["job_title"] == "Practice Manager")
    shown = instance.json("user", "show", manager["address"])
    assert ("J81001", "primary_local_admin") in \
        {(r["org"], r["role"]) for r in shown["roles"]}
    assert shown["grants"]
    box = instance.json("shared", "show",
                        instance.addr("riverside.reception"))
    assert box["owners"] == [manager["address"]]
    assert len(box["grants"]) >= 6
    json.dumps(box)
