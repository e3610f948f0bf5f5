#!/usr/bin/python3
"""A fake S3-compatible object store for tests: PUT, GET, HEAD and DELETE on
path-style keys (/bucket/key), held in memory or in a directory, on a free
loopback port, over HTTP or, given a certificate, HTTPS.

It checks every request as S3 does, and independently of caremail's signer:
the AWS Signature Version 4 is recomputed with Debian's python3-botocore
(botocore.auth.S3SigV4Auth, the S3 flavour of SigV4Auth) over the method,
path, signed headers and x-amz-date received, with the stub's own access
key, secret and region, and compared; a mismatch is 403
SignatureDoesNotMatch. x-amz-content-sha256 must be the SHA-256 of the body
received (400 XAmzContentSHA256Mismatch); UNSIGNED-PAYLOAD is refused
unless allow_unsigned. An unknown access key is 403 InvalidAccessKeyId, a
clock off by more than 15 minutes 403 RequestTimeTooSkewed.

From Python (pytest):

    with S3Stub(access_key="AKIDTEST", secret="...", region="eu-west-2") as s3:
        url = f"http://127.0.0.1:{s3.port}/bucket"
        s3.objects        # {"/bucket/key": b"bytes", ...}
        s3.fault = 503    # every S3 request answered 503 SlowDown
        s3.fault = "hang" # every S3 request waits, never answered
        s3.fault = None
        s3.put_raw("/bucket/key", b"other bytes")   # damage an object
        s3.log            # [(method, path, status), ...] in order

From a shell or another language (prints the port on its first line, then
serves until killed):

    python3 tests/lib/s3stub.py [--port N] [--access-key K]
        [--secret S | --secret-file F] [--region R] [--dir D] [--bucket B]...
        [--fault 503|hang] [--tls-cert PEM --tls-key PEM] [--verbose]

and is steered over HTTP on paths no bucket can have, unsigned:

    POST /_stub/fault      body "503" (any status), "hang" or "none"
    PUT  /_stub/raw/B/KEY  body: the object's new bytes, no checks
    GET  /_stub/keys       the keys held, "/B/KEY" one a line
    GET  /_stub/log        "METHOD /path STATUS" one a line
"""

import argparse
import datetime
import hashlib
import hmac
import os
import re
import socket
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<akid>[^/,= ]+)/(?P<date>\d{8})/"
    r"(?P<region>[^/,= ]+)/(?P<service>[^/,= ]+)/aws4_request, ?"
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), ?Signature=(?P<sig>[0-9a-f]{64})")
AMZ_DATE_RE = re.compile(r"\d{8}T\d{6}Z")
# The headers S3 wants signed whatever else is.
REQUIRED_SIGNED = {"host", "x-amz-date", "x-amz-content-sha256"}
MAX_SKEW = datetime.timedelta(minutes=15)
HANG_SECONDS = 60


class S3Error(Exception):
    def __init__(self, status, code, message, extra=""):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra = extra


def _xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


