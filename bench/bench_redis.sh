#!/usr/bin/env bash
# bench/bench_redis.sh — what the Redis mirror costs the loop and how much it writes: a paper
# market-making session on the bundled Kraken recording at 16x recorded pace, requoting every
# 20 ms on every pair (three levels a side: hundreds of order changes a second), run with the mirror
# off and on (a redis-server started here on its own port, loopback).
#   bench/bench_redis.sh [runs] [seconds]        (default 3 runs of 4 s)
# Prints the medians over runs of: state writes mirrored per second (Redis commands: orders,
# fills, positions, portfolio, snapshots) and journal records per second; the mirror's time on the
# loop per turn that read records (p50/p99/max); and how late market data was applied (the loop's
# latency as a strategy sees it: p50/p99/max) with the mirror off and on, in the same run. The
# bundled recording has 5 pairs (2 configured here); a 500-pair figure needs a 500-pair recording.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
secs=${2:-4}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tradehost >/dev/null
work=$(mktemp -d "$PWD/build/bench-redis.XXXXXX")
RP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
RPID=$!
trap 'kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; rm -rf "$work"' EXIT
for i in $(seq 50); do [ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done

export TH_HOME=$PWD
source tests/functional/paper_config.sh
cfg() { # cfg JOURNAL_DIR REDIS(0|1)
  local extra='quotes = { price_tolerance_bps = 0.5 }, log = { level = "info" },'
  SPEED=16 TICK_MS=20 LEVELS=3 SPREAD_BPS=2 STEP_BPS=11 STALE_MS=60000 paper_mm_lua "$1" "$extra" >"$work/cfg.lua"
  [ "$2" = 1 ] && sed -i "s|fsync = \"turn\" }|fsync = \"turn\", redis = { host = \"127.0.0.1\", port = $RP } }|" "$work/cfg.lua"
  return 0
}
field() { grep "msg=\"$2\"" "$3" | tail -1 | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

: >"$work/off"; : >"$work/on"
for r in $(seq "$runs"); do
  for mode in off on; do
    on=0; [ "$mode" = on ] && on=1
    cfg "$work/j-$mode-$r" "$on"
    ./build/tradehost run "$work/cfg.lua" --duration "$secs" 2>"$work/log" || { tail "$work/log"; exit 1; }
    l='market data lag'; m='redis: mirror time on the loop'
    line="$(field p50_us "$l" "$work/log") $(field p99_us "$l" "$work/log") $(field max_us "$l" "$work/log")"
    if [ "$on" = 1 ]; then
      w=$(field writes "$m" "$work/log"); rec=$(field records "$m" "$work/log")
      line="$line $(awk -v w="$w" -v s="$secs" 'BEGIN { print w / s }') $(awk -v w="$rec" -v s="$secs" 'BEGIN { print w / s }')"
      line="$line $(field p50_us "$m" "$work/log") $(field p99_us "$m" "$work/log") $(field max_us "$m" "$work/log")"
    fi
    echo "$line" >>"$work/$mode"
  done
done
col() { awk -v c="$2" '{ print ($c == "" ? "-" : $c) }' "$work/$1" | median; }
echo "paper session, 2 pairs, 16x pace, requote 20 ms, $secs s, $runs runs (medians)"
echo "  market data lateness, mirror off: p50 $(col off 1) us  p99 $(col off 2) us  max $(col off 3) us"
echo "  market data lateness, mirror on:  p50 $(col on 1) us  p99 $(col on 2) us  max $(col on 3) us"
echo "  mirrored: $(col on 4) state writes/s, $(col on 5) journal records/s"
echo "  mirror time per turn with records: p50 $(col on 6) us  p99 $(col on 7) us  max $(col on 8) us"
echo "RESULT redis_writes_per_s $(col on 4)"
echo "RESULT lag_p99_off_us $(col off 2)"
echo "RESULT lag_p99_on_us $(col on 2)"
echo "RESULT mirror_turn_p99_us $(col on 7)"
