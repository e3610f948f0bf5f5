"""People Finder and Get help over the JSON API (SPEC D4, D6): prefix,
case-, accent- and word-order-free name search, email, org name or ODS,
site type and job title; what a result shows and never shows; the seed
defects #9686 (admin tags of removed admins) and #6962 (refine past the
limit); and the search keys kept up to date by every write."""

import csv
import io
import json
import sqlite3
import time
import urllib.parse

import pytest

from apiclient import (USER_PASSWORD, global_admin, make_admin, make_person,
                       ready)


def person(instance, org, first, last, *extra):
    """A person made with the CLI (no password); their address."""
    return instance.setup("user", "add", "--org", org, "--first", first,
                        "--last", last, *extra).stdout.strip().split()[-1]


def find(client, **params):
    return client.ok("GET", "/people?" + urllib.parse.urlencode(params))


def addresses(reply):
    return sorted(p["address"] for p in reply["items"])


def db(instance):
    return sqlite3.connect(instance.dir / "caremail.db", timeout=10)


@pytest.fixture
def instance(request, tmp_path):
    """The instance: SQLite, or, for a test parametrized with
    indirect=["instance"], "postgresql": a database of its own in the
    module's cluster (conftest.py's `cluster`), so the People Finder's
    pages are checked on both backends' SQL and plans."""
    from conftest import SETUP_BIN, copy_instance, make_instance, new_database
    if getattr(request, "param", "sqlite") == "sqlite":
        return copy_instance(tmp_path / "instance")
    url = new_database(request.getfixturevalue("cluster"))
    inst = make_instance(tmp_path / "instance", "example.nhs.uk", url,
                         binary=SETUP_BIN)
    inst.url = url
    return inst


def rows(instance, sql):
    """The rows of sql, read from the instance's store, whichever it is."""
    url = getattr(instance, "url", None)
    if url is None:
        with db(instance) as conn:
            return conn.execute(sql).fetchall()
    from conftest import pg_sql
    out = pg_sql(url, sql, sep="\x1f").stdout
    return [tuple(int(v) if v.isdigit() else v for v in line.split("\x1f"))
            for line in out.splitlines() if line]


DAY = 86400

BACKENDS = pytest.mark.parametrize("instance", ["sqlite", "postgresql"],
                                   indirect=True)


@pytest.fixture
def people(instance, org):
    """Two orgs of people; org X26001 (a GP practice with a helpdesk) and
    Y26002 (Riverside Pharmacy, one pharmacy site)."""
    instance.run("org", "edit", org, "--helpdesk-phone", "0113 496 0000",
                 "--helpdesk-email", "it@practice.example")
    instance.run("org", "add", "--ods", "Y26002", "--name",
                 "Riverside Pharmacy")
    instance.run("site", "add", "--org", "Y26002", "--name", "High Street",
                 "--type", "pharmacy")
    p = {
        "jo": person(instance, org, "Jo", "Smith", "--job-title",
                     "Staff Nurse", "--site", "Main Surgery", "--phone",
                     "0113 496 0001", "--mobile", "07700 900001"),
        "joanna": person(instance, org, "Joanna", "Smithson",
                         "--job-title", "Practice Manager"),
        "zoe": person(instance, org, "Zoë", "Ångström"),
        "obrien": person(instance, org, "Siobhán", "O'Brien-Hughes"),
        "sam": person(instance, "Y26002", "Sam", "Patel", "--job-title",
                      "Pharmacist", "--site", "High Street", "--mobile",
                      "07700 900999", "--hide-mobile"),
        "ann": person(instance, "Y26002", "Ann", "Smith"),
    }
    return p


@pytest.fixture
def user(server, instance, org, people):
    """A plain signed-in user with no admin role."""
    # Not "User": USER_PASSWORD would then contain her name, and be refused.
    address = make_person(instance, org, "Una", "Plain")
    return ready(server, address, USER_PASSWORD)


