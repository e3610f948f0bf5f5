"""The web build's own rules, on its output ($CAREMAIL_WEB_ROOT) and its
pure modules (web/test/*.test.mjs under node's test runner): Arial only
with no @font-face, nothing fetched from another origin, no inline script
or style in any page, every text asset precompressed, assets named by
their content hash."""

import gzip
import re
import subprocess

from conftest import ROOT, WEB_ROOT


def built_pages():
    """Every page the build wrote, those in folders too (pages/secure/
    is served at /secure/...)."""
    return sorted(p for p in WEB_ROOT.rglob("*.html")
                  if p.relative_to(WEB_ROOT).parts[0] != "assets")


def test_web_modules_pure_functions():
    proc = subprocess.run(["node", "--test", "test/"], cwd=ROOT / "web",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert re.search(r"^# fail 0$", proc.stdout, re.M), proc.stdout[-2000:]


def test_css_is_arial_with_no_font_download():
    (css,) = WEB_ROOT.glob("assets/*/app.css")
    text = css.read_text()
    assert "@font-face" not in text
    assert "Frutiger" not in text
    assert re.search(r"font-family:\s*arial,\s*sans-serif", text, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), \
        "the CSS fetches from another origin"


def test_pages_have_no_inline_script_or_style_and_no_outside_urls():
    pages = built_pages()
    assert {str(p.relative_to(WEB_ROOT)) for p in pages} >= {
        "index.html", "sign-in.html", "404.html", "secure/open.html"}
    for page in pages:
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page
        assert not re.search(r"\sstyle=|\son[a-z]+=", html), page
        for url in re.findall(r'(?:src|href)="([^"]*)"', html):
            assert url.startswith("#") or (
                url.startswith("/") and not url.startswith("//")), \
                (page.name, url)


def test_text_files_are_precompressed_and_assets_hashed():
    (assets,) = WEB_ROOT.glob("assets/*")
    assert re.fullmatch(r"[0-9a-f]{12}", assets.name)
    for path in [*built_pages(), *assets.rglob("*.mjs"),
                 *assets.rglob("*.css")]:
        gz = path.with_name(path.name + ".gz")
        assert gz.exists() and path.with_name(path.name + ".br").exists(), \
            path
        assert gzip.decompress(gz.read_bytes()) == path.read_bytes(), path


def test_every_page_is_opened_by_a_scenario():
    """Each web/pages/NAME.njk has a browser scenario (tests/browser/*.mjs)
    that names its URL path (/NAME, / for index), to open it or to follow
    a link there and check it; 404 by the harness's gotoMissing."""
    scenarios = "\n".join(p.read_text() for p in
                          (ROOT / "tests" / "browser").glob("*.mjs")
                          if p.name not in ("harness.mjs",
                                            "harness_fails.mjs"))
    unopened = []
    pages = ROOT / "web" / "pages"
    for page in sorted(pages.rglob("*.njk")):
        name = str(page.relative_to(pages).with_suffix(""))
        if name == "404":
            opened = "gotoMissing(" in scenarios
        else:
            path = "/" if name == "index" else "/" + name
            opened = re.search(r"""["'`(]""" + re.escape(path) +
                               r"""(?:["'`?#)]|$)""", scenarios, re.M)
        if not opened:
            unopened.append(str(page.relative_to(pages)))
    assert not unopened, "no browser scenario opens " + ", ".join(unopened)
