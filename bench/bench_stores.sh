#!/usr/bin/env bash
# bench/bench_stores.sh — what the stores cost the loop and how much they write (issue 17 "Done
# when"): a paper market-making session at 16x recorded pace, requoting every 20 ms, three levels a
# side (hundreds of order changes a second), run with the stores off and on: the Redis mirror (a
# redis-server started here on its own port, loopback), the PostgreSQL history (a PostgreSQL started
# here in its own directory, unix socket, fsync off: tests/functional/pg_lib.sh), or both at once.
# With 5 pairs it plays the bundled Kraken recording (all 5 of its pairs); with more, a synthetic
# recording of that many pairs (bench/make_many_pairs.py: every book moves a tick every 0.5 s).
#   bench/bench_stores.sh [--stores both|redis|pg] [runs] [seconds] [pairs]
#                                         (default both, 3 runs of 4 s, 500 pairs)
# bench_redis.sh and bench_pg.sh are this script with --stores redis / pg.
# Prints the medians over runs of: state writes mirrored to Redis per second, rows written into
# PostgreSQL per second, journal records per second; each store's time on the loop per turn that
# did work (p50/p99/max); and how late market data was applied (the loop's latency as a strategy
# sees it: p50/p99/max) with the stores off and on, so the difference is what they add.
set -euo pipefail
cd "$(dirname "$0")/.."
stores=both
if [ "${1:-}" = --stores ]; then stores=${2:?--stores takes both, redis or pg}; shift 2; fi
case "$stores" in both|redis|pg) ;; *) echo "bench_stores: --stores takes both, redis or pg (not $stores)" >&2; exit 2 ;; esac
runs=${1:-3}
secs=${2:-4}
npairs=${3:-500}
use_redis=0; use_pg=0
[ "$stores" = pg ] || use_redis=1
[ "$stores" = redis ] || use_pg=1
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tradehost >/dev/null
T=$(mktemp -d "$PWD/build/bench-stores.XXXXXX")
fail() { echo "bench_stores: $*" >&2; exit 1; }
source tests/functional/pg_lib.sh
RPID=""
trap 'pg_cleanup; if [ -n "$RPID" ]; then kill "$RPID" 2>/dev/null || :; wait "$RPID" 2>/dev/null || :; fi; rm -rf "$T"' EXIT
if [ "$use_redis" = 1 ]; then
  RP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" >"$T/redis.log" 2>&1 &
  RPID=$!
  for i in $(seq 50); do [ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
  [ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] || fail "redis-server did not start"
fi
if [ "$use_pg" = 1 ]; then
  pg_init "$T/pg"
  pg_start
  export TH_BENCH_PG="$PG_CONNINFO"
fi

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
store_cfg=""
[ "$use_redis" = 1 ] && store_cfg="$store_cfg, redis = { host = \"127.0.0.1\", port = $RP }"
[ "$use_pg" = 1 ] && store_cfg="$store_cfg, postgres = { conninfo_env = \"TH_BENCH_PG\", stop_timeout_ms = 20000 }"
cfg() { # cfg JOURNAL_DIR STORES(0|1)
  local extra='quotes = { price_tolerance_bps = 0.5 }, log = { level = "info" },'
  SPEED=16 TICK_MS=20 LEVELS=3 SPREAD_BPS=2 STEP_BPS=11 STALE_MS=60000 paper_mm_lua "$1" "$extra" >"$T/cfg.lua"
  sed -i "s|^  pairs = .*|  pairs = { $PAIRS },|; s|recording = \"[^\"]*\"|recording = \"$REC\"|; s|instruments = \"[^\"]*\"|instruments = \"$INS\"|; s|risk = { price_band_pct = 5 }|risk = { price_band_pct = 5, rates = { EUR = 1.2, ETH = 2400, BTC = 60000 } }|" "$T/cfg.lua"
  [ "$2" = 1 ] && sed -i "s|fsync = \"turn\" }|fsync = \"turn\"$store_cfg }|" "$T/cfg.lua"
  return 0
}
# field NAME MSG LOG: NAME's value in the last line logged with MSG, "-" when there is none
field() { local v; v=$({ grep "msg=\"$2\"" "$3" || :; } | tail -1 | sed -n "s/.* $1=\([^ ]*\).*/\1/p"); echo "${v:--}"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
per_s() { awk -v w="$1" -v s="$secs" 'BEGIN { if (w == "-") print "-"; else print w / s }'; }
# turn FIELDS MSG: p50 p99 max of a store's time on the loop, "- - -" when the store is off
turn() { if [ "$1" = 1 ]; then echo "$(field p50_us "$2" "$T/log") $(field p99_us "$2" "$T/log") $(field max_us "$2" "$T/log")"; else echo "- - -"; fi; }

m='redis: mirror time on the loop'; p='postgres: history time on the loop'
: >"$T/off"; : >"$T/on"
for r in $(seq "$runs"); do
  for mode in off on; do
    on=0; [ "$mode" = on ] && on=1
    cfg "$T/j-$mode-$r" "$on"
    ./build/tradehost run "$T/cfg.lua" --duration "$secs" >/dev/null 2>"$T/log" || { tail "$T/log"; fail "the session failed"; }
    l='market data lag'
    line="$(field p50_us "$l" "$T/log") $(field p99_us "$l" "$T/log") $(field max_us "$l" "$T/log")"
    if [ "$on" = 1 ]; then
      [ "$use_pg" = 0 ] || grep -q 'msg="postgres: session written"' "$T/log" || { tail "$T/log"; fail "the history did not finish"; }
      rec=$(field records "$m" "$T/log"); [ "$rec" != - ] || rec=$(field records "$p" "$T/log")
      line="$line $(per_s "$(field writes "$m" "$T/log")") $(per_s "$(field rows "$p" "$T/log")") $(per_s "$rec")"
      line="$line $(turn "$use_redis" "$m") $(turn "$use_pg" "$p") $(field batches "$p" "$T/log")"
    fi
    echo "$line" >>"$T/$mode"
  done
done
col() { awk -v c="$2" '{ print ($c == "" ? "-" : $c) }' "$T/$1" | median; }
name=$(case "$stores" in both) echo "Redis + PostgreSQL" ;; redis) echo "Redis mirror" ;; pg) echo "PostgreSQL history" ;; esac)
echo "paper session, $npairs pairs, 16x pace, requote 20 ms, 3 levels a side, $secs s, $runs runs (medians)"
printf '  market data lateness, stores off:  p50 %s us  p99 %s us  max %s us\n' "$(col off 1)" "$(col off 2)" "$(col off 3)"
printf '  market data lateness, %s on:  p50 %s us  p99 %s us  max %s us\n' "$name" "$(col on 1)" "$(col on 2)" "$(col on 3)"
echo "  written per second: Redis $(col on 4) state writes, PostgreSQL $(col on 5) rows, journal $(col on 6) records"
[ "$use_redis" = 0 ] || echo "  Redis mirror time per turn with records: p50 $(col on 7) us  p99 $(col on 8) us  max $(col on 9) us"
[ "$use_pg" = 0 ] || echo "  PostgreSQL history time per turn that built a batch: p50 $(col on 10) us  p99 $(col on 11) us  max $(col on 12) us ($(col on 13) batches a run)"
[ "$use_redis" = 0 ] || echo "RESULT redis_writes_per_s $(col on 4)"
[ "$use_pg" = 0 ] || echo "RESULT pg_rows_per_s $(col on 5)"
echo "RESULT lag_p99_off_us $(col off 2)"
echo "RESULT lag_p99_on_us $(col on 2)"
[ "$use_redis" = 0 ] || echo "RESULT mirror_turn_p99_us $(col on 8)"
[ "$use_pg" = 0 ] || echo "RESULT pg_turn_p99_us $(col on 11)"
[ "$use_pg" = 0 ] || pg_stop
