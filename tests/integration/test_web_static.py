"""The web pages as served (src/http/http_static.c, docs/web.md): types,
caching, precompressed variants, HEAD, the HTML 404, the security headers on
every page and asset, and no way out of http.web_root (.., encoded ..,
symlinks, NUL, hidden files). A web root made here, so these tests need no
npm build."""

import gzip
import http.client
import os

import pytest

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")
SECRET = "this file is outside the web root"


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def make_web_root(tmp_path):
    """A built site's shape under tmp_path/web, with things beside it and
    links out of it that must never be served."""
    root = tmp_path / "web"
    write(root / "index.html", "<!DOCTYPE html><title>home</title>")
    write(root / "sign-in.html", "<!DOCTYPE html><title>sign in</title>")
    write(root / "404.html", "<!DOCTYPE html><title>Page not found</title>")
    write(root / "people" / "index.html", "<!DOCTYPE html><title>people</title>")
    assets = root / "assets" / "0123abcd"
    write(assets / "app.css", "body{color:red}")
    write(assets / "app.css.gz", gzip.compress(b"body{color:red}", mtime=0))
    write(assets / "app.css.br", b"BROTLI-BYTES")
    write(assets / "js" / "app.mjs", "export const x = 1;")
    write(assets / "images" / "logo.svg", "<svg/>")
    write(assets / "images" / "icon.png", b"\x89PNG\r\n")
    write(root / ".hidden.html", SECRET)
    write(tmp_path / "secret.txt", SECRET)
    write(tmp_path / "secret.html", SECRET)
    os.symlink(tmp_path / "secret.html", root / "link.html")
    os.symlink(tmp_path, root / "outside")
    os.symlink(root / "sign-in.html", root / "inside.html")
    return root


@pytest.fixture
def web_root(tmp_path):
    return make_web_root(tmp_path)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """One server over one web root for the tests that only read it (a
    serve under the sanitizers costs some 0.4 s of CPU to start and
    stop); a test that changes the root has its own (fresh_web)."""
    from conftest import Server, copy_instance
    where = tmp_path_factory.mktemp("web")
    root = make_web_root(where)
    server = Server(copy_instance(where / "instance"), True,
                    where / "serve.log", [f"http.web_root={root}"])
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_web(start_server, web_root):
    return start_server(tls=True, extra=[f"http.web_root={web_root}"])


def request(server, method, path, headers=None):
    """(status, headers as a lower-cased dict, body) of one raw request:
    the path is sent exactly as given."""
    if server.tls:
        conn = http.client.HTTPSConnection("127.0.0.1", server.port,
                                           timeout=10,
                                           context=server.ssl_context())
    else:
        conn = http.client.HTTPConnection("127.0.0.1", server.port,
                                          timeout=10)
    conn.putrequest(method, path, skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def assert_security_headers(h, tls=True):
    assert h["content-security-policy"] == CSP
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["vary"] == "Accept-Encoding"
    if tls:
        assert h["strict-transport-security"].startswith("max-age=")
    else:
        assert "strict-transport-security" not in h


@pytest.mark.parametrize("path, body, ctype, cache", [
    ("/", "<title>home</title>", "text/html; charset=utf-8", "no-cache"),
    ("/sign-in", "sign in", "text/html; charset=utf-8", "no-cache"),
    ("/sign-in.html", "sign in", "text/html; charset=utf-8", "no-cache"),
    ("/people/", "people", "text/html; charset=utf-8", "no-cache"),
    ("/assets/0123abcd/app.css", "color:red", "text/css; charset=utf-8",
     "public, max-age=31536000, immutable"),
    ("/assets/0123abcd/js/app.mjs", "export", "text/javascript; charset=utf-8",
     "public, max-age=31536000, immutable"),
    ("/assets/0123abcd/images/logo.svg", "<svg/>", "image/svg+xml",
     "public, max-age=31536000, immutable"),
    ("/assets/0123abcd/images/icon.png", "PNG", "image/png",
     "public, max-age=31536000, immutable"),
])
def test_page_or_asset_has_its_type_cache_and_headers(web, path, body, ctype,
                                                      cache):
    status, h, got = request(web, "GET", path)
    assert status == 200
    assert body.encode() in got
    assert h["content-type"] == ctype
    assert h["cache-control"] == cache
    assert "content-encoding" not in h
    assert_security_headers(h)


@pytest.mark.parametrize("accept, encoding, body", [
    (None, None, b"body{color:red}"),
    ("identity", None, b"body{color:red}"),
    ("gzip", "gzip", gzip.compress(b"body{color:red}", mtime=0)),
    ("gzip, deflate, br", "br", b"BROTLI-BYTES"),
    ("br;q=0, gzip", "gzip", gzip.compress(b"body{color:red}", mtime=0)),
    ("gzip;q=0", None, b"body{color:red}"),
    ("*", "br", b"BROTLI-BYTES"),
])
def test_precompressed_variant_only_when_accepted(web, accept, encoding, body):
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    status, h, got = request(web, "GET", "/assets/0123abcd/app.css", headers)
    assert status == 200
    assert h.get("content-encoding") == encoding
    assert h["content-type"] == "text/css; charset=utf-8"
    assert h["vary"] == "Accept-Encoding"
    if encoding == "gzip":
        assert gzip.decompress(got) == b"body{color:red}"
    else:
        assert got == body


def test_file_without_a_variant_is_sent_plain(web):
    status, h, got = request(web, "GET", "/sign-in",
                             {"Accept-Encoding": "gzip, br"})
    assert status == 200 and "content-encoding" not in h
    assert b"sign in" in got


def test_head_has_the_headers_and_no_body(web):
    _, get_h, get_body = request(web, "GET", "/assets/0123abcd/app.css")
    status, h, body = request(web, "HEAD", "/assets/0123abcd/app.css")
    assert status == 200 and body == b""
    assert h["content-length"] == str(len(get_body))
    for name in ("content-type", "cache-control", "content-security-policy"):
        assert h[name] == get_h[name]


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/../secret.html",
    "/..",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.html",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/assets/0123abcd/..%2F..%2F..%2Fsecret.txt",
    "/.%2e/secret.txt",
    "/link",
    "/link.html",
    "/outside/secret.txt",
    "/outside/secret",
    "/inside",
    "/.hidden",
    "/.hidden.html",
    "/index.html%00.css",
    "/sign-in%00",
    "//secret.txt",
    "/%5c..%5csecret.txt",
    "/assets/0123abcd/",
    "/assets",
])
def test_nothing_outside_the_root_or_hidden_is_served(web, path):
    status, h, body = request(web, "GET", path)
    assert status == 404, (path, status)
    assert SECRET.encode() not in body
    assert b"Page not found" in body
    assert h["content-type"] == "text/html; charset=utf-8"
    assert h["cache-control"] == "no-cache"
    assert_security_headers(h)


