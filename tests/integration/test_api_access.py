"""The role x action x scope table of SPEC P2, walked over HTTP: every
admin role (and a person with none) tries one endpoint per action on an
org they administer and on one they do not, and is allowed or refused
(403, with one audit row recording the refusal and nothing else
written) exactly as the SPEC says. The expectations are
written here from the SPEC, not read from the server's table, so a wrong
row in src/auth/auth_access.c fails this test.

test_no_takeover_of_an_equal_or_higher_role walks every actor role x
target role for password reset and unlock (SECURITY.md 43).

Not walked: ediscovery.search has no endpoint yet (SPEC E, a later issue);
role.grant_global and the devolved-child rule have their own tests in
test_api_users.py and tests/unit/test_access.c."""

import itertools
import json
import sqlite3

from apiclient import global_admin, make_admin, make_person, q, ready, \
    USER_PASSWORD

ORG_A, ORG_B = "A10001", "B20001"

LOCAL_ADMIN = {
    "org.read", "org.edit", "user.read", "user.create", "user.edit",
    "user.reset_password", "user.unlock", "user.lifecycle", "user.delete",
    "mailbox.manage", "contact.manage", "list.manage", "audit.read",
    "report.read",
}
EXPECTED = {
    # The service provider: everything, everywhere (but eDiscovery).
    "global_admin": LOCAL_ADMIN | {"org.create", "org.devolve",
                                   "role.grant", "user.restore",
                                   "token.manage", "relay.manage",
                                   "mail.send"},
    "primary_local_admin": LOCAL_ADMIN | {"role.grant", "token.manage",
                                          "relay.manage", "mail.send"},
    "local_admin": LOCAL_ADMIN,
    # Seed 002: password reset and unlock only.
    "helpdesk_admin": {"user.read", "user.reset_password", "user.unlock"},
    # Seed 002 #13684: read-only audit and reports.
    "audit_authorisation": {"org.read", "user.read", "audit.read",
                            "report.read"},
    "ediscovery": set(),
    "none": set(),
}
GLOBAL_ROLES = {"global_admin", "ediscovery"}
# Actions on no particular org: the same answer in and out of scope.
ORG_FREE = {"org.create"}


class Walk:
    """Fresh targets for each request, so no request sees another's
    leftovers, and a counter for unique names."""

    def __init__(self, instance):
        self.instance = instance
        self.n = itertools.count(1)

    def person(self, org):
        i = next(self.n)
        return self.instance.setup(
            "user", "add", "--org", org, "--first", "Target",
            "--last", f"Number{i}").stdout.strip().split()[-1]

    def deleted_person(self, org):
        address = self.person(org)
        self.instance.run("user", "delete", address)
        return address

    def list(self, org):
        i = next(self.n)
        self.instance.run("list", "add", "--org", org, "--name",
                          f"Walk List {i}")
        return self.instance.addr(f"walk.list.{i}")

    def unique(self, stem):
        return f"{stem}{next(self.n)}"


def request_for(action, org, walk):
    """(method, path, body) that takes action on something in org."""
    if action == "org.read":
        return "GET", f"/orgs/{org}", None
    if action == "org.create":
        return "POST", "/orgs", {"ods": walk.unique("N9"),
                                 "name": walk.unique("New Org ")}
    if action == "org.edit":
        return "PATCH", f"/orgs/{org}", {"description": "Edited."}
    if action == "org.devolve":
        return "POST", f"/orgs/{org}/primary-admins", \
            {"address": walk.person(org)}
    if action == "role.grant":
        return "POST", f"/users/{q(walk.person(org))}/roles", \
            {"role": "helpdesk_admin", "org": org}
    if action == "user.read":
        return "GET", f"/users/{q(walk.person(org))}", None
    if action == "user.create":
        return "POST", "/users", {"org": org, "first_name": "Made",
                                  "last_name": walk.unique("ByWalk")}
    if action == "user.edit":
        return "PATCH", f"/users/{q(walk.person(org))}", \
            {"job_title": "Practice Nurse"}
    if action == "user.reset_password":
        return "POST", f"/users/{q(walk.person(org))}/reset-password", {}
    if action == "user.unlock":
        return "POST", f"/users/{q(walk.person(org))}/unlock", {}
    if action == "user.lifecycle":
        return "POST", f"/users/{q(walk.person(org))}/disable", {}
    if action == "user.delete":
        return "DELETE", f"/users/{q(walk.person(org))}", None
    if action == "user.restore":
        return "POST", f"/users/{q(walk.deleted_person(org))}/restore", {}
    if action == "mailbox.manage":
        return "POST", "/shared-mailboxes", \
            {"org": org, "name": walk.unique("Walk Shared ")}
    if action == "contact.manage":
        name = walk.unique("walkcontact")
        return "POST", "/contacts", {"org": org, "name": name,
                                     "address": f"{name}@outside.example"}
    if action == "list.manage":
        # Deleting a list one does not own needs list.manage itself.
        return "DELETE", f"/lists/{q(walk.list(org))}", None
    if action == "audit.read":
        return "GET", f"/audit?org={org}", None
    if action == "report.read":
        return "GET", f"/reports/devices?org={org}", None
    if action == "token.manage":
        return "POST", "/tokens", {"label": walk.unique("walk token "),
                                   "org": org, "actions": ["user.read"],
                                   "expires_days": 30}
    if action == "relay.manage":
        n = next(walk.n)
        return "POST", f"/orgs/{org}/relays", \
            {"cidr": f"10.{n // 250}.{n % 250}.1", "label": "walk app"}
    raise AssertionError(action)


