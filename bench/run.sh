#!/bin/bash
# caremail benchmarks against the peer (Postfix + Dovecot), side by side in the
# same run. See bench/README.md.
#
#   bench/run.sh [B1|B3|B4|B5|B9|B10|all]...   (default: all = B1, B3, B4)
#   B5 and B9 (HTTP load with wrk over 1.6 M people) are not in "all": about
#   12 minutes for both (4-5 of them making the directory); they need no peer.
#   B10 (outbound to 200 domains through a DNS stub and smtp-sink, against
#   Postfix) is not in "all" either: a few minutes per run on the 2 cores.
#
# Env: BENCH_RUNS (repetitions, 3)  BENCH_TIMEOUT (s per B1 run and system, 300)
#      B1, B3: BENCH_PG=1 also runs caremail on PostgreSQL, one node and two
#      B1: BENCH_N (messages, 20000)  BENCH_RCPTS (1000)  BENCH_CONC (20)  BENCH_SIZE (4096)
#          BENCH_REUSE=1 (keep one SMTP connection per session; default: one per message)
#      B3: BENCH_B3_MSGS (50000)  BENCH_B3_APPEND (2000, one at a time; 0: none)  BENCH_DROP_CACHES (1 when root: drop the page cache
#          before each cold pass, for both systems; 0: do not)
#      B4: BENCH_B4_CONNS (1000)
#      B10: BENCH_N, BENCH_SIZE, BENCH_CONC as B1; BENCH_B10_DOMAINS (200)
#      B5, B9: BENCH_PEOPLE (1600000)  BENCH_ORGS (10000)  BENCH_DURATION (s per wrk run, 15)
#          BENCH_HTTP_TLS (off|on|both, both)
#          BENCH_HTTP_PACED (1: also runs paced at the goal's rate, 5100/s and 10200/s,
#          for the latency at that rate, not at saturation; 0: not)
#          BENCH_HTTP_WORK (a directory kept between runs: the 1.6 M instance is
#          made there once and reused; default: made anew in the work dir)
#      PEERS_DIR (the peer scripts; default <repo>/../shared/peers)
#      BENCH_PEERS_STATE (the peer's state dir, exported as PEERS; default /tmp/caremail-bench-peers)
#      BENCH_BUILD (build dir, <repo>/build-bench)  BENCH_NO_BUILD=1 (use the binary as it is)
#      BENCH_TMP (where instances live and the flush rate is measured; /tmp)
#      BENCH_KEEP=1 (keep the work dir)  BENCH_RESULTS (bench/RESULTS.md)
#      BENCH_RECORD=0 (print only; do not append to RESULTS.md)
# Everything it starts (caremail servers, the peer) is stopped on exit.
# The whole script is one function, read before it starts: editing this file
# while a run is going cannot change what that run does.
main() {
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/.." && pwd))
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
RUNS=${BENCH_RUNS:-3}
TIMEOUT=${BENCH_TIMEOUT:-300}
N=${BENCH_N:-20000}; RCPTS=${BENCH_RCPTS:-1000}; CONC=${BENCH_CONC:-20}; SIZE=${BENCH_SIZE:-4096}
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
RESULTS=${BENCH_RESULTS:-$HERE/RESULTS.md}
COMMAND="bench/run.sh $*"
[ $# -eq 0 ] && COMMAND="bench/run.sh"

usage() { sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; }
DO_B1=0; DO_B3=0; DO_B4=0; DO_B5=0; DO_B9=0; DO_B10=0
[ $# -eq 0 ] && set -- all
for w in "$@"; do
  case "$w" in
    B1|b1) DO_B1=1 ;;
    B3|b3) DO_B3=1 ;;
    B4|b4) DO_B4=1 ;;
    B5|b5) DO_B5=1 ;;
    B9|b9) DO_B9=1 ;;
    B10|b10) DO_B10=1 ;;
    all)   DO_B1=1; DO_B3=1; DO_B4=1 ;;
    -h|--help|help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown benchmark '$w' (B1, B3, B4, B5, B9, B10 or all)" >&2; usage >&2; exit 2 ;;
  esac
