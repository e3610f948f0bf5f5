"""The account lifecycle on schedule (SPEC L1-L7, issue 13's "Done when"):
a practice's people, `caremail jobs run --at` 91 days on makes them
Inactive and mails each a notice read over IMAP (the sign-in that reads it
makes that person Active again at once, L7); 181 days on the quiet one is
Deleted; 211 days on Purged, their mail gone and their address still
reserved; each dry run foretold exactly what the run then did."""

import sqlite3
import time
import urllib.parse

from apiclient import USER_PASSWORD, make_person, ready
from conftest import read_folder

DAY = 86400
PASSWORD = "a long lifecycle password 42"


def person(instance, org, first, last):
    address = instance.setup("user", "add", "--org", org, "--first", first,
                             "--last", last).stdout.strip().split()[-1]
    instance.setup("user", "passwd", address, "--stdin", "--permanent",
                   input=PASSWORD + "\n")
    return address


def jobs(instance, at, dry=False):
    args = ["jobs", "run", "--at", str(at)] + (["--dry-run"] if dry else [])
    return instance.json(*args)


def status(instance, address):
    return instance.json("user", "show", address)["status"]


def changes(items, people=None):
    """The changes of a run (the instance's admin ages too: left out)."""
    return sorted((i["action"], i["address"], i["told"]) for i in items
                  if not i["action"].startswith("warn-")
                  and not i["address"].startswith("admin@"))


def messages_of(instance, address):
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        return db.execute(
            "SELECT COUNT(*) FROM messages m JOIN folders f"
            " ON f.id = m.folder_id JOIN mailboxes b ON b.id = f.mailbox_id"
            " WHERE b.address = ?", (address,)).fetchone()[0]
    finally:
        db.close()


def test_practice_goes_inactive_deleted_purged(server, instance, org):
    t0 = int(time.time())
    quiet = person(instance, org, "Quinn", "Quiet")
    reader = person(instance, org, "Rita", "Reader")

    # +91 days: the dry run foretells, changes nothing, sends nothing.
    foretold = jobs(instance, t0 + 91 * DAY, dry=True)
    assert changes(foretold) == [("inactive", quiet, quiet),
                                 ("inactive", reader, reader)]
    assert status(instance, quiet) == "active"
    done = jobs(instance, t0 + 91 * DAY)
    assert changes(done) == changes(foretold)
    assert status(instance, quiet) == "inactive"
    assert status(instance, reader) == "inactive"
    # Twice at the same time: the second run changes and sends nothing.
    assert jobs(instance, t0 + 91 * DAY) == []

    # The notice is in the mailbox; signing in to read it wakes Rita (L7).
    inbox = read_folder(server, reader, PASSWORD)
    subjects = [m["Subject"] for m in inbox]
    assert "Your account is now inactive" in subjects
    text = inbox[subjects.index("Your account is now inactive")]
    assert "deleted on" in text.get_body(("plain",)).get_content()
    assert status(instance, reader) == "active"
    assert messages_of(instance, quiet) == 1

    # +181 days: Quinn is deleted (the dry run said so first).
    foretold = jobs(instance, t0 + 181 * DAY, dry=True)
    assert ("delete", quiet, "") in changes(foretold)
    done = jobs(instance, t0 + 181 * DAY)
    assert changes(done) == changes(foretold)
    assert status(instance, quiet) == "deleted"
    # Gone from People Finder with it: a search by keys reads no person
    # before its page, so the deletion takes the keys (it once did not).
    # (Sara, made now, is herself aged out by the runs below.)
    seeker = make_person(instance, org, "Sara", "Seeker")
    searcher = ready(server, seeker, USER_PASSWORD)
    for q in ("quinn", "quie", "quinn quiet", quiet):
        found = searcher.ok("GET", "/people?q=" + urllib.parse.quote(q))
        assert quiet not in [p["address"] for p in found["items"]], q
    found = searcher.ok("GET", "/people?q=seek")
    assert [p["address"] for p in found["items"]] == [seeker]

    # +211 days: purged, mail gone, the address still reserved.
    foretold = jobs(instance, t0 + 211 * DAY, dry=True)
    assert ("purge", quiet, "") in changes(foretold)
    done = jobs(instance, t0 + 211 * DAY)
    assert changes(done) == changes(foretold)
    assert messages_of(instance, quiet) == 0
    # A purged account cannot be restored, even inside the restore window
    # (deleted "at" +181 days: the window has not started by the clock).
    gwen = make_person(instance, org, "Gwen", "Global")
    instance.setup("role", "add", gwen, "--org", "SERVICE", "--role",
                   "global_admin")
    code, reply = ready(server, gwen, USER_PASSWORD).call(
        "POST", "/users/" + urllib.parse.quote(quiet) + "/restore")
    assert code == 409, reply
    assert "was purged" in reply["error"]["message"], reply
    assert status(instance, quiet) == "deleted"
    assert instance.json("user", "show", quiet)["address"] == quiet
    again = instance.run("user", "add", "--org", org, "--first", "Quinn",
                         "--last", "Quiet").stdout.strip().split()[-1]
    assert again != quiet

    # Every transition audited with its rule.
    rows = instance.json("audit", "list", "--type", "user_mailbox",
                         "--limit", "100")
    rules = [r["summary"].get("rule") for r in rows
             if isinstance(r.get("summary"), dict)]
    assert "L1 inactivity" in rules and "L1 purge" in rules
    assert "L7 activity" in rules


