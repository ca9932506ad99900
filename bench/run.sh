#!/usr/bin/env bash
# bench/run.sh — builds the benchmarks and prints every figure, with the ccxt comparison.
#   bench/run.sh [runs]      (default 5 runs; each figure is a median)
# Timings on a shared 2-vCPU VM vary 10-40% between runs: compare figures from one run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target bench_market bench_safety bench_sim th_metered_spec >/dev/null
out=$(./build/bench_market tests/data "$runs" book | tee /dev/stderr)
out=$(./build/bench_market tests/data "$runs" parse | tail -n +2 | tee /dev/stderr)
# 500 symbols in a process of their own, so its peak RSS is not the book benchmark's.
./build/bench_market tests/data "$runs" 500 | tail -n +2 >&2
ours=$(echo "$out" | awk '/^RESULT kraken_frames_per_s/ {print $3}')
if command -v node >/dev/null && command -v npm >/dev/null; then
  [ -d bench/node_modules/ccxt ] || (cd bench && npm install --no-audit --no-fund --silent >/dev/null)
  theirs_out=$(node bench/ccxt_kraken.js tests/data/kraken/book-5pairs-2021-04-17.v2.txt "$runs" false | tee /dev/stderr)
  # (ccxt's checksum option, off by default, throws on v2's JSON-number prices in 4.5.x:
  #  formatNumber() calls data.split on a number; so only its default is comparable.)
  theirs=$(echo "$theirs_out" | awk '/^RESULT ccxt_frames_per_s/ {print $3}')
  awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "tradehost / ccxt (same frames, update frames only): %.1fx  (tradehost verifies every checksum; ccxt default does not)\n", a / b }'
else
  echo "node/npm not found: ccxt comparison skipped"
fi
# The safety core: risk gates + tracker per intent, the 500-pair quote diff, journal throughput.
./build/bench_safety "$runs" "${TMPDIR:-/tmp}"
# The sim engine's matching: recorded levels and trades, place+cancel, takers walking the book.
./build/bench_sim "$runs"
# The loop stall per turn for the journal's commit, on the loop vs on the thread pool (real loop,
# journal on disk, market data flowing).
bench/bench_loop.sh "$runs"
# on_book dispatched into Lua per event (read the top, two quotes through the gates) at 1 and 500 pairs.
bench/dispatch_bench.sh "$runs"
# The metered string functions and sort of budgeted runs against LuaJIT's own.
luajit bench/bench_metered.lua build/th_metered_spec.so "$runs"
