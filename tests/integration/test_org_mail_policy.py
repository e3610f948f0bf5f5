"""An organisation's mail policy (issue 12 items 5 and 6): the service's
sending limits and DLP tier actions, each of which the Global
Administrator may override for one org — through the API, the CLI or
the org's page — and everyone who reads the org sees in effect. A Local
Administrator cannot weaken DLP for their own org; bad input changes
nothing; every change is audited; the sender's org's DLP actions are the
ones the policy stage applies."""
from email.message import EmailMessage
from email.policy import SMTP

from apiclient import USER_PASSWORD, make_admin, make_person
from conftest import OTHER, submit

NUMBER = "999 149 6327"          # valid, in the 999 test range
OUTSIDE = "pat@mail.example"

DEFAULTS = {
    "send_limit_message": {"value": 500, "overridden": False},
    "send_limit_day": {"value": 10000, "overridden": False},
    "dlp_high": {"value": "block", "overridden": False},
    "dlp_medium": {"value": "block", "overridden": False},
    "dlp_low": {"value": "audit", "overridden": False},
}


def policy_rows(instance, org):
    return [r for r in instance.json("audit", "list", "--type",
                                     "organisation")
            if "mail_policy" in r["summary"]]


def test_everyone_who_reads_the_org_sees_it_and_only_the_ga_sets_it(
        server, instance, orgs, ga):
    org = orgs[0]
    la = make_admin(server, instance, org, role="primary_local_admin")
    assert la.ok("GET", f"/orgs/{org}")["mail_policy"] == DEFAULTS
    assert ga.ok("GET", f"/orgs/{org}")["mail_policy"] == DEFAULTS
    # A Local Admin must not weaken DLP for their own org.
    la.refused("PUT", f"/orgs/{org}/mail-policy", {"dlp_high": "none"})
    assert la.ok("GET", f"/orgs/{org}")["mail_policy"] == DEFAULTS
    assert policy_rows(instance, org) == []

    got = ga.ok("PUT", f"/orgs/{org}/mail-policy",
                {"send_limit_day": 2000, "dlp_low": "block"})
    assert got["send_limit_day"] == {"value": 2000, "overridden": True}
    assert got["dlp_low"] == {"value": "block", "overridden": True}
    assert got["dlp_high"] == DEFAULTS["dlp_high"]
    # The LA sees the values in effect; the other org keeps the service's.
    assert la.ok("GET", f"/orgs/{org}")["mail_policy"] == got
    assert ga.ok("GET", f"/orgs/{OTHER}")["mail_policy"] == DEFAULTS
    [row] = policy_rows(instance, org)
    assert row["action"] == "update" and row["actor"] == ga.address
    change = row["summary"]["mail_policy"]
    assert change["before"]["send_limit_day"] is None
    assert change["after"]["send_limit_day"] == 2000
    assert change["after"]["dlp_low"] == "block"

    # null and "default" go back to the service's setting.
    got = ga.ok("PUT", f"/orgs/{org}/mail-policy",
                {"send_limit_day": None, "dlp_low": "default"})
    assert got == DEFAULTS
    assert len(policy_rows(instance, org)) == 2


def test_bad_input_changes_nothing(server, instance, org, ga):
    path = f"/orgs/{org}/mail-policy"
    for body, field in [
            ({"send_limit_message": 0}, "send_limit_message"),
            ({"send_limit_message": 1000001}, "send_limit_message"),
            ({"send_limit_day": "lots"}, "send_limit_day"),
            ({"send_limit_day": 2.5}, "send_limit_day"),
            ({"dlp_high": "maybe"}, "dlp_high"),
            ({"dlp_medium": True}, "dlp_medium"),
            # The good setting beside a bad one is not applied either.
            ({"send_limit_day": 5, "dlp_low": "sometimes"}, "dlp_low"),
            ({"max_size": 5}, "max_size")]:
        err = ga.refused("PUT", path, body, status=422)
        assert err["field"] == field, (body, err)
        assert field in err["message"], err
    ga.refused("PUT", path, {}, status=422)
    ga.refused("PUT", "/orgs/NOPE1/mail-policy", {"dlp_low": "block"},
               status=404)
    assert ga.ok("GET", f"/orgs/{org}")["mail_policy"] == DEFAULTS
    assert policy_rows(instance, org) == []


