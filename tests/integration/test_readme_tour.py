"""The README's API tour, run as written (issue 4's "Done when"): the bash
block between the api-tour markers runs against a demo instance over
HTTPS with curl, jq and oathtool, and each step's answer is checked, so
the README cannot drift from the API."""

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

    sam = (work / "sam.json").read_text()
    assert '"address": "sam.okafor@' + DOMAIN + '"' in out or \
        "sam.okafor@" + DOMAIN in out
    assert '"leaver": true' in out
    assert '"held_elsewhere"' in out
    assert '"status": "active"' in out
    assert "pending" in out and "approve" in out.lower()
    assert "sam.okafor" in sam
    # The refusals said why, in a sentence each.
    for line in out.splitlines():
        if re.search(r" (403|409|422)$", line):
            assert '"message": "' in line or '"message":"' in line, line
    # And nothing they tried changed anything: the 26th owner is absent.
    owners = instance.json("list", "show",
                           (work / "list.json").read_text().split('"address": "')[1].split('"')[0]
                           if '"address": "' in (work / "list.json").read_text()
                           else "")
    assert len(owners.get("owners", [])) <= 25
