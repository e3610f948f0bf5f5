"""The documents a newcomer reads say what the program does."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CAREMAIL_BIN", os.path.join(ROOT, "build", "caremail"))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def test_configuration_doc_matches_defaults():
    doc = read("docs/configuration.md")
    block = re.search(r"```ini\n(.*?)```", doc, re.S).group(1)
    out = subprocess.run([BIN, "config", "defaults"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    assert block == out, "docs/configuration.md is out of date: regenerate it"


def test_readme_names_the_two_commands():
    readme = read("README.md")
    assert "make run" in readme and "make test" in readme
