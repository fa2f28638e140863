#!/usr/bin/env bash
# Tracking cost measured with wrk (Debian's `wrk`, not a Node load generator): the bench
# server pinned to core 0, wrk to core 1, variants interleaved per round so that a noisy
# neighbour hits all of them alike. Prints each variant's req/s and the server's own CPU
# per request (from /proc: what neighbours disturb least), then the medians of the
# per-round ratios to bare. Usage: bench/wrk-ab.sh [express|fastify] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
platform=${1:-fastify}
rounds=${2:-4}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
[[ -f build/bench/bench-server.js ]] || npm run build:test >/dev/null
out=$(mktemp)
results=$(mktemp)
trap 'rm -f "$out" "$results"' EXIT
ticks=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for round in $(seq 1 "$rounds"); do
  line="$platform round $round"
  for variant in bare graceful global-interceptor; do
    BENCH_VARIANT=$variant BENCH_PLATFORM=$platform taskset -c 0 node build/bench/bench-server.js >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do grep -q LISTENING "$out" && break; sleep 0.1; done
    port=$(awk '/LISTENING/ {print $2}' "$out")
    taskset -c 1 wrk -t1 -c32 -d2s "http://127.0.0.1:$port/ping" >/dev/null
    before=$(cpu_ticks "$pid")
    report=$(taskset -c 1 wrk -t1 -c32 -d4s "http://127.0.0.1:$port/ping")
    after=$(cpu_ticks "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$report")
    requests=$(awk '/requests in/ {print $1}' <<<"$report")
    us=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
    echo "$round $variant $rps $us" >>"$results"
    line+="  $variant $rps req/s ${us} µs/req"
  done
  echo "$line"
done
# Per round: each variant's req/s and CPU per request against bare's; then the median over rounds.
awk -v platform="$platform" '
  $2 == "bare" { rps[$1] = $3; us[$1] = $4; next }
  { ratio[$2] = ratio[$2] " " $3 / rps[$1]; extra[$2] = extra[$2] " " $4 - us[$1] }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    for (v in ratio) printf "%s %s vs bare: median req/s ratio %.3f, median CPU per request %+.2f µs\n", platform, v, median(ratio[v]), median(extra[v])
  }' "$results" | sort
