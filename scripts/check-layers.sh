#!/usr/bin/env bash
# Checks that every #include under src/ points down the layer stack
# (STYLE.md §2, ARCHITECTURE.md "Layers"): front ends -> domain -> store ->
# core. Prints each offending file:line and fails if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."

front="cli http smtp imap pop3 api web"
domain="dir auth instance mail lifecycle jobs"

is_in() {	# is_in WORD LIST
	case " $2 " in *" $1 "*) return 0 ;; esac
	return 1
}

# The module (first directory under src/) a path lies in, or "".
module_of() {
	case "$1" in
	src/*/*) local rest=${1#src/}; echo "${rest%%/*}" ;;
	*) echo "" ;;
	esac
}

# The module an include in file refers to: resolved like the compiler does,
# first beside the file, then from src/ (the build's include directory).
target_module() {
	local file=$1 target=$2 path
	for path in "${file%/*}/$target" "src/$target"; do
		[ -e "$path" ] || continue
		case "$path" in
		*..*) path=$(realpath -m --relative-to=. "$path") ;;
		esac
		module_of "$path"
		return
	done
	# A header not written yet still names its module; <sys/x.h> does not.
	local first=${target%%/*}
	if [ "$first" != "$target" ] &&
	   is_in "$first" "core store $domain $front"; then
		echo "$first"
	fi
}

failures=0
report() {
	echo "$1: $2" >&2
	failures=$((failures + 1))
}

check_include() {	# check_include FILE LINE TARGET
	local file=$1 line=$2 target=$3 mod tmod
	mod=$(module_of "$file")
	case "${target##*/}" in
	sqlite3.h | libpq-fe.h)
		[ "$mod" = store ] ||
			report "$file:$line" "only store/ may include $target"
		return ;;
	esac
	tmod=$(target_module "$file" "$target")
	[ -n "$tmod" ] && [ "$tmod" != "$mod" ] || return 0
	if [ "$mod" = core ]; then
		report "$file:$line" "core includes $target from $tmod/"
	elif [ "$mod" = store ] &&
	     { is_in "$tmod" "$domain" || is_in "$tmod" "$front"; }; then
		report "$file:$line" "store includes $target from $tmod/"
	elif is_in "$mod" "$domain" && is_in "$tmod" "$front"; then
		report "$file:$line" "domain $mod/ includes front end $target"
	elif is_in "$mod" "$front" && [ "$tmod" = store ]; then
		report "$file:$line" "front end $mod/ includes $target"
	fi
}

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"]'
count=0
while IFS= read -r -d '' file; do
	count=$((count + 1))
	line=0
	while IFS= read -r text; do
		line=$((line + 1))
		[[ $text =~ $include_re ]] || continue
		check_include "$file" "$line" "${BASH_REMATCH[1]}"
	done <"$file"
done < <(find src -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)

if [ "$failures" -gt 0 ]; then
	echo "check-layers: $failures include(s) point up the layer stack" >&2
	exit 1
fi
echo "check-layers: ok ($count files)"
