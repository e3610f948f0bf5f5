"""Maintenance mode's landing page in a real browser (SPEC S5, P13;
tests/browser/maintenance.mjs): the Global Admin starts and ends it from
the page, a Local Administrator's admin pages show the landing page with
the message and expected end meanwhile; the store and the audit trail
say what happened."""

from conftest import OURS, PASSWORD, person, practices, ready


def test_landing_page(web_server, instance, run_scenario, https_client):
    practices(instance, (OURS, "Riverside Practice"))
    server = web_server()
    la_address = person(instance, OURS, "Lee", "Local", password=PASSWORD,
                        role="local_admin")
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    la = ready(https_client, server, la_address, PASSWORD)
    message = "Moving the directory to the new database; call 0300 123 4567"
    run_scenario("maintenance", server, ga=ga.cookie, la=la.cookie,
                 message=message)
    assert instance.json("maintenance", "status")["on"] is False
    rows = [r["summary"]["maintenance"] for r in reversed(instance.json(
        "audit", "list", "--type", "setting")) if "maintenance" in r["summary"]]
    assert [r["on"] for r in rows] == [True, False]
    assert rows[0]["message"] == message and rows[0]["until"] > 0
    # The refused change changed nothing.
    assert instance.json("user", "show", la_address).get("mobile") in \
        (None, "")