def test_name_prefix_is_case_and_order_free(user, people):
    assert people["jo"] in addresses(find(user, q="smi jo"))
    assert people["jo"] in addresses(find(user, q="JO SMI"))
    assert addresses(find(user, q="smith")) == sorted(
        [people["jo"], people["joanna"], people["ann"]])
    assert addresses(find(user, q="smiths")) == [people["joanna"]]
    assert addresses(find(user, q="smith jo")) == sorted(
        [people["jo"], people["joanna"]])
    assert find(user, q="smyth")["items"] == []


def test_results_are_sorted_by_last_then_first_name(user, people):
    got = [p["address"] for p in find(user, q="smith")["items"]]
    assert got == [people["ann"], people["jo"], people["joanna"]]


def test_accents_and_apostrophes_fold(user, people):
    for q in ("zoe", "Zoë", "ZOË", "angstrom", "ÅNGSTRÖM", "zoë ång"):
        assert addresses(find(user, q=q)) == [people["zoe"]], q
    for q in ("siobhan", "obrien", "o'brien", "O’Brien", "hughes sio"):
        assert addresses(find(user, q=q)) == [people["obrien"]], q


def test_email_exact_and_prefix(user, people):
    assert addresses(find(user, q=people["jo"])) == [people["jo"]]
    assert addresses(find(user, q=people["jo"].upper())) == [people["jo"]]
    prefix = people["joanna"].split("@")[0] + "@"
    assert addresses(find(user, q=prefix)) == [people["joanna"]]
    assert addresses(find(user, email="jo.sm")) == [people["jo"]]
    assert addresses(find(user, email="joanna")) == [people["joanna"]]


def test_org_by_ods_or_name(user, people, org):
    assert addresses(find(user, q="smith", org=org)) == sorted(
        [people["jo"], people["joanna"]])
    assert addresses(find(user, q="smith", org="y26002")) == [people["ann"]]
    assert addresses(find(user, org="riverside")) == sorted(
        [people["sam"], people["ann"]])
    assert addresses(find(user, q="sam", org="Riverside Pharm")) == [
        people["sam"]]
    err = user.refused("GET", "/people?org=Nowhere%20Trust", status=404)
    assert err["field"] == "org" and "Nowhere Trust" in err["message"]


def test_site_type(user, people):
    assert addresses(find(user, site_type="pharmacy")) == [people["sam"]]
    assert addresses(find(user, site_type="GP_PRACTICE")) == [people["jo"]]
    assert addresses(find(user, q="jo", site_type="pharmacy")) == []
    err = user.refused("GET", "/people?site_type=castle", status=422)
    assert err["field"] == "site_type" and "pharmacy" in err["message"]


def test_job_title(user, people):
    assert addresses(find(user, job_title="nurse")) == [people["jo"]]
    assert addresses(find(user, job_title="NURSE staff")) == [people["jo"]]
    assert addresses(find(user, job_title="pharm")) == [people["sam"]]
    assert addresses(find(user, q="jo", job_title="manager")) == [
        people["joanna"]]


def test_a_result_shows_org_site_phones_and_helpdesk(user, people, org):
    [jo] = find(user, q=people["jo"])["items"]
    assert jo["display_name"] == "Jo Smith"
    assert jo["org"] == {"ods": org, "name": "Test Practice"}
    assert jo["site"] == {"name": "Main Surgery", "type": "gp_practice"}
    assert jo["job_title"] == "Staff Nurse"
    assert jo["phone"] == "0113 496 0001"
    assert jo["mobile"] == "07700 900001"
    assert jo["helpdesk"] == {"phone": "0113 496 0000",
                              "email": "it@practice.example"}
    assert jo["leaver"] is False and jo["admin"] == []
    assert "notes" not in jo and "status" not in jo


def test_hidden_mobile_is_never_shown(user, people, instance):
    reply = find(user, q="sam")
    assert reply["items"][0]["mobile"] is None
    assert "900999" not in json.dumps(reply)
    assert "900999" not in json.dumps(find(user, org="Y26002"))
    # Shown again the moment the person un-hides it.
    instance.run("user", "edit", people["sam"], "--show-mobile")
    assert find(user, q="sam")["items"][0]["mobile"] == "07700 900999"


