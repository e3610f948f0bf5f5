"""Issue 10 item 5, shared and resource mailboxes and contacts, in a real
browser: a Global Admin does every task by clicking and the directory is
read back with the CLI; a Local Administrator of one practice sees only
that practice's and is shown the API's sentence, on the field, for
another's. Each page is checked by tests/browser/harness.mjs (no console
error, no failed or outside request, axe-core WCAG 2.1 A/AA at 375 and
1280 px)."""

import json

from conftest import (OTHER, OURS, PASSWORD, USER_PASSWORD, person, ready,
                      two_practices)
# More than one page of the list (mailboxes.mjs shows 25 a page).
MANY = 26


def test_global_admin_manages_mailboxes(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance)
    for i in range(MANY):
        instance.run("shared", "add", "--org", OTHER, "--name",
                     f"Hillside Desk {i:02d}")
    owner = person(instance, OURS, "Olive", "Owner")
    member = person(instance, OURS, "Mo", "Member")
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    out = run_scenario("mailboxes", server, cookie=ga.cookie, org=OURS,
                       other=OTHER, many=MANY, owner=owner, member=member,
                       domain=instance.domain)
    result = json.loads(out.strip().splitlines()[-1])
    # What the pages did is what the directory holds.
    shared = instance.json("shared", "show", result["shared"])
    assert shared["display_name"] == "Front Desk", shared
    assert shared["quota_mb"] == 2048
    assert shared["org"] == OTHER
    assert shared["owners"] == []
    assert shared["members"] == [member]
    assert [(g["person"], g["right"]) for g in shared["grants"]] == \
        [(member, "send_as")]
    resources = instance.json("resource", "list")
    assert result["resource"] not in [m["address"] for m in resources]


def test_global_admin_manages_contacts(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance)
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    run_scenario("contacts", server, cookie=ga.cookie, org=OURS,
                 domain=instance.domain)
    contacts = {c["address"]: c for c in instance.json("contact", "list")}
    assert contacts["pat.partner@council.example.org"]["display_name"] \
        == "Pat P."
    assert contacts["pat.partner@council.example.org"]["org"] == OURS
    assert "gone.soon@council.example.org" not in contacts
    assert not any(a.endswith("@" + instance.domain) for a in contacts)


def test_local_admin_is_refused_another_practices_mailbox(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance)
    ours = instance.run("shared", "add", "--org", OURS, "--name",
                        "Riverside Reception").stdout.strip()
    theirs = instance.run("shared", "add", "--org", OTHER, "--name",
                          "Hillside Reception").stdout.strip()
    their_contact = "council.team@council.example.org"
    instance.run("contact", "add", "--org", OTHER, "--name", "Council Team",
                 "--email", their_contact)
    la = person(instance, OURS, "Lee", "Local", password=USER_PASSWORD,
                role="local_admin")
    before = instance.json("shared", "show", theirs)
    c = ready(https_client, server, la, USER_PASSWORD)
    run_scenario("mailboxes-refused", server, cookie=c.cookie, org=OURS,
                 other=OTHER, ours=ours, theirs=theirs,
                 contact=their_contact)
    # Nothing the page was refused changed anything.
    assert instance.json("shared", "show", theirs) == before
    assert instance.json("shared", "show", ours)["org"] == OURS