done
B3_MSGS=${BENCH_B3_MSGS:-50000}; B3_APPEND=${BENCH_B3_APPEND:-2000}; B4_CONNS=${BENCH_B4_CONNS:-1000}
# caremail's password policy wants 12 characters; the peer's users all have "pass"
PASSWORD=bench-user-password-0123
if [ -z "${BENCH_DROP_CACHES:-}" ]; then
  DROP=0; [ -w /proc/sys/vm/drop_caches ] && DROP=1
else DROP=$BENCH_DROP_CACHES; fi
# 1,000 IMAP sessions (and Dovecot's processes) need descriptors
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---------------------------------------------------------------- cleanup
WORK=
PEER_STARTED=
CHILD=
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then  # a b1.py run: it stops its server
    kill -TERM "$CHILD" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ -n "$WORK" ] && [ -f "$WORK/caremail.pid" ]; then  # a server b1.py had no chance to stop
    pid=$(tr -dc '0-9' < "$WORK/caremail.pid")
    if [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = caremail ]; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    "$ROOT/scripts/pgcluster.sh" stop "$PG_DIR" || true
  fi
  if [ -n "$PEER_STARTED" ]; then
    echo "== stopping the peer"
    "$PEERS_DIR/stop.sh" || true
  fi
  if [ -n "$WORK" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
T_BEGIN=$(date +%s)

# ---------------------------------------------------------------- build
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  echo "== building caremail (release) in $BUILD"
  [ -f "$BUILD/build.ninja" ] || (cd "$ROOT" && meson setup "$BUILD" -Dbuildtype=release >/dev/null)
  ninja -C "$BUILD" >/dev/null || { echo "build failed (ninja -C $BUILD)" >&2; exit 1; }
fi
BIN=$BUILD/caremail
[ -x "$BIN" ] || { echo "no caremail binary at $BIN" >&2; exit 1; }
VERSION=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)

WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/caremail-bench.XXXXXX")
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- B5, B9
# HTTP load with wrk (Debian's package, installed here the first time) over
# one directory of 1.6 M people made by http_load.py; no peer (PERFORMANCE.md
# names none). Reported on their own by http_report.py.
if [ "$DO_B5" = 1 ] || [ "$DO_B9" = 1 ]; then
  if ! command -v wrk >/dev/null; then
    echo "== installing wrk (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
  fi
  HTTP_ARGS=(); [ "$DO_B5" = 1 ] && HTTP_ARGS+=(--b5); [ "$DO_B9" = 1 ] && HTTP_ARGS+=(--b9)
  # Also at the goal's rate (a little above it), for the latency there.
  [ "${BENCH_HTTP_PACED:-1}" = 1 ] && HTTP_ARGS+=(--b5-rate 5100 --b9-rate 10200)
  HTTP_WORK=${BENCH_HTTP_WORK:-$WORK/http}
  echo "== B5/B9: ${BENCH_PEOPLE:-1600000} people in ${BENCH_ORGS:-10000} orgs; $RUNS wrk runs of ${BENCH_DURATION:-15} s each, TLS ${BENCH_HTTP_TLS:-both}"
  # Debian's python3: its pytest lets http_load.py use conftest.py's helpers.
  PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
  "$PY" "$HERE/http_load.py" --bin "$BIN" --work "$HTTP_WORK" "${HTTP_ARGS[@]}" \
    --people "${BENCH_PEOPLE:-1600000}" --orgs "${BENCH_ORGS:-10000}" --runs "$RUNS" \
    --duration "${BENCH_DURATION:-15}" --tls "${BENCH_HTTP_TLS:-both}" \
    --out "$WORK/http.jsonl" > /dev/null &
  CHILD=$!
  wait "$CHILD"
  CHILD=
  RECORD=--record; [ "${BENCH_RECORD:-1}" = 0 ] && RECORD=
  python3 "$HERE/http_report.py" --runs-file "$WORK/http.jsonl" --command "$COMMAND" \
    --version "$VERSION" --build "$BUILD" --workdir "$WORK" --loadavg "$LOADAVG" \
    --elapsed $(( $(date +%s) - T_BEGIN )) --results "$RESULTS" $RECORD
  LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
fi
if [ "$DO_B1" = 0 ] && [ "$DO_B3" = 0 ] && [ "$DO_B4" = 0 ] && [ "$DO_B10" = 0 ]; then
  exit 0  # the cleanup trap removes the work dir
fi

