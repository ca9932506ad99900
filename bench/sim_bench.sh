#!/usr/bin/env bash
# bench/sim_bench.sh — the sim's own figures (issue 13): frames/s served to 1 and to 10 websocket
# clients, and order round trips (WS add_order/cancel_order and signed REST AddOrder/CancelOrder)
# over loopback.
#   bench/sim_bench.sh [repeats] [runs]    (defaults: 20 copies of the bundled session = 52,000
#                                           book frames per client; 3 runs; medians printed)
# Every client subscribes to the 5 books at depth 1000, so every recorded frame becomes one frame
# to every client; the replay runs at --pace full. The clients are node processes on the same
# 2-vCPU machine: the figures are the whole loopback path (sim + kernel + client), not the sim
# alone. Timings vary 10-40% between runs on a shared VM; compare figures from one run.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-20}
runs=${2:-3}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tradehost >/dev/null
[ -d tests/ccxt/node_modules/ws ] || (cd tests/ccxt && npm ci --no-audit --no-fund --silent)
mkdir -p build/bench
rec=build/bench/kraken-session-$repeats.txt
[ -s "$rec" ] || bench/make_kraken_session.sh "$repeats" "$rec"
ins=tests/data/kraken/instrument-5pairs.v2.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sim_pid=""
start() { # start ARGS: a sim in the background, its endpoints in $tmp/ep.json
  rm -f "$tmp/ep.json"
  ./build/tradehost sim --venue kraken --instruments "$ins" "$@" >"$tmp/ep.json" 2>"$tmp/sim.log" &
  sim_pid=$!
  for _ in $(seq 100); do grep -q '}' "$tmp/ep.json" 2>/dev/null && return; sleep 0.05; done
  echo "sim did not start: $(cat "$tmp/sim.log")" >&2; exit 1
}
stop() { kill -TERM "$sim_pid"; wait "$sim_pid"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$sim_pid/stat"; } # the sim's CPU so far
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "recording $rec: $(wc -l <"$rec") book frames"
for n in 1 10; do
  per=() tot=()
  for ((r = 1; r <= runs; r++)); do
    start --data "$rec" --pace full --paused
    c0=$(cpu_s)
    out=$(node bench/sim_clients.js "$tmp/ep.json" "$n")
    c1=$(cpu_s)
    stop
    echo "  run $r: $out sim_cpu_s=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')"
    per+=("$(echo "$out" | sed 's/.*frames_per_s_per_client=\([0-9]*\).*/\1/')")
    tot+=("$(echo "$out" | sed 's/.*frames_per_s_total=\([0-9]*\).*/\1/')")
  done
  printf 'SIM frames/s to %2d client(s): %s per client, %s in all (median of %d)\n' "$n" \
    "$(printf '%s\n' "${per[@]}" | median)" "$(printf '%s\n' "${tot[@]}" | median)" "$runs"
done
# --no-rate-limit: Kraken's counter (cancels of young orders cost up to 8) would refuse most of them
start --data tests/data/kraken/book-5pairs-2021-04-17.v2.txt --pace full --no-rate-limit
sleep 0.5
node bench/sim_orders.js "$tmp/ep.json" 2000 | sed 's/^/SIM /'
stop
