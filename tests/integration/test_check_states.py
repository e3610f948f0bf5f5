"""scripts/check-states.sh fails on a state's name compared as a string.

Each case writes a small fake tree and runs the real script on it with
CHECK_STATES_ROOT, so the script is shown able to fail, and to pass the
parse functions that are the one place a name may be read. The last test
runs it on this repository.
"""
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check-states.sh"

PARSE = """bool
dir_person_status_parse(const char *name, enum store_person_status *s)
{
	if (strcmp(name, "leaver") == 0)
		return true;
	return false;
}
"""


def run(root):
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True,
                          text=True, env={"CHECK_STATES_ROOT": str(root),
                                          "PATH": "/usr/bin:/bin"})


def tree(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_a_parse_function_may_compare_names(tmp_path):
    root = tree(tmp_path, {"src/dir/dir_states.c": PARSE})
    got = run(root)
    assert got.returncode == 0, got.stderr


def test_a_name_compared_anywhere_else_fails(tmp_path):
    cases = {
        "src/api/api_people.c": 'static int\nf(const char *s)\n{\n'
                                '\treturn strcmp(s, "leaver") == 0;\n}\n',
        "src/dir/dir_person.c": 'int\ng(struct span s)\n{\n'
                                '\treturn span_eq_cstr(s, "disabled");\n}\n',
        # The parse function's name, but in another file.
        "src/mail/mail_folder.c": PARSE,
    }
    for name, text in cases.items():
        root = tree(tmp_path / name.replace("/", "_"), {name: text})
        got = run(root)
        assert got.returncode == 1, name
        assert name in got.stderr and "compared as a string" in got.stderr


def test_this_repository_compares_no_state_as_a_string():
    got = run(ROOT)
    assert got.returncode == 0, got.stderr
