"""The README's "Mail to other domains", run as written (issue 11's "Done
when"): what `make demo-outbound` runs (scripts/demo-outbound.py) makes
the demo, starts the DNS stub and the sinks on loopback and serves; the
bash block between the outbound-demo markers then runs from the checkout,
twice, with only its ports moved, and each promise is checked: the mail
to elsewhere.example arrives signed and the signature verifies (with the
command the README shows and the one the script prints), the mail to the
unreachable domain and to nhs.net waits with its reason, a delay notice
and then a report reach the sender's INBOX, nothing reaches the nhs.net
server, and `caremail dns records` prints what to publish."""

import re
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT
from demo import files_under, move_ports, readme_block, running_demo, \
    set_variable

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("curl", "jq", "swaks")),
    reason="the demo needs curl, jq and swaks (scripts/deps.sh)")


def test_make_demo_outbound_then_the_readme_twice(tmp_path):
    # A clean stop: serve's, then the stub's and sinks'.
    with running_demo(tmp_path, ["/usr/bin/python3",
                                 ROOT / "scripts" / "demo-outbound.py"]) \
            as served:
        checkout, demo, ports, env, log = (
            served.checkout, served.demo, served.ports, served.env,
            served.log)
        # Written before the demo starts serving.
        set_file = demo / "demo-outbound.set"
        assert set_file.exists(), log.read_text()[-3000:]
        settings = set_file.read_text().split()
        assert settings[0::2] == ["--set"] * 3, settings
        assert [s.split("=")[0] for s in settings[1::2]] == \
            ["dns.servers", "dns.trust_anchor", "outbound.port"]
        banner = log.read_text()
        assert "elsewhere.example:" in banner and "nhs.net:" in banner

        script = move_ports(
            set_variable(readme_block("outbound-demo"), "B", BIN), ports)
        for run in (1, 2):
            before = len(re.findall(r"DKIM-signed, saved as",
                                    log.read_text()))
            done = subprocess.run(
                ["bash", "-e", "-u", "-o", "pipefail", "-c", script],
                cwd=checkout, env=env, capture_output=True, text=True,
                timeout=300)
            out, err = done.stdout, done.stderr
            assert done.returncode == 0, (run, out[-3000:], err[-3000:])
            assert "curl:" not in err, (run, err)

            # 1. Delivered at once to elsewhere.example's server, signed,
            #    saved as the run's own file; the signature verifies.
            saved = sorted((demo / "sinks" / "elsewhere.example").iterdir())
            assert [p.name for p in saved] == \
                [f"{n:04d}.eml" for n in range(1, run + 1)], saved
            data = saved[-1].read_bytes()
            assert data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")
            assert b"d=demo.caremail.test;" in data
            assert b"Subject: To carol@elsewhere.example" in data
            assert out.startswith("DKIM-Signature: v=1;"), out[:500]
            assert "DKIM signature verifies" in out, out

            # The first terminal named the file and the command that
            # checks it; that command works as printed.
            printed = log.read_text()
            assert len(re.findall(r"DKIM-signed, saved as", printed)) == \
                before + 1, printed[-3000:]
            assert f"saved as {saved[-1]}" in printed
            command = [line for line in printed.splitlines()
                       if "check its signature with python3-dkim: " in
                       line][-1].split("python3-dkim: ", 1)[1]
            checked = subprocess.run(["bash", "-c", command], cwd=checkout,
                                     capture_output=True, text=True,
                                     timeout=60)
            assert checked.returncode == 0, (command, checked.stderr)
            assert checked.stdout == "DKIM signature verifies\n"

            # 2. Both others wait, with their reasons, in `queue list`.
            assert re.search(r"queued\s+dan@unreachable\.example\s+1\s+\S+"
                             r"\s+mx\.unreachable\.example \(127\.0\.0\.3:\d+"
                             r"\): 4\.4\.1 .*Connection refused", out), out
            assert re.search(r"queued\s+erin@nhs\.net\s+1\s+\S+\s+mx\.nhs"
                             r"\.net \(127\.0\.0\.4:\d+\): 4\.7\.10 .*does "
                             r"not offer STARTTLS, and TLS is required",
                             out), out

            # 3. Five hours on: deferred (the notices); five days on:
            #    failed (the reports). Each pass tries both (one job per
            #    domain, so in either order).
            results = re.findall(r"^\d+\s+(\S+@\S+)\s+(deferred|failed)\s",
                                 out, re.M)
            both = ["dan@unreachable.example", "erin@nhs.net"]
            assert [r for _, r in results] == ["deferred"] * 2 + \
                ["failed"] * 2, out
            assert sorted(a for a, _ in results[:2]) == both, out
            assert sorted(a for a, _ in results[2:]) == both, out
            subjects = [line for line in out.splitlines()
                        if line.startswith(("Delayed: ", "Not delivered: "))]
            # (The two of one pass may arrive in either order.)
            assert sorted(subjects) == sorted([
                "Delayed: To dan@unreachable.example",
                "Delayed: To erin@nhs.net",
                "Not delivered: To dan@unreachable.example",
                "Not delivered: To erin@nhs.net"] * run), out
            assert [s.split(":")[0] for s in subjects] == \
                ["Delayed"] * 2 + ["Not delivered"] * 2 + \
                (["Delayed"] * 2 + ["Not delivered"] * 2) * (run - 1), out
            # The README prints the last report: either recipient's, as
            # the two of a pass come in either order.
            last = re.findall(r"Your message to (\S+@\S+) could not be "
                              r"delivered\.", out)
            assert last and last[-1] in both, out
            assert "does not offer STARTTLS" in out

            # 4. What to publish.
            for record in ("IN\tMX\t10 ", '"v=spf1 mx -all"',
                           "._domainkey.demo.caremail.test.\t",
                           '"v=DMARC1; p=reject;', '"v=STSv1; id=',
                           '"v=TLSRPTv1; rua=mailto:'):
                assert record in out, (record, out[-3000:])

        # nhs.net's server never got a message: it offers no TLS.
        assert not (demo / "sinks" / "nhs.net").exists()
        printed = log.read_text()
        assert "SENT IN CLEAR" not in printed
        assert re.search(r"level=error event=outbound\.tls_required "
                         r"domain=nhs\.net .*action=\"kept queued, nothing "
                         r"sent in clear\"", printed), printed[-3000:]
        # Delivered once per run; the rest failed after their reports.
        rows = subprocess.run([BIN, "queue", "list", "--dir", demo, "--all"],
                              capture_output=True, text=True, timeout=30,
                              check=True).stdout
        assert len(re.findall(r"\bdelivered\s+carol@", rows)) == 2, rows
        assert len(re.findall(r"\bfailed\s+", rows)) == 4, rows
    # The settings file goes with the servers it points at.
    assert not (demo / "demo-outbound.set").exists()
    stopped = log.read_text()
    assert "serve.stopped status=clean" in stopped
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert marker not in stopped, stopped[-4000:]
    assert "var/demo/sinks/elsewhere.example/0002.eml" in \
        files_under(checkout)
