"""The fake S3 store of the tests (tests/lib/s3stub.py) is only worth its
checks: a client signing with botocore, as AWS's own SDK does, gets in;
a wrong secret, region or key, an unsigned or mismatched payload, a stale
clock or a missing Authorization header does not. And it runs standalone,
printing its port. (caremail's S3 backend against it: test_blob_s3.c.)"""

import datetime
import hashlib
import pathlib
import subprocess
import sys
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "lib"))

botocore = pytest.importorskip("botocore")
from botocore.auth import S3SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from s3stub import S3Stub  # noqa: E402

KEY, SECRET, REGION = "AKIDSTUBTEST", "stub/Secret+key", "eu-west-2"


def send(stub, method, path, body=b"", secret=SECRET, region=REGION,
         key=KEY, payload=None, when=None, sign=True):
    """A request signed by botocore, sent with urllib: (status, body)."""
    url = f"http://127.0.0.1:{stub.port}{path}"
    headers = {"x-amz-content-sha256":
               payload or hashlib.sha256(body).hexdigest()}
    req = AWSRequest(method=method, url=url, headers=headers, data=body)
    if sign:
        signer = S3SigV4Auth(Credentials(key, secret), "s3", region)
        if when is None and payload is None:
            signer.add_auth(req)    # as the SDK does
        else:
            # add_auth reads the clock and hashes the body itself: sign
            # another time or payload hash by hand.
            when = when or datetime.datetime.utcnow()
            stamp = when.strftime("%Y%m%dT%H%M%SZ")
            req.context["timestamp"] = stamp
            req.headers["X-Amz-Date"] = stamp
            cr = signer.canonical_request(req)
            sig = signer.signature(signer.string_to_sign(req, cr), req)
            signer._inject_signature_to_request(req, sig)
    prepared = req.prepare()
    r = urllib.request.Request(url, data=body or None, method=method,
                               headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture
def stub():
    with S3Stub(access_key=KEY, secret=SECRET, region=REGION) as s:
        yield s


def test_botocore_signed_requests_get_in(stub):
    assert send(stub, "PUT", "/b/k/1", b"hello")[0] == 200
    assert stub.objects == {"/b/k/1": b"hello"}
    assert send(stub, "GET", "/b/k/1") == (200, b"hello")
    assert send(stub, "HEAD", "/b/k/1")[0] == 200
    assert send(stub, "DELETE", "/b/k/1")[0] == 204
    assert send(stub, "GET", "/b/k/1")[0] == 404
    assert stub.objects == {}


@pytest.mark.parametrize("change, code", [
    ({"secret": "stub/Secret+kez"}, b"SignatureDoesNotMatch"),
    ({"region": "us-east-1"}, b"SignatureDoesNotMatch"),
    ({"key": "AKIDSOMEONEELSE"}, b"InvalidAccessKeyId"),
    ({"payload": "UNSIGNED-PAYLOAD"}, b"AccessDenied"),
    ({"payload": hashlib.sha256(b"other").hexdigest()},
     b"XAmzContentSHA256Mismatch"),
    ({"when": datetime.datetime.utcnow() - datetime.timedelta(minutes=20)},
     b"RequestTimeTooSkewed"),
    ({"sign": False}, b"AccessDenied"),
])
def test_bad_requests_are_refused(stub, change, code):
    status, body = send(stub, "PUT", "/b/k/2", b"body", **change)
    assert status in (400, 403)
    assert b"<Code>" + code + b"</Code>" in body
    assert stub.objects == {}


def test_faults(stub):
    stub.fault = 503
    status, body = send(stub, "GET", "/b/k/3")
    assert status == 503 and b"SlowDown" in body
    stub.fault = None
    assert send(stub, "PUT", "/b/k/3", b"x")[0] == 200


def test_standalone_prints_its_port(tmp_path):
    p = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "lib" / "s3stub.py"),
         "--access-key", KEY, "--secret", SECRET, "--region", REGION,
         "--dir", str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline())

        class Port:
            pass
        s = Port()
        s.port = port
        assert send(s, "PUT", "/b/k/4", b"on disk")[0] == 200
        assert [f.read_bytes() for f in tmp_path.iterdir()] == [b"on disk"]
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/_stub/keys", timeout=10) as r:
            assert r.read() == b"/b/k/4\n"
    finally:
        p.terminate()
        p.wait(timeout=10)
