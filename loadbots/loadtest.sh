#!/usr/bin/env bash
# loadtest.sh [BOTS ...]: the peer scenario at each level (default 500 1000
# 1500), each against a fresh server, the way ../shared/peers measure: the
# server pinned to one core with GOMAXPROCS=1, the bots to the other, the
# server's CPU and RSS read from /proc. Writes peer-N.json, peer-N.html and
# peer-N.txt per level into $OUT and prints a summary table.
#
# Env (defaults): BIN=bin OUT=$BIN/loadtest PORT=18080 WARMUP=5s DURATION=20s
#                 SERVER_CPU=0 BOT_CPU=1 RAMP=250 (bots joined per second; 0 = no limit)
#                 QUIET_WAIT_S=0: before each level, wait up to this long for the machine
#                 to be idle (under QUIET_MAX=0.15 cores busy over 2 s), as the peers' run.sh
# Expects $BIN/tickwire and $BIN/loadbots (make loadtest builds them).
# Everything it starts it stops by pid.
set -euo pipefail
BIN=${BIN:-bin}
OUT=${OUT:-$BIN/loadtest}
PORT=${PORT:-18080}
WARMUP=${WARMUP:-5s}
DURATION=${DURATION:-20s}
SERVER_CPU=${SERVER_CPU:-0}
BOT_CPU=${BOT_CPU:-1}
RAMP=${RAMP:-250}
QUIET_WAIT_S=${QUIET_WAIT_S:-0}
QUIET_MAX=${QUIET_MAX:-0.15}
LEVELS=("$@")
[ ${#LEVELS[@]} -gt 0 ] || LEVELS=(500 1000 1500)
mkdir -p "$OUT"

SPID=""
stop_server() {
  if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
    kill "$SPID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SPID" 2>/dev/null && kill -9 "$SPID" 2>/dev/null || true
  fi
  SPID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# busy and total jiffies of the whole machine
cpu_line() { local l; read -r -a l < <(grep "^cpu " /proc/stat)
  local b=$(( l[1] + l[2] + l[3] + l[6] + l[7] + l[8] )); echo "$b $(( b + l[4] + l[5] ))"; }
wait_quiet() {
  [ "$QUIET_WAIT_S" != 0 ] || return 0
  local end=$(( SECONDS + QUIET_WAIT_S )) b0 t0 b1 t1 load
  while :; do
    read -r b0 t0 < <(cpu_line); sleep 2; read -r b1 t1 < <(cpu_line)
    load=$(awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v n="$(nproc)" 'BEGIN{printf "%.3f", (t>0? n*b/t : 0)}')
    awk -v l="$load" -v m="$QUIET_MAX" 'BEGIN{exit !(l < m)}' && return 0
    [ "$SECONDS" -lt "$end" ] || { echo "loadtest: machine still busy (${load} cores), going ahead" >&2; return 0; }
    echo "loadtest: machine busy (${load} cores), waiting" >&2
  done
}

for n in "${LEVELS[@]}"; do
  wait_quiet
  echo "loadtest: $n bots" >&2
  GOMAXPROCS=1 taskset -c "$SERVER_CPU" "$BIN/tickwire" -addr "127.0.0.1:$PORT" -log-level warn \
    2>"$OUT/server-$n.log" &
  SPID=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$SPID" 2>/dev/null || { echo "loadtest: server exited:" >&2; cat "$OUT/server-$n.log" >&2; exit 1; }
    sleep 0.1
  done
  sleep 1 # let the idle server settle before loadbots reads its idle RSS
  taskset -c "$BOT_CPU" "$BIN/loadbots" -url "ws://127.0.0.1:$PORT/ws" -bots "$n" -ramp "$RAMP" \
    -warmup "$WARMUP" -duration "$DURATION" -server-pid "$SPID" \
    -json "$OUT/peer-$n.json" -html "$OUT/peer-$n.html" | tee "$OUT/peer-$n.txt"
  stop_server
done

python3 - "$OUT" "${LEVELS[@]}" <<'PY'
import json, sys
out, levels = sys.argv[1], sys.argv[2:]
def g(d, path):
    for k in path.split("."):
        d = d.get(k) if isinstance(d, dict) else None
    return "n/a" if d is None else d
cols = [("bots", "bots"), ("connected", "connected"), ("server cores", "server.cpu_cores"),
        ("µs/client/s", "server.cpu_us_per_client_per_s"), ("KB RSS/player", "server.rss_kb_per_player"),
        ("snapshots/client/s", "snapshots_per_client_per_s"), ("bytes/client/s", "bytes_per_client_per_s"),
        ("interval p50 ms", "snapshot_interval_ms.p50"), ("interval p99 ms", "snapshot_interval_ms.p99"),
        ("rtt p99 ms", "rtt_ms.p99"), ("tick p99 ms", "server.tick_ms.p99"), ("loadbots cores", "loadbots_cpu_cores")]
print("| " + " | ".join(c for c, _ in cols) + " |")
print("|" + "---:|" * len(cols))
for n in levels:
    try:
        d = json.load(open(f"{out}/peer-{n}.json"))
    except OSError:
        continue
    print("| " + " | ".join(str(g(d, p)) for _, p in cols) + " |")
PY