def test_deleted_people_never_appear(user, people, instance, org):
    instance.run("user", "delete", people["joanna"])
    for params in ({"q": "joanna"}, {"q": "smith"}, {"org": org},
                   {"q": people["joanna"]}, {"job_title": "manager"}):
        assert people["joanna"] not in addresses(find(user, **params))


def test_leaver_is_marked(user, people, instance):
    with db(instance) as conn:
        conn.execute("UPDATE people SET status = 'leaver' WHERE id ="
                     " (SELECT person_id FROM mailboxes WHERE address = ?)",
                     (people["jo"],))
    [jo] = find(user, q=people["jo"])["items"]
    assert jo["leaver"] is True
    [joanna] = find(user, q="joanna")["items"]
    assert joanna["leaver"] is False


def test_text_is_escaped_and_text_not_utf8_leaves_a_null(user, people,
                                                        instance):
    """The page is written as JSON text, not by jansson: quotes,
    backslashes, control characters and every plane of Unicode come back
    as stored, and a person whose stored text is not UTF-8 (only SQL
    could put it there) is null on the page, as jansson had it."""
    odd = 'Nurse "A&E" \\ Ward\t</script>\x01'
    dept = "Zo\u00eb \u2713 \U0001F600 \u2028"
    with db(instance) as conn:
        conn.execute("UPDATE people SET job_title = ?, department = ? WHERE"
                     " id = (SELECT person_id FROM mailboxes WHERE address"
                     " = ?)", (odd, dept, people["jo"]))
        conn.execute("UPDATE people SET job_title = CAST(X'4e75727365ff'"
                     " AS TEXT) WHERE id = (SELECT person_id FROM mailboxes"
                     " WHERE address = ?)", (people["joanna"],))
    [jo] = find(user, q=people["jo"])["items"]
    assert jo["job_title"] == odd and jo["department"] == dept
    items = find(user, q="smith")["items"]
    assert len(items) == 3 and items.count(None) == 1
    assert {p["address"] for p in items if p} == {people["jo"], people["ann"]}


def test_a_page_is_compact_json_with_its_members_in_order(user, people):
    """The page is written as text, not dumped by jansson: compact, with
    the members in the order docs/api.md shows, null where a thing is
    absent, and the refine message after the cursor."""
    reply = find(user, q="s", limit=2)
    assert user.last_text == json.dumps(
        reply, separators=(",", ":"), ensure_ascii=False).encode()
    assert list(reply) == ["items", "limit", "refine", "next_cursor",
                           "message"]
    for p in reply["items"]:
        assert list(p) == [
            "address", "display_name", "first_name", "last_name",
            "job_title", "department", "org", "site", "helpdesk", "leaver",
            "admin", "phone", "mobile"]
        assert list(p["org"]) == ["ods", "name"]
        assert list(p["helpdesk"]) == ["phone", "email"]
    last = find(user, q="zoe")
    assert last["next_cursor"] is None and "message" not in last
    assert user.last_text == json.dumps(
        last, separators=(",", ":"), ensure_ascii=False).encode()
    assert "Zoë".encode() in user.last_text  # UTF-8 as it is, not \u00eb
    [sam] = find(user, q="sam")["items"]
    assert sam["site"] == {"name": "High Street", "type": "pharmacy"}
    assert sam["mobile"] is None and b'"mobile":null}' in user.last_text


def test_seed_9686_admin_tags_only_for_current_admins(user, people,
                                                      instance, org):
    instance.run("role", "add", people["jo"], "--org", org, "--role",
                 "local_admin")
    [jo] = find(user, q=people["jo"])["items"]
    assert jo["admin"] == [{"role": "local_admin", "org": org}]
    instance.run("role", "remove", people["jo"], "--org", org, "--role",
                 "local_admin")
    [jo] = find(user, q=people["jo"])["items"]
    assert jo["admin"] == []
    # A deleted admin: the person is gone from the finder and the roles
    # with them.
    instance.run("role", "add", people["ann"], "--org", "Y26002", "--role",
                 "primary_local_admin")
    assert find(user, q="ann")["items"][0]["admin"] == [
        {"role": "primary_local_admin", "org": "Y26002"}]
    instance.run("user", "delete", people["ann"])
    assert find(user, q="ann")["items"] == []
    with db(instance) as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM roles r JOIN mailboxes m"
            " ON m.person_id = r.person_id WHERE m.address = ?",
            (people["ann"],)).fetchone()[0] == 0


