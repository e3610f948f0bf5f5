"""MailTips (SPEC M13) over the API and the CLI: for each kind of
recipient, what the sender is told, and that "deliverable" is what the
SMTP server then does with the same address (the tips follow the rules
mail is delivered by, never a copy of them)."""

import smtplib

import pytest

from apiclient import (USER_PASSWORD, Client, global_admin, make_person,
                       ready, q)


def tips(client, *recipients, **extra):
    reply = client.ok("POST", "/mailtips",
                      {"recipients": list(recipients), **extra})
    assert [t["address"] for t in reply["items"]] == [
        r.lower() for r in recipients]
    return {t["address"]: t for t in reply["items"]}


def codes(tip):
    return [n["code"] for n in tip["tips"]]


def rcpt(server, address):
    """What the intake SMTP server answers to RCPT TO for address."""
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.ehlo("sender.example")
        s.mail("someone@sender.example")
        return s.rcpt(address)[0]


@pytest.fixture
def world(server, instance, org):
    """One of each kind of recipient, made as an administrator would."""
    ga = global_admin(server, instance)
    w = {"ga": ga}
    w["active"] = make_person(instance, org, "Ada", "Active")
    w["leaver"] = make_person(instance, org, "Lee", "Leaving")
    w["disabled"] = make_person(instance, org, "Dee", "Disabled")
    w["deleted"] = make_person(instance, org, "Del", "Gone")
    ga.ok("POST", "/users/" + q(w["leaver"]) + "/leaver")
    ga.ok("POST", "/users/" + q(w["disabled"]) + "/disable")
    ga.ok("DELETE", "/users/" + q(w["deleted"]))
    w["shared"] = instance.addr("reception")
    instance.run("shared", "add", "--org", org, "--name", "Reception",
                 "--email", w["shared"])
    ga.ok("PATCH", "/shared-mailboxes/" + q(w["shared"]), {"quota_mb": 1})
    w["room"] = instance.addr("room.one")
    instance.run("resource", "add", "--org", org, "--name", "Room One",
                 "--email", w["room"])
    w["list"] = instance.addr("team")
    instance.run("list", "add", "--org", org, "--name", "Team", "--email",
                 w["list"])
    instance.run("contact", "add", "--org", org, "--name", "A Friend",
                 "--email", "friend@partner.example")
    instance.run("list", "members", "add", w["list"], w["active"],
                 w["leaver"], "friend@partner.example")
    # A list a person without an admin role asks for waits for approval.
    w["user"] = ready(server, w["active"], USER_PASSWORD)
    w["pending"] = w["user"].ok("POST", "/lists", {
        "org": org, "name": "Book Club"}, status=201)["address"]
    return w


def test_each_kind_of_recipient(server, instance, world):
    user = world["user"]
    got = tips(user, world["active"], world["leaver"].upper(),
               world["disabled"], world["deleted"], world["shared"],
               world["room"], world["list"], world["pending"],
               instance.addr("nobody.here"), "jo@nhs.net",
               "pat@gmail.example", "not an address")
    assert got[world["active"]]["kind"] == "person"
    assert got[world["active"]]["tips"] == []
    assert got[world["active"]]["deliverable"] is True
    leaver = got[world["leaver"]]
    assert codes(leaver) == ["leaver"] and leaver["deliverable"] is True
    assert "Lee Leaving is marked as a leaver" in leaver["tips"][0]["message"]
    assert codes(got[world["disabled"]]) == ["disabled"]
    assert got[world["disabled"]]["deliverable"] is True
    deleted = got[world["deleted"]]
    assert (deleted["kind"], codes(deleted), deleted["deliverable"]) == (
        "person", ["deleted"], False)
    assert "has been closed" in deleted["tips"][0]["message"]
    assert got[world["shared"]]["kind"] == "shared"
    assert got[world["room"]]["kind"] == "resource"
    team = got[world["list"]]
    assert (team["kind"], team["member_count"], codes(team)) == (
        "list", 3, ["list"])
    assert "will go to 3 addresses" in team["tips"][0]["message"]
    pending = got[world["pending"]]
    assert (pending["kind"], codes(pending), pending["deliverable"]) == (
        "list", ["list_closed"], False)
    assert "waiting for an administrator" in pending["tips"][0]["message"]
    unknown = got[instance.addr("nobody.here")]
    assert (unknown["kind"], codes(unknown), unknown["deliverable"]) == (
        "unknown", ["unknown"], False)
    secure = got["jo@nhs.net"]
    assert (secure["kind"], secure["secure"], codes(secure)) == (
        "external", True, ["external"])
    outside = got["pat@gmail.example"]
    assert (outside["secure"], codes(outside)) == (
        False, ["external", "not_secure"])
    assert "[secure]" in outside["tips"][1]["message"]
    bad = got["not an address"]
    assert (bad["kind"], codes(bad), bad["deliverable"]) == (
        "invalid", ["invalid"], False)
    # "deliverable" is what the SMTP server does with each local address.
    for address in (world["active"], world["leaver"], world["disabled"],
                    world["deleted"], world["shared"], world["room"],
                    world["list"], world["pending"],
                    instance.addr("nobody.here")):
        code = rcpt(server, address)
        assert (code == 250) == got[address]["deliverable"], (address, code)


def test_mailbox_full_follows_the_quota_rule(world):
    """The shared mailbox's quota is 1 MB: a message that would not fit is
    "mailbox_full", one that would is not, and with no size only a
    mailbox with no room left is."""
    user, shared = world["user"], world["shared"]
    big = tips(user, shared, size=2_000_000)[shared]
    assert codes(big) == ["mailbox_full"] and big["deliverable"] is False
    assert "is full" in big["tips"][0]["message"]
    assert tips(user, shared, size=1000)[shared]["tips"] == []
    assert tips(user, shared)[shared]["tips"] == []


def test_refusals(server, instance, world):
    user = world["user"]
    for body, field in (({}, "recipients"), ({"recipients": []}, "recipients"),
                        ({"recipients": "a@b.example"}, "recipients"),
                        ({"recipients": ["a@b.example"] * 65}, "recipients"),
                        ({"recipients": ["a@b.example"], "size": -1}, "size"),
                        ({"recipients": ["a@b.example"], "cc": []}, "cc")):
        err = user.refused("POST", "/mailtips", body, status=422)
        assert err["field"] == field, (body, err)
    # Signed in only.
    status, _ = Client(server).call("POST", "/mailtips",
                                    {"recipients": ["a@b.example"]})
    assert status == 401


def test_cli_says_the_same(instance, world):
    rows = instance.json("mailtips", world["leaver"], "pat@gmail.example",
                         world["list"])
    assert [r["kind"] for r in rows] == ["person", "external", "list"]
    assert codes(rows[0]) == ["leaver"] and rows[2]["member_count"] == 3
    api = tips(world["user"], world["leaver"], "pat@gmail.example",
               world["list"])
    assert rows == list(api.values())
    text = instance.run("mailtips", "pat@gmail.example").stdout
    assert "gmail.example is not a secure domain" in text
    full = instance.json("mailtips", world["shared"], "--size", "2000000")
    assert codes(full[0]) == ["mailbox_full"]
    instance.fails("mailtips", *(["a@b.example"] * 65), code=2)
