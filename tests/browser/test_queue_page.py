"""Issue 11 item 7, the queue page in a real browser: the Global Admin
sees where mail waits by destination and why, tries one again, returns
another to its sender (a report goes) and deletes a third without a report
(after ticking the confirmation, with a reason); the queue, the sender's
mailbox and the audit trail say what happened. A Local Administrator has
no queue page (the API refuses queue.manage)."""

import time

from conftest import PASSWORD, person, ready

from dnsstub import DnsStub
from smtpsink import Sink
from test_queue import Outbound, zone


def test_global_admin_reads_retries_and_returns_queued_mail(
        web_server, instance, org, run_scenario, https_client):
    server = web_server()
    out = Outbound(instance, org, server)
    bob, cat, dan = "bob@far.example", "cat@near.example", "dan@far.example"
    eve = "eve@near.example"
    reason = "spam stuck for a dead domain"
    z = zone(**{"near.example": {"MX": [[10, "mx1.near.example"]]},
                "mx1.near.example": {"A": ["192.0.2.1"]}})
    with DnsStub(z) as stub, \
            Sink(replies={bob: "451 4.3.0 busy"}) as sink:
        out.settings(stub, sink.port)
        out.send([bob, dan], subject="Results")
        out.run(at=0)
        out.send([cat], subject="Letter")
        out.send([eve], subject="Junk")
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    run_scenario("queue", server, cookie=ga.cookie, bob=bob, cat=cat,
                 dan=dan, eve=eve, reason=reason)
    rows = {r["recipient"]: r for r in out.rows()}
    assert rows[bob]["status"] == "queued"
    # "Try now" made it due now, not in 5 minutes (ISO times sort).
    assert rows[bob]["next_attempt_at"] <= time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 5))
    assert rows[dan]["status"] == "delivered"
    assert cat not in rows          # returned: removed, the sender told
    assert eve not in rows          # deleted: removed, nobody told
    (report,) = out.inbox()
    assert report["Subject"] == "Not delivered: Letter"
    assert "An administrator of this mail service returned the message" \
        in report.get_body(preferencelist=("plain",)).get_content()
    audit = {a["summary"]["event"]: a["summary"] for a in instance.json(
        "audit", "list", "--type", "queue") if "event" in a["summary"]}
    assert audit["bounce"]["recipient"] == cat
    assert audit["bounce"]["reported"] is True
    assert audit["delete"]["recipient"] == eve
    assert audit["delete"]["reason"] == reason


def test_local_admin_has_no_queue(web_server, instance, org, https_client):
    server = web_server()
    la = person(instance, org, "Lee", "Local", password=PASSWORD,
                role="local_admin")
    c = ready(https_client, server, la, PASSWORD)
    status, body = c.call("GET", "/queue/destinations")
    assert status == 403 and "queue.manage" in body["error"]["message"]