@BACKENDS
def test_admin_tags_follow_each_person_on_a_page(user, instance, org):
    """Tags are read with the page's rows; each lands on its own person
    though the page is in name order, not the order made, by org then
    role, whichever way the search found them: by one word's keys, by one
    org's people, by two words (every match, then their rows)."""
    zed = person(instance, org, "Zed", "Tagger")
    amy = person(instance, org, "Amy", "Tagger")
    instance.run("role", "add", zed, "--org", org, "--role", "local_admin")
    instance.run("role", "add", amy, "--org", org, "--role",
                 "helpdesk_admin")
    instance.run("role", "add", amy, "--org", "Y26002", "--role",
                 "audit_authorisation")
    got = {p["address"]: p["admin"] for p in find(user, q="tagger")["items"]}
    assert got == {
        zed: [{"role": "local_admin", "org": org}],
        amy: [{"role": "helpdesk_admin", "org": org},
              {"role": "audit_authorisation", "org": "Y26002"}],
    }
    assert [p["address"] for p in find(user, q="tagger")["items"]] == \
        [amy, zed]
    by_org = {p["address"]: p["admin"]
              for p in find(user, org=org, limit=100)["items"]}
    assert by_org[zed] == got[zed] and by_org[amy] == got[amy]
    [both] = find(user, q="amy tagger")["items"]
    assert both["address"] == amy and both["admin"] == got[amy]
    instance.run("role", "add", zed, "--org", "Y26002", "--role",
                 "local_admin")
    instance.run("role", "add", zed, "--org", org, "--role",
                 "helpdesk_admin")
    [z] = find(user, q="zed tagger")["items"]
    assert z["admin"] == [{"role": "helpdesk_admin", "org": org},
                          {"role": "local_admin", "org": org},
                          {"role": "local_admin", "org": "Y26002"}]


def test_seed_6962_refine_past_the_limit(start_server, instance, org):
    for i in range(5):
        person(instance, org, f"Pat{chr(97 + i)}", "Jones")
    server = start_server(extra=["dir.people_search_limit=3"])
    c = global_admin(server, instance)
    reply = find(c, q="jones")
    assert len(reply["items"]) == 3
    assert reply["refine"] is True and reply["limit"] == 3
    assert "More than 3 people match" in reply["message"]
    assert "narrow" in reply["message"]
    # Exactly at the limit is not "too many".
    reply = find(c, q="jones pata")
    assert reply["refine"] is False and "message" not in reply
    person(instance, org, "Kim", "Jonesy")
    reply = find(c, q="jones", org=org)
    assert reply["refine"] is True and len(reply["items"]) == 3


def test_searches_are_rate_limited_per_person(start_server, instance, org):
    """SECURITY.md 47: one person cannot harvest the directory; another
    person is not held up by it."""
    server = start_server(extra=["ratelimit.search_per_person=3"])
    first = ready(server, make_person(instance, org, "Hana", "Harvest"),
                  USER_PASSWORD)
    second = ready(server, make_person(instance, org, "Ian", "Other"),
                   USER_PASSWORD)
    for _ in range(3):
        find(first, q="harvest")
    status, body = first.call("GET", "/people?q=harvest")
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert int(first.last.getheader("Retry-After")) >= 1
    assert find(second, q="harvest")["items"]


def test_every_signed_in_person_may_search_and_no_one_else(server, user,
                                                           people):
    from apiclient import Client
    anon = Client(server)
    status, body = anon.call("GET", "/people?q=smith")
    assert status == 401, body
    assert find(user, q="smith")["items"]


