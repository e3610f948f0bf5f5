"""Who may sign in to IMAP, POP3 and SMTP with what (SECURITY.md 26, 37,
38, 43), over the real protocols with Python's own clients:

- a temporary or expired password opens no mailbox on any protocol, and
  says so plainly once it is right; a wrong one gets the usual reply;
- every admin role needs an app password for mail (made after MFA, shown
  once, listed without its secret, revocable, never good for the portal);
- a database that fails to read is a temporary failure on every protocol
  and the API, logged as a storage error, and counts nothing toward the
  lock: the database really fails, through an LD_PRELOAD shim that makes
  pread() on its files return EIO;
- a guessable password is refused wherever a password is chosen."""

import base64
import imaplib
import json
import poplib
import smtplib
import sqlite3
import ssl
import subprocess

import pytest

from apiclient import Client, NEW_PASSWORD, ready, totp
from conftest import BIN, PASSWORD

PW = "a long password for mail programs"
WRONG = "not the password at all"
PROTOCOLS = ("imap", "pop3", "smtp")
ADMIN_ROLES = ("global_admin", "primary_local_admin", "local_admin",
               "helpdesk_admin", "audit_authorisation", "ediscovery")
GLOBAL_ROLES = {"global_admin", "ediscovery"}


def tls_context(instance):
    return ssl.create_default_context(
        cafile=str(instance.dir / "tls" / "cert.pem"))


def login(server, instance, protocol, address, password):
    """(ok, the server's reply text) of one sign-in over protocol."""
    ctx = tls_context(instance)
    if protocol == "imap":
        m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
        try:
            m.starttls(ctx)
            typ, data = m.login(address, password)
            return True, data[0].decode()
        except imaplib.IMAP4.error as e:
            text = e.args[0]
            return False, text.decode() if isinstance(text, bytes) else text
        finally:
            try:
                m.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
    if protocol == "pop3":
        p = poplib.POP3("127.0.0.1", server.ports["pop3"], timeout=10)
        try:
            p.stls(context=ctx)
            p.user(address)
            return True, p.pass_(password).decode()
        except poplib.error_proto as e:
            return False, e.args[0].decode()
        finally:
            try:
                p.quit()
            except (poplib.error_proto, OSError):
                pass
    # One AUTH PLAIN by hand: smtplib.login would retry with LOGIN after
    # a 535, and so count two failures for one wrong password.
    with smtplib.SMTP("127.0.0.1", server.ports["submission"],
                      timeout=10) as s:
        s.ehlo("client.example")
        s.starttls(context=ctx)
        s.ehlo("client.example")
        plain = base64.b64encode(
            f"\0{address}\0{password}".encode()).decode()
        code, text = s.docmd("AUTH", "PLAIN " + plain)
        return code == 235, f"{code} {text.decode()}"


def refused_as_wrong(protocol, text):
    """The one reply a wrong password and an unknown address share."""
    return {
        "imap": "[AUTHENTICATIONFAILED] the address or password is not "
                "right",
        "pop3": "-ERR [AUTH] the address or password is not right",
        "smtp": "535 5.7.8 the address or password is not right",
    }[protocol] == text.strip()


def person(instance, org, first, last, password=None, permanent=True):
    address = instance.setup("user", "add", "--org", org, "--first", first,
                             "--last", last).stdout.strip().split()[-1]
    if password is not None:
        extra = ["--permanent"] if permanent else []
        instance.setup("user", "passwd", address, "--stdin", *extra,
                       input=password + "\n")
    return address


def db_row(instance, sql, *args):
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=10)
    try:
        return db.execute(sql, args).fetchone()
    finally:
        db.close()


def failures(instance, address):
    return db_row(instance, "SELECT p.failed_signins FROM people p JOIN"
                  " mailboxes m ON m.id = p.mailbox_id WHERE m.address = ?",
                  address)[0]


# ---- temporary and expired passwords ----

def make_temporary(kind, server, instance, org, address):
    """Gives address a temporary or expired password; returns it."""
    if kind == "set_by_operator":
        instance.run("user", "passwd", address, "--stdin",
                     input=PW + "\n")
        return PW
    if kind == "reset_by_admin":
        ga = ready(server, instance.addr("admin"), PASSWORD)
        body = ga.ok("POST", f"/users/{address}/reset-password")
        return body["temporary_password"]
    assert kind == "expired"
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=PW + "\n")
    db = sqlite3.connect(instance.dir / "caremail.db", timeout=10)
    db.execute("UPDATE people SET password_changed_at ="
               " password_changed_at - 91 * 86400,"
               " password_self_set_at = password_self_set_at - 91 * 86400")
    db.commit()
    db.close()
    return PW


@pytest.mark.parametrize("kind", ["set_by_operator", "reset_by_admin",
                                  "expired"])
