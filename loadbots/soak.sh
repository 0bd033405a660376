#!/usr/bin/env bash
# soak.sh: the soak test of issue 6. Starts a fresh server, runs the peer
# scenario with churn (bots leaving and new ones joining their seats) for
# SOAK_DURATION, and reports the server's goroutines, heap in use and RSS
# at the window's start and end (loadbots -soak samples /metrics through
# the window), whether they stayed flat, and whether the goroutines fell
# back to the idle count once every bot had left. Exits 1 when not flat.
#
# Env (defaults): BIN=bin OUT=$BIN/soak PORT=18090 SOAK_BOTS=1000 SOAK_CHURN=10
#                 (bots a second that leave and rejoin) SOAK_DURATION=10m
#                 SOAK_WARMUP=30s SOAK_RAMP=250 (joins a second)
#                 SOAK_SETTLE_S=45 (how long, after the bots left, the goroutines
#                 may take to fall back to the idle count: rooms end 30 s after
#                 they empty)
# Expects $BIN/tickwire and $BIN/loadbots (make soak builds them). Everything
# it starts it stops by pid.
set -euo pipefail
BIN=${BIN:-bin}
OUT=${OUT:-$BIN/soak}
PORT=${PORT:-18090}
SOAK_BOTS=${SOAK_BOTS:-1000}
SOAK_CHURN=${SOAK_CHURN:-10}
SOAK_DURATION=${SOAK_DURATION:-10m}
SOAK_WARMUP=${SOAK_WARMUP:-30s}
SOAK_RAMP=${SOAK_RAMP:-250}
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

metric() { curl -fsS "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 == n { printf "%d\n", $2 }'; }

"$BIN/tickwire" -addr "127.0.0.1:$PORT" -log-level warn 2>"$OUT/server.log" &
SPID=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/metrics" 2>/dev/null && break
  kill -0 "$SPID" 2>/dev/null || { echo "soak: server exited:" >&2; cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.1
done
sleep 1
idle_goroutines=$(metric go_goroutines)
echo "soak: $SOAK_BOTS bots, churn $SOAK_CHURN/s, $SOAK_WARMUP warm-up + $SOAK_DURATION; server pid $SPID, $idle_goroutines goroutines idle" >&2

"$BIN/loadbots" -url "ws://127.0.0.1:$PORT/ws" -bots "$SOAK_BOTS" -ramp "$SOAK_RAMP" \
  -churn "$SOAK_CHURN" -soak -warmup "$SOAK_WARMUP" -duration "$SOAK_DURATION" \
  -server-pid "$SPID" -json "$OUT/soak.json" | tee "$OUT/soak.txt"

# Every bot has said goodbye: the per-connection goroutines end with the
# connections, each room's once it has stood empty for the server's
# EmptyRoomTimeout (30 s by default). Wait up to SOAK_SETTLE_S for that.
SOAK_SETTLE_S=${SOAK_SETTLE_S:-45}
for _ in $(seq 1 "$SOAK_SETTLE_S"); do
  after_goroutines=$(metric go_goroutines)
  [ "$after_goroutines" -le $(( idle_goroutines + 5 )) ] && break
  sleep 1
done

python3 - "$OUT/soak.json" "$idle_goroutines" "$after_goroutines" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
idle, after = int(sys.argv[2]), int(sys.argv[3])
s = d.get("soak") or {}
print()
print(f"soak over {d['duration_s']} s, {s.get('connected_start')} -> {s.get('connected_end')} bots connected, "
      f"{s.get('rejoined')} rejoins ({s.get('rejoin_failures')} failed), {d['failed']} failed bots")
print("| figure | start | end | max | flat |")
print("|---|---:|---:|---:|---|")
for name, key in (("goroutines", "goroutines"), ("heap in use MB", "heap_inuse_mb"),
                  ("GC target MB (2 x live heap)", "gc_target_mb"), ("RSS MB", "rss_mb")):
    f = s.get(key) or {}
    judged = "(not judged)" if key == "heap_inuse_mb" else ""
    print(f"| {name} | {f.get('start')} | {f.get('end')} | {f.get('max')} | {'yes' if f.get('flat') else 'NO'} {judged} |")
back = after <= idle + 5
print(f"goroutines idle before {idle}, after every bot left {after}: {'back to idle' if back else 'NOT back to idle'}")
ok = bool(s.get("flat")) and back
print("soak:", "FLAT" if ok else "NOT FLAT: " + str(s.get("verdict")))
sys.exit(0 if ok else 1)
PY