def test_unknown_page_is_the_html_404_or_a_sentence(fresh_web, web_root):
    status, h, body = request(fresh_web, "GET", "/no-such-page")
    assert status == 404 and b"Page not found" in body
    (web_root / "404.html").unlink()
    status, h, body = request(fresh_web, "GET", "/no-such-page")
    assert status == 404
    assert h["content-type"] == "text/plain; charset=utf-8"
    assert body == b"There is no such page.\n"
    assert_security_headers(h)


def test_a_rebuild_is_served_without_a_restart(fresh_web, web_root):
    write(web_root / "sign-in.html", "<title>rebuilt</title>")
    assert b"rebuilt" in request(fresh_web, "GET", "/sign-in")[2]


def test_pages_take_only_get_and_head(web):
    status, h, body = request(web, "POST", "/sign-in",
                              {"Content-Length": "0"})
    assert status == 405
    assert h["allow"] == "GET, HEAD"


def test_api_and_health_keep_their_json_headers(web):
    status, h, body = request(web, "GET", "/api/v1/no-such-endpoint")
    assert status == 404 and body.startswith(b"{")
    assert h["content-type"] == "application/json; charset=utf-8"
    assert h["content-security-policy"] == \
        "default-src 'none'; frame-ancestors 'none'"
    assert h["cache-control"] == "no-store"
    status, h, _ = request(web, "POST", "/healthcheck",
                           {"Content-Length": "0"})
    assert status == 405 and h["allow"] == "GET, HEAD"


def test_plain_http_sends_no_hsts(start_server, web_root):
    server = start_server(tls=False, extra=[f"http.web_root={web_root}"])
    status, h, _ = request(server, "GET", "/")
    assert status == 200
    assert_security_headers(h, tls=False)


def test_relative_web_root_is_below_the_instance(start_server, instance):
    write(instance.dir / "pages" / "index.html", "<title>relative</title>")
    server = start_server(extra=["http.web_root=pages"])
    assert b"relative" in request(server, "GET", "/")[2]


def test_without_a_web_root_paths_are_a_json_404(server):
    status, h, body = request(server, "GET", "/")
    assert status == 404
    assert h["content-type"] == "application/json; charset=utf-8"
    assert b"There is no such page." in body


def test_missing_web_root_is_a_404_not_a_crash(start_server, tmp_path):
    server = start_server(extra=[f"http.web_root={tmp_path}/nowhere"])
    status, _, _ = request(server, "GET", "/")
    assert status == 404
    assert server.get("/healthcheck")[0] == 200
