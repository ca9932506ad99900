#!/usr/bin/env bash
# bench/bench_pg.sh — what the PostgreSQL history costs the loop and how much it writes: a paper
# market-making session at 16x recorded pace, requoting every 20 ms (three levels a side: hundreds
# of order changes a second), run with the history off and on (a PostgreSQL started here in its own
# directory, unix socket, fsync off: tests/functional/pg_lib.sh). With 5 pairs it plays the bundled
# Kraken recording (all 5 of its pairs); with more, a synthetic recording of that many pairs
# (bench/make_many_pairs.py: every book moves a tick every 0.5 s of recorded time).
#   bench/bench_pg.sh [runs] [seconds] [pairs]        (default 3 runs of 4 s, 100 pairs)
# Prints the medians over runs of: rows written per second (order events, fills, position and PnL
# snapshots, risk events) and journal records per second; the history's time on the loop per turn
# that built a batch (p50/p99/max); and how late market data was applied (the loop's latency as a
# strategy sees it: p50/p99/max) with the history off and on, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
secs=${2:-4}
npairs=${3:-100}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tradehost >/dev/null
T=$(mktemp -d "$PWD/build/bench-pg.XXXXXX")
fail() { echo "bench_pg: $*" >&2; exit 1; }
source tests/functional/pg_lib.sh
trap 'pg_cleanup; rm -rf "$T"' EXIT
pg_init "$T/pg"
pg_start
export TH_BENCH_PG="$PG_CONNINFO"

export TH_HOME=$PWD
source tests/functional/paper_config.sh
if [ "$npairs" = 5 ]; then
  PAIRS='{ symbol = "XMR/USD", size = 0.5 }, { symbol = "WAVES/EUR", size = 20 }, { symbol = "GRT/ETH", size = 40 }, { symbol = "KSM/BTC", size = 0.2 }, { symbol = "SC/EUR", size = 3000 }'
  REC="$PWD/tests/data/kraken/book-5pairs-2021-04-17.v2.txt"; INS="$PWD/tests/data/kraken/instrument-5pairs.v2.json"
else
  python3 bench/make_many_pairs.py "$npairs" $((secs * 16 + 8)) "$T/rec"
  PAIRS=$(python3 -c "import sys; print(', '.join('{ symbol = \"P%03d/USD\", size = 0.1 }' % i for i in range(1, int(sys.argv[1]) + 1)))" "$npairs")
  REC="$T/rec.txt"; INS="$T/rec.json"
fi
cfg() { # cfg JOURNAL_DIR PG(0|1)
  local extra='quotes = { price_tolerance_bps = 0.5 }, log = { level = "info" },'
  SPEED=16 TICK_MS=20 LEVELS=3 SPREAD_BPS=2 STEP_BPS=11 STALE_MS=60000 paper_mm_lua "$1" "$extra" >"$T/cfg.lua"
  sed -i "s|^  pairs = .*|  pairs = { $PAIRS },|; s|recording = \"[^\"]*\"|recording = \"$REC\"|; s|instruments = \"[^\"]*\"|instruments = \"$INS\"|; s|risk = { price_band_pct = 5 }|risk = { price_band_pct = 5, rates = { EUR = 1.2, ETH = 2400, BTC = 60000 } }|" "$T/cfg.lua"
  [ "$2" = 1 ] && sed -i 's|fsync = "turn" }|fsync = "turn", postgres = { conninfo_env = "TH_BENCH_PG", stop_timeout_ms = 20000 } }|' "$T/cfg.lua"
  return 0
}
field() { grep "msg=\"$2\"" "$3" | tail -1 | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

: >"$T/off"; : >"$T/on"
for r in $(seq "$runs"); do
  for mode in off on; do
    on=0; [ "$mode" = on ] && on=1
    cfg "$T/j-$mode-$r" "$on"
    ./build/tradehost run "$T/cfg.lua" --duration "$secs" >/dev/null 2>"$T/log" || { tail "$T/log"; exit 1; }
    l='market data lag'; m='postgres: history time on the loop'
    line="$(field p50_us "$l" "$T/log") $(field p99_us "$l" "$T/log") $(field max_us "$l" "$T/log")"
    if [ "$on" = 1 ]; then
      grep -q 'msg="postgres: session written"' "$T/log" || { tail "$T/log"; fail "the history did not finish"; }
      w=$(field rows "$m" "$T/log"); rec=$(field records "$m" "$T/log")
      line="$line $(awk -v w="$w" -v s="$secs" 'BEGIN { print w / s }') $(awk -v w="$rec" -v s="$secs" 'BEGIN { print w / s }')"
      line="$line $(field p50_us "$m" "$T/log") $(field p99_us "$m" "$T/log") $(field max_us "$m" "$T/log") $(field batches "$m" "$T/log")"
    fi
    echo "$line" >>"$T/$mode"
  done
done
col() { awk -v c="$2" '{ print ($c == "" ? "-" : $c) }' "$T/$1" | median; }
echo "paper session, $npairs pairs, 16x pace, requote 20 ms, $secs s, $runs runs (medians)"
echo "  market data lateness, history off: p50 $(col off 1) us  p99 $(col off 2) us  max $(col off 3) us"
echo "  market data lateness, history on:  p50 $(col on 1) us  p99 $(col on 2) us  max $(col on 3) us"
echo "  written: $(col on 4) rows/s, $(col on 5) journal records/s, in $(col on 9) batches per run"
echo "  history time per turn that built a batch: p50 $(col on 6) us  p99 $(col on 7) us  max $(col on 8) us"
echo "  rows in the database after all runs: $(pgq 'SELECT (SELECT count(*) FROM order_events) + (SELECT count(*) FROM fills) + (SELECT count(*) FROM position_snapshots) + (SELECT count(*) FROM pnl_snapshots) + (SELECT count(*) FROM risk_events)')"
echo "RESULT pg_rows_per_s $(col on 4)"
echo "RESULT lag_p99_off_us $(col off 2)"
echo "RESULT lag_p99_on_us $(col on 2)"
echo "RESULT pg_turn_p99_us $(col on 7)"
pg_stop
