#!/usr/bin/env python3
"""Finds two-file circles: a.c calls something defined in b.c and b.c calls
something defined in a.c, within one module (issue 9 item 4). Such a pair
is one concern split in two or two concerns tangled; either way neither
file reads alone. Works on the objects a build made (nm), so it sees calls,
not just includes.

  scripts/check-circles.py [BUILD_DIR] [MODULE ...]

Checks the modules named (default: those whose circles are broken) and
prints each circle with the symbols either way; exits 1 if there is one."""
import collections
import glob
import os
import subprocess
import sys

DEFAULT_MODULES = ("mail", "dir", "instance", "smtp", "imap", "pop3", "api",
                   "cli", "auth", "http")


def module_and_file(obj):
    """build/src/mail/libmail.a.p/mail_folder.c.o -> (mail, mail_folder)"""
    parts = obj.split(os.sep)
    return parts[-3], os.path.basename(obj).split(".c.o")[0]


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    modules = sys.argv[2:] or DEFAULT_MODULES
    objs = glob.glob(os.path.join(build, "src", "*", "*.p", "*.c.o"))
    if not objs:
        print(f"check-circles: no objects under {build}/src; build first",
              file=sys.stderr)
        return 2
    defined, used = {}, collections.defaultdict(set)
    for obj in objs:
        key = module_and_file(obj)
        out = subprocess.run(["nm", obj], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBR":
                defined[f[2]] = key
            elif len(f) == 2 and f[0] == "U":
                used[key].add(f[1])
    calls = collections.defaultdict(lambda: collections.defaultdict(set))
    for key, symbols in used.items():
        for sym in symbols:
            target = defined.get(sym)
            if target is not None and target != key and target[0] == key[0]:
                calls[key][target].add(sym)
    circles = 0
    for a in sorted(calls):
        if a[0] not in modules:
            continue
        for b in sorted(calls[a]):
            if a < b and a in calls[b]:
                circles += 1
                print(f"{a[0]}/{a[1]}.c -> {b[1]}.c: "
                      f"{', '.join(sorted(calls[a][b]))}")
                print(f"{a[0]}/{b[1]}.c -> {a[1]}.c: "
                      f"{', '.join(sorted(calls[b][a]))}")
    if circles:
        print(f"check-circles: {circles} two-file circle(s)",
              file=sys.stderr)
        return 1
    print(f"check-circles: ok ({', '.join(modules)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