# ---------------------------------------------------------------- the peer
export PEERS=${BENCH_PEERS_STATE:-/tmp/caremail-bench-peers}
export DOMAIN=bench.test
# Free ports, so the peer never collides with a caremail (or another peer)
# already listening on the defaults (2525, 1143, ...).
export SMTP_PORT=$(free_port) IMAP_PORT=$(free_port) POP3_PORT=$(free_port) LMTP_PORT=$(free_port)
echo "== setting up the peer (PEERS=$PEERS, SMTP 127.0.0.1:$SMTP_PORT)"
PEER_STARTED=1
"$PEERS_DIR/setup.sh"
PEER_VERSIONS=$(dpkg-query -W -f '${Package} ${Version}, ' postfix dovecot-core 2>/dev/null | sed 's/, $//')

# ---------------------------------------------------------------- caremail template
# One instance with $RCPTS mailboxes user0001..@bench.test (B4: at least
# $B4_CONNS), bigbox@ (B3's big mailbox) and warmup@; every run starts from a
# fresh copy of it (creation time is not part of the benchmark). Every person
# gets the same password: set once with `caremail user passwd` (one Argon2id
# hash), then its hash copied to the others in SQL (1,000 hashes through the
# CLI would take minutes; sign-in verifies whatever hash is stored the same way).
TEMPLATE=$WORK/template
NUSR=$RCPTS; [ "$DO_B4" = 1 ] && [ "$B4_CONNS" -gt "$NUSR" ] && NUSR=$B4_CONNS
# B10 alone sends from user0001 only
[ "$DO_B1" = 0 ] && [ "$DO_B3" = 0 ] && [ "$DO_B4" = 0 ] && NUSR=1
echo "== creating a caremail instance with $NUSR mailboxes"
printf '%s\n' 'bench-operator-passphrase-0123' |
  "$BIN" init --dir "$TEMPLATE" --domain bench.test --admin-password-stdin >/dev/null
"$BIN" org add --dir "$TEMPLATE" --ods BENCH1 --name "Bench Org" >/dev/null
seq 1 "$NUSR" | xargs -P 4 -I{} sh -c 'n=$(printf %04d "$1"); "$2" user add --dir "$3" --org BENCH1 \
  --first Bench --last "User$n" --email "user$n@bench.test" >/dev/null' _ {} "$BIN" "$TEMPLATE"
made=$(sqlite3 "$TEMPLATE/caremail.db" "SELECT COUNT(*) FROM mailboxes WHERE address LIKE 'user%@bench.test'")
echo "   $made mailboxes"
[ "$made" = "$NUSR" ] || { echo "expected $NUSR mailboxes, made $made" >&2; exit 1; }
if [ "$DO_B3" = 1 ] || [ "$DO_B4" = 1 ]; then
  "$BIN" user add --dir "$TEMPLATE" --org BENCH1 --first Big --last Box --email bigbox@bench.test >/dev/null
  "$BIN" user add --dir "$TEMPLATE" --org BENCH1 --first Warm --last Up --email warmup@bench.test >/dev/null
  # --permanent: mail programs refuse a temporary password (SECURITY.md 43).
  printf '%s\n' "$PASSWORD" | "$BIN" user passwd --dir "$TEMPLATE" bigbox@bench.test --stdin --permanent >/dev/null
  sqlite3 "$TEMPLATE/caremail.db" "UPDATE people SET password_hash = (SELECT p.password_hash FROM people p
    JOIN mailboxes m ON m.id = p.mailbox_id WHERE m.address = 'bigbox@bench.test'),
    password_changed_at = strftime('%s', 'now'),
    password_self_set_at = strftime('%s', 'now') WHERE password_hash = '';"
fi

# ---------------------------------------------------------------- raw flush rate
# Measured before and after the benchmarks: on a shared disk it moves.
fsync_rate() {
  local r
  echo "== raw 4 KiB pwrite + fdatasync rate on $(df --output=target "$WORK" | tail -1) ($WORK), $1" >&2
  r=$(python3 "$HERE/fsync_rate.py" "$WORK" --count 2000 --reps 3)
  echo "   $r" >&2
  echo "$r"
}
FSYNC=$(fsync_rate before)