class S3Stub:
    def __init__(self, access_key="AKIDTEST",
                 secret="caremail/test/secret+KEY", region="us-east-1",
                 directory=None, buckets=None, port=0, tls_cert=None,
                 tls_key=None, allow_unsigned=False, verbose=False):
        self.access_key, self.secret, self.region = access_key, secret, region
        self.directory = directory
        self.buckets = set(buckets) if buckets else None
        self.allow_unsigned = allow_unsigned
        self.verbose = verbose
        self.fault = None
        self.objects = {} if directory is None else None
        self.log = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        stub = self

        class Handler(_Handler):
            s3 = stub

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        if tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(tls_cert, tls_key)
            # The handshake in the handler's thread, not in accept().
            self.server.socket = ctx.wrap_socket(
                self.server.socket, server_side=True,
                do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        self.thread = None

    # -- life --
    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- objects, in memory or as files named by the quoted path --
    def _file(self, path):
        return os.path.join(self.directory, urllib.parse.quote(path, safe=""))

    def get_object(self, path):
        with self.lock:
            if self.directory is None:
                return self.objects.get(path)
            try:
                with open(self._file(path), "rb") as f:
                    return f.read()
            except FileNotFoundError:
                return None

    def put_raw(self, path, data):
        with self.lock:
            if self.directory is None:
                self.objects[path] = bytes(data)
                return
            tmp = self._file(path) + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, self._file(path))

    def delete_object(self, path):
        with self.lock:
            if self.directory is None:
                self.objects.pop(path, None)
                return
            try:
                os.unlink(self._file(path))
            except FileNotFoundError:
                pass

    def keys(self):
        with self.lock:
            if self.directory is None:
                return sorted(self.objects)
            return sorted(urllib.parse.unquote(n)
                          for n in os.listdir(self.directory)
                          if not n.endswith(".tmp"))

    # -- the checks S3 makes --
    def verify(self, method, raw_path, headers, body):
        auth = headers.get("Authorization")
        if not auth:
            raise S3Error(403, "AccessDenied", "no Authorization header")
        m = AUTH_RE.fullmatch(auth.strip())
        if not m:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "the Authorization header is not SigV4's form")
        if m["akid"] != self.access_key:
            raise S3Error(403, "InvalidAccessKeyId",
                          "the access key id is not known")
        signed = m["signed"].split(";")
        if signed != sorted(set(signed)):
            raise S3Error(403, "SignatureDoesNotMatch",
                          "SignedHeaders are not sorted and unique")
        missing = REQUIRED_SIGNED - set(signed)
        if missing:
            raise S3Error(403, "AccessDenied", "headers not signed: "
                          + ", ".join(sorted(missing)))
        amz_date = headers.get("x-amz-date", "")
        if not AMZ_DATE_RE.fullmatch(amz_date):
            raise S3Error(403, "AccessDenied", "no valid x-amz-date")
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        if abs(datetime.datetime.utcnow() - when) > MAX_SKEW:
            raise S3Error(403, "RequestTimeTooSkewed",
                          "x-amz-date is more than 15 minutes off")
        content_sha = headers.get("x-amz-content-sha256", "")
        if content_sha == "UNSIGNED-PAYLOAD" and not self.allow_unsigned:
            raise S3Error(403, "AccessDenied",
                          "this store wants the payload signed")
        if (content_sha != "UNSIGNED-PAYLOAD"
                and content_sha != hashlib.sha256(body).hexdigest()):
            raise S3Error(400, "XAmzContentSHA256Mismatch",
                          "x-amz-content-sha256 is not the body's SHA-256")

        # Recomputed by botocore from what came, with our own key and
        # region: the client's Credential scope is not trusted for it.
        to_sign = {}
        for name in signed:
            values = headers.get_all(name)
            if values is None:
                raise S3Error(403, "AccessDenied",
                              f"signed header {name} is not in the request")
            to_sign[name] = ",".join(values)
        req = AWSRequest(method=method,
                         url=f"http://{to_sign['host']}{raw_path}",
                         headers=to_sign, data=body)
        req.context["timestamp"] = amz_date
        signer = S3SigV4Auth(Credentials(self.access_key, self.secret),
                             "s3", self.region)
        canonical = signer.canonical_request(req)
        string_to_sign = signer.string_to_sign(req, canonical)
        want = signer.signature(string_to_sign, req)
        if not hmac.compare_digest(want, m["sig"]):
            raise S3Error(
                403, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the"
                " signature you provided.",
                f"<CanonicalRequest>{_xml_escape(canonical)}"
                f"</CanonicalRequest><StringToSign>"
                f"{_xml_escape(string_to_sign)}</StringToSign>")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    s3 = None   # the S3Stub, set by a subclass

    def log_message(self, fmt, *args):
        if self.s3.verbose:
            sys.stderr.write("s3stub: " + (fmt % args) + "\n")

    def setup(self):
        super().setup()
        # Headers and body go in two writes: without this, Nagle's
        # algorithm holds the body for the client's delayed ACK (40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True
                raise

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise S3Error(411, "MissingContentLength",
                          "chunked bodies are not taken")
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n > 0 else b""

    def _answer(self, status, body=b"", headers=None, send_body=True):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _error(self, e, path, send_body=True):
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'
               f"{e.code}</Code><Message>{_xml_escape(e.message)}"
               f"</Message><Resource>{_xml_escape(path)}</Resource>"
               f"{e.extra}</Error>").encode()
        self._answer(e.status, xml, {"Content-Type": "application/xml"},
                     send_body)

    # -- the control paths --
    def _control(self, method, path, body):
        s3 = self.s3
        if method == "POST" and path == "/_stub/fault":
            text = body.decode().strip()
            s3.fault = (None if text in ("", "none") else
                        "hang" if text == "hang" else int(text))
            return self._answer(204)
        if method == "PUT" and path.startswith("/_stub/raw/"):
            s3.put_raw(path[len("/_stub/raw"):], body)
            return self._answer(200)
        if method == "GET" and path == "/_stub/keys":
            return self._answer(200, "".join(
                k + "\n" for k in s3.keys()).encode())
        if method == "GET" and path == "/_stub/log":
            with s3.lock:
                lines = [f"{m} {p} {s}\n" for m, p, s in s3.log]
            return self._answer(200, "".join(lines).encode())
        return self._answer(404)

    # -- S3 --
    def _handle(self):
        method = self.command
        raw_path = self.path
        path = urllib.parse.urlsplit(raw_path).path
        s3 = self.s3
        body = b""
        status = 500
        try:
            body = self._read_body()
            if path.startswith("/_stub/"):
                return self._control(method, path, body)
            if s3.fault == "hang":
                status = 0
                s3.stopping.wait(HANG_SECONDS)
                self.close_connection = True
                return
            if isinstance(s3.fault, int):
                raise S3Error(s3.fault, "SlowDown" if s3.fault == 503
                              else "InternalError", "fault injected")
            s3.verify(method, raw_path, self.headers, body)
            status = self._object(method, path, body)
        except S3Error as e:
            status = e.status
            self._error(e, path, send_body=method != "HEAD")
        finally:
            if not path.startswith("/_stub/"):
                with s3.lock:
                    s3.log.append((method, path, status))

    def _object(self, method, path, body):
        s3 = self.s3
        parts = path.split("/", 2)
        if len(parts) < 3 or not parts[1] or not parts[2]:
            raise S3Error(400, "InvalidRequest", "path style: /bucket/key")
        bucket = parts[1]
        if s3.buckets is not None and bucket not in s3.buckets:
            raise S3Error(404, "NoSuchBucket", "no such bucket")
        if method == "PUT":
            s3.put_raw(path, body)
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
            self._answer(200, headers={"ETag": etag})
            return 200
        if method in ("GET", "HEAD"):
            data = s3.get_object(path)
            if data is None:
                raise S3Error(404, "NoSuchKey",
                              "The specified key does not exist.")
            self._answer(200, data, {
                "Content-Length": str(len(data)),
                "Content-Type": "application/octet-stream"},
                send_body=method == "GET")
            return 200
        if method == "DELETE":
            s3.delete_object(path)
            self._answer(204)
            return 204
        raise S3Error(405, "MethodNotAllowed", "not a method of this stub")

    do_PUT = do_GET = do_HEAD = do_DELETE = do_POST = _handle


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--access-key", default="AKIDTEST")
    ap.add_argument("--secret", default=None)
    ap.add_argument("--secret-file", default=None)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--dir", default=None)
    ap.add_argument("--bucket", action="append", default=None)
    ap.add_argument("--fault", default=None)
    ap.add_argument("--tls-cert", default=None)
    ap.add_argument("--tls-key", default=None)
    ap.add_argument("--allow-unsigned", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    secret = a.secret
    if a.secret_file:
        with open(a.secret_file, encoding="utf-8") as f:
            secret = f.read().rstrip("\n")
    if secret is None:
        secret = "caremail/test/secret+KEY"
    stub = S3Stub(access_key=a.access_key, secret=secret, region=a.region,
                  directory=a.dir, buckets=a.bucket, port=a.port,
                  tls_cert=a.tls_cert, tls_key=a.tls_key,
                  allow_unsigned=a.allow_unsigned, verbose=a.verbose)
    if a.fault:
        stub.fault = "hang" if a.fault == "hang" else int(a.fault)
    print(stub.port, flush=True)
    try:
        stub.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
