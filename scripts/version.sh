#!/bin/sh
# Prints the version from git, so a build never embeds a build date.
cd "$(dirname "$0")/.." || exit 1
v=$(git describe --tags --always --dirty 2>/dev/null) || v=""
[ -n "$v" ] || v="0.1.0"
echo "$v"
