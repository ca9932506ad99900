#!/usr/bin/env bash
# test_sim_kraken_futures.sh — `tradehost sim --venue kraken-futures`: the bundled Kraken Futures
# recording served over WS v1 and REST to a plain client and to npm's ccxt
# (tests/ccxt/kraken_futures_public.js says what it proves); then a clean SIGTERM.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
need_ccxt
D="$TH_HOME/tests/data/kraken-futures"
start_sim_venue kraken-futures --data "$D/futures-ws-v1-2021-07-22.rec" --instruments "$D/instruments-2021-07-22.rec" \
  --paused --speed 5
node "$TH_HOME/tests/ccxt/kraken_futures_public.js" "$T/endpoints.json" "$D/futures-ws-v1-2021-07-22.rec" || fail "kraken-futures client test"
stop_sim
pass "SIGTERM: exit 0, no sanitizer report"