def test_a_search_must_ask_something(user, people):
    err = user.refused("GET", "/people", status=422)
    assert err["field"] == "q"
    err = user.refused("GET", "/people?q=%20%2C", status=422)
    assert err["field"] == "q"
    err = user.refused("GET", "/people?q=a+b+c+d+e+f+g", status=422)
    assert err["field"] == "q" and "at most 6 words" in err["message"]
    err = user.refused("GET", "/people?q=" + "x" * 300, status=422)
    assert err["field"] == "q"


def test_changes_show_in_the_next_search(user, people, instance, org):
    instance.run("user", "edit", people["jo"], "--last", "Brown",
                 "--job-title", "Ward Sister")
    assert people["jo"] not in addresses(find(user, q="jo smith"))
    assert addresses(find(user, q="jo brown")) == [people["jo"]]
    assert addresses(find(user, job_title="sister")) == [people["jo"]]
    assert find(user, job_title="nurse")["items"] == []
    new = person(instance, org, "Ífe", "Adébáyọ̀")
    assert addresses(find(user, q="ife adeba")) == [new]


def test_migration_indexes_people_already_stored(instance, people,
                                                 start_server):
    """An instance made before the People Finder gets its keys when the
    new schema is applied: undo the migration, then let it run again."""
    with db(instance) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE"
                           " name = 'people_search'").fetchone()[0]
        assert "people_search" in sql
        # Undo 10 (People Finder) and 16 (sort names) alone: the store
        # applies every migration it has no record of, in order, so both
        # run again at the next open.
        conn.execute("DROP TABLE people_search")
        conn.execute("DROP INDEX people_site")
        conn.execute("DROP INDEX people_name")
        conn.execute("DROP INDEX people_org_name")
        conn.execute("DROP INDEX sites_type")
        conn.execute("ALTER TABLE people DROP COLUMN sort_name")
        conn.execute("DELETE FROM schema_migrations"
                     " WHERE version IN (10, 16)")
    server = start_server()
    c = global_admin(server, instance)
    assert instance.json("audit", "verify")["status"] == "whole"
    assert addresses(find(c, q="zoe ang")) == [people["zoe"]]
    assert addresses(find(c, q=people["jo"])) == [people["jo"]]
    assert addresses(find(c, job_title="pharmacist")) == [people["sam"]]


# ---- Get help (SPEC D6, seed 002 #6420) ----

def test_get_help_lists_the_local_admins_and_helpdesk(server, instance, org,
                                                      people, user):
    la = make_admin(server, instance, org, "local_admin", "Lou", "Admin")
    instance.run("user", "edit", la.address, "--phone", "0113 496 0123")
    pla = make_admin(server, instance, org, "primary_local_admin", "Pat",
                     "Primary")
    other = make_admin(server, instance, "Y26002", "local_admin", "Oz",
                       "Elsewhere")
    reply = user.ok("GET", "/people/help")
    assert reply["org"] == {"ods": org, "name": "Test Practice"}
    got = {a["address"]: a for a in reply["admins"]}
    assert set(got) == {la.address, pla.address}
    assert got[la.address]["role"] == "local_admin"
    assert got[la.address]["phone"] == "0113 496 0123"
    assert got[la.address]["display_name"] == "Lou Admin"
    assert got[pla.address]["role"] == "primary_local_admin"
    assert other.address not in json.dumps(reply)
    assert reply["helpdesk"] == {"phone": "0113 496 0000",
                                 "email": "it@practice.example", "org": org}
    # A removed admin stops being listed at once.
    instance.run("role", "remove", la.address, "--org", org, "--role",
                 "local_admin")
    reply = user.ok("GET", "/people/help")
    assert [a["address"] for a in reply["admins"]] == [pla.address]


