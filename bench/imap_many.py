#!/usr/bin/env python3
"""IMAP commands on many messages at once: one note for bench/RESULTS.md.

Makes an instance (on SQLite, or with --pg-url URL on a new database of
that cluster, scripts/pgcluster.sh), one person, and APPENDs N small
messages (default 10,000) to their INBOX over one connection. Then, each
once and timed from sending the command to its tagged OK:

  UID STORE 1:* +FLAGS.SILENT (\\Seen)   every message, one outcome
  UID STORE 1:N/2 +FLAGS.SILENT ($Later) half of them
  UID STORE 1:* -FLAGS.SILENT (\\Seen)   every message, two outcomes
  UID COPY 1:* Kept                      every message
  UID MOVE 1:* Moved                     every message, out of INBOX

and prints each time with the messages per second. No peer and no
assertion: the point is how the time grows with N (run it with two Ns).

  CAREMAIL_BIN=build-bench/caremail python3 bench/imap_many.py [N] [--pg-url URL]
"""
import imaplib
import os
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import benchlib  # noqa: E402
import conftest  # noqa: E402

PASSWORD = "Quartz-Lantern-Fjord-7"
MESSAGE = (b"From: <a@elsewhere.example>\r\nTo: <b@example.nhs.uk>\r\n"
           b"Subject: message %d\r\nMessage-ID: <m%d@elsewhere.example>\r\n"
           b"\r\n" + b"Some words of a message body.\r\n" * 20)


def timed(m, *command):
    t = time.perf_counter()
    typ, data = m.uid(*command)
    took = time.perf_counter() - t
    assert typ == "OK", (command, data)
    return took


def main():
    args = sys.argv[1:]
    pg_url = benchlib.pg_url_option(args)
    n = int(args[0]) if args else 10000
    with tempfile.TemporaryDirectory() as tmp:
        store = None
        if pg_url:
            name = "imap_many_%d" % os.getpid()
            subprocess.run(["psql", pg_url, "-qc", "CREATE DATABASE " + name],
                           check=True, capture_output=True)
            store = pg_url.rsplit("/", 1)[0] + "/" + name
        inst = conftest.make_instance(os.path.join(tmp, "i"), store=store)
        inst.run("org", "add", "--ods", "ORG1", "--name", "Trust",
                 "--type", "Trust")
        address = inst.run("user", "add", "--org", "ORG1", "--first", "Ann",
                           "--last", "Bench").stdout.strip()
        inst.run("user", "passwd", address, "--stdin", "--permanent",
                 input=PASSWORD + "\n")
        server = conftest.Server(inst, False, os.path.join(tmp, "serve.log"),
                                 ())
        server.wait_ready(timeout=600)
        try:
            m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=3600)
            m.starttls(ssl_context=ssl.create_default_context(
                cafile=os.path.join(inst.dir, "tls", "cert.pem")))
            m.login(address, PASSWORD)
            t = time.perf_counter()
            for i in range(n):
                assert m.append("INBOX", None, None, MESSAGE % (i, i))[0] \
                    == "OK"
            print(f"{'postgresql' if pg_url else 'sqlite'}: {n} messages"
                  f" appended in {time.perf_counter() - t:.1f} s",
                  flush=True)
            assert m.create("Kept")[0] == "OK"
            assert m.create("Moved")[0] == "OK"
            assert m.select("INBOX")[0] == "OK"
            half = f"1:{n // 2}"
            runs = [
                ("UID STORE 1:* +FLAGS (\\Seen)",
                 ("STORE", "1:*", "+FLAGS.SILENT", "(\\Seen)")),
                (f"UID STORE {half} +FLAGS ($Later)",
                 ("STORE", half, "+FLAGS.SILENT", "($Later)")),
                ("UID STORE 1:* -FLAGS (\\Seen), two outcomes",
                 ("STORE", "1:*", "-FLAGS.SILENT", "(\\Seen)")),
                ("UID COPY 1:* Kept", ("COPY", "1:*", "Kept")),
                ("UID MOVE 1:* Moved", ("MOVE", "1:*", "Moved")),
            ]
            for label, command in runs:
                took = timed(m, *command)
                count = n // 2 if half in command else n
                print(f"  {label}: {took * 1000:.0f} ms"
                      f" ({count / took:.0f} messages/s)", flush=True)
            m.logout()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
