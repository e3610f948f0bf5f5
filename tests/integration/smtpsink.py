"""SMTP sinks on loopback for outbound delivery tests (issue 11).

Real servers nobody here wrote: Debian's python3-aiosmtpd, each in its own
thread on a free port of 127.0.0.1, recording what it is sent. Plus two
small raw sockets for what aiosmtpd cannot do on purpose: stay silent
(timeouts) and prove PIPELINING (it reads what arrived before it replies).

    from smtpsink import Sink, make_ca
    with Sink(replies={"bad@x.test": "550 5.1.1 no such user"}) as sink:
        ... deliver to 127.0.0.1:sink.port ...
        msg = sink.messages[0]      # .mail_from .rcpt_tos .data (bytes)
                                    # .mail_options .rcpt_options

Sink options (all optional):
    replies      {address: "550 5.1.1 ..."}: RCPT's reply per recipient
                 (default 250); a 2xx keeps the recipient, others refuse it
    data_reply   the reply to the final dot (default "250 OK")
    data_delay   seconds to wait after the final dot before that reply (a
                 slow server); .data_started is set when the wait begins
    tls          an ssl.SSLContext: offer STARTTLS with it
    size         announce SIZE n (aiosmtpd refuses larger messages)
    eightbit     False: do not announce 8BITMIME
    smtputf8     announce SMTPUTF8
    pipelining   announce PIPELINING (aiosmtpd handles it anyway)
    dsn          announce DSN and accept RET/ENVID/NOTIFY/ORCPT
    auth         (user, password): offer AUTH PLAIN and LOGIN inside TLS;
                 .auth_seen lists (mechanism, user, password_ok) tries
    auth_exclude mechanisms not to offer, e.g. ("PLAIN",)
    host, port   where to listen (default 127.0.0.1 and a free port): several
                 sinks on one port at 127.0.0.2, .3, ... stand for several
                 remote domains when outbound.port is that port
    on_message   called with each Received as it arrives (in the sink's
                 thread), e.g. to save it (scripts/demo-outbound.py)

make_ca(dir, names) makes a test CA and a server certificate for names
("mx.test", "127.0.0.1") with openssl, and returns (ca_pem, cert, key).
server_context(cert, key) is an ssl.SSLContext for Sink(tls=...).

SilentSink() accepts connections and never says a word (greeting
timeout). PipeSink() greets, answers EHLO with PIPELINING, then records
every byte the client sends before the sink's first reply to MAIL:
.before_mail_reply (bytes), then accepts everything.
"""
import asyncio
import os
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

DSN_PARAMS = ("RET", "ENVID", "NOTIFY", "ORCPT")


def free_port():
    """A free loopback port: from this pytest worker's own range under
    pytest-xdist (conftest.free_ports says why), else the kernel's choice
    (scripts/demo-outbound.py runs this module outside pytest)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from conftest import free_ports
        return free_ports(1)[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list
    mail_options: list
    rcpt_options: list
    data: bytes
    tls: bool = False


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        self.sink.ehlos += 1
        last = responses.pop()          # "250 HELP"
        out = [r for r in responses
               if self.sink.eightbit or r != "250-8BITMIME"]
        if self.sink.pipelining:
            out.append("250-PIPELINING")
        if self.sink.dsn:
            out.append("250-DSN")
        out.append("250-ENHANCEDSTATUSCODES")
        out.append(last)
        return out

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        reply = self.sink.replies.get(address, "250 2.1.5 OK")
        if reply.startswith("2"):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return reply

    async def handle_DATA(self, server, session, envelope):
        self.sink.messages.append(Received(
            envelope.mail_from, list(envelope.rcpt_tos),
            list(envelope.mail_options), list(envelope.rcpt_options),
            envelope.original_content or envelope.content,
            session.ssl is not None))
        if self.sink.on_message is not None:
            self.sink.on_message(self.sink.messages[-1])
        if self.sink.data_delay:
            self.sink.data_started.set()
            await asyncio.sleep(self.sink.data_delay)
        return self.sink.data_reply


class _DsnSMTP(SMTP):
    """aiosmtpd refuses parameters it does not know; a DSN server takes
    RFC 3461's (they stay in mail_options and rcpt_options)."""

    def _getparams(self, params):
        result = super()._getparams(params)
        if result is not None:
            for key in DSN_PARAMS:
                result.pop(key, None)
        return result


class _Controller(Controller):
    def factory(self):
        return _DsnSMTP(self.handler, **self.SMTP_kwargs)


