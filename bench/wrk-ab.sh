#!/usr/bin/env bash
# Tracking cost measured with wrk (Debian's `wrk`, not a Node load generator). Every round
# starts one server per variant, all pinned to core 0 (only the one under load is busy), wrk
# pinned to core 1. After a warm-up each variant gets a 1 s slice in turn (the order rotates
# from turn to turn), many times: a
# slice is compared with bare's slice of the same turn, a second apart, so the machine's
# drift (noisy neighbours move bare itself by ±40 % between minutes here) hits both alike.
# Prints each round's medians, then the median over all turns of the per-turn ratio to bare
# and of the server's extra CPU per request (from /proc).
# Usage: bench/wrk-ab.sh [express|fastify] [rounds] [turns per round]
set -euo pipefail
cd "$(dirname "$0")/.."
platform=${1:-fastify}
rounds=${2:-3}
turns=${3:-15}
variants=(bare graceful global-interceptor)
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
[[ -f build/bench/bench-server.js ]] || npm run build:test >/dev/null
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
ticks=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
echo "# $platform: $rounds round(s) x $turns turn(s) of 1 s per variant, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  declare -A port=() pid=()
  for variant in "${variants[@]}"; do
    BENCH_VARIANT=$variant BENCH_PLATFORM=$platform taskset -c 0 node build/bench/bench-server.js >"$work/$variant.out" 2>&1 &
    pid[$variant]=$!
    pids+=($!)
  done
  for variant in "${variants[@]}"; do
    for _ in $(seq 1 300); do grep -q LISTENING "$work/$variant.out" && break; sleep 0.1; done
    port[$variant]=$(awk '/LISTENING/ {print $2}' "$work/$variant.out")
    [[ -n ${port[$variant]} ]] || { echo "the $variant server did not start:" >&2; cat "$work/$variant.out" >&2; exit 1; }
    taskset -c 1 wrk -t1 -c32 -d2s "http://127.0.0.1:${port[$variant]}/ping" >/dev/null
  done
  for turn in $(seq 1 "$turns"); do
    # Each turn starts with the next variant, so none always runs first or last.
    for i in "${!variants[@]}"; do
      variant=${variants[$(((i + turn) % ${#variants[@]}))]}
      before=$(cpu_ticks "${pid[$variant]}")
      report=$(taskset -c 1 wrk -t1 -c32 -d1s "http://127.0.0.1:${port[$variant]}/ping")
      after=$(cpu_ticks "${pid[$variant]}")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$report")
      requests=$(awk '/requests in/ {print $1}' <<<"$report")
      us=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
      echo "$round.$turn $variant $rps $us" >>"$work/results"
    done
  done
  for variant in "${variants[@]}"; do kill "${pid[$variant]}"; wait "${pid[$variant]}" 2>/dev/null || true; done
  pids=()
  awk -v round="$round" -v platform="$platform" '
    index($1, round ".") == 1 { rps[$2] = rps[$2] " " $3 }
    function median(list,   n, a, i, j, t) {
      n = split(list, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END { printf "%s round %d median req/s:  bare %.0f  graceful %.0f  global-interceptor %.0f\n", platform, round, median(rps["bare"]), median(rps["graceful"]), median(rps["global-interceptor"]) }' "$work/results"
done
# Per turn: each variant's req/s and CPU per request against bare's (bare is not always first
# in a turn, so the whole file is read before any ratio); then the median over all turns.
awk -v platform="$platform" '
  { rps[$1, $2] = $3; us[$1, $2] = $4; if ($2 != "bare") { turn[$1] = 1; variant[$2] = 1 } }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    for (v in variant) {
      ratios = ""; extras = ""; n = 0
      for (t in turn) { ratios = ratios " " rps[t, v] / rps[t, "bare"]; extras = extras " " us[t, v] - us[t, "bare"]; n++ }
      printf "%s %s vs bare: median req/s ratio %.3f over %d turns, median CPU per request %+.2f µs\n", platform, v, median(ratios), n, median(extras)
    }
  }' "$work/results" | sort
