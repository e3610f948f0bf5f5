"""Add-on licences (issue 13 item 8, SPEC L9, seed 002 #9966): an org's
named add-ons with a quota and an expiry, recorded by the Global
Administrator; Local Administrators give them to people by hand or by a
rule, never past the quota; the licence report as JSON, CSV and on the
CLI; expiry notices to the org's Local Administrators 60, 30, 7 and 0
days before expiry and 23 and 83 days after, each once, as of given
times (`caremail licence sweep --at`). Every change audited."""
import csv
import datetime
import http.client
import io

from apiclient import USER_PASSWORD, make_admin, make_person, ready
from conftest import OTHER, read_folder

DAY = 86400
EXPIRES = "2031-06-01"


def epoch(day):
    return int(datetime.datetime.strptime(day, "%Y-%m-%d").replace(
        tzinfo=datetime.timezone.utc).timestamp())


def sweep(instance, at, *extra):
    return instance.json("licence", "sweep", "--at", str(at), *extra)


def test_quota_allocation_rule_and_report(server, instance, orgs, ga):
    org = orgs[0]
    la = make_admin(server, instance, org)
    other_la = make_admin(server, instance, OTHER, first="Oz", last="Other")
    ann = make_person(instance, org, "Ann", "Lee")
    bob = instance.run("user", "add", "--org", org, "--first", "Bob",
                       "--last", "Ray", "--department", "Pharmacy"
                       ).stdout.strip().split()[-1]
    cat = instance.run("user", "add", "--org", org, "--first", "Cat",
                       "--last", "Doe", "--department", "pharmacy"
                       ).stdout.strip().split()[-1]

    # What was bought is the Global Administrator's to record.
    la.refused("PUT", f"/orgs/{org}/licences/Visio",
               {"quota": 2, "expires": EXPIRES})
    err = ga.refused("PUT", f"/orgs/{org}/licences/Vi$io",
                     {"quota": 2, "expires": EXPIRES}, status=422)
    assert err["field"] == "name"
    ga.refused("PUT", f"/orgs/{org}/licences/Visio",
               {"quota": 2, "expires": "next year"}, status=422)
    assert la.ok("GET", f"/orgs/{org}/licences")["items"] == []
    got = ga.ok("PUT", f"/orgs/{org}/licences/Visio",
                {"quota": 2, "expires": EXPIRES})
    assert (got["quota"], got["used"], got["state"]) == (2, 0, "active")

    # By hand, within the quota; another org's admin may not.
    other_la.refused("POST", f"/orgs/{org}/licences/Visio/holders",
                     {"address": ann})
    la.ok("POST", f"/orgs/{org}/licences/Visio/holders", {"address": ann})
    la.refused("POST", f"/orgs/{org}/licences/Visio/holders",
               {"address": ann}, status=409)
    # By rule: Pharmacy matches two, one licence is left.
    got = la.ok("PUT", f"/orgs/{org}/licences/Visio/rule",
                {"rule": "department=Pharmacy"})
    assert got == {"allocated": 1, "left_without": 1}
    la.refused("PUT", f"/orgs/{org}/licences/Visio/rule",
               {"rule": "everyone"}, status=422)
    err = la.refused("POST", f"/orgs/{org}/licences/Visio/holders",
                     {"address": cat}, status=422)
    assert "free one or raise the quota" in err["message"]
    [addon] = la.ok("GET", f"/orgs/{org}/licences")["items"]
    assert addon["used"] == 2 and addon["rule"] == "department=Pharmacy"
    holders = {h["address"]: h["by_rule"] for h in addon["holders"]}
    assert holders == {ann: False, bob: True}
    # The quota never goes below what is held.
    ga.refused("PUT", f"/orgs/{org}/licences/Visio",
               {"quota": 1, "expires": EXPIRES}, status=422)
    la.ok("DELETE", f"/orgs/{org}/licences/Visio/holders/{ann}")
    la.ok("POST", f"/orgs/{org}/licences/Visio/holders", {"address": cat})

    # The report: CSV over the API and the CLI agree.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", f"/api/v1/orgs/{org}/licences?format=csv",
                 headers={"Cookie": la.cookie})
    resp = conn.getresponse()
    body = resp.read().decode()
    assert resp.status == 200
    assert resp.getheader("Content-Type").startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(r["address"] for r in rows) == sorted([bob, cat])
    assert {r["by_rule"] for r in rows} == {"rule", "admin"}
    cli = instance.run("licence", "report", "--org", org, "--csv").stdout
    assert list(csv.DictReader(io.StringIO(cli))) == rows

    summaries = [r["summary"] for r in instance.json(
        "audit", "list", "--type", "licence")]
    assert any(s.get("allocated") == ann for s in summaries)
    assert any(s.get("freed") == ann for s in summaries)
    assert any(s.get("allocated_by_rule") == 1 for s in summaries)


