#!/usr/bin/env bash
# Checks the layer stack (STYLE.md §2, ARCHITECTURE.md "Layers", design.md
# "A sealed store"): front ends -> domain -> store -> core.
#
#   1. Every #include under src/ points down the stack. A front end
#      includes no store/ header but store/store_types.h, and a domain
#      header a front end can include (any but <module>_internal.h) takes
#      nothing from store/ but store_types.h either.
#   2. store/store_types.h holds types alone: no function, no variable.
#   3. The built objects of each front end (build/src/<front>/*.p/*.o, and
#      main.c's) call no store_ function and define none: `nm -u` lists
#      every symbol an object needs from elsewhere, so a call that slipped
#      past the include check (a hand-written prototype, a macro) still
#      fails here.
#
# Usage: scripts/check-layers.sh [BUILD_DIR]   (default: build; build first)
# CHECK_LAYERS_ROOT names another tree to check (the script's own test).
# Prints each offence as file:line or object: symbol, and fails if any.
set -euo pipefail
cd "${CHECK_LAYERS_ROOT:-$(dirname "$0")/..}"
build=${1:-build}

front="cli http smtp imap pop3 api web"
domain="dir auth instance mail lifecycle jobs"

is_in() {	# is_in WORD LIST
	case " $2 " in *" $1 "*) return 0 ;; esac
	return 1
}

# The module (first directory under src/) a path lies in, or "", in
# $module. Functions answer in variables, not on stdout: a $(...) forks,
# and there are thousands of includes.
module_of() {
	case "$1" in
	src/*/*) local rest=${1#src/}; module=${rest%%/*} ;;
	*) module="" ;;
	esac
}

# The module an include in file refers to, in $module: resolved like the
# compiler does, first beside the file, then from src/ (the build's
# include directory).
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
	module=""
	if [ "$first" != "$target" ] &&
	   is_in "$first" "core store $domain $front"; then
		module=$first
	fi
}

failures=0
report() {
	local where=$1
	shift
	echo "$where: $*" >&2
	failures=$((failures + 1))
}

check_include() {	# check_include FILE LINE TARGET
	local file=$1 line=$2 target=$3 mod tmod
	module_of "$file"
	mod=$module
	case "${target##*/}" in
	sqlite3.h | libpq-fe.h)
		[ "$mod" = store ] ||
			report "$file:$line" "only store/ may include $target"
		return ;;
	esac
	target_module "$file" "$target"
	tmod=$module
	[ -n "$tmod" ] && [ "$tmod" != "$mod" ] || return 0
	if [ "$mod" = core ]; then
		report "$file:$line" "core includes $target from $tmod/"
	elif [ "$mod" = store ] &&
	     { is_in "$tmod" "$domain" || is_in "$tmod" "$front"; }; then
		report "$file:$line" "store includes $target from $tmod/"
	elif is_in "$mod" "$domain" && is_in "$tmod" "$front"; then
		report "$file:$line" "domain $mod/ includes front end $target"
	elif is_in "$mod" "$front" && [ "$tmod" = store ] &&
	     [ "$target" != store/store_types.h ]; then
		report "$file:$line" "front end $mod/ includes $target" \
			"(only store/store_types.h, the records, is allowed)"
	elif is_in "$mod" "$domain" && [ "$tmod" = store ] &&
	     [ "${file##*.}" = h ] && [ "${file%_internal.h}" = "$file" ] &&
	     [ "$target" != store/store_types.h ]; then
		report "$file:$line" "domain header includes $target, which" \
			"front ends would see (only store/store_types.h)"
	fi
}

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"]'
count=0
while IFS= read -r -d '' file; do
	count=$((count + 1))
	# grep picks the include lines, so bash reads a few lines, not all.
	while IFS=: read -r line text; do
		[[ $text =~ $include_re ]] || continue
		check_include "$file" "$line" "${BASH_REMATCH[1]}"
	done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include' "$file" || :)
done < <(find src -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)

# 2. Types alone: in this tree's style a declaration at file scope starts
# in column 0, a member is indented, and a comment starts "/*" or " *". So
# a column-0 line with "(" (a prototype, a function-like macro) or "extern"
# is something other than a type.
types=src/store/store_types.h
if [ -e "$types" ]; then
	line=0
	while IFS= read -r text; do
		line=$((line + 1))
		case "$text" in
		'' | '#'* | '/*'* | ' *'* | [[:space:]]*) continue ;;
		esac
		case "$text" in
		*'('* | extern*)
			report "$types:$line" "not a type: store_types.h" \
				"holds records alone, front ends include it" ;;
		esac
	done <"$types"
fi

# 3. Symbols. Objects are found by where meson puts them; none found means
# the build is missing, which fails rather than passes unchecked.
front_label() {	# front_label OBJECT: "api/", or "main.c", in $label
	module_of "${1#"$build"/}"
	label=${module:+$module/}
	label=${label:-main.c}
}

if ! command -v nm >/dev/null; then
	echo "check-layers: nm (binutils) is needed to check symbols" >&2
	exit 1
fi
objs=()
for obj in "$build"/src/*/*.p/*.o "$build"/caremail.p/*main.c.o; do
	[ -e "$obj" ] || continue
	case "$obj" in
	"$build"/caremail.p/*) objs+=("$obj"); continue ;;
	esac
	module_of "${obj#"$build"/}"
	if is_in "$module" "$front"; then
		objs+=("$obj")
	fi
done
objects=${#objs[@]}
# One nm for all objects (-A names the object on each line): nm is slow
# enough on objects with debug information that one per object adds up.
if [ "$objects" -gt 0 ]; then
	while read -r obj sym; do
		front_label "$obj"
		report "$obj" "front end $label calls $sym: go through dir/," \
			"auth/, mail/ or instance/"
	done < <(nm -A -u "${objs[@]}" |
		awk '$NF ~ /^store_/ { sub(/:$/, "", $1); print $1, $NF }')
	while read -r obj sym; do
		front_label "$obj"
		report "$obj" "front end $label defines $sym"
	done < <(nm -A -g --defined-only "${objs[@]}" |
		awk '$NF ~ /^store_/ { sub(/:.*/, "", $1); print $1, $NF }')
fi
if [ "$objects" -eq 0 ]; then
	echo "check-layers: no front-end objects under $build/src; build" \
		"first (make all) or pass the build directory" >&2
	exit 1
fi

if [ "$failures" -gt 0 ]; then
	echo "check-layers: $failures layer break(s)" >&2
	exit 1
fi
echo "check-layers: ok ($count files, $objects front-end objects)"
