"""scripts/check-layers.sh fails on every way a front end can reach the store.

Each case builds a small fake tree (sources, and objects compiled by the
real compiler where meson would put them) and runs the real script on it
with CHECK_LAYERS_ROOT, so the script is shown able to fail, and to pass
a tree that keeps the rules. The last test runs it on this repository.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check-layers.sh"
BIN = os.environ.get("CAREMAIL_BIN", str(ROOT / "build" / "caremail"))

TYPES_H = """/*
 * Records alone.
 */
#ifndef STORE_STORE_TYPES_H
#define STORE_STORE_TYPES_H

#include <stdint.h>

#define STORE_THING_MAX 8

/* A record. */
struct store_thing {
	int64_t id;
	const char *name;	/* "" when unset */
};

enum store_kind {
	STORE_KIND_PERSON,
};

#endif
"""

STORE_H = """#include "store/store_types.h"
struct store;
struct error;
int store_ping(struct store *st, struct error *err);
"""

DIR_H = """#include "store/store_types.h"
struct dir_ctx;
int dir_thing_get(const struct dir_ctx *ctx, struct store_thing *t_r);
"""

API_C = """#include "dir/dir.h"
int api_thing(const struct dir_ctx *ctx);
int
api_thing(const struct dir_ctx *ctx)
{
	struct store_thing t;
	return dir_thing_get(ctx, &t);
}
"""


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def compile_into(root, rel_obj, source):
    """Compiles source into root/build/<rel_obj>, as meson would place it."""
    src = write(root, "objsrc/" + pathlib.Path(rel_obj).name + ".c", source)
    obj = root / "build" / rel_obj
    obj.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", "-c", "-I", str(root / "src"), "-o", str(obj),
                    str(src)], check=True, timeout=60)


def sealed_tree(root):
    """A tree that keeps every rule: the script passes it."""
    write(root, "src/store/store_types.h", TYPES_H)
    write(root, "src/store/store.h", STORE_H)
    write(root, "src/dir/dir.h", DIR_H)
    write(root, "src/api/api_thing.c", API_C)
    compile_into(root, "src/api/libapi.a.p/api_thing.c.o", API_C)


def check(root):
    env = dict(os.environ, CHECK_LAYERS_ROOT=str(root))
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True,
                          text=True, timeout=60, env=env)


def test_a_sealed_tree_passes(tmp_path):
    sealed_tree(tmp_path)
    proc = check(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 front-end objects" in proc.stdout


@pytest.mark.parametrize("front", ["api", "cli", "http", "smtp", "imap",
                                   "pop3"])
def test_a_front_end_including_a_store_header_fails(tmp_path, front):
    sealed_tree(tmp_path)
    write(tmp_path, f"src/{front}/{front}_x.c", '#include "store/store.h"\n')
    proc = check(tmp_path)
    assert proc.returncode == 1
    assert f"src/{front}/{front}_x.c:1: front end {front}/ includes " \
        "store/store.h" in proc.stderr


def test_a_front_end_may_include_the_types_alone(tmp_path):
    sealed_tree(tmp_path)
    write(tmp_path, "src/imap/imap_x.c", '#include "store/store_types.h"\n')
    assert check(tmp_path).returncode == 0


@pytest.mark.parametrize("front", ["api", "cli", "http", "smtp", "imap",
                                   "pop3"])
def test_a_front_end_calling_the_store_fails(tmp_path, front):
    """A hand-written prototype passes the include check; nm catches it."""
    sealed_tree(tmp_path)
    compile_into(tmp_path, f"src/{front}/lib{front}.a.p/{front}_leak.c.o",
                 "struct store; struct error;\n"
                 "int store_ping(struct store *st, struct error *err);\n"
                 "int leak(struct store *st);\n"
                 "int leak(struct store *st) { return store_ping(st, 0); }\n")
    proc = check(tmp_path)
    assert proc.returncode == 1
    assert f"{front}_leak.c.o: front end {front}/ calls store_ping" \
        in proc.stderr


def test_a_front_end_defining_a_store_symbol_fails(tmp_path):
    sealed_tree(tmp_path)
    compile_into(tmp_path, "src/smtp/libsmtp.a.p/smtp_own.c.o",
                 "int store_own(void);\nint store_own(void) { return 1; }\n")
    proc = check(tmp_path)
    assert proc.returncode == 1
    assert "front end smtp/ defines store_own" in proc.stderr


def test_a_front_end_static_helper_named_store_passes(tmp_path):
    """Only symbols that cross files count: a static helper is its own."""
    sealed_tree(tmp_path)
    compile_into(tmp_path, "src/imap/libimap.a.p/imap_own.c.o",
                 "static int store_flags(int x) { return x + 1; }\n"
                 "int imap_own(int x);\n"
                 "int imap_own(int x) { return store_flags(x); }\n")
    assert check(tmp_path).returncode == 0


def test_a_domain_header_passing_the_store_on_fails(tmp_path):
    sealed_tree(tmp_path)
    write(tmp_path, "src/dir/dir.h", '#include "store/store.h"\n' + DIR_H)
    proc = check(tmp_path)
    assert proc.returncode == 1
    assert "src/dir/dir.h:1: domain header includes store/store.h" \
        in proc.stderr


def test_a_domain_internal_header_may_include_the_store(tmp_path):
    sealed_tree(tmp_path)
    write(tmp_path, "src/dir/dir_internal.h", '#include "store/store.h"\n')
    assert check(tmp_path).returncode == 0


@pytest.mark.parametrize("line", [
    "int store_thing_get(struct store *st, int64_t id);",
    "extern int store_things;",
    "#include \"store/store.h\"\nint store_x(void);",
])
def test_a_function_in_the_types_header_fails(tmp_path, line):
    sealed_tree(tmp_path)
    write(tmp_path, "src/store/store_types.h",
          TYPES_H.replace("#endif", line + "\n\n#endif"))
    proc = check(tmp_path)
    assert proc.returncode == 1
    assert "not a type: store_types.h" in proc.stderr


def test_no_built_objects_fails(tmp_path):
    sealed_tree(tmp_path)
    (tmp_path / "build" / "src" / "api" / "libapi.a.p" /
     "api_thing.c.o").unlink()
    proc = check(tmp_path)
    assert proc.returncode == 1
    assert "no front-end objects" in proc.stderr


def test_this_repository_is_sealed():
    build = pathlib.Path(BIN).resolve().parent
    proc = subprocess.run(["bash", str(SCRIPT), str(build)],
                          capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