def test_cli_shows_sets_and_clears(instance, org):
    out = instance.run("org", "policy", org).stdout
    assert "send_limit_message   500      (the service's setting)" in out
    out = instance.run("org", "policy", org, "--send-limit-message", "50",
                       "--dlp-medium", "audit").stdout
    assert "send_limit_message   50       (this organisation's)" in out
    assert "dlp_medium           audit    (this organisation's)" in out
    got = instance.json("org", "policy", org)
    assert got["send_limit_message"] == {"value": 50, "overridden": True}
    line = instance.fails("org", "policy", org, "--dlp-high", "encrypted",
                          "--send-limit-day", "7")
    # Every word the server knows is listed (a new action joins the list).
    assert "dlp_high must be none, audit" in line and " block" in line, line
    assert instance.json("org", "policy", org)["send_limit_day"] == \
        DEFAULTS["send_limit_day"]
    assert "no organisation" in instance.fails("org", "policy", "NOPE1",
                                               "--dlp-low", "block").lower()
    instance.run("org", "policy", org, "--send-limit-message", "default",
                 "--dlp-medium", "default")
    assert instance.json("org", "policy", org) == DEFAULTS
    rows = policy_rows(instance, org)
    assert len(rows) == 2 and rows[0]["actor"].startswith("cli:")


def message(sender, body):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = OUTSIDE
    msg["Subject"] = "Referral"
    msg.set_content(body)
    return msg.as_bytes(policy=SMTP)


def test_the_senders_org_dlp_actions_apply(start_server, instance, orgs):
    ann = make_person(instance, orgs[0], "Ann", "Sender")
    olly = make_person(instance, orgs[1], "Olly", "Other")
    for p in (ann, olly):
        instance.run("user", "passwd", p, "--stdin", "--permanent",
                     input=USER_PASSWORD + "\n")
    instance.run("org", "policy", orgs[0], "--dlp-high", "audit")
    server = start_server()
    body = f"Patient NHS number {NUMBER}, as asked."

    # Ann's org only audits a high find: the message goes.
    code, text = submit(server, ann, USER_PASSWORD, ann, [OUTSIDE],
                        message(ann, body))
    assert code == 250 and b"not sent to" not in text, text
    queued = [r["recipient"] for r in instance.json("queue", "list")]
    assert queued == [OUTSIDE]
    # Olly's org has the service's block.
    code, text = submit(server, olly, USER_PASSWORD, olly, [OUTSIDE],
                        message(olly, body))
    assert code == 250 and b"not sent to 1 recipient" in text, text
    assert len(instance.json("queue", "list")) == 1
    dlp = [r["summary"] for r in instance.json("audit", "list", "--type",
                                               "message")
           if r["summary"]["event"] == "dlp"]
    assert sorted(s["decision"] for s in dlp) == ["deliver", "refuse"]


def test_an_applications_org_policy_applies_and_it_has_no_limits(
        start_server, instance, orgs):
    """A registered relay sends under its org: that org's DLP actions
    apply, and the sending limits do not (it has no AUP to accept)."""
    import smtplib
    import ssl
    ann = make_person(instance, orgs[0], "Ann", "Sender")
    instance.run("relay", "add", "--org", orgs[0], "--cidr", "127.0.0.1",
                 "--label", "pathology")
    instance.run("org", "policy", orgs[0], "--dlp-high", "audit")
    server = start_server(extra=["mail.send_limits=true"])
    data = message(ann, f"Patient NHS number {NUMBER}, as asked.")

    def relay():
        with smtplib.SMTP("127.0.0.1", server.ports["relay"],
                          timeout=10) as s:
            s.ehlo("app.example")
            s.starttls(context=ssl.create_default_context(
                cafile=str(instance.dir / "tls" / "cert.pem")))
            s.ehlo("app.example")
            s.mail(ann)
            assert s.rcpt(OUTSIDE)[0] == 250
            return s.data(data)

    code, text = relay()
    assert code == 250 and b"not sent to" not in text, text
    assert len(instance.json("queue", "list")) == 1
    instance.run("org", "policy", orgs[0], "--dlp-high", "default")
    code, text = relay()
    assert code == 250 and b"not sent to 1 recipient outside" in text, text
    assert len(instance.json("queue", "list")) == 1
