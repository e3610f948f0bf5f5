"""Guests (issue 13 item 7, SPEC L8, seed 002 #21234): an active person of
an org invites an external guest and attests at once; the attestation is
due 30 days after and every 180 days after that; the inviter is asked by
mail before each deadline and the guest removed when nobody attests; an
inviter who leaves or transfers loses the right at once, and the guest
then needs a new inviter's attestation. The sweep is run as of given
times (`caremail guest sweep --at`), as the jobs runner would, and is
idempotent; bad input gets a sentence and changes nothing; every change
is audited."""
import datetime

from apiclient import USER_PASSWORD, make_admin, make_person, ready
from conftest import OTHER, read_folder

DAY = 86400
GUEST = "sam.visitor@partner.example"


def epoch(iso):
    return int(datetime.datetime.strptime(
        iso, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp())


def sweep(instance, at, *extra):
    return instance.json("guest", "sweep", "--at", str(at), *extra)


def guest_rows(instance):
    return instance.json("audit", "list", "--type", "guest")


def permanent(instance, address):
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=USER_PASSWORD + "\n")


def test_attested_at_30_days_then_every_180_or_removed(server, instance,
                                                        orgs):
    org = orgs[0]
    ann = make_person(instance, org, "Ann", "Lee")
    permanent(instance, ann)
    stranger = make_person(instance, OTHER, "Oli", "Other")

    # Bad input: a sentence each, and nothing made or audited.
    assert "outside" in instance.fails(
        "guest", "invite", "--org", org, "--address", instance.addr("x"),
        "--name", "X", "--inviter", ann)
    assert "may not invite" in instance.fails(
        "guest", "invite", "--org", org, "--address", GUEST, "--name",
        "Sam", "--inviter", stranger)
    assert "not valid" in instance.fails(
        "guest", "invite", "--org", org, "--address", "no-at-sign",
        "--name", "Sam", "--inviter", ann)
    assert instance.json("guest", "list", "--all") == []
    assert guest_rows(instance) == []

    g = instance.json("guest", "invite", "--org", org, "--address", GUEST,
                      "--name", "Sam Visitor", "--inviter", ann)
    assert "already a guest" in instance.fails(
        "guest", "invite", "--org", org, "--address", GUEST, "--name",
        "Sam", "--inviter", ann)
    created = epoch(g["created_at"])
    assert g["attestations"] == 1 and g["inviter_eligible"] is True
    assert epoch(g["attestation_due"]) == created + 30 * DAY

    # Asked 14 days before day 30, once; a dry run tells and does nothing.
    assert sweep(instance, created + 16 * DAY - 1) == []
    dry = sweep(instance, created + 16 * DAY, "--dry-run")
    assert [(i["rule"], i["to"]) for i in dry] == [
        ("attestation_request", [ann])]
    assert read_folder(server, ann, USER_PASSWORD) == []
    assert sweep(instance, created + 16 * DAY) == dry
    assert sweep(instance, created + 16 * DAY) == []
    [mail] = read_folder(server, ann, USER_PASSWORD)
    assert GUEST in mail["Subject"]
    assert "Confirm by" in mail.get_content()

    # Only the inviter attests; then the next is due 180 days on.
    assert "only the guest's inviter" in instance.fails(
        "guest", "attest", str(g["id"]), "--by", stranger)
    g = instance.json("guest", "attest", str(g["id"]), "--by", ann)
    attested = epoch(g["attested_at"])
    assert g["attestations"] == 2
    assert epoch(g["attestation_due"]) == attested + 180 * DAY
    assert sweep(instance, created + 30 * DAY) == []

    # Not attested by then: removed, the inviter told, audited with the rule.
    assert sweep(instance, attested + 180 * DAY - 1) != []   # the request
    [item] = sweep(instance, attested + 180 * DAY)
    assert item["rule"] == "removal"
    assert instance.json("guest", "list") == []
    [gone] = instance.json("guest", "list", "--all")
    assert gone["removed_reason"].startswith("not attested by")
    assert sweep(instance, attested + 400 * DAY) == []
    rules = [r["summary"].get("rule") for r in guest_rows(instance)]
    assert "attestation_request" in rules
    assert any(r["action"] == "delete" for r in guest_rows(instance))
    # A removed guest may be invited again.
    instance.json("guest", "invite", "--org", org, "--address", GUEST,
                  "--name", "Sam Visitor", "--inviter", ann)