def test_dry_run_needs_a_time_it_can_read(instance):
    sentence = instance.fails("jobs", "run", "--at", "next tuesday", code=2)
    assert "--at takes a time" in sentence


def test_leaver_notice_and_the_las_digest(server, instance, org, la):
    from apiclient import global_admin, q
    t0 = int(time.time())
    ga = global_admin(server, instance)
    leaver = person(instance, org, "Lou", "Leaving")
    ga.ok("POST", "/users/" + q(leaver) + "/leaver")

    # The leaver notice, as HTML with a plain-text part, sent once.
    foretold = jobs(instance, t0 + DAY, dry=True)
    assert [(i["action"], i["told"]) for i in foretold
            if i["address"] == leaver] == [("leaver", leaver)]
    assert jobs(instance, t0 + DAY) == foretold
    assert jobs(instance, t0 + DAY) == []
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        (data,) = db.execute(
            "SELECT b.data FROM bodies b JOIN messages m ON m.body_id = b.id"
            " JOIN folders f ON f.id = m.folder_id JOIN mailboxes x"
            " ON x.id = f.mailbox_id WHERE x.address = ?",
            (leaver,)).fetchone()
    finally:
        db.close()
    import email
    import email.policy
    msg = email.message_from_bytes(bytes(data), policy=email.policy.default)
    assert msg["Subject"] == "You have been marked as leaving Test Practice"
    assert msg.get_content_type() == "multipart/alternative"
    assert "<strong>Test Practice</strong>" in msg.get_body(
        ("html",)).get_content()
    assert "join another organisation" in msg.get_body(
        ("plain",)).get_content()

    # 31 days on: deleted, and the org's LA gets one digest naming them.
    done = jobs(instance, t0 + 31 * DAY)
    la_address = la.ok("GET", "/me")["address"]
    assert ("delete", leaver) in [(i["action"], i["address"]) for i in done]
    assert ("digest", "X26001", la_address) in [
        (i["action"], i["address"], i["told"]) for i in done]
    app = la.ok("POST", "/me/app-passwords", {"label": "Mail"})["password"]
    inbox = read_folder(server, la_address, app)
    digest = [m for m in inbox
              if m["Subject"] == "Accounts that changed in Test Practice"]
    assert len(digest) == 1
    assert leaver in digest[0].get_body(("plain",)).get_content()
    assert "L3 leaver" in digest[0].get_body(("plain",)).get_content()
