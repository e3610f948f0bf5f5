#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD_DIR/tests/fuzz for FUZZ_SECONDS
# (default 10) each, starting from tests/fuzz/seeds/<name>/ and using
# tests/fuzz/<name>.dict when present. A crash, leak or timeout fails.
# Usage: scripts/fuzz.sh BUILD_DIR   (configured with -Dfuzz=true, clang)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:?usage: scripts/fuzz.sh BUILD_DIR}
seconds=${FUZZ_SECONDS:-10}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# The first of the given paths that exists, or "".
first_existing() {
	local p
	for p in "$@"; do
		if [ -e "$p" ]; then
			echo "$p"
			return
		fi
	done
}

targets=()
if [ -d "$build/tests/fuzz" ]; then
	while IFS= read -r -d '' t; do
		targets+=("$t")
	done < <(find "$build/tests/fuzz" -maxdepth 1 -type f -name 'fuzz_*' \
		! -name '*-*' ! -name '*.*' \
		-perm -u+x -print0 | sort -z)
fi
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no targets in $build/tests/fuzz"
	exit 0
fi

# One target a core at a time (FUZZ_JOBS, default the cores): each is one
# process, so two cores run two targets for their full time each, and the
# whole run takes half as long as one after the other.
jobs=${FUZZ_JOBS:-$(nproc)}
declare -A running=()	# pid -> target name
failed=()

# Waits for one target to end; a failure shows its log's tail.
reap() {
	local pid rc=0
	wait -n -p pid "${!running[@]}" || rc=$?
	local name=${running[$pid]}
	unset "running[$pid]"
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$build/tests/fuzz/$name.log" >&2
		failed+=("$name")
	fi
}

for t in "${targets[@]}"; do
	name=$(basename "$t")
	short=${name#fuzz_}	# seeds and dict may be named either way
	seeds=$(first_existing tests/fuzz/seeds/{"$name","$short"})
	dict=$(first_existing tests/fuzz/{"$name","$short"}.dict)
	# New inputs go to a scratch corpus, so the checked-in seeds stay put.
	corpus="tests/fuzz/corpus-$short"
	mkdir -p "$corpus"
	out="$build/tests/fuzz/$name"
	args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$out-")
	[ -z "$dict" ] || args+=(-dict="$dict")
	while [ ${#running[@]} -ge "$jobs" ]; do
		reap
	done
	echo "fuzz: $name, ${seconds}s${seeds:+, seeds $seeds}${dict:+, $dict}"
	"$t" "${args[@]}" "$corpus" ${seeds:+"$seeds"} >"$out.log" 2>&1 &
	running[$!]=$name
done
while [ ${#running[@]} -gt 0 ]; do
	reap
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: FAILED ${failed[*]}" \
		"(logs and crash inputs in $build/tests/fuzz)" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} target(s) ran clean"