def test_an_inviter_who_leaves_or_transfers_loses_the_right_at_once(
        server, instance, orgs, ga):
    org = orgs[0]
    la = make_admin(server, instance, org)
    ann = make_person(instance, org, "Ann", "Lee")
    bea = make_person(instance, org, "Bea", "Moss")
    cal = make_person(instance, org, "Cal", "Ng")
    ann_c = ready(server, ann, USER_PASSWORD)

    # A person invites for themselves; naming another is an admin's.
    g1 = ann_c.ok("POST", f"/orgs/{org}/guests",
                  {"address": GUEST, "display_name": "Sam Visitor"})
    ann_c.refused("POST", f"/orgs/{org}/guests",
                  {"address": "x@partner.example", "display_name": "X",
                   "inviter": bea})
    g2 = la.ok("POST", f"/orgs/{org}/guests",
               {"address": "kim@partner.example", "display_name": "Kim",
                "inviter": cal})
    assert la.ok("GET", f"/orgs/{org}/guests")["items"][0]["id"] == g1["id"]
    # Someone else may not attest for Ann's guest.
    la.refused("POST", f"/guests/{g1['id']}/attest")
    assert ann_c.ok("POST", f"/guests/{g1['id']}/attest")[
        "attestations"] == 2

    # Ann leaves; Cal transfers to another org. At once neither may attest.
    la.ok("POST", f"/users/{ann}/leaver")
    ga.ok("POST", f"/users/{cal}/transfer", {"org": OTHER})
    assert "may not invite or attest" in instance.fails(
        "guest", "attest", str(g1["id"]), "--by", ann)
    assert "may not invite or attest" in instance.fails(
        "guest", "attest", str(g2["id"]), "--by", cal)
    listed = {g["id"]: g for g in la.ok("GET", f"/orgs/{org}/guests")[
        "items"]}
    assert listed[g1["id"]]["inviter_eligible"] is False
    assert listed[g2["id"]]["inviter_eligible"] is False

    # The sweep records it and tells the org's Local Administrators.
    now = epoch(listed[g1["id"]]["created_at"]) + 60
    items = sweep(instance, now)
    assert sorted(i["rule"] for i in items) == ["inviter_lost"] * 2
    assert all(la.address in i["to"] for i in items)
    assert sweep(instance, now) == []

    # A new inviter for g1, who must attest within the grace (14 days).
    la.refused("PUT", f"/guests/{g1['id']}/inviter", {"inviter": cal})
    g = la.ok("PUT", f"/guests/{g1['id']}/inviter", {"inviter": bea})
    assert g["inviter"] == bea and g["attested_at"] is None
    [ask] = [i for i in sweep(instance, now + DAY) if i["id"] == g1["id"]]
    assert ask["rule"] == "attestation_request" and ask["to"] == [bea]
    instance.run("guest", "attest", str(g1["id"]), "--by", bea)

    # g2 got no new inviter: removed when the grace ends; g1 stays.
    assert sweep(instance, now + 14 * DAY - 1) == []
    [removed] = sweep(instance, now + 14 * DAY)
    assert removed["id"] == g2["id"] and removed["rule"] == "removal"
    assert [g["id"] for g in la.ok("GET", f"/orgs/{org}/guests")[
        "items"]] == [g1["id"]]
    actors = {r["actor"] for r in guest_rows(instance)}
    assert la.address in actors and ann in actors


def test_an_edited_template_writes_the_inviters_request(instance, org):
    """templates/guest-confirm.txt, written by init, is what is sent."""
    import email
    import email.policy
    import sqlite3
    tpl = instance.dir / "templates" / "guest-confirm.txt"
    assert "Confirm by {{due}}" in tpl.read_text()
    tpl.write_text("Subject: Still need {{guest_name}}?\n\n"
                   "{{inviter}}: {{guest}} in {{org}} ({{ods}}), by "
                   "{{due}}.\n")
    ann = make_person(instance, org, "Ann", "Lee")
    g = instance.json("guest", "invite", "--org", org, "--address", GUEST,
                      "--name", "Sam Visitor", "--inviter", ann)
    [item] = sweep(instance, epoch(g["created_at"]) + 16 * DAY)
    assert item["to"] == [ann]
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        [(data,)] = db.execute(
            "SELECT b.data FROM bodies b JOIN messages m ON m.body_id = b.id"
            " JOIN folders f ON f.id = m.folder_id JOIN mailboxes x"
            " ON x.id = f.mailbox_id WHERE x.address = ?", (ann,)).fetchall()
    finally:
        db.close()
    mail = email.message_from_bytes(bytes(data), policy=email.policy.default)
    assert mail["Subject"] == "Still need Sam Visitor?"
    due = g["attestation_due"][:10]
    assert mail.get_content().replace("\r\n", "\n") == (
        f"{ann}: {GUEST} in Test Practice ({org}), by {due}.\n")
