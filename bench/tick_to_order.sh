#!/usr/bin/env bash
# tick_to_order.sh — tick-to-order latency over loopback against `tradehost sim` (Kraken spot or
# Binance spot): from the host's receipt of a book update to the sim's receipt of the order it
# caused (the sim's wall clock in the order's answer: Kraken's `time_in`, the Binance sim's own
# `simTimeIn`, which real Binance does not send), with the market maker requoting on every
# book event (requote_on = "book"), journal commits synchronous (storage.fsync = "never": with
# "turn" the commit's thread-pool round trip is added and the probe gives a lower bound).
# One command: bench/tick_to_order.sh [RUNS] [SECONDS] [kraken|binance]; prints p50/p99/max per run
# and the medians.
# Needs a release build in build/ (cmake -S . -B build && cmake --build build).
set -euo pipefail
cd "$(dirname "$0")/.."
TH_HOME=$PWD
TH_BIN=${TH_BIN:-$PWD/build/tradehost}
RUNS=${1:-3}
SECS=${2:-9}
VENUE=${3:-kraken}
case "$VENUE" in kraken|binance) ;; *) echo "usage: bench/tick_to_order.sh [RUNS] [SECONDS] [kraken|binance]" >&2; exit 2 ;; esac
T=$(mktemp -d /tmp/th-bench-t2o.XXXXXX)
SIM=""; HOST=""
trap '[ -n "$HOST" ] && kill -9 $HOST 2>/dev/null; [ -n "$SIM" ] && kill $SIM 2>/dev/null; rm -rf "$T"' EXIT
export TH_HOME
source tests/functional/sim_lib.sh
merge_kraken_recording "$T/rec.txt"
python3 - "$T/accounts.json" <<'PY'
import base64, json, os, sys
acc = {"key": "bench", "secret": base64.b64encode(os.urandom(64)).decode(),
       "balances": {"USD": "10000000", "XMR": "10000", "EUR": "10000000", "WAVES": "1000000", "SC": "100000000", "GRT": "1000000", "ETH": "10000", "KSM": "10000", "BTC": "1000"}, "tier": "pro"}
json.dump({"accounts": [acc]}, open(sys.argv[1], "w"))
open(sys.argv[1] + ".env", "w").write("export KRAKEN_KEY=%s KRAKEN_SECRET=%s\n" % (acc["key"], acc["secret"]))
PY
source "$T/accounts.json.env"
BD=tests/data/binance
for run in $(seq 1 "$RUNS"); do
  if [ "$VENUE" = binance ]; then
    "$TH_BIN" sim --venue binance --data "$BD/spot-ws-2021-10-12.rec" --snapshots "$BD/spot-depth-snapshots-2021-10-12.rec" \
      --instruments "$BD/spot-exchangeInfo-2021-10-12.rec" --speed 4 --paused >"$T/ep.json" 2>"$T/sim.log" &
  else
    "$TH_BIN" sim --venue kraken --data "$T/rec.txt" --instruments tests/data/kraken/instrument-5pairs.v2.json \
      --accounts "$T/accounts.json" --speed 4 --paused >"$T/ep.json" 2>"$T/sim.log" &
  fi
  SIM=$!
  for i in $(seq 100); do grep -q '}' "$T/ep.json" 2>/dev/null && break; sleep 0.05; done
  ep() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/ep.json" "$1"; }
  if [ "$VENUE" = binance ]; then
    export BINANCE_KEY BINANCE_SECRET
    BINANCE_KEY=$(ep key); BINANCE_SECRET=$(ep secret)
    cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "binance", instruments = "$TH_HOME/$BD/spot-exchangeInfo-2021-10-12.rec",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_streams)", ws_private = "$(ep ws_api)" },
            credentials = { key_env = "BINANCE_KEY", secret_env = "BINANCE_SECRET" }, stale_ms = 3600000 },
  strategy = { name = "market_maker", tick_ms = 1000,
               params = { levels = 2, spread_bps = 4, step_bps = 12, skew_bps = 1, report_every_s = 1000, requote_on = "book" } },
  pairs = { { symbol = "NKNUSDT", size = 40 }, { symbol = "LRCBTC", size = 20 }, { symbol = "BLZETH", size = 200 } },
  risk = { price_band_pct = 5 },
  quotes = { price_tolerance_bps = 0 },
  storage = { journal_dir = "$T/j$run", fsync = "never" },
}
CFG
    READY="binance private: user data subscribed"
  else
    cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "kraken", instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_public)", ws_private = "$(ep ws_private)" },
            credentials = { key_env = "KRAKEN_KEY", secret_env = "KRAKEN_SECRET" },
            tier = "pro", dead_man_s = 60, stale_ms = 3600000 },
  strategy = { name = "market_maker", tick_ms = 1000,
               params = { levels = 2, spread_bps = 4, step_bps = 12, skew_bps = 1, report_every_s = 1000, requote_on = "book" } },
  pairs = { { symbol = "XMR/USD", size = 0.5 }, { symbol = "WAVES/EUR", size = 20 }, { symbol = "SC/EUR", size = 2000 },
            { symbol = "GRT/ETH", size = 50 }, { symbol = "KSM/BTC", size = 1 } },
  risk = { price_band_pct = 5 },
  quotes = { price_tolerance_bps = 0 },
  storage = { journal_dir = "$T/j$run", fsync = "never" },
}
CFG
    READY="executions subscribed"
  fi
  "$TH_BIN" run "$T/cfg.lua" 2>"$T/host$run.log" &
  HOST=$!
  for i in $(seq 200); do grep -q "$READY" "$T/host$run.log" && break; sleep 0.05; done
  sleep 0.5
  curl -sf -X POST "$(ep control)/resume" >/dev/null
  sleep "$SECS"
  kill -TERM $HOST; wait $HOST || true; HOST=""
  kill $SIM; wait $SIM || true; SIM=""
  line=$(grep 'msg="tick to order"' "$T/host$run.log" || true)
  [ -n "$line" ] || { echo "run $run: no sample (see the host log)"; tail -20 "$T/host$run.log"; exit 1; }
  echo "run $run: $(echo "$line" | sed -E 's/.*samples=([0-9]+) p50_us=([0-9.]+) p99_us=([0-9.]+) max_us=([0-9.]+).*/samples=\1 p50_us=\2 p99_us=\3 max_us=\4/')"
  echo "$line" | sed -E 's/.*p50_us=([0-9.]+) p99_us=([0-9.]+).*/\1 \2/' >>"$T/figures"
done
sort -n -k1 "$T/figures" | awk '{a[NR]=$1} END {printf "median of %d runs: p50_us=%s", NR, a[int((NR+1)/2)]}'
sort -n -k2 "$T/figures" | awk '{a[NR]=$2} END {printf " p99_us=%s\n", a[int((NR+1)/2)]}'