def test_expiry_notices_60_30_7_0_then_23_and_83_after(server, instance,
                                                        orgs):
    org = orgs[0]
    # An admin reads mail with an app password.
    la = make_person(instance, org, "Lee", "Local")
    instance.run("user", "passwd", la, "--stdin", "--permanent",
                 input=USER_PASSWORD + "\n")
    instance.run("role", "add", la, "--org", org, "--role", "local_admin")
    secret = ready(server, la, USER_PASSWORD).ok(
        "POST", "/me/app-passwords", {"label": "mail"})["password"]
    instance.run("licence", "set", "--org", org, "--name", "Project",
                 "--quota", "5", "--expires", EXPIRES)
    x = epoch(EXPIRES)
    seen = []
    for days in (60, 30, 7, 0, -23, -83):
        at = x - days * DAY
        assert sweep(instance, at - 1) == [], days
        dry = sweep(instance, at, "--dry-run")
        assert [(i["days_before_expiry"], i["to"]) for i in dry] == [
            (days, [la])]
        assert sweep(instance, at) == dry
        assert sweep(instance, at) == []          # each once
        seen.append(days)
    assert sweep(instance, x + 400 * DAY) == []
    mails = read_folder(server, la, secret)
    assert len(mails) == 6
    assert "expires in 60 days" in mails[0]["Subject"]
    assert "expires today" in mails[3]["Subject"]
    assert "expired 83 days ago" in mails[5]["Subject"]
    assert len([r for r in instance.json("audit", "list", "--type",
                                         "licence")
                if r["summary"].get("rule") == "expiry_notice"]) == 6

    # Renewed: the notices start again for the new expiry; after a gap
    # only the latest due is sent.
    instance.run("licence", "set", "--org", org, "--name", "Project",
                 "--quota", "5", "--expires", "2032-06-01")
    [item] = sweep(instance, epoch("2032-06-01") - 6 * DAY)
    assert item["days_before_expiry"] == 7


def test_the_sweep_applies_the_rule_to_people_who_join(instance, org):
    instance.run("licence", "set", "--org", org, "--name", "Teams Phone",
                 "--quota", "2", "--expires", EXPIRES)
    instance.run("licence", "rule", "--org", org, "--name", "Teams Phone",
                 "--rule", "job_title=GP")
    assert sweep(instance, epoch("2030-01-01")) == []
    new = [instance.run("user", "add", "--org", org, "--first", first,
                        "--last", "Doe", "--job-title", "gp"
                        ).stdout.strip().split()[-1]
           for first in ("Ada", "Ben", "Cy")]
    dry = sweep(instance, epoch("2030-01-01"), "--dry-run")
    assert [(i["rule"], i["allocated"]) for i in dry] == [
        ("allocation_rule", 2)]                   # the quota is 2
    assert sweep(instance, epoch("2030-01-01")) == dry
    assert sweep(instance, epoch("2030-01-01")) == []
    [addon] = instance.json("licence", "report", "--org", org)
    assert sorted(h["address"] for h in addon["holders"]) == new[:2]
    assert all(h["by_rule"] for h in addon["holders"])


def test_an_edited_template_writes_the_expiry_notice(instance, org):
    """The notice is the instance's templates/licence-expiry.txt, written
    by init and read at each send: an operator's edit is what is sent."""
    import email
    import email.policy
    import sqlite3
    tpl = instance.dir / "templates" / "licence-expiry.txt"
    assert "{{addon}} licences for {{ods}}" in tpl.read_text()
    tpl.write_text("Subject: Renew {{addon}} ({{org}}) by {{expires}}\n\n"
                   "{{used}}/{{quota}} held; {{days}} days: {{when}}.\n")
    la = make_person(instance, org, "Lee", "Local")
    instance.run("role", "add", la, "--org", org, "--role", "local_admin")
    instance.run("licence", "set", "--org", org, "--name", "Project",
                 "--quota", "5", "--expires", EXPIRES)
    [item] = sweep(instance, epoch(EXPIRES) - 30 * DAY)
    assert item["to"] == [la]
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        [(data,)] = db.execute(
            "SELECT b.data FROM bodies b JOIN messages m ON m.body_id = b.id"
            " JOIN folders f ON f.id = m.folder_id JOIN mailboxes x"
            " ON x.id = f.mailbox_id WHERE x.address = ?", (la,)).fetchall()
    finally:
        db.close()
    mail = email.message_from_bytes(bytes(data), policy=email.policy.default)
    assert mail["Subject"] == f"Renew Project (Test Practice) by {EXPIRES}"
    assert mail.get_content().replace("\r\n", "\n") == (
        f"0/5 held; 30 days: expires in 30 days, on {EXPIRES}.\n")