def test_get_help_climbs_to_the_org_above(server, instance, org, people):
    instance.run("org", "add", "--ods", "Z26003", "--name", "Branch Surgery",
                 "--parent", org)
    la = make_admin(server, instance, org, "local_admin", "Lou", "Admin")
    address = make_person(instance, "Z26003", "Bea", "Branch")
    c = ready(server, address, USER_PASSWORD)
    reply = c.ok("GET", "/people/help")
    assert reply["org"]["ods"] == "Z26003"
    assert [a["address"] for a in reply["admins"]] == [la.address]
    assert reply["admins"][0]["org"] == org
    assert reply["helpdesk"]["org"] == org


def test_get_help_with_nobody_to_ask(server, instance):
    instance.run("org", "add", "--ods", "Q26009", "--name", "Lonely Clinic")
    address = make_person(instance, "Q26009", "Lee", "Alone")
    c = ready(server, address, USER_PASSWORD)
    reply = c.ok("GET", "/people/help")
    assert reply["admins"] == [] and reply["helpdesk"] is None


# ---- Name order over random data (issue 8: LIMIT was applied first) ----

def random_directory(instance, org):
    """150 people with names drawn from few letters (so prefixes, shared
    names and pages past the limit abound) in two orgs, one with a pharmacy
    site; everyone the directory holds, the Global Admin included."""
    import random
    rnd = random.Random(8)
    instance.run("org", "add", "--ods", "Y26002", "--name", "Second")
    instance.run("site", "add", "--org", "Y26002", "--name", "Shop",
                 "--type", "pharmacy")
    titles = ["Staff Nurse", "Nurse Manager", "Porter", "GP"]

    def name():
        return "".join(rnd.choice("abcs") for _ in
                       range(rnd.randint(1, 5))).capitalize()

    # One import of a CSV file (docs/csv.md) rather than 150 `user add`s:
    # each is a process, and on PostgreSQL a connection and a commit.
    out = io.StringIO()
    csv_file = csv.writer(out)
    csv_file.writerow(["external_id", "org", "first_name", "last_name",
                       "job_title", "site"])
    for i in range(150):
        first, last = name(), rnd.choice([name(), "Smith", "Smithson"])
        ods = rnd.choice([org, "Y26002"])
        title = rnd.choice(titles)
        site = "Shop" if ods == "Y26002" and rnd.random() < 0.7 else ""
        csv_file.writerow([f"R{i:03d}", ods, first, last, title, site])
    path = instance.dir / "random.csv"
    path.write_text(out.getvalue())
    instance.setup("import", "users", path)
    everyone = [dict(zip(("address", "id", "first", "last", "display",
                          "title", "ods", "site"), row))
                for row in rows(instance,
                                "SELECT m.address, p.id, p.first_name,"
                                " p.last_name, p.display_name, p.job_title,"
                                " o.ods, COALESCE(s.site_type, '')"
                                " FROM people p"
                                " JOIN mailboxes m ON m.id = p.mailbox_id"
                                " JOIN orgs o ON o.id = p.org_id"
                                " LEFT JOIN sites s ON s.id = p.site_id"
                                " WHERE p.deleted_at IS NULL")]
    assert len(everyone) > 150
    return everyone, rnd


def words(text):
    return text.lower().split()


def wanted(everyone, params):
    """Everyone params match, in name order (last name, first name, then
    who came first), worked out in Python."""
    q = words(params.get("q", ""))
    job = words(params.get("job_title", ""))
    ods, site = params.get("org"), params.get("site_type")

    def matches(p):
        names = words(p["first"]) + words(p["last"]) + words(p["display"])
        return (all(any(n.startswith(w) for n in names) for w in q) and
                all(any(t.startswith(w) for t in words(p["title"]))
                    for w in job) and
                (ods is None or p["ods"] == ods) and
                (site is None or p["site"] == site))

    return sorted((p for p in everyone if matches(p)),
                  key=lambda p: (p["last"].lower() + "\x01" +
                                 p["first"].lower(), p["id"]))


