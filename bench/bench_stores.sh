#!/usr/bin/env bash
# bench/bench_stores.sh — both stores on at once, at the issue's size (issue 17 "Done when"): a
# paper market-making session of N pairs (default 500: a synthetic recording, bench/make_many_pairs.py)
# at 16x recorded pace, requoting every 20 ms, three levels a side, run with the stores off and
# with the Redis mirror and the PostgreSQL history both on (a redis-server on its own port and a
# PostgreSQL in its own directory, both started here and stopped at the end).
#   bench/bench_stores.sh [runs] [seconds] [pairs]        (default 3 runs of 4 s, 500 pairs)
# Prints the medians over runs of: state writes mirrored to Redis per second, rows written into
# PostgreSQL per second, journal records per second; each store's time on the loop per turn that
# did work (p99); and how late market data was applied (the loop's latency as a strategy sees it:
# p50/p99/max) with the stores off and on, so the difference is what they add.
# bench_redis.sh and bench_pg.sh measure each store alone.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
secs=${2:-4}
npairs=${3:-500}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tradehost >/dev/null
T=$(mktemp -d "$PWD/build/bench-stores.XXXXXX")
fail() { echo "bench_stores: $*" >&2; exit 1; }
source tests/functional/pg_lib.sh
RP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RPID=""
trap 'pg_cleanup; if [ -n "$RPID" ]; then kill "$RPID" 2>/dev/null || :; wait "$RPID" 2>/dev/null || :; fi; rm -rf "$T"' EXIT
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" >"$T/redis.log" 2>&1 &
RPID=$!
for i in $(seq 50); do [ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] || fail "redis-server did not start"
pg_init "$T/pg"
pg_start
export TH_BENCH_PG="$PG_CONNINFO"

export TH_HOME=$PWD
source tests/functional/paper_config.sh
python3 bench/make_many_pairs.py "$npairs" $((secs * 16 + 8)) "$T/rec"
PAIRS=$(python3 -c "import sys; print(', '.join('{ symbol = \"P%03d/USD\", size = 0.1 }' % i for i in range(1, int(sys.argv[1]) + 1)))" "$npairs")
cfg() { # cfg JOURNAL_DIR STORES(0|1)
  local extra='quotes = { price_tolerance_bps = 0.5 }, log = { level = "info" },'
  SPEED=16 TICK_MS=20 LEVELS=3 SPREAD_BPS=2 STEP_BPS=11 STALE_MS=60000 paper_mm_lua "$1" "$extra" >"$T/cfg.lua"
  sed -i "s|^  pairs = .*|  pairs = { $PAIRS },|; s|recording = \"[^\"]*\"|recording = \"$T/rec.txt\"|; s|instruments = \"[^\"]*\"|instruments = \"$T/rec.json\"|" "$T/cfg.lua"
  [ "$2" = 1 ] && sed -i "s|fsync = \"turn\" }|fsync = \"turn\", redis = { host = \"127.0.0.1\", port = $RP }, postgres = { conninfo_env = \"TH_BENCH_PG\", stop_timeout_ms = 20000 } }|" "$T/cfg.lua"
  return 0
}
field() { grep "msg=\"$2\"" "$3" | tail -1 | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
per_s() { awk -v w="$1" -v s="$secs" 'BEGIN { if (w == "") print "-"; else print w / s }'; }

: >"$T/off"; : >"$T/on"
for r in $(seq "$runs"); do
  for mode in off on; do
    on=0; [ "$mode" = on ] && on=1
    cfg "$T/j-$mode-$r" "$on"
    ./build/tradehost run "$T/cfg.lua" --duration "$secs" >/dev/null 2>"$T/log" || { tail "$T/log"; fail "the session failed"; }
    l='market data lag'
    line="$(field p50_us "$l" "$T/log") $(field p99_us "$l" "$T/log") $(field max_us "$l" "$T/log")"
    if [ "$on" = 1 ]; then
      grep -q 'msg="postgres: session written"' "$T/log" || { tail "$T/log"; fail "the history did not finish"; }
      m='redis: mirror time on the loop'; p='postgres: history time on the loop'
      line="$line $(per_s "$(field writes "$m" "$T/log")") $(per_s "$(field rows "$p" "$T/log")") $(per_s "$(field records "$p" "$T/log")")"
      line="$line $(field p99_us "$m" "$T/log") $(field p99_us "$p" "$T/log") $(field batches "$p" "$T/log") $(field p50_us "$p" "$T/log")"
    fi
    echo "$line" >>"$T/$mode"
  done
done
col() { awk -v c="$2" '{ print ($c == "" ? "-" : $c) }' "$T/$1" | median; }
echo "paper session, $npairs pairs, 16x pace, requote 20 ms, 3 levels a side, $secs s, $runs runs (medians)"
echo "  market data lateness, stores off:          p50 $(col off 1) us  p99 $(col off 2) us  max $(col off 3) us"
echo "  market data lateness, Redis + PostgreSQL:  p50 $(col on 1) us  p99 $(col on 2) us  max $(col on 3) us"
echo "  Redis: $(col on 4) state writes/s   PostgreSQL: $(col on 5) rows/s   journal: $(col on 6) records/s"
echo "  time on the loop per turn with work, p99: Redis mirror $(col on 7) us, PostgreSQL history $(col on 8) us (p50 $(col on 10) us, $(col on 9) batches a run)"
echo "RESULT redis_writes_per_s $(col on 4)"
echo "RESULT pg_rows_per_s $(col on 5)"
echo "RESULT lag_p99_off_us $(col off 2)"
echo "RESULT lag_p99_on_us $(col on 2)"
pg_stop
