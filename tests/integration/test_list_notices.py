"""List approval requests by mail (issue 13 item 3, SPEC P6, P12): when an
owner without an admin role asks for a list, or for a change to an
approved one, the Local Administrators of the list's org get one mail
(template list-approval) with the link to the approvals page; more
changes while the request waits send nothing more; the decision, with the
reason, goes to whoever asked (list-decision). Each mail is audited on the
list. Typed text (a description with a line break and a header in it)
stays in the body; a list name cannot carry a line break at all."""

import email
import email.policy
import sqlite3

import pytest

from apiclient import NEW_PASSWORD, USER_PASSWORD, Client, make_person, q

EVIL = "Monthly\r\nBcc: evil@example.org\r\nX-Injected: yes"
PORTAL = "https://mail.example.nhs.uk"


@pytest.fixture
def server(start_server):
    """As conftest's, with the portal's public address for the links."""
    return start_server(tls=False, extra=[f"http.public_url={PORTAL}/"])


def user_client(server, instance, org, first, last):
    """A signed-in person with no admin role."""
    address = make_person(instance, org, first, last)
    c = Client(server)
    status, body = c.signin(address, USER_PASSWORD)
    assert status == 201, body
    c.ok("POST", "/me/password", {"current": USER_PASSWORD,
                                  "new": NEW_PASSWORD})
    return c


def person(instance, org, first, last):
    return instance.run("user", "add", "--org", org, "--first", first,
                        "--last", last).stdout.strip().split()[-1]


def mails(instance, address):
    """The messages in the mailbox's inbox, in order, as stored."""
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        rows = db.execute(
            "SELECT b.data FROM messages m JOIN bodies b ON b.id = m.body_id"
            " JOIN folders f ON f.id = m.folder_id"
            " JOIN mailboxes x ON x.id = f.mailbox_id"
            " WHERE x.address = ? AND f.special_use = 'inbox'"
            " ORDER BY m.uid", (address,)).fetchall()
    finally:
        db.close()
    return [(bytes(r[0]), email.message_from_bytes(
        bytes(r[0]), policy=email.policy.default)) for r in rows]