def random_searches(rnd, org):
    letters = ["a", "b", "c", "s", "sm", "smith", "ab", "ca", "bc"]
    searches = [{"q": w} for w in letters]
    searches += [{"q": f"{rnd.choice(letters)} {rnd.choice(letters)}"}
                 for _ in range(25)]
    searches += [{"q": rnd.choice(letters), "org": rnd.choice([org,
                                                               "Y26002"])}
                 for _ in range(10)]
    searches += [{"org": org}, {"org": "Y26002"}, {"site_type": "pharmacy"},
                 {"job_title": "nurse"}, {"job_title": "nurse", "q": "s"},
                 {"q": "s", "site_type": "pharmacy"},
                 {"job_title": "porter", "org": "Y26002"}]
    return searches


@BACKENDS
def test_pages_are_the_first_people_by_name_for_random_data(start_server,
                                                            instance, org):
    """Every page is the first `limit` matches in name order (last name,
    first name, then who came first), whatever the search: compared with
    Python sorting all the people that match."""
    everyone, rnd = random_directory(instance, org)
    limit = 7
    server = start_server(extra=[f"dir.people_search_limit={limit}",
                                 "ratelimit.search_per_person=100000"])
    c = global_admin(server, instance)
    searches = random_searches(rnd, org)
    checked = refined = 0
    for params in searches:
        want = wanted(everyone, params)
        reply = find(c, **params)
        got = [p["address"] for p in reply["items"]]
        assert got == [p["address"] for p in want[:limit]], \
            (params, [(p["last"], p["first"]) for p in want[:limit]],
             [(p["last_name"], p["first_name"]) for p in reply["items"]])
        assert reply["refine"] == (len(want) > limit), params
        checked += 1
        refined += reply["refine"]
    assert checked == len(searches) and refined >= len(searches) // 2


def every_page(c, params, limit):
    """The addresses of every page of a search, following next_cursor,
    and how many pages it took; each page checked against the last."""
    got, cursor, pages = [], None, 0
    while True:
        extra = {"limit": limit} if cursor is None else \
            {"limit": limit, "cursor": cursor}
        reply = find(c, **params, **extra)
        pages += 1
        assert reply["limit"] == limit and len(reply["items"]) <= limit
        got += [p["address"] for p in reply["items"]]
        cursor = reply["next_cursor"]
        assert (cursor is not None) == reply["refine"], params
        if cursor is None:
            return got, pages
        assert len(reply["items"]) == limit, params
        assert pages <= 1000, (params, "pages never end")


@BACKENDS
def test_cursor_pages_through_every_match_in_name_order(start_server,
                                                        instance, org):
    """Following next_cursor from the first page gives every match once,
    in name order, whatever the search and the page size (?limit=), and
    the last page says so (refine false, next_cursor null)."""
    everyone, rnd = random_directory(instance, org)
    server = start_server(extra=["ratelimit.search_per_person=100000"])
    c = global_admin(server, instance)
    paged = 0
    for params in random_searches(rnd, org):
        want = [p["address"] for p in wanted(everyone, params)]
        limit = rnd.choice([1, 3, 7, 25])
        got, pages = every_page(c, params, limit)
        assert got == want, (params, limit)
        paged += pages > 1
    assert paged >= 10


