#!/usr/bin/env bash
# sidebyside.sh [BOTS ...]: for each level (default 500 1000 1500), run
# tickwire with loadbots (loadtest.sh), then the two reference harnesses of
# ../shared/peers on the same workload (Colyseus: run.sh N/10 10; the bare
# coder/websocket floor: run.sh ws N), interleaved so the machine's drift
# hits all three alike. Appends one JSON line per run to $OUT/sidebyside.jsonl
# and prints a table of the server CPU, bytes and intervals side by side.
#
# Env (defaults): BIN=bin OUT=$BIN/loadtest PEERS=../shared/peers REPS=1
#                 QUIET_WAIT_S=0 QUIET_MAX=0.15: before every run, wait up to QUIET_WAIT_S
#                 for the machine to be idle (passed on to loadtest.sh and Colyseus's run.sh)
# Colyseus installs its node_modules inside $PEERS/colyseus on first use, so
# PEERS must be writable (copy it somewhere if it is not).
set -euo pipefail
BIN=${BIN:-bin}
OUT=${OUT:-$BIN/loadtest}
PEERS=${PEERS:-../shared/peers}
REPS=${REPS:-1}
LEVELS=("$@")
[ ${#LEVELS[@]} -gt 0 ] || LEVELS=(500 1000 1500)
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
LINES="$OUT/sidebyside.jsonl"
export QUIET_WAIT_S=${QUIET_WAIT_S:-0} QUIET_MAX=${QUIET_MAX:-0.15}

cpu_line() { local l; read -r -a l < <(grep "^cpu " /proc/stat)
  local b=$(( l[1] + l[2] + l[3] + l[6] + l[7] + l[8] )); echo "$b $(( b + l[4] + l[5] ))"; }
wait_quiet() { # the floor harness does not wait by itself
  [ "$QUIET_WAIT_S" != 0 ] || return 0
  local end=$(( SECONDS + QUIET_WAIT_S )) b0 t0 b1 t1 load
  while :; do
    read -r b0 t0 < <(cpu_line); sleep 2; read -r b1 t1 < <(cpu_line)
    load=$(awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v n="$(nproc)" 'BEGIN{printf "%.3f", (t>0? n*b/t : 0)}')
    awk -v l="$load" -v m="$QUIET_MAX" 'BEGIN{exit !(l < m)}' && return 0
    [ "$SECONDS" -lt "$end" ] || { echo "sidebyside: machine still busy (${load} cores), going ahead" >&2; return 0; }
  done
}

for rep in $(seq 1 "$REPS"); do
  for n in "${LEVELS[@]}"; do
    echo "sidebyside: rep $rep, $n clients: tickwire" >&2
    BIN=$BIN OUT=$OUT "$HERE/loadtest.sh" "$n" >&2
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["server"]
print(json.dumps({"peer": "tickwire", "clients": d["bots"], "connected": d["connected"],
  "server_cpu_cores": s["cpu_cores"], "server_cpu_us_per_client_per_s": s["cpu_us_per_client_per_s"],
  "rss_kb_per_client": round(s["rss_mb"] * 1024 / d["bots"], 1) if s["rss_mb"] else None,
  "rss_growth_kb_per_client": s["rss_kb_per_player"], "bytes_per_client_per_s": d["bytes_per_client_per_s"],
  "per_client_per_s": d["snapshots_per_client_per_s"], "interval_p50_ms": d["snapshot_interval_ms"]["p50"],
  "interval_p99_ms": d["snapshot_interval_ms"]["p99"], "load_cpu_cores": d["loadbots_cpu_cores"],
  "other_cpu_cores": (d.get("machine_window") or {}).get("other_cores"),
  "started_at": d["started_at"]}))' "$OUT/peer-$n.json" >> "$LINES"

    echo "sidebyside: rep $rep, $n clients: colyseus" >&2
    if line=$("$PEERS/colyseus/run.sh" $(( n / 10 )) 10); then
      python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(json.dumps({"peer": "colyseus", "clients": d["ccu"], "connected": d["clients_connected"],
  "server_cpu_cores": d["server_cpu_cores"], "server_cpu_us_per_client_per_s": d["server_cpu_us_per_client_per_s"],
  "rss_kb_per_client": round(d["server_rss_mb"] * 1024 / d["ccu"], 1), "bytes_per_client_per_s": d["bytes_per_client_per_s"],
  "per_client_per_s": d["patches_per_client_per_s"], "interval_p50_ms": d["patch_interval_p50_ms"],
  "interval_p99_ms": d["patch_interval_p99_ms"], "load_cpu_cores": d["bot_cpu_cores"],
  "other_cpu_cores": d.get("other_cpu_cores")}))' "$line" >> "$LINES"
    else
      echo "sidebyside: colyseus run failed" >&2
    fi

    echo "sidebyside: rep $rep, $n clients: floor" >&2
    wait_quiet
    if line=$("$PEERS/floor/run.sh" ws "$n"); then
      python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(json.dumps({"peer": "floor", "clients": d["clients"], "server_cpu_cores": d["server_cpu_cores"],
  "server_cpu_us_per_client_per_s": d["us_per_client_per_s"], "rss_kb_per_client": d["rss_kb_per_client"],
  "per_client_per_s": d.get("received_per_client_per_s"),
  "interval_p50_ms": d.get("gap_ms_p50"), "interval_p99_ms": d.get("gap_ms_p99"), "raw": d}))' "$line" >> "$LINES"
    else
      echo "sidebyside: floor run failed" >&2
    fi
  done
done

python3 - "$LINES" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cols = ["peer", "clients", "server_cpu_cores", "server_cpu_us_per_client_per_s", "rss_kb_per_client",
        "bytes_per_client_per_s", "per_client_per_s", "interval_p50_ms", "interval_p99_ms", "load_cpu_cores",
        "other_cpu_cores"]
print("| " + " | ".join(cols) + " |")
print("|" + "---|" * len(cols))
for r in rows:
    print("| " + " | ".join("" if r.get(c) is None else str(r.get(c)) for c in cols) + " |")
PY
