"""The browser harness (harness.mjs) fails a page that breaks its rules:
a request to another origin, a CSP violation, a resource that fails to
load, a WCAG violation and a page wider than the screen each make it fail, so a passing scenario means
something."""

import pathlib


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<link rel="icon" href="data:,">
{head}</head><body><main><h1>Test</h1>{body}</main></body></html>"""


def test_harness_catches_each_kind_of_fault(start_server, tmp_path,
                                            run_scenario):
    root = tmp_path / "web"
    cases = {
        "outside": ("", '<img alt="x" src="https://example.invalid/x.png">',
                    # The CSP refuses it before the route check sees it;
                    # either way the outside URL fails the page.
                    "https://example.invalid/x.png"),
        "inline": ("<script>document.title = 'x';</script>", "",
                   "Content Security Policy"),
        "missing": ('<link rel="stylesheet" href="/nope.css">', "",
                    "/nope.css"),
        "axe": ("", '<img src="data:image/png;base64,iVBORw0KGgo=">',
                "image-alt"),
        # A line that cannot wrap (no inline style: the CSP forbids it).
        "wide": ("", "<pre>" + "wide " * 400 + "</pre>",
                 "scrolls sideways"),
        "clean": ("", "<p>Fine.</p>", "NO FAILURE"),
    }
    for name, (head, body, _) in cases.items():
        write(root / f"{name}.html", PAGE.format(head=head, body=body))
    write(root / "404.html", PAGE.format(head="", body="<p>none</p>"))
    server = start_server(tls=True, extra=[f"http.web_root={root}"])
    for name, (_, _, said) in cases.items():
        out = run_scenario("harness_fails", server, page=f"/{name}")
        assert said in out, (name, out)
        if name != "clean":
            assert "NO FAILURE" not in out, name
