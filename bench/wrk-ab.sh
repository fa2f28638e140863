#!/usr/bin/env bash
# Tracking cost measured with wrk (Debian's `wrk`, not a Node load generator): the bench
# server pinned to core 0, wrk to core 1, variants interleaved per round so that a noisy
# neighbour hits all of them alike. Usage: bench/wrk-ab.sh [express|fastify] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
platform=${1:-fastify}
rounds=${2:-4}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
[[ -f build/bench/bench-server.js ]] || npm run build:test >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for round in $(seq 1 "$rounds"); do
  line="$platform round $round"
  for variant in bare graceful global-interceptor; do
    BENCH_VARIANT=$variant BENCH_PLATFORM=$platform taskset -c 0 node build/bench/bench-server.js >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do grep -q LISTENING "$out" && break; sleep 0.1; done
    port=$(awk '/LISTENING/ {print $2}' "$out")
    taskset -c 1 wrk -t1 -c32 -d2s "http://127.0.0.1:$port/ping" >/dev/null
    rps=$(taskset -c 1 wrk -t1 -c32 -d4s "http://127.0.0.1:$port/ping" | awk '/Requests\/sec/ {print $2}')
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    line+="  $variant $rps"
  done
  echo "$line"
done