# mail.send is only ever a token's (it signs in to SMTP with it,
# test_relay.py); no API call asks for it.
NOT_API = {"mail.send"}
ACTIONS = sorted(({a for acts in EXPECTED.values() for a in acts} |
                  {"org.create"}) - NOT_API)


def audit_rows(instance, after=0):
    """Audit rows after id `after`: (id, result, summary, client, request)."""
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=10)
    try:
        return db.execute("SELECT id, result, summary, client, request_id"
                          " FROM audit WHERE id > ? ORDER BY id",
                          (after,)).fetchall()
    finally:
        db.close()


def last_id(instance):
    rows = audit_rows(instance)
    return rows[-1][0] if rows else 0


def clients_by_role(server, instance):
    """A signed-in, enrolled client per role, each held for ORG_A (the
    service's roles for the service's own org)."""
    clients = {"global_admin": global_admin(server, instance)}
    for i, role in enumerate(["primary_local_admin", "local_admin",
                              "helpdesk_admin", "audit_authorisation"]):
        clients[role] = make_admin(server, instance, ORG_A, role,
                                   first="Walker", last=f"Role{i}")
    ediscovery = make_person(instance, ORG_A, "Walker", "Ediscovery")
    instance.run("role", "add", ediscovery, "--org", "SERVICE", "--role",
                 "ediscovery")
    clients["ediscovery"] = ready(server, ediscovery, USER_PASSWORD)
    plain = make_person(instance, ORG_A, "Walker", "Nobody")
    clients["none"] = ready(server, plain, USER_PASSWORD)
    return clients


def test_role_action_scope_table(server, instance):
    for ods, name in ((ORG_A, "Walk Practice A"), (ORG_B, "Walk Practice B")):
        instance.run("org", "add", "--ods", ods, "--name", name)
    clients = clients_by_role(server, instance)
    walk = Walk(instance)
    wrong = []
    decisions = 0
    for role, client in clients.items():
        for action in ACTIONS:
            for org, in_scope in ((ORG_A, True), (ORG_B, False)):
                reach = in_scope or role in GLOBAL_ROLES or \
                    action in ORG_FREE
                allowed = action in EXPECTED[role] and reach
                method, path, body = request_for(action, org, walk)
                before = last_id(instance)
                status, reply = client.call(method, path, body)
                decisions += 1
                if allowed:
                    # 422: unlocking someone who is not locked.
                    if not (200 <= status < 300 or status == 422):
                        wrong.append((role, action, org, "refused", status,
                                      reply))
                    continue
                error = (reply or {}).get("error", {})
                if status != 403 or error.get("code") != "denied" or \
                        not error.get("message"):
                    wrong.append((role, action, org, "allowed", status,
                                  reply))
                    continue
                # SECURITY.md 48: the refusal, and nothing else, recorded.
                rows = audit_rows(instance, before)
                request_id = client.last.getheader("X-Request-Id")
                if len(rows) != 1 or rows[0][1] != "denied" or \
                        json.loads(rows[0][2])["denied"] != action or \
                        rows[0][3] != "127.0.0.1" or \
                        rows[0][4] != request_id:
                    wrong.append((role, action, org, "audit", rows))
    assert decisions == len(clients) * len(ACTIONS) * 2
    assert not wrong, "\n".join(map(str, wrong))


