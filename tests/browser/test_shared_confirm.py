"""SPEC L5 in a real browser (shared-confirm.mjs): the confirm page of an
inactive shared mailbox notice, with a good link and a bad one, and the
Keep this mailbox button of the mailbox's page, and an owner with no admin
role finding their shared mailboxes from the menu and My account, each
checked with axe at 375 px and 1280 px. The link is read from the notice as stored; opening
the page kept nothing, the button did."""

import email
import email.policy
import re
import sqlite3
import time

from conftest import OURS, USER_PASSWORD, person, ready, two_practices

DAY = 86400


def db(instance, sql, args=()):
    conn = sqlite3.connect(instance.dir / "caremail.db")
    try:
        rows = conn.execute(sql, args).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def shared(instance, name, owner=None):
    box = instance.run("shared", "add", "--org", OURS, "--name",
                       name).stdout.strip()
    if owner:
        instance.run("shared", "owners", "add", box, owner)
    at = int(time.time()) - 181 * DAY
    db(instance, "UPDATE mailboxes SET created_at = ?, last_used_at = ?"
       " WHERE address = ?", (at, at, box))
    return box


def test_confirm_page_and_mailbox_keep(web_server, instance, run_scenario,
                                       https_client):
    server = web_server()
    two_practices(instance)
    owner = person(instance, OURS, "Olive", "Owner", password=USER_PASSWORD)
    la = person(instance, OURS, "Lee", "Local", password=USER_PASSWORD,
                role="local_admin")
    box = shared(instance, "Ward Round", owner)
    other = shared(instance, "Old Clinic", owner)
    instance.json("jobs", "run")
    # The owner's notice for box, as stored: its link's token.
    (data,) = [bytes(r[0]) for r in db(
        instance, "SELECT b.data FROM bodies b JOIN messages m"
        " ON m.body_id = b.id JOIN folders f ON f.id = m.folder_id"
        " JOIN mailboxes x ON x.id = f.mailbox_id WHERE x.address = ?",
        (owner,)) if box.encode() in bytes(r[0]).split(b"\r\n\r\n")[0]]
    msg = email.message_from_bytes(data, policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    token = re.search(r"/shared/confirm#([A-Za-z0-9_-]{43})", text)[1]
    client = ready(https_client, server, la, USER_PASSWORD)
    mine = ready(https_client, server, owner, USER_PASSWORD)
    run_scenario("shared-confirm", server, cookie=client.cookie,
                 token=token, mailbox=box, other=other,
                 owner_cookie=mine.cookie)
    # Both kept: the button and the page's button, not the page's opening.
    shown = [instance.json("shared", "show", b) for b in (box, other)]
    assert [s["delete_at"] for s in shown] == [None, None]
    rows = instance.json("audit", "list", "--type", "shared_mailbox",
                         "--limit", "50")
    by = sorted(r["summary"].get("by") for r in rows
                if r["action"] == "update" and isinstance(r["summary"], dict)
                and r["summary"].get("rule") == "L5 shared inactivity")
    assert by == ["link", "portal"]
