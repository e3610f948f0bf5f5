"""Issue 13 item 9 (guests and licences), in a real browser: a person
invites a guest (a refusal shown on the field first) and confirms them;
a Local Administrator gives an add-on licence and is refused past the
quota. The store says what happened."""

from conftest import OURS, PASSWORD, USER_PASSWORD, person, ready, \
    two_practices

GUEST = "sam.visitor@partner.example"


def test_guests_and_licences_pages(web_server, instance, run_scenario,
                                   https_client):
    two_practices(instance)
    server = web_server()
    ann = person(instance, OURS, "Ann", "Lee", password=USER_PASSWORD)
    la = person(instance, OURS, "Lee", "Local", password=PASSWORD,
                role="local_admin")
    bob = person(instance, OURS, "Bob", "Ray")
    cat = person(instance, OURS, "Cat", "Doe")
    instance.run("licence", "set", "--org", OURS, "--name", "Visio",
                 "--quota", "1", "--expires", "2031-01-01")
    c = ready(https_client, server, ann, USER_PASSWORD)
    lc = ready(https_client, server, la, PASSWORD)
    run_scenario("guests", server, cookie=c.cookie, ours=instance.addr("x"),
                 guest=GUEST, la_cookie=lc.cookie, holder=bob, extra=cat)
    [g] = instance.json("guest", "list")
    assert g["address"] == GUEST and g["inviter"] == ann
    assert g["attestations"] == 2
    [addon] = instance.json("licence", "report", "--org", OURS)
    assert [h["address"] for h in addon["holders"]] == [bob]
