#!/usr/bin/env bash
# test_sim_valgrind.sh — `tradehost sim` of each venue runs valgrind-clean: start, the recording
# replayed, a client session (tests/ccxt/sim_valgrind_client.js: public data, signed REST, private
# websocket orders filled and cancelled, user data events), SIGTERM; no invalid access and no leak
# (definite, indirect or possible) at teardown.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/vg_lib.sh"
vg_require
need_ccxt # node and the ws package
K="$TH_HOME/tests/data/kraken" B="$TH_HOME/tests/data/binance" F="$TH_HOME/tests/data/kraken-futures"
run() { # run VENUE ARGS...
  local venue=$1; shift
  : >"$T/endpoints.json"
  "${VG[@]}" --log-file="$T/vg-$venue.log" "$TH_BIN" sim --venue "$venue" --pace full "$@" >"$T/endpoints.json" 2>"$T/host.log" &
  HOST_PID=$!
  local i=0
  until grep -q '}' "$T/endpoints.json" 2>/dev/null; do
    kill -0 "$HOST_PID" 2>/dev/null || fail "$venue: the sim exited before listening"
    sleep 0.1; i=$((i + 1)); [ $i -lt 900 ] || fail "$venue: no endpoints line within 90 s under valgrind"
  done
  wait_for 'market data ended' 120
  node "$TH_HOME/tests/ccxt/sim_valgrind_client.js" "$T/endpoints.json" || fail "$venue: the client session under valgrind"
  kill -TERM "$HOST_PID"
  wait_exit 120
  vg_clean "$T/vg-$venue.log" "$HOST_RC" "$venue"
  pass "$venue: start, replay, client session, SIGTERM with clients attached: $(vg_summary "$T/vg-$venue.log")"
}
merge_kraken_recording "$T/kraken.txt"
run kraken --data "$T/kraken.txt" --instruments "$K/instrument-5pairs.v2.json"
run binance --data "$B/spot-ws-2021-10-12.rec" --snapshots "$B/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$B/spot-exchangeInfo-2021-10-12.rec"
run kraken-futures --data "$F/futures-ws-v1-2021-07-22.rec" --instruments "$F/instruments-2021-07-22.rec"