def test_temporary_password_opens_no_mailbox(kind, server, instance, org):
    ann = person(instance, org, "Ann", "Temporary")
    password = make_temporary(kind, server, instance, org, ann)
    expected = {"imap": "[EXPIRED] ", "pop3": "-ERR [AUTH] ",
                "smtp": "535 5.7.8 "}
    for protocol in PROTOCOLS:
        ok, text = login(server, instance, protocol, ann, password)
        assert not ok, (protocol, text)
        assert text.startswith(expected[protocol]), (protocol, text)
        assert "portal" in text and "change it first" in text, text
        # A wrong password is still told nothing more than "not right".
        ok, text = login(server, instance, protocol, ann, WRONG)
        assert not ok and refused_as_wrong(protocol, text), text
    # Changed in the portal, the new password opens every protocol.
    c = Client(server)
    status, body = c.signin(ann, password)
    assert status == 201 and body["must_change_password"] is True
    c.ok("POST", "/me/password", {"current": password, "new": NEW_PASSWORD})
    for protocol in PROTOCOLS:
        ok, text = login(server, instance, protocol, ann, NEW_PASSWORD)
        assert ok, (protocol, text)


# ---- admins and app passwords ----

@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_admin_needs_an_app_password_for_mail(role, server, instance, org):
    who = person(instance, org, "Adele", "Admin", PW)
    instance.run("role", "add", who, "--org",
                 "SERVICE" if role in GLOBAL_ROLES else org, "--role", role)
    expected = {"imap": "[EXPIRED] ", "pop3": "-ERR [AUTH] ",
                "smtp": "534 5.7.9 "}
    for protocol in PROTOCOLS:
        ok, text = login(server, instance, protocol, who, PW)
        assert not ok and text.startswith(expected[protocol]), text
        assert "app password" in text, text
    # The portal, with MFA, makes one: shown once, listed without it.
    c = ready(server, who, PW)
    made = c.ok("POST", "/me/app-passwords", {"label": "Thunderbird"})
    secret = made["password"]
    assert len(secret) == 24 and made["label"] == "Thunderbird"
    listed = c.ok("GET", "/me/app-passwords")["app_passwords"]
    assert [a["label"] for a in listed] == ["Thunderbird"]
    assert "password" not in listed[0] and secret not in json.dumps(listed)
    for protocol in PROTOCOLS:
        ok, text = login(server, instance, protocol, who, secret)
        assert ok, (protocol, text)
    listed = c.ok("GET", "/me/app-passwords")["app_passwords"]
    assert listed[0]["last_used_at"] is not None
    # Never good for the portal.
    status, _ = Client(server).signin(who, secret)
    assert status == 401
    # Revoked, it opens nothing, and says no more than a wrong one.
    c.ok("DELETE", f"/me/app-passwords/{made['id']}")
    for protocol in PROTOCOLS:
        ok, text = login(server, instance, protocol, who, secret)
        assert not ok and refused_as_wrong(protocol, text), text
    # Made and revoked are audited; the secret is nowhere in the trail.
    rows = [json.loads(r[0]) for r in sqlite3.connect(
        instance.dir / "caremail.db").execute("SELECT summary FROM audit")]
    assert any(r.get("app_password_created") for r in rows)
    assert any(r.get("app_password_revoked") for r in rows)
    assert secret not in json.dumps(rows)


def test_app_passwords_need_mfa_and_end_with_a_reset(server, instance,
                                                     org):
    ann = person(instance, org, "Ann", "Plain", PW)
    # An ordinary person keeps using their own password for mail.
    for protocol in PROTOCOLS:
        assert login(server, instance, protocol, ann, PW)[0], protocol
    c = ready(server, ann, PW)
    err = c.refused("POST", "/me/app-passwords", {"label": "Phone"})
    assert err["field"] == "mfa" and "two-factor" in err["message"]
    secret = c.ok("POST", "/me/mfa")["secret"]
    c.ok("POST", "/me/mfa/verify", {"code": totp(secret)})
    made = c.ok("POST", "/me/app-passwords", {"label": "Phone"})
    assert c.refused("POST", "/me/app-passwords", {"label": "Phone"},
                     status=409)["field"] == "label"
    assert login(server, instance, "imap", ann, made["password"])[0]
    # The operator sees it (no secret) and can revoke it.
    listed = instance.json("user", "app-passwords", ann)
    assert [a["label"] for a in listed] == ["Phone"]
    # A reset, often made for a taken-over account, revokes them all.
    ga = ready(server, instance.addr("admin"), PASSWORD)
    ga.ok("POST", f"/users/{ann}/reset-password")
    assert instance.json("user", "app-passwords", ann) == []
    ok, text = login(server, instance, "imap", ann, made["password"])
    assert not ok and refused_as_wrong("imap", text)


