#!/usr/bin/env bash
# test_sim_binance_public.sh — `tradehost sim --venue binance`, public side, with npm's ccxt as the
# client (tests/ccxt/binance_public.js says what it proves): the endpoints line, markets from the
# sim's exchangeInfo, watchOrderBook on every recorded symbol equal to the sim's own books and to a
# reference built from the recording, the diff chain, trade and bookTicker streams; then a clean
# SIGTERM and bad options; then the faults on Binance's wire (tests/ccxt/binance_faults.js).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
need_ccxt
D="$TH_HOME/tests/data/binance"
REC="$D/spot-ws-2021-10-12.rec" SNAP="$D/spot-depth-snapshots-2021-10-12.rec" INS="$D/spot-exchangeInfo-2021-10-12.rec"

# --paused: the replay (about 30 s recorded, 6 s at --speed 5) starts when the clients have subscribed
start_sim_venue binance --data "$REC" --snapshots "$SNAP" --instruments "$INS" --speed 5 --paused
python3 - "$T/endpoints.json" <<'PY' || fail "endpoints line: $(cat "$T/endpoints.json")"
import json, re, sys
line = open(sys.argv[1]).read()
assert line.count("\n") == 1, "exactly one line on stdout"
e = json.loads(line)
assert e["venue"] == "binance"
assert re.fullmatch(r"http://127\.0\.0\.1:\d+", e["rest"]) and e["control"] == e["rest"] + "/_sim"
assert e["ws_streams"] == e["rest"].replace("http", "ws") + "/stream"
assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/ws-api/v3", e["ws_api"]) and not e["ws_api"].startswith(e["ws_streams"][:-7])
PY
pass "one endpoints line: $(cat "$T/endpoints.json")"

node "$TH_HOME/tests/ccxt/binance_public.js" "$T/endpoints.json" "$REC" "$SNAP" || fail "ccxt public test"
stop_sim
pass "SIGTERM: exit 0, no sanitizer report"

# bad options: a clear message and exit 2
for args in "--venue binance --data $REC --instruments $INS --snapshots $T/missing" \
            "--venue binance --data $REC --instruments $INS --snapshots $INS"; do
  set +e; "$TH_BIN" sim $args >"$T/out" 2>"$T/err"; rc=$?; set -e
  [ $rc = 2 ] || fail "sim $args: exit $rc, expected 2"
  grep -q -- "--snapshots" "$T/err" && [ ! -s "$T/out" ] || fail "sim $args: expected a message naming --snapshots on stderr only: $(cat "$T/err")"
done
pass "bad --snapshots: exit 2 with a message, nothing on stdout"

# the faults on Binance's wire (tests/ccxt/binance_faults.js): the sequence gap, a malformed frame,
# REST latency, a disconnect of one socket then of all
start_sim_venue binance --data "$REC" --snapshots "$SNAP" --instruments "$INS" --speed 20 --paused
node "$TH_HOME/tests/ccxt/binance_faults.js" "$T/endpoints.json" || fail "binance fault test"
stop_sim
pass "faults on Binance: gap (one hole in U/u, resynced by Binance's recipe), malformed, latency, disconnect one / all"
