#!/usr/bin/env bash
# bench/bench_loop.sh — how long the loop stalls per turn for the journal's commit, with the real
# loop, a journal on disk (real fdatasync) and market data flowing: a paper market-making session
# on the bundled Kraken recording at 16x recorded pace, requoting every 20 ms, run with the commit
# on the loop thread (TH_JOURNAL_COMMIT_ON_LOOP=1, as before) and on libuv's thread pool (now).
#   bench/bench_loop.sh [runs] [journal_parent_dir]    (default 3 runs, journals under build/)
# Prints, per mode, the median over runs of: the loop's time in the commit-and-send step per turn
# with records (p50/p99/max), how late market data was applied (p50/p99/max), and the write+sync
# time per batch off the loop. Timings on a shared VM vary 10-40%: compare figures of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
parent=${2:-$PWD/build}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tradehost >/dev/null
work=$(mktemp -d "$parent/bench-loop.XXXXXX")
trap 'rm -rf "$work"' EXIT
df -h "$work" | tail -1 | awk '{print "journal filesystem: " $1 " (" $6 ")"}'

export TH_HOME=$PWD
source tests/functional/paper_config.sh
cfg() { # cfg JOURNAL_DIR: 16x recorded pace, three levels requoted every 20 ms
  SPEED=16 TICK_MS=20 LEVELS=3 SPREAD_BPS=2 STEP_BPS=11 STALE_MS=60000 \
    paper_mm_lua "$1" 'quotes = { price_tolerance_bps = 0.5 }, log = { level = "info" },' >"$work/cfg.lua"
}

field() { grep "msg=\"$2\"" "$3" | tail -1 | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

for mode in loop thread_pool; do
  on_loop=0; [ "$mode" = loop ] && on_loop=1
  : >"$work/figures"
  for r in $(seq "$runs"); do
    cfg "$work/j-$mode-$r"
    TH_JOURNAL_COMMIT_ON_LOOP=$on_loop TH_HOME=$PWD ./build/tradehost run "$work/cfg.lua" --duration 3 2>"$work/log" ||
      { tail "$work/log"; exit 1; }
    s='loop stall in the journal commit step'; l='market data lag'; w='journal writes off the loop'
    echo "$(field turns "$s" "$work/log") $(field p50_us "$s" "$work/log") $(field p99_us "$s" "$work/log") $(field max_us "$s" "$work/log")" \
         "$(field p50_us "$l" "$work/log") $(field p99_us "$l" "$work/log") $(field max_us "$l" "$work/log")" \
         "$(field p50_us "$w" "$work/log") $(field max_us "$w" "$work/log")" >>"$work/figures"
  done
  col() { awk -v c="$1" '{ print ($c == "" ? "-" : $c) }' "$work/figures" | median; }
  echo "commit on the $mode ($runs runs, medians):"
  echo "  loop stall per turn with records: p50 $(col 2) us  p99 $(col 3) us  max $(col 4) us  ($(col 1) turns)"
  echo "  market data lateness:             p50 $(col 5) us  p99 $(col 6) us  max $(col 7) us"
  [ "$mode" = thread_pool ] && echo "  write + fdatasync per batch (off the loop): p50 $(col 8) us  max $(col 9) us"
  echo "RESULT stall_${mode}_p50_us $(col 2)"
  echo "RESULT stall_${mode}_p99_us $(col 3)"
  echo "RESULT stall_${mode}_max_us $(col 4)"
  echo "RESULT lag_${mode}_max_us $(col 7)"
done