class Sink:
    def __init__(self, replies=None, data_reply="250 2.0.0 OK queued",
                 tls=None, size=None, eightbit=True, smtputf8=False,
                 pipelining=False, dsn=False, auth=None, auth_exclude=(),
                 host="127.0.0.1", port=None, on_message=None, data_delay=0):
        self.replies = replies or {}
        self.data_reply = data_reply
        self.data_delay = data_delay
        self.data_started = threading.Event()
        self.eightbit = eightbit
        self.pipelining = pipelining
        self.dsn = dsn
        self.messages = []
        self.on_message = on_message
        self.ehlos = 0          # EHLOs seen: connections, plus one per TLS
        self.host = host
        self.port = port or free_port()
        kwargs = {"decode_data": False, "enable_SMTPUTF8": smtputf8,
                  "data_size_limit": size}
        if tls is not None:
            kwargs.update(tls_context=tls, require_starttls=False)
        self.auth_seen = []
        if auth is not None:
            kwargs.update(authenticator=self._authenticate,
                          auth_require_tls=True,
                          auth_exclude_mechanism=list(auth_exclude))
        self.auth = auth
        self.controller = _Controller(_Handler(self), hostname=host,
                                      port=self.port, ready_timeout=10,
                                      **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, data):
        user = data.login.decode()
        ok = (user, data.password.decode()) == self.auth
        self.auth_seen.append((mechanism, user, ok))
        # handled=False: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=ok, handled=False)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def address(self):
        return f"{self.host}:{self.port}"


def make_ca(directory, names=("mx.test", "127.0.0.1")):
    """A CA and a server certificate it signed for names, with openssl."""
    d = directory
    ca_key, ca_pem = d / "ca.key", d / "ca.pem"
    key, csr, cert = d / "server.key", d / "server.csr", d / "server.pem"
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(ca_key),
        "-out", str(ca_pem), "-days", "2", "-subj", "/CN=caremail test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
        "-out", str(csr), "-subj", f"/CN={names[0]}")
    san = ",".join(("IP:" if n[0].isdigit() else "DNS:") + n for n in names)
    ext = d / "server.ext"
    ext.write_text(f"subjectAltName={san}\n"
                   "basicConstraints=CA:FALSE\n"
                   "extendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_pem),
        "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
        "-days", "2", "-extfile", str(ext))
    return ca_pem, cert, key


def server_context(cert, key, maximum=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


class _RawSink:
    """A listening socket served by one thread, for the behaviours a real
    server would not show on purpose."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.sock.close()
        for c in self.conns:
            c.close()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self.serve, args=(conn,),
                             daemon=True).start()

    def serve(self, conn):
        raise NotImplementedError


class SilentSink(_RawSink):
    """Accepts and never answers: the client's greeting timeout must end
    the attempt."""

    def serve(self, conn):
        while not self.stopping:
            time.sleep(0.1)


class PipeSink(_RawSink):
    """Shows whether the client pipelines (RFC 2920): after EHLO it waits
    half a second before reading anything, and keeps what came by then."""

    def __init__(self):
        super().__init__()
        self.before_mail_reply = b""
        self.data = b""

    def serve(self, conn):
        buf = bytearray()

        def line():
            while b"\r\n" not in buf:
                got = conn.recv(65536)
                if not got:
                    return b""
                buf.extend(got)
            i = buf.index(b"\r\n") + 2
            out = bytes(buf[:i])
            del buf[:i]
            return out

        conn.sendall(b"220 pipe.test ESMTP\r\n")
        line()                                  # EHLO
        conn.sendall(b"250-pipe.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        time.sleep(0.5)
        conn.settimeout(0.2)
        try:
            while True:
                got = conn.recv(65536)
                if not got:
                    break
                buf.extend(got)
        except socket.timeout:
            pass
        conn.settimeout(None)
        self.before_mail_reply = bytes(buf)
        while True:
            cmd = line()
            if not cmd:
                return
            if cmd.startswith(b"DATA"):
                conn.sendall(b"354 go on\r\n")
                body = b""
                while True:
                    d = line()
                    if d == b".\r\n" or not d:
                        break
                    body += d
                self.data = body
                conn.sendall(b"250 2.0.0 OK\r\n")
            elif cmd.startswith(b"QUIT"):
                conn.sendall(b"221 2.0.0 bye\r\n")
                return
            else:
                conn.sendall(b"250 2.1.0 OK\r\n")
