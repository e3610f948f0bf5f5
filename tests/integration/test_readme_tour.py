"""The README's API tour, run as written (issue 4's "Done when"): the bash
block between the api-tour markers runs against a demo instance over
HTTPS with curl, jq and oathtool, and each step's answer is checked, so
the README cannot drift from the API."""

import json
import re
import shutil
import subprocess

import pytest

from conftest import PASSWORD, ROOT, make_instance

DOMAIN = "demo.caremail.test"

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("curl", "jq", "oathtool")),
    reason="the tour needs curl, jq and oathtool (scripts/deps.sh)")


@pytest.fixture
def instance(tmp_path):
    inst = make_instance(tmp_path / "instance", DOMAIN)
    inst.run("demo")
    return inst


def tour_script():
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- api-tour:begin -->\n```sh\n(.*?)```\n"
                  r"<!-- api-tour:end -->", text, re.S)
    assert m, "README.md has no api-tour block"
    return m.group(1)


def set_variable(script, name, value):
    """The tour's NAME=... line, pointed at this test's server."""
    script, n = re.subn(rf"^{name}=.*$", f"{name}='{value}'", script,
                        count=1, flags=re.M)
    assert n == 1, name
    return script


def test_readme_api_tour(start_server, instance, tmp_path):
    server = start_server(tls=True)
    script = tour_script()
    script = set_variable(script, "BASE", server.url)
    script = set_variable(script, "CERT", instance.dir / "tls" / "cert.pem")
    script = set_variable(script, "PASSWORD", PASSWORD)
    work = tmp_path / "tour"
    work.mkdir()
    proc = subprocess.run(["bash", "-u", "-o", "pipefail", "-c", script],
                          cwd=work, capture_output=True, text=True,
                          timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, (out[-3000:], proc.stderr[-3000:])
    assert "curl:" not in proc.stderr, proc.stderr

    statuses = [int(s) for s in re.findall(r" (\d{3})$", out, re.M)]
    # Every call answered; the refusals are the ones the tour announces.
    assert statuses.count(403) == 3, out      # join, wrong org, wrong role
    assert statuses.count(409) == 1, out      # duplicate shared mailbox
    assert statuses[-1] == 422, out           # the 26th owner
    assert all(s < 300 or s in (403, 409, 422) for s in statuses), out

    def saved(name):
        return json.loads((work / name).read_text())

    sam, alex, box, lst = (saved(f"{n}.json")
                           for n in ("sam", "alex", "box", "list"))
    assert sam["status"] == "active" and alex["address"] in out
    # People Finder saw the joiner at once, then saw them leave.
    assert re.search(r'"address": "' + re.escape(sam["address"]) + '"', out)
    assert '"leaver": true' in out
    # The join answered with what Sam still holds elsewhere, and the
    # audit search showed Robin's changes.
    assert '"held_elsewhere": [' in out
    assert '"address": "riverside.reception@' + DOMAIN + '"' in out
    assert '"actor": "robin.ward@' + DOMAIN + '"' in out
    # The list waited for approval, then was approved.
    assert lst["status"] == "pending"
    assert '"decision": "approved"' in out
    # Each refusal said why in a sentence, and changed nothing.
    for line in out.splitlines():
        if re.search(r" (403|409|422)$", line):
            assert json.loads(line.rsplit(" ", 1)[0])["error"]["message"]
    shown = instance.json("list", "show", lst["address"])
    assert len(shown["owners"]) == 25
    assert sam["address"] not in shown["owners"]
    boxes = [m for m in instance.json("shared", "list", "--org", "J81001")
             if "home.visits" in m["address"]]
    assert [m["address"] for m in boxes] == [box["address"]]