@BACKENDS
def test_no_search_shows_whom_the_lifecycle_deleted(start_server, instance,
                                                   org):
    """Whatever the search (every kind of B5's mix: a prefix, two words,
    either within an org or a site type, a whole org, a site type, and a
    job title or an address), the people the lifecycle job deleted are on
    none of its pages and everyone else is where name order puts them. A
    search by keys reads no person row before its page, so the deletion
    must take the keys (issue 14; on PostgreSQL, the node's copy too)."""
    everyone, rnd = random_directory(instance, org)
    server = start_server(extra=["ratelimit.search_per_person=100000"])
    url = getattr(instance, "url", None)
    if url is not None:
        from test_pg_finder_copy import wait_ready
        wait_ready(server)
    c = global_admin(server, instance)
    t0 = int(time.time())
    kept = [p for p in everyone if rnd.random() < 0.5 or
            p["address"].startswith("admin@")]
    # They sign in on day 100 (the admin's sign-in above is overwritten),
    # so day 181's run leaves them active; the others it deletes.
    ids = ",".join(str(p["id"]) for p in kept)
    sql = (f"UPDATE people SET last_signin_at = {t0 + 100 * DAY}"
           f" WHERE id IN ({ids})")
    if url is None:
        with db(instance) as conn:
            conn.execute(sql)
    else:
        from conftest import pg_sql
        pg_sql(url, sql)
    for day in (91, 181):
        instance.json("jobs", "run", "--at", str(t0 + day * DAY))
    deleted = {r[0] for r in rows(instance, "SELECT m.address FROM people p"
                                  " JOIN mailboxes m ON m.id = p.mailbox_id"
                                  " WHERE p.deleted_at IS NOT NULL")}
    assert len(deleted) > 40 and len(everyone) - len(kept) == len(deleted)
    living = [p for p in everyone if p["address"] not in deleted]
    gone = sorted(deleted)
    searches = random_searches(rnd, org) + [
        {"q": a} for a in gone[:5] + [p["address"] for p in kept[:5]]]
    shown = 0
    for params in searches:
        want = [p["address"] for p in wanted(living, params)]
        if "@" in params.get("q", ""):
            want = [a for a in [params["q"]] if a not in deleted]
        got, _ = every_page(c, params, 100)
        assert not deleted & set(got), params
        assert got == want, params
        shown += len(got)
    assert shown > 500


@BACKENDS
def test_page_size_and_bad_cursors(start_server, instance, org):
    """The default page is dir.people_search_page, never past
    dir.people_search_limit; ?limit= asks for fewer or more up to that cap;
    a limit or cursor that is not one is 422 naming it."""
    for i in range(6):
        person(instance, org, f"Pat{chr(97 + i)}", "Jones")
    server = start_server(extra=["dir.people_search_page=4",
                                 "dir.people_search_limit=5"])
    c = global_admin(server, instance)
    reply = find(c, q="jones")
    assert reply["limit"] == 4 and len(reply["items"]) == 4
    assert reply["refine"] is True and "More than 4 people" in \
        reply["message"]
    assert find(c, q="jones", limit=5)["limit"] == 5
    assert len(find(c, q="jones", limit=2)["items"]) == 2
    for bad in ("0", "6", "-1", "two", "3x", ""):
        status, body = c.call("GET", "/people?" + urllib.parse.urlencode(
            {"q": "jones", "limit": bad}))
        assert status == 422 and body["error"]["field"] == "limit", bad
    first = find(c, q="jones", limit=2)
    second = find(c, q="jones", limit=2, cursor=first["next_cursor"])
    assert [p["first_name"] for p in second["items"]] == ["Patc", "Patd"]
    import base64
    forged = base64.urlsafe_b64encode(b"x:jones").decode().rstrip("=")
    for bad in ("not base64!", forged, "", "MTI"):
        status, body = c.call("GET", "/people?" + urllib.parse.urlencode(
            {"q": "jones", "cursor": bad}))
        assert status == 422 and body["error"]["field"] == "cursor", bad
    # A cursor past everyone: an empty last page, not an error.
    past = base64.urlsafe_b64encode(b"1:\xff").decode().rstrip("=")
    reply = find(c, q="jones", cursor=past)
    assert reply["items"] == [] and reply["next_cursor"] is None
    # A cursor that is not UTF-8 stands where its bytes do (PostgreSQL
    # takes no such text: the store moves it to the next UTF-8 text).
    for raw, want in ((b"1:jones\x01patb\xff", ["Patc", "Patd"]),
                      (b"1:jones\x01pat\xc3", []),
                      (b"1:jones\x01pat\xed\xa0\x80", []),
                      (b"1:jones\x01pat\x80", []),
                      (b"1:jones\x01pa\xf5", []),
                      (b"1:a\xc3", ["Pata", "Patb"]),
                      (b"1:jonde\xf8", ["Pata", "Patb"])):
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        for params in ({"q": "jones"}, {"org": org}):
            reply = find(c, **params, limit=2, cursor=cursor)
            assert [p["first_name"] for p in reply["items"]] == want, \
                (raw, params)
