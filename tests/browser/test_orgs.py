"""Issue 10 item 5 (organisations and sites) and item 3 (API tokens), in a
real browser: the Global Admin adds an organisation, edits it, adds a site,
appoints its Primary Local Administrator, and makes and revokes API tokens,
all by clicking, read back here with the CLI and the tokens themselves; a
Local Administrator of one practice sees and edits only theirs and is shown
the API's sentence for the rest; a person with no admin role sees neither
menu item. (That the actions the token form offers, GET /me's
token_actions, are what the API accepts from each role that makes tokens
is test_api_access.py's test_me_says_what_each_role_may_do.)"""

import http.client
import json

from conftest import (OTHER, OURS, PASSWORD, USER_PASSWORD, person,
                      ready, two_practices)

NEW = "QNEW1"


def bearer(server, token, path):
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=20,
                                       context=server.ssl_context())
    conn.request("GET", "/api/v1" + path,
                 headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = json.loads(resp.read() or b"null")
    conn.close()
    return resp.status, body


def test_global_admin_adds_edits_and_devolves_an_org(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance)
    plan = person(instance, OURS, "Pat", "Primary")
    outsider = person(instance, OTHER, "Olly", "Outside")
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    run_scenario("orgs", server, cookie=ga.cookie, new=NEW, ours=OURS,
                 person=plan, outsider=outsider)

    # What the pages did is what the directory holds.
    org = instance.json("org", "show", NEW)
    assert org["name"] == "Northern Care Network", org
    assert org["type"] == "Primary Care Network"
    assert org["postal_address"] == "1 High Street\nLeeds\nLS1 1AA"
    assert org["website"] == "https://www.northern.example.org"
    assert org["helpdesk_phone"] == "0113 496 0999"
    assert org["helpdesk_email"] == "it@northern.example.org"
    assert org["default_quota_mb"] == 2048
    assert org["protocols_off"] == "pop3"
    assert org["parent"] is None
    assert org["devolved"] is True and org["primary_local_admins"] == [plan]
    assert instance.json("org", "show", OURS)["parent"] == NEW
    assert instance.json("org", "show", OTHER)["parent"] is None
    sites = instance.json("site", "list", "--org", NEW)
    sites = sites["items"] if isinstance(sites, dict) else sites
    assert [(s["name"], s["site_type"], s["postal_address"])
            for s in sites] == [("Northern Hub", "other",
                                 "2 High Street\nLeeds")]
    assert {"role": "primary_local_admin", "org": NEW} in \
        instance.json("user", "show", plan)["roles"]
    # Of the application servers, the one kept; the refused were not.
    relays = [(r["org"], r["cidr"], r["label"])
              for r in instance.json("relay", "list")]
    assert relays == [(NEW, "198.51.100.7", "rota system")], relays


def test_global_admin_makes_and_revokes_tokens(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance)
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    out = run_scenario("tokens", server, cookie=ga.cookie, org=OURS)
    tokens = json.loads(out.strip().splitlines()[-1])

    # The token kept works, with what the form gave it; the revoked one
    # does not. Both were made and one revoked in the audit trail.
    status, kept = bearer(server, tokens["kept"], "/token")
    assert status == 200, kept
    assert (kept["label"], kept["org"], kept["actions"], kept["allow_from"]) \
        == ("hr-feed", OURS, ["user.read"], [])
    status, body = bearer(server, tokens["revoked"], "/token")
    assert status == 401 and "revoked" in body["error"]["message"], body
    rows = instance.json("audit", "list", "--type", "api_token")
    rows = rows["items"] if isinstance(rows, dict) else rows
    assert sorted(r["action"] for r in rows
                  if r.get("result", "done") == "done") == \
        ["create", "create", "delete"], rows


def test_local_admin_sees_and_edits_only_theirs_no_role_sees_no_menu(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance)
    la = person(instance, OURS, "Lee", "Local", password=USER_PASSWORD,
                role="local_admin")
    nobody = person(instance, OURS, "Nora", "Nobody", password=USER_PASSWORD)
    other_before = instance.json("org", "show", OTHER)
    instance.run("relay", "add", "--org", OURS, "--cidr", "198.51.100.20",
                 "--label", "payroll")
    c = ready(https_client, server, la, USER_PASSWORD)
    n = ready(https_client, server, nobody, USER_PASSWORD)
    run_scenario("orgs-refused", server, cookie=c.cookie, nobody=n.cookie,
                 ours=OURS, other=OTHER)
    # Their own org's helpdesk changed; the other practice did not.
    assert instance.json("org", "show", OURS)["helpdesk_phone"] == \
        "0113 496 1234"
    assert instance.json("org", "show", OTHER) == other_before
    assert [r["cidr"] for r in instance.json("relay", "list")] == \
        ["198.51.100.20"]


def test_mail_policy_set_by_the_global_admin_seen_by_the_local_admin(
        web_server, instance, run_scenario, https_client):
    server = web_server()
    two_practices(instance)
    la = person(instance, OURS, "Lee", "Local", password=USER_PASSWORD,
                role="local_admin")
    ga = ready(https_client, server, instance.addr("admin"), PASSWORD)
    c = ready(https_client, server, la, USER_PASSWORD)
    run_scenario("org-mail-policy", server, cookie=ga.cookie, la=c.cookie,
                 ours=OURS)
    # What the page saved is what the CLI reads, and it was audited.
    got = instance.json("org", "policy", OURS)
    assert got["send_limit_day"] == {"value": 2000, "overridden": True}
    assert got["dlp_low"] == {"value": "block", "overridden": True}
    assert got["send_limit_message"]["overridden"] is False
    assert instance.json("org", "policy", OTHER)["send_limit_day"] == \
        {"value": 10000, "overridden": False}
    rows = [r for r in instance.json("audit", "list", "--type",
                                     "organisation")
            if "mail_policy" in r["summary"]]
    assert len(rows) == 1 and rows[0]["actor"] == instance.addr("admin")
