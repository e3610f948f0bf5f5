"""Issue 13 items 4, 5 and 9 in a real browser: the Import users page
(template, dry run, import, report, history, a second load changing
nothing, a bad row refused naming row and column), and a double-clicked
create making one person because the page sends one Idempotency-Key.
Each page is checked by tests/browser/harness.mjs (no console error, axe
WCAG 2.1 A/AA at 375 and 1280 px)."""

from conftest import OURS, PASSWORD, ready, two_practices


def test_import_page_and_double_click(web_server, instance, run_scenario,
                                      https_client):
    server = web_server()
    two_practices(instance)
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    run_scenario("imports", server, cookie=ga.cookie, org=OURS)
    listed = instance.json("user", "list", "--org", OURS)
    addresses = sorted(p["address"] for p in listed)
    assert addresses == sorted([instance.addr("imma.ported"),
                                instance.addr("ivy.loaded"),
                                instance.addr("double.clicked")]), addresses
    assert instance.json("user", "show", instance.addr("imma.ported"))[
        "sync_id"] == "HR-1"