# ---------------------------------------------------------------- B1
B1=$WORK/b1.jsonl
REUSE=; [ "${BENCH_REUSE:-0}" = 1 ] && REUSE=--reuse
common=(-n "$N" --size "$SIZE" --rcpts "$RCPTS" --conc "$CONC" --timeout "$TIMEOUT" $REUSE)
b1_one() {  # system run
  local out
  # In the background and waited for, so a signal reaches our trap at once.
  if [ "$1" = caremail ]; then
    python3 "$HERE/b1.py" caremail --run "$2" "${common[@]}" --bin "$BIN" \
      --template "$TEMPLATE" --instance "$WORK/instance" --pidfile "$WORK/caremail.pid" \
      > "$WORK/one.json" &
  else
    python3 "$HERE/b1.py" peer --run "$2" "${common[@]}" > "$WORK/one.json" &
  fi
  CHILD=$!
  wait "$CHILD"
  CHILD=
  rm -rf "$WORK/instance"
  out=$(cat "$WORK/one.json")
  echo "$out" >> "$B1"
  python3 - "$out" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
print("   run %d %-8s delivered=%d/%d in %.1fs (sender done %.1fs): %.0f msg/s; DATA->250 p50 %.1f ms p99 %.1f ms; "
      "errors %d; server cpu %.1fs (%.2f ms/msg), driver cpu %.1fs, other %.1fs; peak %s %d KiB"
      % (r["run"], r["system"], r["delivered"], r["n"], r["wall_s"], r["sender_done_s"], r["rate"],
         r["data250_p50_ms"], r["data250_p99_ms"], r["errors"], r["server_cpu_s"],
         r["server_cpu_ms_per_msg"], r["driver_cpu_s"], r["other_cpu_s"],
         "VmHWM" if r["system"] == "caremail" else "PSS sum",
         r["peak_rss_kb"] if r["system"] == "caremail" else r["peak_pss_sampled_kb"]))
EOF
}
# BENCH_PG=1: caremail on PostgreSQL too (one node and two), on a
# throwaway cluster (scripts/pgcluster.sh), after the SQLite run.
b1_pg() {  # run nodes
  python3 "$HERE/b1.py" caremail --run "$1" "${common[@]}" --bin "$BIN" \
    --template "$TEMPLATE" --instance "$WORK/instance" --pidfile "$WORK/caremail.pid" \
    --pg-url "$PG_URL" --pg-dir "$PG_DIR" --nodes "$2" > "$WORK/one.json" &
  CHILD=$!
  wait "$CHILD"
  CHILD=
  rm -rf "$WORK/instance"
  cat "$WORK/one.json" >> "$B1"
  python3 - "$(cat "$WORK/one.json")" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
print("   run %d caremail on postgresql, %d node(s): delivered=%d/%d in %.1fs: %.0f msg/s; DATA->250 p50 %.1f ms "
      "p99 %.1f ms; errors %d; server+postgres cpu %.1fs (%.2f ms/msg)"
      % (r["run"], r["nodes"], r["delivered"], r["n"], r["wall_s"], r["rate"], r["data250_p50_ms"],
         r["data250_p99_ms"], r["errors"], r["server_cpu_s"], r["server_cpu_ms_per_msg"]))
EOF
}
if [ "$DO_B1" = 1 ]; then
  echo "== B1: $N x $SIZE B to $RCPTS mailboxes, $CONC sessions, $RUNS runs each (alternating order)"
  LOAD_B1=$(cut -d' ' -f1-3 /proc/loadavg)
  if [ "${BENCH_PG:-0}" = 1 ]; then
    PG_DIR=$(mktemp -u /tmp/caremail-bench-pg.XXXXXX)
    PG_URL=$("$ROOT/scripts/pgcluster.sh" start "$PG_DIR")
  fi
  for run in $(seq 1 "$RUNS"); do
    if [ $((run % 2)) = 1 ]; then b1_one caremail "$run"; b1_one peer "$run"
    else b1_one peer "$run"; b1_one caremail "$run"; fi
    if [ "${BENCH_PG:-0}" = 1 ]; then b1_pg "$run" 1; b1_pg "$run" 2; fi
  done
  if [ -n "${PG_DIR:-}" ]; then "$ROOT/scripts/pgcluster.sh" stop "$PG_DIR"; PG_DIR=; fi
fi


