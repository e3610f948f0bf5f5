"""docs/logs.md lists every log event the code writes, with its levels and
fields, and nothing the code does not write (SPEC S3); a running server's
lines have the documented shape and hold no password nor message text
(SECURITY.md 49's rule, kept for logs too)."""

import imaplib
import os
import re
import smtplib
import ssl

from conftest import PASSWORD, ROOT

LOG_CALL = re.compile(r"\blog_(error|warn|info|debug)\s*\(")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
EVENT_NAME = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
# A documented event: a table row whose first cell is `area.name`, then
# its levels, then its fields (each `key`), then what it means.
DOC_ROW = re.compile(r"^\|\s*`([a-z0-9_]+\.[a-z0-9_]+)`\s*\|([^|]*)\|([^|]*)\|",
                     re.M)
LINE = re.compile(r"^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "
                  r"level=(error|warn|info|debug) "
                  r"event=([a-z0-9_]+\.[a-z0-9_]+)( |$)")


def call_args(text, start):
    """The text between a call's parentheses, from just after '('."""
    depth, i, in_str = 1, start, False
    while depth:
        c = text[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        i += 1
    return text[start:i - 1]


def source_events(files):
    """{event: {"levels": set, "fields": set, "where": [...]}} from
    (path, text) pairs; a call whose event is not a literal is an error,
    since it could write an event no one can find."""
    events, errors = {}, []
    for path, text in files:
        for m in LOG_CALL.finditer(text):
            args = call_args(text, m.end())
            line = text.count("\n", 0, m.start()) + 1
            first = re.match(r'\s*"([^"]*)"\s*,(.*)', args, re.S)
            if first is None or not EVENT_NAME.fullmatch(first.group(1)):
                errors.append(f"{path}:{line}: the event is not a literal "
                              f"area.name string")
                continue
            # The format: the adjacent literals after the event, up to
            # the first argument that is not one.
            fmt, rest = "", first.group(2)
            while True:
                lit = re.match(r'\s*"((?:[^"\\]|\\.)*)"', rest)
                if lit is None:
                    break
                fmt += lit.group(1)
                rest = rest[lit.end():]
                macro = re.match(r"\s*PRI[a-zA-Z0-9]+", rest)
                if macro:
                    fmt += "%d"
                    rest = rest[macro.end():]
            e = events.setdefault(first.group(1), {
                "levels": set(), "fields": set(), "where": []})
            e["levels"].add(m.group(1))
            e["fields"] |= set(re.findall(r"(?:^| )([a-z_]+)=", fmt))
            e["where"].append(f"{path}:{line}")
    return events, errors


def read_sources():
    files = []
    src = os.path.join(ROOT, "src")
    for dirpath, _, names in os.walk(src):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ROOT)
            # The logger itself: its comments show an example call.
            if not name.endswith((".c", ".h")) or \
                    rel in ("src/core/log.c", "src/core/log.h"):
                continue
            with open(path, encoding="utf-8") as f:
                files.append((rel, f.read()))
    return files


def doc_events(text):
    """{event: {"levels": set, "fields": set}} from docs/logs.md's tables;
    an event may have several rows (one per case), which add up."""
    events = {}
    for m in DOC_ROW.finditer(text):
        e = events.setdefault(m.group(1), {"levels": set(), "fields": set()})
        e["levels"] |= set(re.findall(r"error|warn|info|debug", m.group(2)))
        e["fields"] |= set(re.findall(r"`([a-z_]+)`", m.group(3)))
    return events


def compare(src, doc):
    """Every difference between the code's events and the document's."""
    problems = []
    for name in sorted(set(src) - set(doc)):
        problems.append(f"{name} ({', '.join(src[name]['where'])}) is not in "
                        f"docs/logs.md")
    for name in sorted(set(doc) - set(src)):
        problems.append(f"{name} is in docs/logs.md but no code writes it")
    for name in sorted(set(src) & set(doc)):
        s, d = src[name], doc[name]
        if s["levels"] != d["levels"]:
            problems.append(f"{name}: written at {sorted(s['levels'])}, "
                            f"documented at {sorted(d['levels'])}")
        if s["fields"] != d["fields"]:
            problems.append(f"{name}: fields {sorted(s['fields'])}, "
                            f"documented {sorted(d['fields'])}")
    return problems


def read_doc():
    with open(os.path.join(ROOT, "docs", "logs.md"), encoding="utf-8") as f:
        return f.read()