# ---- a failing database (SECURITY.md 26) ----

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* pread() on the database's files fails with EIO while the flag exists. */
static int
failing(int fd)
{
	const char *flag = getenv("CAREMAIL_FAULT_FLAG");
	const char *target = getenv("CAREMAIL_FAULT_TARGET");
	char link[64], path[4096];
	if (flag == NULL || target == NULL || access(flag, F_OK) != 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	return strncmp(path, target, strlen(target)) == 0;
}

ssize_t
pread64(int fd, void *buf, size_t count, off_t offset)
{
	static ssize_t (*real)(int, void *, size_t, off_t);
	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(
			RTLD_NEXT, "pread64");
	if (failing(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd, buf, count, offset);
}

ssize_t
pread(int fd, void *buf, size_t count, off_t offset)
{
	return pread64(fd, buf, count, offset);
}
"""


def build_shim(tmp_path):
    src = tmp_path / "fault_eio.c"
    src.write_text(SHIM)
    so = tmp_path / "fault_eio.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(so),
                    str(src), "-ldl"], check=True, timeout=60)
    return so


def test_storage_fault_is_temporary_everywhere(instance, org, start_server,
                                               tmp_path, monkeypatch):
    ann = person(instance, org, "Ann", "Fault", PW)
    db = instance.dir / "caremail.db"
    flag = tmp_path / "fail-reads"
    monkeypatch.setenv("LD_PRELOAD", str(build_shim(tmp_path)))
    monkeypatch.setenv("CAREMAIL_FAULT_FLAG", str(flag))
    monkeypatch.setenv("CAREMAIL_FAULT_TARGET", str(db))
    server = start_server(extra=["auth.lockout_failures=3"])
    monkeypatch.delenv("LD_PRELOAD")  # only the server is shimmed
    # Two real failures first: they count.
    for protocol in ("imap", "pop3"):
        ok, text = login(server, instance, protocol, ann, WRONG)
        assert not ok and refused_as_wrong(protocol, text), text
    assert failures(instance, ann) == 2
    # The disk fails; a write from another process makes every cached
    # page stale, so the server must read the files again.
    flag.touch()
    instance.run("org", "add", "--ods", "X26999", "--name", "Stale Cache")
    temporary = {"imap": "[UNAVAILABLE] ", "pop3": "-ERR [SYS/TEMP] ",
                 "smtp": "454 4.7.0 "}
    for protocol in PROTOCOLS:
        for password in (PW, WRONG, WRONG, WRONG):
            ok, text = login(server, instance, protocol, ann, password)
            assert not ok and text.startswith(temporary[protocol]), \
                (protocol, text)
            assert "try again later" in text, text
    for password in (PW, WRONG):
        c = Client(server)
        status, body = c.signin(ann, password)
        assert status == 503, body
        assert body["error"]["code"] == "temporary"
        assert body["error"]["message"].endswith("try again later")
        assert c.last.getheader("Retry-After") == "30"
    flag.unlink()
    # Logged as storage errors, by every front end that answered.
    logs = server.logs().splitlines()
    for event in ("imap.auth", "pop3.signin", "smtp.auth",
                  "api.unavailable"):
        assert any(event in line and "storage error" in line
                   for line in logs), event
    # Nothing was counted: still 2, so exactly one more failure locks.
    assert failures(instance, ann) == 2
    ok, text = login(server, instance, "smtp", ann, WRONG)
    assert not ok and refused_as_wrong("smtp", text)
    assert instance.json("user", "show", ann)["locked"] is True
    ok, text = login(server, instance, "imap", ann, PW)
    assert not ok and refused_as_wrong("imap", text)


# ---- guessable passwords, wherever one is chosen (SECURITY.md 37) ----

GUESSABLE = {
    "123456789012": "sequence",
    "password1234": "common password",
    "qwertyuiop123": "common password",
    "Fiona Example 1": "contains your name",
}


@pytest.mark.parametrize("password", sorted(GUESSABLE))
def test_guessable_passwords_refused_everywhere(password, server, instance,
                                                org, tmp_path):
    why = GUESSABLE[password]
    fiona = person(instance, org, "Fiona", "Example", PW)
    # caremail user passwd
    line = instance.fails("user", "passwd", fiona, "--stdin",
                          input=password + "\n")
    assert why in line, line
    # The person's own change in the portal (also their first one).
    c = ready(server, fiona, PW)
    err = c.refused("POST", "/me/password",
                    {"current": PW, "new": password}, status=422)
    assert err["field"] == "new" and why in err["message"], err
    # caremail init, for the first admin ("Global Admin" at admin@).
    if why != "contains your name":
        proc = subprocess.run(
            [BIN, "init", "--dir",
             str(tmp_path / "other"), "--domain", "other.example",
             "--admin-password-stdin"], input=password + "\n",
            capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and why in proc.stderr, proc.stderr
        assert not (tmp_path / "other" / "caremail.db").exists()
    # Nothing changed: the old password still opens the portal.
    assert Client(server).signin(fiona, PW)[0] == 201
