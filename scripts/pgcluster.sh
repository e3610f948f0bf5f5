#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests (issue 14: the store's
# conformance suite on PostgreSQL): made with Debian's postgresql-15
# binaries in a directory of its own, listening on 127.0.0.1 and a free
# port, and removed again. Nothing of the machine's own clusters is used.
#
#   scripts/pgcluster.sh start DIR   makes and starts it; prints its URL
#                                    (postgresql://caremail@127.0.0.1:PORT/caremail)
#   scripts/pgcluster.sh stop DIR    stops it and removes DIR
#   scripts/pgcluster.sh url DIR     prints the URL of a started one
#   scripts/pgcluster.sh restart DIR stops it at once and starts it again
#                                    (every client's connection is cut)
#
# PostgreSQL refuses to run as root: as root the cluster belongs to the
# "postgres" user (Debian's postgresql-common makes it). Local sign-in is
# "trust", on loopback only: the cluster holds test data and lives for one
# run. The collation is C, as caremail's text ranges expect (the People
# Finder's key ranges compare bytes, docs/postgresql.md).
# PG_SHARED_BUFFERS sets its buffer cache (128MB unless given; the
# national-scale benchmarks give it what docs/postgresql.md advises).
set -euo pipefail

BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
	[ -x "$BIN/initdb" ] || {
		echo "pgcluster: $BIN/initdb not found (install postgresql-15: scripts/deps.sh)" >&2
		exit 1
	}
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_owner "$BIN/initdb" -D "$dir/data" -U caremail --auth=trust \
		--encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	port=$(free_port)
	# Small and quick: a test cluster, fsync kept on (group commit's
	# meaning is tested on it), a socket in DIR, not /var/run.
	as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c shared_buffers=${PG_SHARED_BUFFERS:-128MB}" \
		start >/dev/null || {
		cat "$dir/server.log" >&2
		exit 1
	}
	as_owner "$BIN/createdb" -h 127.0.0.1 -p "$port" -U caremail caremail
	echo "postgresql://caremail@127.0.0.1:$port/caremail" >"$dir/url"
	cat "$dir/url"
	;;
url)
	cat "$dir/url"
	;;
restart)
	as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 60 \
		-l "$dir/server.log" restart >/dev/null
	;;
stop)
	if [ -d "$dir/data" ]; then
		as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "pgcluster: start, stop or url, not '$cmd'" >&2
	exit 2
	;;
esac
