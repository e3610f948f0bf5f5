"""Inactive shared mailboxes (SPEC L5, seed 001): a shared mailbox unused
for 181 days is noticed by `caremail jobs run`: its owner is mailed that it
will be deleted unless confirmed (read back over IMAP), and one with no
owner has its org's Local Administrator told instead; the dry run foretold
it all. The link in the notice keeps the mailbox with no sign-in (a POST:
a GET never confirms), a bad link gets a sentence, and 30 days on the
kept mailbox stays while the unconfirmed ones are deleted, audited with
the rule, their addresses still reserved, and those told of the notice
told of the deletion. A grantee's SELECT over IMAP
counts as a use, written once a day, not on every SELECT."""

import re
import sqlite3
import time

from apiclient import Client
from conftest import PASSWORD, imap_session, read_folder

DAY = 86400
SUBJECT = re.compile(r"The shared mailbox (\S+) will be deleted on ")


def person(instance, org, first, last):
    address = instance.setup("user", "add", "--org", org, "--first", first,
                             "--last", last).stdout.strip().split()[-1]
    instance.setup("user", "passwd", address, "--stdin", "--permanent",
                   input=PASSWORD + "\n")
    return address


def shared(instance, org, name, owner=None):
    box = instance.run("shared", "add", "--org", org, "--name",
                       name).stdout.strip()
    if owner is not None:
        instance.run("shared", "owners", "add", box, owner)
    return box


def db(instance, sql, args=()):
    conn = sqlite3.connect(instance.dir / "caremail.db")
    try:
        rows = conn.execute(sql, args).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def age(instance, box, seconds):
    """The mailbox made, and last used, `seconds` ago."""
    at = int(time.time()) - seconds
    db(instance, "UPDATE mailboxes SET created_at = ?, last_used_at = ?"
       " WHERE address = ?", (at, at, box))


def last_used(instance, box):
    return db(instance, "SELECT last_used_at FROM mailboxes"
              " WHERE address = ?", (box,))[0][0]


def shared_items(items):
    return sorted((i["action"], i["address"], i["told"]) for i in items
                  if i["step"] == "shared")


def jobs(instance, at, dry=False):
    args = ["jobs", "run", "--at", str(at)] + (["--dry-run"] if dry else [])
    return instance.json(*args)


def test_unused_shared_mailbox_noticed_kept_or_deleted(server, instance,
                                                       org, la):
    la_address = la.ok("GET", "/me")["address"]
    owner = person(instance, org, "Olive", "Owner")
    grantee = person(instance, org, "Gus", "Grantee")
    kept = shared(instance, org, "Ward Round", owner)
    gone = shared(instance, org, "Old Clinic", owner)
    orphan = shared(instance, org, "Nobody Owns", None)
    busy = shared(instance, org, "Busy Desk", owner)
    instance.run("shared", "members", "add", busy, grantee)
    instance.run("grant", "add", busy, grantee, "--right", "full_access")
    for box in (kept, gone, orphan, busy):
        age(instance, box, 181 * DAY)

    # A grantee's SELECT of the shared mailbox is a use.
    with imap_session(server, grantee, PASSWORD) as m:
        assert m.select(f'"Shared/{busy}/INBOX"')[0] == "OK"
    t0 = int(time.time())
    assert last_used(instance, busy) >= t0 - 60
    # Written once a day: a SELECT within the day writes nothing more.
    db(instance, "UPDATE mailboxes SET last_used_at = ? WHERE address = ?",
       (t0 - 3600, busy))
    with imap_session(server, grantee, PASSWORD) as m:
        assert m.select(f'"Shared/{busy}/INBOX"', readonly=True)[0] == "OK"
    assert last_used(instance, busy) == t0 - 3600

    # The dry run foretells the notices and who is told; sends nothing.
    want = [("notice", gone, owner), ("notice", kept, owner),
            ("notice", orphan, la_address)]
    foretold = jobs(instance, t0, dry=True)
    assert shared_items(foretold) == sorted(want)
    assert db(instance, "SELECT COUNT(*) FROM shared_notices")[0][0] == 0
    assert shared_items(jobs(instance, t0)) == sorted(want)
    # Twice at the same time: nothing more sent.
    assert shared_items(jobs(instance, t0)) == []
    # Every notice item in the report says which org it is about.
    assert all(i["org_id"] > 0 for i in foretold if i["step"] == "shared")

    # The owner's notices, read over IMAP, each with its own link.
    inbox = read_folder(server, owner, PASSWORD)
    notices = {SUBJECT.match(m["Subject"])[1]: m for m in inbox
               if SUBJECT.match(m["Subject"])}
    assert sorted(notices) == sorted([kept, gone])
    text = notices[kept].get_body(("plain",)).get_content()
    assert "Ward Round" in text and "you are an owner of it" in text
    assert "Keep this mailbox" in notices[kept].get_body(
        ("html",)).get_content()
    token = re.search(r"/shared/confirm#([A-Za-z0-9_-]{43})", text)[1]
    # Only a hash of the link is stored.
    assert token not in str(db(instance,
                               "SELECT * FROM shared_confirm_tokens"))
    la_inbox = read_folder(server, la_address,
                           la.ok("POST", "/me/app-passwords",
                                 {"label": "Mail"})["password"])
    told_la = [m for m in la_inbox if SUBJECT.match(m["Subject"])]
    assert len(told_la) == 1 and orphan in told_la[0]["Subject"]
    assert "local administrator" in told_la[0].get_body(
        ("plain",)).get_content()

    # The page's look-up shows the mailbox and keeps nothing; the POST
    # keeps it, with no sign-in; a bad link gets a sentence.
    anon = Client(server)
    shown = anon.ok("POST", "/shared-confirm/mailbox", {"token": token})
    assert shown["address"] == kept and shown["kept"] is False
    assert shown["delete_at"] is not None
    assert instance.json("shared", "show", kept)["delete_at"] is not None
    done = anon.ok("POST", "/shared-confirm", {"token": token})
    assert done["address"] == kept and done["kept"] is True
    assert done["delete_at"] is None
    assert instance.json("shared", "show", kept)["delete_at"] is None
    err = anon.refused("POST", "/shared-confirm", {"token": "x" * 43},
                       status=404)
    assert "not valid" in err["message"]

    # 31 days on: the unconfirmed ones are deleted, the kept one stays.
    later = t0 + 31 * DAY
    foretold = shared_items(jobs(instance, later, dry=True))
    assert foretold == sorted([("delete", gone, owner),
                               ("delete", orphan, la_address)])
    assert shared_items(jobs(instance, later)) == foretold
    live = {r[0]: r[1] for r in db(
        instance, "SELECT address, deleted_at IS NULL FROM mailboxes"
        " WHERE kind = 'shared'")}
    assert live[kept] == 1 and live[busy] == 1
    assert live[gone] == 0 and live[orphan] == 0
    rows = instance.json("audit", "list", "--type", "shared_mailbox",
                         "--limit", "100")
    deleted = [r["summary"]["address"] for r in rows
               if r["action"] == "delete" and isinstance(r["summary"], dict)
               and r["summary"].get("rule") == "L5 shared inactivity"]
    assert sorted(deleted) == sorted([gone, orphan])
    assert any(r["action"] == "update" and isinstance(r["summary"], dict)
               and r["summary"].get("by") == "link"
               and r["summary"].get("address") == kept for r in rows)
    # Those told of the notice are told the mailbox is gone, once.
    gone_subject = re.compile(r"The shared mailbox (\S+) has been deleted")
    told = [m for m in read_folder(server, owner, PASSWORD)
            if gone_subject.match(m["Subject"])]
    assert [gone_subject.match(m["Subject"])[1] for m in told] == [gone]
    text = told[0].get_body(("plain",)).get_content()
    assert "Old Clinic" in text and "you are an owner of it" in text
    assert shared_items(jobs(instance, later)) == []
    assert len([m for m in read_folder(server, owner, PASSWORD)
                if gone_subject.match(m["Subject"])]) == 1

    # The deleted mailbox's address stays reserved.
    sentence = instance.fails("shared", "add", "--org", org, "--name",
                              "Old Clinic", "--email", gone)
    assert "never reused" in sentence