# ---------------------------------------------------------------- B3, B4
# Run in the background and waited for, so a signal reaches our trap at once;
# each prints one JSON object, appended to its .jsonl; progress on stderr.
child() {  # out.jsonl command...
  local out=$1; shift
  "$@" > "$WORK/one.json" &
  CHILD=$!
  wait "$CHILD"
  CHILD=
  cat "$WORK/one.json" >> "$out"
}
# The 1-minute load average lags: after B1's peer (100+ runnable Postfix and
# Dovecot processes) it stays high for a while. Wait (at most 90 s) until it
# is below 2, so the recorded load says something about others' work.
settle() {
  local i
  for i in $(seq 1 90); do
    awk '{exit !($1 < 2)}' /proc/loadavg && return 0
    sleep 1
  done
}
B3=$WORK/b3.jsonl
B3_INST=$WORK/b3-instance
if [ "$DO_B3" = 1 ]; then
  settle
  LOAD_B3=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "== B3: IMAP on one mailbox of $B3_MSGS messages; $RUNS runs each (alternating order); drop caches: $DROP"
  echo "   filling the peer's mailbox (imap_fill.py; skipped when already filled) and building Dovecot's index"
  child "$WORK/b3-prep.jsonl" python3 "$HERE/b3.py" peer --prepare --msgs "$B3_MSGS"
  BOX=$PEERS/mail/$DOMAIN/user$(printf %04d "${NUSERS:-5000}")/Maildir
  rm -rf "$B3_INST"; cp -a "$TEMPLATE" "$B3_INST"
  echo "   filling caremail's mailbox with the same messages (IMAP APPEND over STARTTLS)"
  child "$WORK/b3-prep.jsonl" python3 "$HERE/b3.py" caremail --prepare --bin "$BIN" \
    --instance "$B3_INST" --pidfile "$WORK/caremail.pid" --maildir "$BOX" --password "$PASSWORD"
  DROPARG=; [ "$DROP" = 1 ] && DROPARG=--drop-caches
  b3_one() {  # system run
    echo "   run $2 $1"
    if [ "$1" = caremail ]; then
      child "$B3" python3 "$HERE/b3.py" caremail --run "$2" $DROPARG --alone --bin "$BIN" \
        --instance "$B3_INST" --pidfile "$WORK/caremail.pid" --password "$PASSWORD" \
        --append "$B3_APPEND" --maildir "$BOX"
    else
      child "$B3" python3 "$HERE/b3.py" peer --run "$2" $DROPARG --alone --append "$B3_APPEND"
    fi
  }
  if [ "${BENCH_PG:-0}" = 1 ]; then
    PG_DIR=$(mktemp -u /tmp/caremail-bench-pg.XXXXXX)
    PG_URL=$("$ROOT/scripts/pgcluster.sh" start "$PG_DIR")
  fi
  for run in $(seq 1 "$RUNS"); do
    if [ $((run % 2)) = 1 ]; then b3_one caremail "$run"; b3_one peer "$run"
    else b3_one peer "$run"; b3_one caremail "$run"; fi
    if [ "${BENCH_PG:-0}" = 1 ]; then
      for nodes in 1 2; do
        echo "   run $run caremail on postgresql, $nodes node(s)"
        child "$B3" python3 "$HERE/b3.py" caremail --run "$run" $DROPARG --bin "$BIN" \
          --instance "$B3_INST" --pidfile "$WORK/caremail.pid" --password "$PASSWORD" \
          --pg-url "$PG_URL" --pg-dir "$PG_DIR" --nodes "$nodes"
      done
    fi
  done
  rm -rf "$B3_INST-pg"
  if [ -n "${PG_DIR:-}" ]; then "$ROOT/scripts/pgcluster.sh" stop "$PG_DIR"; PG_DIR=; fi
fi

B4=$WORK/b4.jsonl
if [ "$DO_B4" = 1 ]; then
  settle
  LOAD_B4=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "== B4: $B4_CONNS idle IMAP connections (IDLE); $RUNS runs each (alternating order)"
  # caremail: B3's instance when there is one (its users' mailboxes are empty)
  [ -d "$B3_INST" ] || cp -a "$TEMPLATE" "$B3_INST"
  b4_one() {
    echo "   run $2 $1"
    if [ "$1" = caremail ]; then
      child "$B4" python3 "$HERE/b4.py" caremail --run "$2" --conns "$B4_CONNS" --bin "$BIN" \
        --instance "$B3_INST" --pidfile "$WORK/caremail.pid" --password "$PASSWORD"
    else
      child "$B4" python3 "$HERE/b4.py" peer --run "$2" --conns "$B4_CONNS"
    fi
  }
  for run in $(seq 1 "$RUNS"); do
    if [ $((run % 2)) = 1 ]; then b4_one caremail "$run"; b4_one peer "$run"
    else b4_one peer "$run"; b4_one caremail "$run"; fi
  done
