"""Issue 10 item 4 in a real browser: People Finder and Get help (SPEC D4,
D6) as a person with no admin role — search as you type, "refine your
search" past dir.people_search_limit, leaver and admin tags, a person's
card, Get help, and refusals in the error summary — each state checked by
harness.mjs (console, requests, axe WCAG 2.1 A/AA at 375 and 1280 px)."""

from apiclient import totp
from test_signin import USER_PASSWORD, make_person

LIMIT = 3


def test_people_finder_and_get_help(web_server, instance, run_scenario,
                                    https_client):
    server = web_server(extra=[f"dir.people_search_limit={LIMIT}"])
    searcher = make_person(instance, "Sam", "Searcher")
    instance.run("org", "edit", "X26001", "--helpdesk-phone",
                 "01632 960999", "--helpdesk-email", "it@practice.example")
    instance.run("site", "add", "--org", "X26001", "--name", "Main Surgery",
                 "--type", "gp_practice")
    admin = make_person(instance, "Lee", "Admin")
    instance.run("user", "edit", admin, "--site", "Main Surgery",
                 "--phone", "0113 496 0123", "--job-title", "Practice Manager")
    instance.run("role", "add", admin, "--org", "X26001", "--role",
                 "local_admin")
    walkers = [make_person(instance, first, "Walker")
               for first in ("Ann", "Bob", "Cy", "Di")]
    assert len(walkers) > LIMIT
    # The admin marks Ann a leaver through the API, as a portal would.
    c = https_client(server)
    assert c.call("POST", "/session", {"email": admin,
                                       "password": USER_PASSWORD})[0] == 201
    secret = c.ok("POST", "/me/mfa")["secret"]
    c.ok("POST", "/me/mfa/verify", {"code": totp(secret)})
    c.ok("POST", f"/users/{walkers[0]}/leaver")
    run_scenario("people", server, email=searcher, password=USER_PASSWORD,
                 admin=admin, leaver=walkers[0], limit=LIMIT)
