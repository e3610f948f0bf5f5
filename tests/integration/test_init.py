"""caremail init, config, passwords, --set and the command line itself."""

import json
import re
import stat

from conftest import DOMAIN, PASSWORD, assert_sentence, run


def config_keys(text):
    """section.key names set in a config file's text."""
    keys, section = set(), None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[([a-z_]+)\]", line)
        if m:
            section = m.group(1)
            continue
        key = line.split("=", 1)[0].strip()
        keys.add(f"{section}.{key}")
    return keys


def test_init_creates_config_store_and_tls(instance):
    d = instance.dir
    for name in ["caremail.conf", "caremail.db", "tls/cert.pem",
                 "tls/key.pem"]:
        assert (d / name).is_file(), name
    assert "BEGIN CERTIFICATE" in (d / "tls/cert.pem").read_text()


def test_config_file_has_every_setting(instance):
    defaults = run("config", "defaults").stdout
    expected = config_keys(defaults)
    assert {"mail.domains", "http.listen", "log.level"} <= expected
    written = (instance.dir / "caremail.conf").read_text()
    assert config_keys(written) == expected
    assert re.search(r"^domains = " + re.escape(DOMAIN) + "$", written,
                     re.M | re.I)


def test_key_file_is_private(instance):
    mode = stat.S_IMODE((instance.dir / "tls/key.pem").stat().st_mode)
    assert mode == 0o600


def test_store_holding_password_hashes_is_private(instance):
    # A write makes SQLite's -wal file too; both must be owner-only.
    instance.run("org", "add", "--ods", "ABC", "--name", "Any")
    for name in ["caremail.db", "caremail.db-wal"]:
        path = instance.dir / name
        if name.endswith("-wal") and not path.exists():
            continue
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def snapshot(d):
    return {p.relative_to(d): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in d.rglob("*") if p.is_file()}


def test_second_init_is_refused_and_changes_nothing(instance):
    before = snapshot(instance.dir)
    proc = run("init", "--dir", instance.dir, "--domain", "other.nhs.uk",
               check=False)
    line = assert_sentence(proc)
    assert "already" in line
    assert snapshot(instance.dir) == before


def test_generated_password_is_printed_once(tmp_path):
    d = tmp_path / "inst"
    out = run("init", "--dir", d, "--domain", DOMAIN).stdout
    lines = out.splitlines()
    assert f"Global Admin: admin@{DOMAIN}" in lines
    passwords = [x for x in lines if x.startswith("Password: ")]
    assert len(passwords) == 1
    password = passwords[0].split(": ", 1)[1]
    assert len(password) >= 12
    assert "Keep this password; it is not shown again." in lines
    # It is shown, not kept: no file of the instance holds it in clear.
    for p in d.rglob("*"):
        if p.is_file():
            assert password.encode() not in p.read_bytes(), p
    # Nothing else prints it again.
    shown = run("user", "show", f"admin@{DOMAIN}", "--dir", d).stdout
    assert password not in shown


def test_init_json(tmp_path):
    d = tmp_path / "inst"
    j = json.loads(run("init", "--dir", d, "--domain", DOMAIN, "--admin",
                       f"Boss@{DOMAIN}", "--json").stdout)
    assert j["dir"] == str(d)
    assert j["domain"] == DOMAIN
    assert j["admin"] == f"boss@{DOMAIN}"
    assert len(j["password"]) >= 12
    given = json.loads(run("init", "--dir", tmp_path / "two", "--domain",
                           DOMAIN, "--admin-password-stdin", "--json",
                           input=PASSWORD + "\n").stdout)
    assert "password" not in given
    user = json.loads(run("user", "show", f"admin@{DOMAIN}", "--dir",
                          tmp_path / "two", "--json").stdout)
    assert user["password_changed_at"] is not None


def test_init_refuses_a_weak_password_and_leaves_nothing(tmp_path):
    d = tmp_path / "inst"
    proc = run("init", "--dir", d, "--domain", DOMAIN,
               "--admin-password-stdin", input="short\n", check=False)
    assert_sentence(proc)
    assert not (d / "caremail.conf").exists()


def test_passwd_refuses_a_short_password(instance):
    admin = instance.addr("admin")
    before = instance.json("user", "show", admin)["password_changed_at"]
    line = instance.fails("user", "passwd", admin, "--stdin",
                          input="short\n")
    assert "12" in line or "short" in line
    assert instance.json("user", "show", admin)["password_changed_at"] == \
        before
    instance.run("user", "passwd", admin, "--stdin",
                 input="another long passphrase\n")
    rows = instance.json("audit", "list", "--limit", "5")
    assert rows, "a password change is audited"
    assert "another long passphrase" not in json.dumps(rows)


def test_passwd_needs_stdin(instance):
    instance.fails("user", "passwd", instance.addr("admin"), code=2)


def test_passwd_for_nobody_is_refused(instance):
    instance.fails("user", "passwd", instance.addr("nobody"), "--stdin",
                   input=PASSWORD + "\n")


def test_set_overrides_config(instance):
    assert instance.run("org", "list", "--set", "log.level=debug").stdout
    # A --set applies to this command only; the file is unchanged.
    text = (instance.dir / "caremail.conf").read_text()
    assert "level = debug" not in text
    # The override reaches the directory: a second hosted domain.
    instance.run("org", "add", "--ods", "ABC12", "--name", "Org")
    out = instance.run("user", "add", "--org", "ABC12", "--first", "Jo",
                       "--last", "Bloggs", "--email", "jo@second.nhs.uk",
                       "--set", f"mail.domains={DOMAIN}, second.nhs.uk")
    assert out.stdout == "jo@second.nhs.uk\n"
    instance.fails("user", "add", "--org", "ABC12", "--first", "Al",
                   "--last", "Bloggs", "--email", "al@second.nhs.uk")


def test_bad_set_is_refused(instance):
    line = instance.fails("org", "list", "--set", "nosuch.key=1", code=2)
    assert "nosuch.key" in line and "caremail help" in line
    line = instance.fails("org", "list", "--set", "log.level=loud", code=2)
    assert "log.level" in line
    instance.fails("org", "list", "--set", "log.level", code=2)


def test_usage_errors_exit_2_with_a_hint(instance):
    for args in [("frobnicate",), ("org", "add", "--name", "No ODS"),
                 ("org", "list", "--colour"), ("org", "show"),
                 ("user", "list", "--limit", "many"),
                 ("grant", "add", "a@b.c", "d@b.c", "--right", "all")]:
        line = instance.fails(*args, code=2)
        assert "caremail help" in line, args
    proc = run(check=False)
    assert proc.returncode == 2
    line = instance.fails("list", "owners", code=2)
    assert "add, remove" in line


def test_help_for_one_group():
    out = run("help", "org").stdout
    assert "caremail org add" in out and "caremail user add" not in out
    assert_sentence(run("help", "nonsense", check=False), code=2)


def test_missing_instance_is_a_clear_error(tmp_path):
    proc = run("org", "list", "--dir", tmp_path / "none", check=False)
    line = assert_sentence(proc)
    assert "init" in line


def test_help_and_version():
    out = run("help").stdout
    for command in ["init", "serve", "demo", "org add", "user add",
                    "list members add", "grant add", "role add",
                    "audit list", "config defaults"]:
        assert f"caremail {command}" in out, command
    assert "--ods CODE" in run("org", "add", "--help").stdout
    assert run("--help").stdout == out
    assert run("version").stdout.startswith("caremail ")