fi

B10=$WORK/b10.jsonl
if [ "$DO_B10" = 1 ]; then
  settle
  LOAD_B10=$(cut -d' ' -f1-3 /proc/loadavg)
  DOMAINS=${BENCH_B10_DOMAINS:-200}
  PY=/usr/bin/python3   # Debian's, with python3-dnslib for the DNS stub (scripts/deps.sh)
  echo "== B10: $N x $SIZE B for $DOMAINS remote domains (DNS stub + smtp-sink), $CONC sessions; $RUNS runs each (alternating order)"
  echo "   the sink alone (smtp-source): its capacity"
  child "$WORK/b10-sink.jsonl" "$PY" "$HERE/b10_sink.py" -n "$N" --size "$SIZE" --sessions 4 "$CONC"
  sed 's/^/   /' "$WORK/b10-sink.jsonl"
  b10_common=(-n "$N" --size "$SIZE" --conc "$CONC" --domains "$DOMAINS" --timeout "${BENCH_B10_TIMEOUT:-900}")
  b10_one() {  # system run
    echo "   run $2 $1"
    if [ "$1" = caremail ]; then
      child "$B10" "$PY" "$HERE/b10.py" caremail --run "$2" "${b10_common[@]}" --bin "$BIN" \
        --template "$TEMPLATE" --instance "$WORK/instance" --pidfile "$WORK/caremail.pid"
      rm -rf "$WORK/instance"
    else
      child "$B10" "$PY" "$HERE/b10.py" peer --run "$2" "${b10_common[@]}"
    fi
    tail -1 "$B10" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("   %s: %d/%d accepted by the sink in %.1f s: %.0f msg/s; sender done %.1f s; server CPU %.2f ms/msg; peak %.1f MiB" % (r["system"], r["taken_by_sink"], r["n"], r["wall_s"], r["rate"], r["sender_done_s"], r["server_cpu_ms_per_msg"], r["peak_kb"] / 1024))'
  }
  for run in $(seq 1 "$RUNS"); do
    if [ $((run % 2)) = 1 ]; then b10_one caremail "$run"; b10_one peer "$run"
    else b10_one peer "$run"; b10_one caremail "$run"; fi
  done
  RECORD=--record; [ "${BENCH_RECORD:-1}" = 0 ] && RECORD=
  python3 "$HERE/b10_report.py" --runs-file "$B10" --sink-file "$WORK/b10-sink.jsonl" \
    --command "$COMMAND" --version "$VERSION" --build "$BUILD" --workdir "$WORK" \
    --loadavg "$LOAD_B10" --fsync "$FSYNC" --elapsed $(( $(date +%s) - T_BEGIN )) \
    --results "$RESULTS" $RECORD
fi
if [ "$DO_B1" = 0 ] && [ "$DO_B3" = 0 ] && [ "$DO_B4" = 0 ]; then
  exit 0  # B10 made its own report; the cleanup trap stops the peer
fi

FSYNC_AFTER=$(fsync_rate after)

# ---------------------------------------------------------------- report
T_TOTAL=$(( $(date +%s) - T_BEGIN ))
RECORD=--record; [ "${BENCH_RECORD:-1}" = 0 ] && RECORD=
python3 "$HERE/report.py" --b1 "$B1" --b3 "$B3" --b3-prep "$WORK/b3-prep.jsonl" --b4 "$B4" \
  --fsync "$FSYNC" --fsync-after "$FSYNC_AFTER" --command "$COMMAND" --runs "$RUNS" \
  --version "$VERSION" --build "$BUILD" --workdir "$WORK" --loadavg "$LOADAVG" \
  --loadavg-b1 "${LOAD_B1:-}" --loadavg-b3 "${LOAD_B3:-}" --loadavg-b4 "${LOAD_B4:-}" \
  --drop-caches "$DROP" --peer-versions "$PEER_VERSIONS" --elapsed "$T_TOTAL" --results "$RESULTS" $RECORD
}

main "$@"
