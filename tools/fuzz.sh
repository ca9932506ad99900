#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time (default 20 s each),
# seeded with real frames from the bundled recordings. Exit status: non-zero on any crash.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
CC=clang cmake -S . -B build-fuzz -DTH_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_kraken fuzz_kraken_futures fuzz_binance >/dev/null
seed() { # seed DIR FILE PATTERN [NAME]: one seed file per matching recorded frame (first 300)
  mkdir -p "$1"
  awk -v pat="$3" '$0 ~ pat && n++ < 300 { sub(/^[0-9.]+:? /, ""); print }' "$2" | split -l 1 - "$1/${4:-seed}-"
}
work=build-fuzz/corpus
rm -rf "$work"
seed "$work/kraken" tests/data/kraken/book-5pairs-2021-04-17.v2.txt '"type":"update"'
seed "$work/kraken" tests/data/kraken/trades-ws-v1-2021-04-17.rec '"trade","' v1
seed "$work/kraken_futures" tests/data/kraken-futures/futures-ws-v1-2021-07-22.rec '"feed":"(book|ticker_lite|trade)"'
seed "$work/binance" tests/data/binance/spot-ws-2021-10-12.rec 'depthUpdate|aggTrade|bookTicker'
for t in kraken kraken_futures binance; do
  echo "== fuzz_$t for ${secs}s"
  # The fuzzer's own status decides (under pipefail a `|| true` after the pipe would hide it).
  rc=0
  ./build-fuzz/fuzz_$t -max_total_time="$secs" -max_len=4096 -print_final_stats=1 "$work/$t" >"$work/$t.log" 2>&1 || rc=$?
  grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY" "$work/$t.log" || true
  [ "$rc" -eq 0 ] || { echo "fuzz_$t found a failure (exit $rc):"; tail -40 "$work/$t.log"; exit 1; }
done