def test_owner_confirms_from_the_mailbox_page(server, instance, org, la):
    """A signed-in LA keeps the mailbox from its page, and so does an
    owner who administers nothing; a person who is neither is refused."""
    from apiclient import USER_PASSWORD, make_person, ready, q
    box = shared(instance, org, "Records Desk")
    age(instance, box, 181 * DAY)
    t0 = int(time.time())
    # The LA's preview of the run foretells the notice, and who is told.
    la_address = la.ok("GET", "/me")["address"]
    preview = la.ok("GET", "/jobs/preview")["items"]
    assert ("shared", "notice", box, la_address) in [
        (i["step"], i["action"], i["address"], i["told"]) for i in preview]
    jobs(instance, t0)
    shown = la.ok("GET", "/shared-mailboxes/" + q(box))
    assert shown["delete_at"] is not None and shown["last_used_at"]
    stranger = make_person(instance, org, "Sam", "Stranger")
    client = ready(server, stranger, USER_PASSWORD)
    client.refused("POST", "/shared-mailboxes/" + q(box) + "/confirm")
    kept = la.ok("POST", "/shared-mailboxes/" + q(box) + "/confirm")
    assert kept["delete_at"] is None
    assert last_used(instance, box) >= t0 - 60
    assert shared_items(jobs(instance, t0 + 31 * DAY)) == []
    # An owner who administers nothing sees their mailbox and keeps it.
    olga = make_person(instance, org, "Olga", "Owner")
    instance.run("shared", "owners", "add", box, olga)
    owner = ready(server, olga, USER_PASSWORD)
    assert owner.ok("GET", "/shared-mailboxes/" + q(box))["address"] == box
    assert owner.ok("POST", "/shared-mailboxes/" + q(box) + "/confirm")[
        "delete_at"] is None
    # The operator's way: caremail shared confirm, a sentence, audited.
    said = instance.run("shared", "confirm", box).stdout
    assert "Kept " + box in said
    rows = instance.json("audit", "list", "--type", "shared_mailbox",
                         "--limit", "50")
    assert sorted(r["summary"].get("by") for r in rows
                  if r["action"] == "update"
                  and isinstance(r["summary"], dict)
                  and r["summary"].get("rule") == "L5 shared inactivity") \
        == ["cli", "portal", "portal"]
    instance.fails("shared", "confirm", "nobody@" + instance.domain)
    # Not another's: owning one mailbox opens no other.
    other = shared(instance, org, "Other Desk")
    owner.refused("GET", "/shared-mailboxes/" + q(other))
    owner.refused("POST", "/shared-mailboxes/" + q(other) + "/confirm")
