"""Issue 13 item 9 (the lifecycle pages) in a real browser: a Local
Administrator sees a user's timeline on their page and the dry-run preview
of the next jobs run for their practice (lifecycle.mjs); the preview
changed nothing, and the real run as of the same day then did what it
showed."""

import datetime
import time

from conftest import OTHER, OURS, USER_PASSWORD, person, ready, two_practices


def test_timeline_and_preview(web_server, instance, run_scenario,
                              https_client):
    server = web_server()
    two_practices(instance)
    quiet = person(instance, OURS, "Quinn", "Quiet")
    outsider = person(instance, OTHER, "Olly", "Outside")
    la = person(instance, OURS, "Lee", "Local", password=USER_PASSWORD,
                role="local_admin")
    client = ready(https_client, server, la, USER_PASSWORD)
    day = datetime.datetime.fromtimestamp(time.time() + 91 * 86400,
                                          datetime.timezone.utc).date()
    run_scenario("lifecycle", server, cookie=client.cookie, person=quiet,
                 outsider=outsider, at=day.isoformat())

    # The preview changed nothing; the run as of that day does it.
    assert instance.json("user", "show", quiet)["status"] == "active"
    done = instance.json("jobs", "run", "--at", day.isoformat())
    assert ("inactive", quiet) in [(i["action"], i["address"]) for i in done]
    assert instance.json("user", "show", quiet)["status"] == "inactive"
