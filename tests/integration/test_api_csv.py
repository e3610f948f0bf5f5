"""CSV downloads (docs/api.md, "CSV downloads"): GET /audit and GET
/reports/devices with format=csv give every row the JSON pages give, read
back by Python's csv module, RFC 4180 quoted and defended against formula
injection; the same role and scope checks as the JSON, a refusal being the
JSON error; the devices download audited as the JSON report is."""

import csv
import datetime
import http.client
import io
import json
import re
import urllib.parse

from apiclient import (USER_PASSWORD, global_admin, make_admin, make_person,
                       ready)

OTHER = "Y26002"
# More rows than one page of the server's CSV writer (dir_csv.c reads
# the store 500 rows at a time), so the download crosses pages, and more
# bytes than it keeps in memory (api_csv.c), so it is sent from its file.
MANY = 520
SPOOL_MEMORY = 64 * 1024
AUDIT_COLUMNS = ["id", "at", "actor", "action", "object_type", "object_id",
                 "org", "result", "client", "request_id", "summary"]
DEVICE_COLUMNS = ["id", "address", "display_name", "org", "protocol",
                  "client", "ip", "first_seen", "last_seen"]


def download(client, path, **params):
    """GET path with the client's session: (status, headers, raw body)."""
    conn = http.client.HTTPConnection("127.0.0.1", client.server.port,
                                      timeout=60)
    conn.request("GET", "/api/v1" + path + "?" +
                 urllib.parse.urlencode(params),
                 headers={"Cookie": client.cookie} if client.cookie else {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, resp, body


def csv_rows(client, path, name, **params):
    """The download's records as dicts, after checking it is a CSV
    attachment made of CRLF-ended records with the expected header."""
    status, resp, body = download(client, path, format="csv", **params)
    assert status == 200, body
    assert resp.getheader("Content-Type") == "text/csv; charset=utf-8"
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")
    assert resp.getheader("Content-Disposition") == \
        f'attachment; filename="{name}-{today}.csv"'
    assert resp.getheader("Cache-Control") == "no-store"
    assert resp.getheader("X-Request-Id")
    assert body.endswith(b"\r\n")
    text = body.decode("utf-8")
    records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    return records[0], [dict(zip(records[0], r, strict=True))
                        for r in records[1:]]


def json_all(client, path, **params):
    """Every item of a JSON listing, page after page."""
    items, cursor = [], None
    while True:
        query = dict(params, limit=500)
        if cursor:
            query["cursor"] = cursor
        reply = client.ok("GET", path + "?" + urllib.parse.urlencode(query))
        items += reply["items"]
        cursor = reply["next_cursor"]
        if cursor is None:
            return items


def audit_as_csv(item):
    """A JSON audit row as the CSV writes it."""
    row = {k: str(item[k]) for k in ("id", "object_id")}
    row.update({k: item[k] for k in ("at", "actor", "action", "object_type",
                                     "result", "client", "request_id")})
    row["org"] = item["org"] or ""
    return row


def same_audit(csv_rows_, json_items):
    assert [r["id"] for r in csv_rows_] == [str(i["id"]) for i in json_items]
    for r, item in zip(csv_rows_, json_items):
        summary = r.pop("summary")
        assert r == audit_as_csv(item)
        assert json.loads(summary) == item["summary"]


def refused_as_json(client, path, status=403, **params):
    got, resp, body = download(client, path, format="csv", **params)
    assert got == status, body
    assert resp.getheader("Content-Type").startswith("application/json")
    assert resp.getheader("Content-Disposition") is None
    return json.loads(body)["error"]


def test_audit_csv_is_every_row_the_filters_match(server, instance, org):
    instance.run("org", "add", "--ods", OTHER, "--name", "Other Trust")
    ga = global_admin(server, instance)
    nosy = make_admin(server, instance, OTHER, "local_admin", "Nia", "Nosy")
    # Each refusal is one audit row (SECURITY.md 48), on the org asked for.
    for _ in range(MANY):
        status, _ = nosy.call("GET", "/audit?org=" + org)
        assert status == 403
    header, rows = csv_rows(ga, "/audit", "audit")
    assert header == AUDIT_COLUMNS
    assert len(download(ga, "/audit", format="csv")[2]) > SPOOL_MEMORY
    same_audit(rows, json_all(ga, "/audit"))
    # Every filter narrows the file as it narrows the JSON.
    filters = [{"actor": nosy.address, "action": "other"},
               {"object_type": "report", "org": org},
               {"object_type": "user_mailbox", "action": "create"},
               {"from": rows[-1]["at"], "to": rows[MANY // 2]["at"]},
               {"actor": "nobody@example.nhs.uk"}]
    for f in filters:
        _, got = csv_rows(ga, "/audit", "audit", **f)
        same_audit(got, json_all(ga, "/audit", **f))
    _, denied = csv_rows(ga, "/audit", "audit", actor=nosy.address,
                         object_type="report")
    assert len(denied) == MANY
    assert {r["result"] for r in denied} == {"denied"}
    # limit and cursor are a page's: the file is every row whatever they say.
    _, again = csv_rows(ga, "/audit", "audit", actor=nosy.address,
                        object_type="report", limit=1,
                        cursor=denied[3]["id"])
    assert len(again) == MANY
    # Bad filters are the JSON's 422s.
    for params, field in (({"action": "destroy"}, "action"),
                          ({"from": "yesterday"}, "from"),
                          ({"object_type": "spaceship"}, "object_type")):
        err = refused_as_json(ga, "/audit", status=422, **params)
        assert err["field"] == field
    got, _, body = download(ga, "/audit", format="xml")
    assert got == 422 and json.loads(body)["error"]["field"] == "format"


def test_local_admin_gets_only_their_rows_and_json_refusals(server, instance,
                                                           org):
    instance.run("org", "add", "--ods", OTHER, "--name", "Other Trust")
    for ods in (org, OTHER):
        make_person(instance, ods, "Pat", "In" + ods)
    la = make_admin(server, instance, org, "local_admin", "Al", "Ay")
    _, rows = csv_rows(la, "/audit", "audit")
    assert rows and {r["org"] for r in rows} == {org}
    same_audit(rows, json_all(la, "/audit"))
    err = refused_as_json(la, "/audit", org=OTHER)
    assert "not one you administer" in err["message"]
    err = refused_as_json(la, "/reports/devices", org=OTHER)
    assert "not one you administer" in err["message"]
    helpdesk = make_admin(server, instance, org, "helpdesk_admin", "Hal",
                          "Desk")
    assert "audit.read" in refused_as_json(helpdesk, "/audit")["message"]
    assert "report.read" in refused_as_json(helpdesk,
                                            "/reports/devices")["message"]
    helpdesk.cookie = None
    refused_as_json(helpdesk, "/audit", status=401)


def test_devices_csv_is_scoped_quoted_defended_and_audited(server, instance,
                                                          org):
    instance.run("org", "add", "--ods", OTHER, "--name", "Other Trust")
    # Names a spreadsheet would run or split: the file must keep them text.
    tricky = make_person(instance, org, "=SUM(1+1)", 'Smith, "Jr"')
    at_sign = make_person(instance, org, "@cmd", "Zo\u00eb")
    theirs = make_person(instance, OTHER, "Theo", "Theirs")
    for address in (tricky, at_sign, theirs):
        ready(server, address, USER_PASSWORD)
    la = make_admin(server, instance, org, "local_admin", "Al", "Ay")
    header, rows = csv_rows(la, "/reports/devices", "devices")
    assert header == DEVICE_COLUMNS
    assert {r["org"] for r in rows} == {org}
    items = json_all(la, "/reports/devices")
    assert [r["id"] for r in rows] == [str(i["id"]) for i in items]
    for r, item in zip(rows, items):
        name = item["display_name"]
        defended = "'" + name if name[:1] in "=+-@\t\r" and name else name
        assert r["display_name"] == defended
        for k in ("address", "org", "protocol", "client", "ip",
                  "first_seen", "last_seen"):
            assert r[k] == (item[k] or ""), k
    names = {r["address"]: r["display_name"] for r in rows}
    assert names[tricky] == "'=SUM(1+1) Smith, \"Jr\""
    assert names[at_sign] == "'@cmd Zo\u00eb"
    assert theirs not in names
    raw = download(la, "/reports/devices", format="csv")[2].decode("utf-8")
    assert '"\'=SUM(1+1) Smith, ""Jr"""' in raw
    # Audited as the JSON report is: one row on the org, now with the
    # format and the file's row count; the JSON pages each wrote one too.
    audit = json_all(la, "/audit", object_type="organisation",
                     action="other", actor=la.address)
    downloads = [a for a in audit if a["summary"].get("format") == "csv"]
    assert len(downloads) == 2
    assert downloads[0]["org"] == org
    assert downloads[0]["summary"] == {"report": "devices",
                                       "downloaded": True, "org": "all",
                                       "rows": len(rows), "format": "csv"}
    assert len(audit) == 2 + 1      # and the one JSON page read above
    csv_rows(la, "/reports/devices", "devices", org=org)
    assert json_all(la, "/audit", object_type="organisation",
                    actor=la.address)[0]["summary"]["org"] == org
    # A Global Admin's report of everything is one row on no org.
    ga = global_admin(server, instance)
    _, every = csv_rows(ga, "/reports/devices", "devices")
    assert {org, OTHER} <= {r["org"] for r in every}
    mine = json_all(ga, "/audit", object_type="organisation",
                    actor=ga.address)
    assert mine[0]["org"] is None
    assert mine[0]["summary"]["rows"] == len(every)
    assert re.fullmatch(r"\d+", str(mine[0]["summary"]["rows"]))
