#!/usr/bin/env bash
# test_sim_binance_wsapi.sh — Binance's WebSocket API (order.place, order.cancel, openOrders.status,
# userDataStream.subscribe.signature with executionReport events, server pings) and the REST weight
# limit (429 with Retry-After) of `tradehost sim --venue binance`, with npm's ccxt
# (tests/ccxt/binance_wsapi.js says what it proves); then a clean SIGTERM.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
need_ccxt
D="$TH_HOME/tests/data/binance"
start_sim_venue binance --data "$D/spot-ws-2021-10-12.rec" --snapshots "$D/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$D/spot-exchangeInfo-2021-10-12.rec" --pace full --ws-ping-ms 200
for i in $(seq 100); do curl -sf "$EP_CONTROL/state" | grep -q '"data_ended":true' && break; sleep 0.1; done
node "$TH_HOME/tests/ccxt/binance_wsapi.js" "$T/endpoints.json" || fail "ccxt WebSocket API test"
stop_sim
pass "SIGTERM: exit 0, no sanitizer report"