def header_names(raw):
    """Each header field's name, from the raw header section."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n")
            if line and not line[0].isspace()]


def notices(instance, template):
    return [r for r in instance.json("audit", "list", "--type",
                                     "distribution_list")
            if r["summary"].get("notice") == template]


def test_requests_mailed_to_las_and_decisions_to_the_owner(server, la, orgs,
                                                           instance):
    org, other = orgs
    owner = user_client(server, instance, org, "Olive", "Owner")
    kim = person(instance, org, "Kim", "Second")
    outsider = user_client(server, instance, other, "Otto", "Other")
    assert mails(instance, la.address) == []

    # A new list asked for: the org's LA gets one mail with the link.
    lst = owner.ok("POST", "/lists", {"org": org, "name": "Book Club",
                                      "description": "Books monthly"},
                   status=201)
    assert lst["status"] == "pending"
    path = "/lists/" + q(lst["address"])
    [(raw, mail)] = mails(instance, la.address)
    assert mail["Subject"] == (f"Approval asked for the list Book Club "
                               f"({lst['address']})")
    assert mail["To"] == la.address
    text = mail.get_content()
    assert owner.address in text and lst["address"] in text
    assert "the new distribution list Book Club" in text
    assert "Description: Books monthly" in text
    assert f"{PORTAL}/list-approvals" in text
    # Another org's LA and the owner are told nothing.
    assert mails(instance, outsider.address) == []
    assert mails(instance, owner.address) == []

    # Changes while it waits join the request: no second mail.
    owner.ok("POST", path + "/members", {"member": kim})
    assert len(mails(instance, la.address)) == 1

    # Approved: the owner is told.
    la.ok("POST", path + "/approve", {})
    [(_, decision)] = mails(instance, owner.address)
    assert decision["Subject"] == ("Your request for the list Book Club "
                                   "was approved")
    body = decision.get_content()
    assert la.address in body and "mail to it is now delivered" in body
    assert f"/list?address={lst['address']}" in body

    # A change to the approved list waits: one mail, what changed in it.
    owner.ok("DELETE", path + "/members/" + q(kim), status=202)
    owner.ok("PATCH", path, {"description": "Weekly"}, status=202)
    got = mails(instance, la.address)
    assert len(got) == 2
    text = got[1][1].get_content()
    assert "a change to the distribution list Book Club" in text
    assert f"Remove members: {kim}" in text
    assert "Weekly" not in text   # joined the request: no mail of its own

    # Rejected with a reason: the owner reads it.
    la.ok("POST", path + "/reject", {"reason": "Keep Kim in"})
    decisions = mails(instance, owner.address)
    assert len(decisions) == 2
    assert decisions[1][1]["Subject"] == ("Your request for the list Book "
                                          "Club was rejected")
    assert "The reason given: Keep Kim in" in decisions[1][1].get_content()

    # A header tried through the description stays in the body.
    owner.ok("PATCH", path, {"description": EVIL}, status=202)
    got = mails(instance, la.address)
    assert len(got) == 3
    raw, mail = got[2]
    names = header_names(raw)
    assert "bcc" not in names and "x-injected" not in names
    assert names.count("subject") == 1 and names.count("to") == 1
    assert mail["Bcc"] is None
    text = mail.get_content()
    assert ("Description: Monthly  Bcc: evil@example.org  X-Injected: yes"
            in text)
    assert mails(instance, "evil@example.org") == []

    # ... and a name with a line break is refused whole, nothing mailed.
    err = owner.refused("POST", "/lists", {
        "org": org, "name": "Club\r\nBcc: evil@example.org"}, status=422)
    assert err["field"] == "name"
    assert len(mails(instance, la.address)) == 3

    # Each mail audited on the list, with who it went to.
    asked = notices(instance, "list-approval")
    assert len(asked) == 3
    assert all(r["summary"]["to"] == [la.address] for r in asked)
    told = notices(instance, "list-decision")
    assert [r["summary"]["to"] for r in told] == [[owner.address]] * 2


def test_rejected_list_asked_again_is_mailed_again(server, la, orgs,
                                                   instance):
    org = orgs[0]
    owner = user_client(server, instance, org, "Olive", "Owner")
    lst = owner.ok("POST", "/lists", {"org": org, "name": "Gossip"},
                   status=201)
    path = "/lists/" + q(lst["address"])
    la.ok("POST", path + "/reject", {"reason": "No"})
    [(_, told)] = mails(instance, owner.address)
    assert told["Subject"].endswith("Gossip was rejected")
    # The owner changes it: Pending again, a new request, a new mail.
    back = owner.ok("PATCH", path, {"description": "Only news"})
    assert back["status"] == "pending"
    got = mails(instance, la.address)
    assert len(got) == 2
    assert "Description: Only news" in got[1][1].get_content()
    # An admin's own list and changes need nobody's approval: no mail.
    la.ok("POST", "/lists", {"org": org, "name": "Admins"}, status=201)
    la.ok("PATCH", "/lists/" + q(lst["address"]), {"description": "x"})
    assert len(mails(instance, la.address)) == 2


def test_edited_template_changes_the_request_mail(server, la, orgs,
                                                  instance):
    org = orgs[0]
    tpl = instance.dir / "templates" / "list-approval.txt"
    assert tpl.exists()   # written by init
    tpl.write_text("Subject: Please look at {{name}}\n\n"
                   "{{requested_by}} wants {{list}}. Go to {{url}}.\n")
    owner = user_client(server, instance, org, "Olive", "Owner")
    lst = owner.ok("POST", "/lists", {"org": org, "name": "Walkers"},
                   status=201)
    [(_, mail)] = mails(instance, la.address)
    assert mail["Subject"] == "Please look at Walkers"
    assert mail.get_content().replace("\r\n", "\n") == (
        f"{owner.address} wants {lst['address']}. Go to "
        f"{PORTAL}/list-approvals.\n")


def test_org_without_an_la_asks_the_global_admins(server, la, ga, orgs,
                                                  instance):
    """An org with no active Local Administrator (a new practice): the
    request goes to the Global Administrators, who can approve anything,
    so it never waits unseen; the org's own people are not told."""
    other = orgs[1]
    owner = user_client(server, instance, other, "Nia", "Newpractice")
    lst = owner.ok("POST", "/lists", {"org": other, "name": "Rota"},
                   status=201)
    assert lst["status"] == "pending"
    [(_, mail)] = mails(instance, ga.address)
    assert mail["Subject"] == (f"Approval asked for the list Rota "
                               f"({lst['address']})")
    assert mails(instance, la.address) == []
    [row] = notices(instance, "list-approval")
    assert row["summary"]["to"] == [ga.address]