# The routes issues 12 and 13 added, each with the action it asks for:
# walked like the table above over every role, in and out of scope.
def added_request(kind, org, walk):
    if kind == "mail_policy":
        return "org.create", "PUT", f"/orgs/{org}/mail-policy", \
            {"send_limit_day": 900}
    if kind == "import":
        return "user.create", "POST", "/imports", \
            {"org": org, "csv": "first_name,last_name\r\nMade,"
                                f"{walk.unique('Imported')}\r\n"}
    if kind == "sync":
        return "user.create", "POST", f"/orgs/{org}/sync", \
            {"people": [{"external_id": walk.unique("sync-"),
                         "first_name": "Synced",
                         "last_name": walk.unique("Person")}]}
    if kind == "syncs":
        return "user.read", "GET", f"/orgs/{org}/syncs", None
    if kind == "lifecycle":
        return "user.read", "GET", \
            f"/users/{q(walk.person(org))}/lifecycle", None
    if kind == "licences":
        return "report.read", "GET", f"/orgs/{org}/licences", None
    if kind == "licence_quota":
        return "org.create", "PUT", \
            f"/orgs/{org}/licences/{walk.unique('addon')}", \
            {"quota": 5}
    raise AssertionError(kind)


ADDED = ["mail_policy", "import", "sync", "syncs", "lifecycle", "licences",
         "licence_quota"]


def test_added_routes_follow_the_role_action_scope_table(server, instance):
    for ods, name in ((ORG_A, "Walk Practice A"), (ORG_B, "Walk Practice B")):
        instance.run("org", "add", "--ods", ods, "--name", name)
    clients = clients_by_role(server, instance)
    walk = Walk(instance)
    wrong = []
    for role, client in clients.items():
        for kind in ADDED:
            for org, in_scope in ((ORG_A, True), (ORG_B, False)):
                action, method, path, body = added_request(kind, org, walk)
                # Setting a policy or a quota is the service's alone.
                reach = in_scope or role in GLOBAL_ROLES or \
                    action in ORG_FREE
                allowed = action in EXPECTED[role] and reach
                before = last_id(instance)
                status, reply = client.call(method, path, body)
                if allowed:
                    if not (200 <= status < 300 or status == 422):
                        wrong.append((role, kind, org, "refused", status,
                                      reply))
                    continue
                error = (reply or {}).get("error", {})
                rows = audit_rows(instance, before)
                if status != 403 or error.get("code") != "denied" or \
                        len(rows) != 1 or rows[0][1] != "denied" or \
                        json.loads(rows[0][2])["denied"] != action:
                    wrong.append((role, kind, org, "allowed", status,
                                  reply, rows))
    assert not wrong, "\n".join(map(str, wrong))


# SECURITY.md 43: reset and unlock only on someone who holds no role
# equal to or above the actor's. [actor][target]: allowed?
TARGETS = ["global_admin", "primary_local_admin", "local_admin",
           "helpdesk_admin", "audit_authorisation", "ediscovery", "none"]
TAKEOVER = {
    #                    GA PLA LA HD AA ED none
    "global_admin":        (0, 1, 1, 1, 1, 1, 1),
    "primary_local_admin": (0, 0, 1, 1, 1, 0, 1),
    "local_admin":         (0, 0, 0, 1, 1, 0, 1),
    "helpdesk_admin":      (0, 0, 0, 0, 0, 0, 1),
    "audit_authorisation": (0, 0, 0, 0, 0, 0, 0),
    "ediscovery":          (0, 0, 0, 0, 0, 0, 0),
    "none":                (0, 0, 0, 0, 0, 0, 0),
}


def sign_in_state(instance, address):
    """(password hash, locked_at) of a person, read from the store."""
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=10)
    try:
        return db.execute(
            "SELECT p.password_hash, p.locked_at FROM people p JOIN"
            " mailboxes m ON m.id = p.mailbox_id WHERE m.address = ?",
            (address,)).fetchone()
    finally:
        db.close()


def lock(instance, address):
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=10)
    db.execute("UPDATE people SET locked_at = 1, failed_signins = 12"
               " WHERE mailbox_id = (SELECT id FROM mailboxes"
               " WHERE address = ?)", (address,))
    db.commit()
    db.close()


