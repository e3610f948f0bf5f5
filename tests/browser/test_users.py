"""Issue 10 item 5, users, in a real browser: the list with its filters and
pages, one user's record and actions, and creating a user, by clicking as
the Global Admin; a user's notes, leaving and joining elsewhere, transfer,
admin roles and devices; a Local Administrator of one practice who sees
only that practice's people and is shown the API's sentence for the rest,
and a Primary Local Administrator refused a role outside their practice.
Each page is checked by tests/browser/harness.mjs (no console error, no
failed or outside request, axe-core WCAG 2.1 A/AA at 375 and 1280 px)."""

import json

from conftest import (OTHER, OURS, PASSWORD, USER_PASSWORD, person, ready,
                      two_practices)
# More than one page of the list (users.mjs shows 25 a page).
MANY = 27


def test_global_admin_creates_finds_resets_disables_leaver_deletes(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance, site=True)
    for i in range(MANY):
        person(instance, OTHER, "Page", f"Filler{i:02d}")
    locked = person(instance, OURS, "Lola", "Locked",
                    password=USER_PASSWORD)
    # auth.lockout_failures (12) wrong passwords in a row lock it.
    for _ in range(12):
        https_client(server).call("POST", "/session",
                                  {"email": locked, "password": "wrong"})
    assert instance.json("user", "show", locked)["locked"] is True
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    out = run_scenario("users", server, cookie=ga.cookie, org=OURS,
                       other=OTHER, many=MANY, locked=locked)
    result = json.loads(out.strip().splitlines()[-1])
    address, temporary = result["address"], result["temporary_password"]
    # What the pages did is what the directory holds: restored (active)
    # with the edits kept, the reset password works, the lock is gone.
    shown = instance.json("user", "show", address)
    assert shown["status"] == "active", shown
    assert shown["job_title"] == "Practice Nurse"
    assert shown["department"] == "Nursing"
    assert shown["site"]["name"] == "Main Surgery"
    status, body = https_client(server).call(
        "POST", "/session", {"email": address, "password": temporary})
    assert status == 201 and body["must_change_password"], body
    assert instance.json("user", "show", locked)["locked"] is False


def test_local_admin_sees_only_their_practice_and_is_told_why(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance, site=True)
    ours = person(instance, OURS, "Olive", "Ours")
    theirs = person(instance, OTHER, "Theo", "Theirs")
    la = person(instance, OURS, "Lee", "Local", password=USER_PASSWORD,
                role="local_admin")
    peer = person(instance, OURS, "Pat", "Peer", password=USER_PASSWORD,
                  role="local_admin")
    c = ready(https_client, server, la, USER_PASSWORD)
    before = instance.json("user", "show", peer)["password_changed_at"]
    run_scenario("users-refused", server, cookie=c.cookie, org=OURS,
                 ours=ours, theirs=theirs, peer=peer)
    # Nothing the page was refused changed anything.
    assert instance.json("user", "show", theirs)["status"] == "active"
    assert instance.json("user", "show", peer)["password_changed_at"] \
        == before


def test_notes_leaver_joins_elsewhere_transfer_roles_and_a_refused_grant(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance, site=True)
    instance.run("site", "add", "--org", OTHER, "--name", "Hill Surgery",
                 "--type", "gp_practice")
    jo = person(instance, OURS, "Jo", "Joiner", password=USER_PASSWORD)
    # A sign-in through the API is a device the page lists.
    status, _ = https_client(server).call(
        "POST", "/session", {"email": jo, "password": USER_PASSWORD})
    assert status == 201
    mailbox = instance.run("shared", "add", "--org", OURS, "--name",
                           "Riverside Reception").stdout.strip().split()[-1]
    instance.run("shared", "owners", "add", mailbox, jo)
    # Primary here, only Local there: may give roles in OURS, not OTHER.
    pla = person(instance, OURS, "Pam", "Primary", password=USER_PASSWORD,
                 role="primary_local_admin")
    theo = person(instance, OTHER, "Theo", "Theirs")
    instance.run("role", "add", pla, "--org", OTHER, "--role", "local_admin")
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    pam = ready(https_client, server, pla, USER_PASSWORD)
    run_scenario("users-lifecycle", server, cookie=ga.cookie, org=OURS,
                 other=OTHER, site="Main Surgery", other_site="Hill Surgery",
                 person=jo, mailbox=mailbox, pla_cookie=pam.cookie,
                 theirs=theo)
    # Joined OTHER with a sync ID, transferred back to OURS at its site
    # (the sync ID goes with them), one role kept, notes saved, and the
    # old practice's mailbox still theirs.
    shown = instance.json("user", "show", jo)
    assert shown["status"] == "active", shown
    assert shown["org"]["ods"] == OURS and shown["site"]["name"] == \
        "Main Surgery", shown
    assert shown["sync_id"] == "EMP-42", shown
    assert shown["notes"] == \
        "Works Tuesdays and Thursdays.\nCall the surgery before 10.", shown
    assert shown["roles"] == [{"role": "local_admin", "org": OURS}], shown
    assert {"relation": "owner", "kind": "shared", "address": mailbox,
            "org": OURS} in shown["holdings"], shown
    # The refused grant changed nothing.
    assert instance.json("user", "show", theo)["roles"] == []
