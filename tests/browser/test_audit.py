"""Issue 10 item 5, the audit and the devices report in a real browser:
an admin filters the audit by who and what, sees only matching entries,
pages on and downloads the search as CSV, then the devices report and its
CSV; a Local Administrator of one practice sees only that practice and is
refused another with the API's sentence on the field. The downloads are
read back with Python's csv module against the CLI and the API. Each page
is checked by tests/browser/harness.mjs (no console error, no failed or
outside request, axe-core WCAG 2.1 A/AA at 375 and 1280 px)."""

import csv
import urllib.parse

from conftest import (OTHER, OURS, PASSWORD, USER_PASSWORD, person, ready,
                      two_practices)

# More than the audit page's 25 rows.
REFUSALS = 30


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, strict=True))


def test_admin_filters_the_audit_and_downloads_both_reports(
        web_server, instance, run_scenario, https_client, tmp_path):
    server = web_server()
    two_practices(instance, site=True)
    theirs = person(instance, OTHER, "Theo", "Theirs")
    actor = person(instance, OTHER, "Nia", "Nosy", password=USER_PASSWORD,
                   role="local_admin")
    nia = ready(https_client, server, actor, USER_PASSWORD)
    for _ in range(REFUSALS):
        status, _ = nia.call("GET", "/audit?org=" + OURS)
        assert status == 403
    for title in ("Nurse", "Practice Nurse"):
        nia.ok("PATCH", "/users/" + urllib.parse.quote(theirs),
               {"job_title": title})
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    run_scenario("audit", server, cookie=ga.cookie, actor=actor,
                 dir=tmp_path)
    # The file is the search the page showed: the CLI's rows, whole.
    rows = read_csv(tmp_path / "audit.csv")
    cli = instance.json("audit", "list", "--actor", actor, "--action",
                        "update")
    assert [r["id"] for r in rows] == [str(r["id"]) for r in cli]
    assert len(rows) >= 2
    assert {(r["actor"], r["action"]) for r in rows} == {(actor, "update")}
    devices = read_csv(tmp_path / "devices.csv")
    report = ga.ok("GET", "/reports/devices?limit=500")["items"]
    assert [(d["address"], d["org"]) for d in devices] == \
        [(d["address"], d["org"]) for d in report]
    assert actor in {d["address"] for d in devices}
    # The download was audited as the report is: one row, on no org.
    audited = instance.json("audit", "list", "--type", "organisation",
                            "--actor", instance.addr("admin"))
    files = [r for r in audited if r["summary"].get("format") == "csv"]
    assert len(files) == 1 and files[0]["summary"]["rows"] == len(devices)


def test_local_admin_sees_only_their_practice_and_is_told_why(
        web_server, instance, run_scenario, https_client, tmp_path):
    server = web_server()
    two_practices(instance, site=True)
    person(instance, OURS, "Olive", "Ours")
    person(instance, OTHER, "Theo", "Theirs")
    nia = person(instance, OTHER, "Nia", "Nosy", password=USER_PASSWORD,
                 role="local_admin")
    ready(https_client, server, nia, USER_PASSWORD)
    lee = person(instance, OURS, "Lee", "Local", password=USER_PASSWORD,
                 role="local_admin")
    la = ready(https_client, server, lee, USER_PASSWORD)
    run_scenario("audit-refused", server, cookie=la.cookie, org=OURS,
                 other=OTHER, dir=tmp_path)
    rows = read_csv(tmp_path / "local-audit.csv")
    assert rows and {r["org"] for r in rows} == {OURS}
    # The refusals the pages were given are themselves in the trail.
    denied = instance.json("audit", "list", "--actor", lee, "--org", OTHER)
    assert len(denied) == 2 and {r["result"] for r in denied} == {"denied"}
