"""Bulk CSV import (SPEC P8) and directory sync (SPEC P15), with the real
binary and store: every row checked before any is applied, rows keyed by
external ID then email, the same file twice changes nothing and never makes
joe.bloggs1, a refusal names the row and column and changes nothing, the
CLI and POST /api/v1/imports run the same engine, and a sync marks leavers
under a guard against a truncated export."""

import http.client
import json
import sqlite3

from apiclient import Client, global_admin, make_admin

FILE = (
    "\ufeffAction,External ID,Email,First Name,Last Name,Job Title,Site,"
    "Mobile,Mobile hidden\r\n"
    "create,E1,,Joe,Bloggs,\"Nurse, Practice\",Main Surgery,07700 900123,"
    "yes\r\n"
    ",E2,,Jane,Doe,GP,,,\r\n"
    ",,ann.other@{domain},Ann,Other,\"Says \"\"hi\"\"\",,,\r\n"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return str(path)


def get_text(client, path):
    """A download's status and text (the client reads JSON only)."""
    conn = http.client.HTTPConnection("127.0.0.1", client.server.port,
                                      timeout=20)
    conn.request("GET", "/api/v1" + path, headers={"Cookie": client.cookie})
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    return resp.status, text


def people(instance):
    out = instance.json("user", "list", "--org", "X26001")
    return sorted(p["address"] for p in out)


def count_people(instance):
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        return db.execute("SELECT COUNT(*) FROM people").fetchone()[0]
    finally:
        db.close()


def test_cli_import_twice_changes_nothing(instance, org, tmp_path):
    path = write(tmp_path, "a.csv", FILE.format(domain=instance.domain))
    first = instance.json("import", "users", path, "--org", org)
    assert first["applied"] and first["counts"]["created"] == 3
    assert [r["outcome"] for r in first["rows"]] == ["created"] * 3
    assert first["rows"][0]["row"] == 2
    assert people(instance) == sorted([
        instance.addr("joe.bloggs"), instance.addr("jane.doe"),
        instance.addr("ann.other")])
    joe = instance.json("user", "show", instance.addr("joe.bloggs"))
    assert joe["job_title"] == "Nurse, Practice"
    assert joe["sync_id"] == "E1" and joe["mobile_hidden"] is True
    again = instance.json("import", "users", path, "--org", org)
    assert again["applied"] and again["counts"]["unchanged"] == 3
    assert again["counts"]["created"] == 0
    assert "joe.bloggs1" not in json.dumps(instance.json(
        "user", "list", "--org", org))
    # A changed job title is an update, found by the external ID.
    changed = FILE.replace("GP,,,", "Senior GP,,,")
    path2 = write(tmp_path, "b.csv", changed.format(domain=instance.domain))
    upd = instance.json("import", "users", path2, "--org", org)
    assert upd["counts"]["updated"] == 1 and upd["counts"]["unchanged"] == 2
    assert instance.json("user", "show", instance.addr("jane.doe"))[
        "job_title"] == "Senior GP"


def test_a_bad_row_refuses_the_whole_file(instance, org, tmp_path):
    text = ("action,external_id,email,first_name,last_name,site\n"
            "create,E1,,Good,Row,\n"
            "update,E9,,A,B,\n"
            "create,E2,,Joe,Bloggs,Nowhere\n"
            "bogus,E3,,X,Y,\n"
            "create,,,X,Y,\n"
            "create,E4,,X,Y,\n"
            "create,E4,,X,Y,\n")
    path = write(tmp_path, "bad.csv", text)
    before = count_people(instance)
    proc = instance.run("import", "users", path, "--org", org, check=False)
    assert proc.returncode == 1
    out = proc.stdout
    assert "row 3, column external_id: there is no one" in out
    assert "row 4, column site: the organisation has no site called " \
        "Nowhere" in out
    assert "row 5, column action:" in out
    assert "row 6, column external_id: give an external_id or an email" \
        in out
    assert "row 8, column external_id: row 7 has the same external ID" in out
    assert "5 of 7 rows have a problem; nothing was changed" in out
    assert count_people(instance) == before


def test_not_csv_names_the_line(instance, org, tmp_path):
    path = write(tmp_path, "q.csv", "external_id,first_name,last_name\n"
                 "E1,Jo\"e,Bloggs\n")
    said = instance.fails("import", "users", path, "--org", org)
    assert "line 2" in said and "double quote" in said
    path = write(tmp_path, "h.csv", "external_id,frist_name\nE1,Jo\n")
    said = instance.fails("import", "users", path, "--org", org)
    assert 'no column called "frist_name"' in said


def test_leaver_join_and_dry_run(instance, orgs, tmp_path):
    org, other = orgs
    path = write(tmp_path, "a.csv", "external_id,first_name,last_name\n"
                 "E1,Joe,Bloggs\n")
    instance.run("import", "users", path, "--org", org)
    joe = instance.addr("joe.bloggs")
    leave = write(tmp_path, "l.csv", "action,external_id\nleaver,E1\n")
    dry = instance.json("import", "users", leave, "--org", org, "--dry-run")
    assert dry["dry_run"] and dry["rows"] == [
        {"row": 2, "outcome": "leaver", "address": joe}]
    assert instance.json("user", "show", joe)["status"] == "active"
    done = instance.json("import", "users", leave, "--org", org)
    assert done["counts"]["leavers"] == 1
    assert instance.json("user", "show", joe)["status"] == "leaver"
    assert instance.json("import", "users", leave, "--org", org)[
        "counts"]["unchanged"] == 1
    join = write(tmp_path, "j.csv", "action,email,external_id\n"
                 f"join,{joe},OTHER-1\n")
    joined = instance.json("import", "users", join, "--org", other)
    assert joined["counts"]["joined"] == 1
    shown = instance.json("user", "show", joe)
    assert shown["status"] == "active" and shown["org"]["ods"] == other
    assert instance.json("import", "users", join, "--org", other)[
        "counts"]["unchanged"] == 1


def test_api_import_report_and_scope(server, instance, orgs, tmp_path):
    org, other = orgs
    la = make_admin(server, instance, org)
    text = FILE.format(domain=instance.domain)
    status, reply = la.call("POST", "/imports?org=" + org,
                            raw=text.encode(), content_type="text/csv")
    assert status == 200, reply
    assert reply["applied"] and reply["counts"]["created"] == 3
    # The same file in JSON, a retry: nothing new.
    again = la.ok("POST", "/imports", {"org": org, "csv": text})
    assert again["counts"]["unchanged"] == 3
    got = la.ok("GET", "/imports/%d" % reply["id"])
    assert got["counts"]["created"] == 3 and len(got["rows"]) == 3
    status, text = get_text(la, "/imports/%d?format=csv" % reply["id"])
    assert status == 200
    assert text.startswith("row,outcome,address,column,message\r\n2,created,")
    listed = la.ok("GET", "/imports?org=" + org)["items"]
    assert [r["id"] for r in listed][:2] == [again["id"], reply["id"]]
    # A row naming another org, and an org out of scope, are refused.
    bad = "external_id,org,first_name,last_name\nE9,%s,A,B\n" % other
    refused = la.call("POST", "/imports", {"org": org, "csv": bad})
    assert refused[0] == 422
    assert "this file is loaded into" in refused[1]["rows"][0]["message"]
    la.refused("POST", "/imports", {"org": other, "csv": bad})
    status, text = get_text(la, "/imports/template")
    assert status == 200 and text.startswith("action,external_id,email,")


def sync_token(server, instance, org):
    admin = global_admin(server, instance)
    made = admin.ok("POST", "/tokens", {
        "label": "hr-sync", "org": org, "expires_days": 30,
        "actions": ["user.read", "user.create", "user.edit",
                    "user.lifecycle"]}, status=201)
    c = Client(server)
    c.bearer = made["token"]
    return c


def test_sync_creates_updates_leavers_and_guard(server, instance, org):
    hr = sync_token(server, instance, org)
    staff = [{"external_id": "S%02d" % i, "first_name": "Staff",
              "last_name": "Member%02d" % i, "job_title": "Clerk"}
             for i in range(20)]
    first = hr.ok("POST", "/orgs/%s/sync" % org, {"people": staff})
    assert first["counts"]["created"] == 20 and first["kind"] == "sync"
    again = hr.ok("POST", "/orgs/%s/sync" % org, {"people": staff})
    assert again["counts"]["unchanged"] == 20
    # One leaves, one changes: 1 of 20 is within the 10% guard.
    staff[0]["job_title"] = "Manager"
    gone = staff.pop()
    third = hr.ok("POST", "/orgs/%s/sync" % org, {"people": staff})
    assert third["counts"]["updated"] == 1
    assert third["counts"]["leavers"] == 1
    leaver = [r for r in third["rows"] if r["outcome"] == "leaver"][0]
    assert leaver["address"] == instance.addr("staff.member19")
    # A truncated export (half the org) is refused whole.
    status, reply = hr.call("POST", "/orgs/%s/sync" % org,
                            {"people": staff[:9]})
    assert status == 422 and not reply["applied"]
    assert "more than the 10% allowed" in reply["summary"]
    assert instance.json("user", "show", instance.addr("staff.member10"))[
        "status"] == "active"
    # CSV works too; a row without an external ID is a problem.
    csv = "external_id,first_name,last_name\n,No,Key\n"
    status, reply = hr.call("POST", "/orgs/%s/sync" % org, raw=csv.encode(),
                            content_type="text/csv")
    assert status == 422
    assert reply["rows"][0]["column"] == "external_id"
    history = hr.ok("GET", "/orgs/%s/syncs" % org)["items"]
    assert len(history) == 5 and history[0]["applied"] is False
    assert gone["external_id"] == "S19"


def directory(instance):
    """Every person and mailbox row, whole: what an import may change."""
    db = sqlite3.connect(instance.dir / "caremail.db")
    try:
        return [db.execute("SELECT * FROM %s ORDER BY id" % t).fetchall()
                for t in ("people", "mailboxes")]
    finally:
        db.close()


def random_file(rng, prefix, rows):
    """A file as a spreadsheet may write it: random names from a small
    pool (so addresses collide and need a number), awkward fields (commas,
    quotes, UTF-8), CRLF or LF, quoted or not."""
    import csv
    import io
    firsts = ["Joe", "Jane", "Zoë", "Ann", "O'Neil", "Li"]
    lasts = ["Bloggs", "Doe", "Ørsted", "Other", "Smith-Jones"]
    # A job title is one line (the engine refuses a break), so none here.
    titles = ["", "GP", "Nurse, Practice", 'Says "hi"', "日本 €"]
    out = io.StringIO()
    quoting = rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])
    w = csv.writer(out, quoting=quoting,
                   lineterminator=rng.choice(["\r\n", "\n"]))
    w.writerow(["external_id", "first_name", "last_name", "job_title"])
    for i in range(rows):
        w.writerow(["%s-%d" % (prefix, i), rng.choice(firsts),
                    rng.choice(lasts), rng.choice(titles)])
    return out.getvalue()


def test_any_file_twice_changes_nothing(instance, org, tmp_path):
    """B6's property over random files (fixed seed) and row counts past
    any page or batch size: the second import of the same file finds every
    row unchanged, adds no one and gives no one a new number."""
    import random
    rng = random.Random(8)
    for n, rows in enumerate([1, 7, rng.randint(50, 300), 1203]):
        path = write(tmp_path, "r%d.csv" % n,
                     random_file(rng, "R%d" % n, rows))
        first = instance.json("import", "users", path, "--org", org)
        assert first["applied"] and first["counts"]["created"] == rows
        before = directory(instance)
        again = instance.json("import", "users", path, "--org", org)
        assert again["applied"], rows
        assert again["counts"]["unchanged"] == rows, again["counts"]
        assert directory(instance) == before
        assert not any(r["outcome"] != "unchanged" for r in again["rows"])
