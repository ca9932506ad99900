#!/usr/bin/env bash
# bench/priority_bench.sh — dispatch priorities at 500 pairs (docs/config.md "Priorities and
# overload"): the real host on paper at recorded pace over a synthetic 500-pair recording
# (bench/make_many_pairs.py: every pair's book moves every 0.5 s), 50 pairs at priority 1, 150 at
# 2, 300 at 4, session.turn_budget_us 5000. Two loads, each for SECONDS of recorded time at speed 4
# (4,000 book changes a second):
#   normal    the strategy reads the top of the book and sets two quotes (bench/priority_quote.lua)
#   overload  the same plus 400 us of CPU per on_book (1.6 s of work per second: the loop falls behind)
# Prints per load and priority the on_book calls, deferrals, changes skipped while paused, and the
# dispatch delay (from the turn a pair's book changed to its on_book, microseconds: p50/p99/max,
# the median over runs), then overload mode's enters/exits and the market data's lateness.
#   bench/priority_bench.sh [runs] [seconds]    (default 1 run, 20 s of recorded time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
secs=${2:-20}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tradehost >/dev/null
T=$(mktemp -d "${TMPDIR:-/tmp}/th-prio-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export TH_HOME=$PWD
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) vCPUs)"
python3 bench/make_many_pairs.py 500 "$secs" "$T/many"
luajit -e "local f = io.open('$T/pairs.lua', 'w') f:write('return {\n')
  for i = 1, 500 do f:write(('  { symbol = \"P%03d/USD\", priority = %d },\n'):format(i, i <= 50 and 1 or i <= 200 and 2 or 4)) end
  f:write('}\n') f:close()"
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
for load in normal overload; do
  cost=0; [ "$load" = overload ] && cost=400
  for r in $(seq "$runs"); do
    cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", recording = "$T/many.txt", instruments = "$T/many.json",
            pace = "recorded", speed = 4, stale_ms = 3600000, fee_bps = 16 },
  strategy = { name = "priority_quote", module = "$PWD/bench/priority_quote.lua", tick_ms = 1000, budget_ms = 1000,
               params = { cost_us = $cost } },
  pairs = th.pairs_file("pairs.lua"),
  risk = { budget = 1e12, currency = "USD", max_open_orders = 100000, price_band_pct = 50,
           orders_per_s = 1000000, orders_burst = 1000000 },
  session = { turn_budget_us = 5000, duration_s = $(( secs / 4 + 1 )) },
  storage = { journal_dir = "$T/journal", fsync = "never" },
  report = { enabled = false },
}
CFG
    rm -rf "$T/journal"
    ./build/tradehost run "$T/cfg.lua" >"$T/out.$load.$r" 2>"$T/log.$load.$r" ||
      { tail -20 "$T/log.$load.$r" >&2; exit 1; }
  done
  for l in 1 2 4; do
    field() { grep -h "msg=\"priority bench\".* priority=$l " "$T"/log.$load.* | sed -n "s/.* $1=\([^ ]*\).*/\1/p" | median; }
    printf '%-8s priority=%d  on_book=%-6s deferred=%-6s skipped_paused=%-6s delay p50=%8s us  p99=%9s us  max=%9s us\n' \
      "$load" "$l" "$(field on_book)" "$(field deferred)" "$(field skipped)" "$(field p50_us)" "$(field p99_us)" "$(field max_us)"
  done
  grep -h 'msg="priority bench overload"' "$T/log.$load.1" | sed 's/.*msg="priority bench overload"/  overload mode:/'
  grep -h 'msg="market data lag"' "$T/log.$load.1" | sed 's/.*msg="market data lag"/  market data lateness:/'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