def test_no_takeover_of_an_equal_or_higher_role(server, instance):
    for ods, name in ((ORG_A, "Walk Practice A"), (ORG_B, "Walk Practice B")):
        instance.run("org", "add", "--ods", ods, "--name", name)
    clients = clients_by_role(server, instance)
    # Every target lives in ORG_A, where every actor acts; they hold
    # their roles elsewhere, so none of them devolves ORG_A.
    targets = {}
    for i, role in enumerate(TARGETS):
        address = make_person(instance, ORG_A, "Target", f"Rank{i}")
        if role != "none":
            instance.run("role", "add", address, "--org",
                         "SERVICE" if role in GLOBAL_ROLES else ORG_B,
                         "--role", role)
        targets[role] = address
    wrong = []
    for actor, client in clients.items():
        for t, target in enumerate(TARGETS):
            allowed = TAKEOVER[actor][t] == 1
            address = targets[target]
            for action, path in (("user.reset_password", "reset-password"),
                                 ("user.unlock", "unlock")):
                if action == "user.unlock":
                    lock(instance, address)
                before = sign_in_state(instance, address)
                status, reply = client.call(
                    "POST", f"/users/{q(address)}/{path}")
                after = sign_in_state(instance, address)
                if allowed and status != 200:
                    wrong.append((actor, target, action, status, reply))
                elif not allowed and (status != 403 or before != after):
                    wrong.append((actor, target, action, status, reply,
                                  "changed" if before != after else ""))
                # Refused by rank, not by role: the sentence says so.
                elif not allowed and action in EXPECTED[actor] and \
                        "equal to or above" not in \
                        reply["error"]["message"]:
                    wrong.append((actor, target, action, reply))
    assert not wrong, "\n".join(map(str, wrong))


# What GET /me says a person may do, for the pages: every role's actions
# are the access table's, the roles it may give follow the grant rule,
# and a token maker's offer is those actions less what no token is given.
GRANTS = {
    "global_admin": {"global_admin", "primary_local_admin", "local_admin",
                     "helpdesk_admin", "audit_authorisation",
                     "ediscovery"},
    "primary_local_admin": {"local_admin", "helpdesk_admin",
                            "audit_authorisation"},
}
NEVER_A_TOKENS = {"token.manage", "relay.manage", "org.create",
                  "role.grant_global", "queue.manage",
                  "maintenance.manage"}


def test_me_says_what_each_role_may_do(server, instance):
    for ods, name in ((ORG_A, "Walk Practice A"), (ORG_B, "Walk Practice B")):
        instance.run("org", "add", "--ods", ods, "--name", name)
    clients = clients_by_role(server, instance)
    for role, client in clients.items():
        me = client.ok("GET", "/me")
        want = set(EXPECTED[role])
        # Actions the walk leaves out, being on no org or no API's.
        if role == "global_admin":
            want |= {"role.grant_global", "queue.manage",
                     "maintenance.manage"}
        if role == "ediscovery":
            want |= {"ediscovery.search"}
        assert set(me["actions"]) == want, role
        assert set(me["grantable_roles"]) == GRANTS.get(role, set()), role
        token = set(me["token_actions"])
        if "token.manage" in want:
            assert token == want - NEVER_A_TOKENS, role
        else:
            assert token == set(), role
    # The token offer is what the API accepts: each role's offer at once,
    # and the Global Admin's each action alone.
    gives = {role: client.ok("GET", "/me")["token_actions"]
             for role, client in clients.items()
             if "token.manage" in EXPECTED[role]}
    assert set(gives) == {"global_admin", "primary_local_admin"}
    for role, actions in gives.items():
        status, body = clients[role].call("POST", "/tokens", {
            "label": f"every {role} action", "org": ORG_A,
            "actions": actions, "expires_days": 1})
        assert status == 201, (role, body)
    ga = clients["global_admin"]
    for action in gives["global_admin"]:
        ga.ok("POST", "/tokens", {"label": f"offer {action}", "org": ORG_A,
                                  "actions": [action], "expires_days": 1})
    # What only the Global Admin is offered, a Primary Local
    # Administrator is refused, on the field "actions".
    pla = clients["primary_local_admin"]
    assert set(gives["primary_local_admin"]) < set(gives["global_admin"])
    for action in sorted(set(gives["global_admin"]) -
                         set(gives["primary_local_admin"])):
        status, body = pla.call("POST", "/tokens", {
            "label": f"not {action}", "org": ORG_A, "actions": [action],
            "expires_days": 1})
        assert status == 403 and body["error"]["field"] == "actions", \
            (action, body)
    for action in NEVER_A_TOKENS:
        status, body = ga.call("POST", "/tokens", {
            "label": f"never {action}", "org": ORG_A, "actions": [action],
            "expires_days": 1})
        assert status == 422 and body["error"]["field"] == "actions", action