def test_every_event_is_documented_and_every_documented_event_exists():
    src, errors = source_events(read_sources())
    assert not errors, "\n".join(errors)
    # The tree has well over a hundred; a parse that found few is broken.
    assert len(src) > 100, sorted(src)
    problems = compare(src, doc_events(read_doc()))
    assert not problems, "\n".join(problems)


def test_the_check_finds_an_undocumented_event():
    """The comparison above is not vacuous: a new event, a new field or a
    new level without a word in the document is each caught."""
    doc = doc_events(read_doc())
    assert "smtp.accepted" in doc
    new_event = [("src/x.c", 'log_info("smtp.brand_new", "peer=%s", p);')]
    src, errors = source_events(new_event)
    assert not errors
    assert any("smtp.brand_new" in p for p in compare(src, doc))
    # The real call for serve.stopped, and a variant with a field more.
    real = [("src/x.c", 'log_info("serve.stopped", "status=clean");')]
    src, _ = source_events(real)
    assert compare(src, {"serve.stopped": doc["serve.stopped"]}) == []
    more = [("src/x.c", 'log_info("serve.stopped", "status=clean "\n'
             '\t"signal=%s", s);')]
    src, _ = source_events(more)
    assert compare(src, {"serve.stopped": doc["serve.stopped"]}) != []
    louder = [("src/x.c", 'log_error("serve.stopped", "status=clean");')]
    src, _ = source_events(louder)
    assert compare(src, {"serve.stopped": doc["serve.stopped"]}) != []
    _, errors = source_events([("src/x.c", "log_warn(name, \"a=%s\", b);")])
    assert errors


def test_a_running_server_writes_documented_lines_without_secrets(
        start_server, instance, org):
    """Sign-ins refused and accepted, a message submitted and read, an API
    call with a query string: every line has the documented shape and a
    documented event and level, and neither password, the subject, the
    text nor the query appears anywhere in the log."""
    server = start_server(extra=("log.level=debug",))
    address = instance.run("user", "add", "--org", org, "--first", "Logan",
                           "--last", "Fields").stdout.strip()
    instance.run("user", "passwd", address, "--stdin", "--permanent",
                 input=PASSWORD + "\n")
    wrong = "Wr0ng-Secret-Guess-7731"
    subject = "Subject-Marker-5513"
    body = "Body-Marker-9027 the patient's notes"
    ctx = ssl.create_default_context(
        cafile=str(instance.dir / "tls" / "cert.pem"))
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    m.starttls(ssl_context=ctx)
    try:
        m.login(address, wrong)
        raise AssertionError("a wrong password signed in")
    except imaplib.IMAP4.error:
        pass
    m.logout()
    with smtplib.SMTP("127.0.0.1", server.ports["submission"],
                      timeout=10) as s:
        s.starttls(context=ctx)
        try:
            s.login(address, wrong)
            raise AssertionError("a wrong password signed in")
        except smtplib.SMTPAuthenticationError:
            pass
        s.login(address, PASSWORD)
        s.sendmail(address, [address],
                   f"From: <{address}>\r\nTo: <{address}>\r\n"
                   f"Subject: {subject}\r\n\r\n{body}\r\n".encode())
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
    m.starttls(ssl_context=ctx)
    m.login(address, PASSWORD)
    m.select("INBOX")
    _, data = m.fetch("1", "(RFC822)")
    assert body.encode() in data[0][1]
    m.logout()
    # A query string is never logged: the path alone is.
    status, _ = server.get("/api/v1/me?probe=Query-Marker-4471")
    assert status == 401
    server.stop()
    logs = server.logs()
    documented = doc_events(read_doc())
    seen = set()
    for line in logs.splitlines():
        if not line.startswith("ts="):
            continue    # a sanitizer's or the runtime's own output
        m = LINE.match(line)
        assert m, line
        assert m.group(2) in documented, line
        assert m.group(1) in documented[m.group(2)]["levels"], line
        seen.add(m.group(2))
    # The events this session must have written, at info and at debug.
    for event in ("serve.ready", "imap.auth", "smtp.auth", "smtp.accepted",
                  "net.accept", "serve.stopped"):
        assert event in seen, (event, sorted(seen))
    assert f"user={address} result=ok" in logs
    assert 'event=http.request method=GET path="/api/v1/me" status=401' \
        in logs
    for secret in (PASSWORD, wrong, subject, "Body-Marker-9027",
                   "Query-Marker-4471"):
        assert secret not in logs, secret
