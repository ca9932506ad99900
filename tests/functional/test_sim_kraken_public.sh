#!/usr/bin/env bash
# test_sim_kraken_public.sh — `tradehost sim --venue kraken`, public side, with npm's ccxt as the
# client (tests/ccxt/kraken_public.js says what it proves): the endpoints line, markets from the
# sim's REST, watchOrderBook on every recorded symbol equal to the sim's own books and to a
# reference built from the recording, every checksum, the trade/ticker/instrument channels; then
# bad options and a clean SIGTERM.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
need_ccxt
D="$TH_HOME/tests/data/kraken"
merge_kraken_recording "$T/merged.txt"

# --paused: the replay (about 6 s at --speed 5) starts when the client has subscribed (POST /_sim/resume)
start_sim --data "$T/merged.txt" --instruments "$D/instrument-5pairs.v2.json" --speed 5 --paused
python3 - "$T/endpoints.json" <<'PY' || fail "endpoints line: $(cat "$T/endpoints.json")"
import json, re, sys
line = open(sys.argv[1]).read()
assert line.count("\n") == 1, "exactly one line on stdout"
e = json.loads(line)
assert e["venue"] == "kraken"
assert re.fullmatch(r"http://127\.0\.0\.1:\d+", e["rest"]) and e["control"] == e["rest"] + "/_sim"
assert e["ws_public"] == e["rest"].replace("http", "ws") + "/v2"
assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/v2", e["ws_private"]) and e["ws_private"] != e["ws_public"]
PY
pass "one endpoints line: $(cat "$T/endpoints.json")"

node "$TH_HOME/tests/ccxt/kraken_public.js" "$T/endpoints.json" "$D/book-5pairs-2021-04-17.v2.txt" "$D/trades-ws-v1-2021-04-17.rec" \
  || fail "ccxt public test"
stop_sim
pass "SIGTERM: exit 0, no sanitizer report"

# bad options: a clear message and exit 2
for args in "--data $T/merged.txt --instruments $D/instrument-5pairs.v2.json" \
            "--venue kraken --instruments $D/instrument-5pairs.v2.json" \
            "--venue kraken --data $T/merged.txt" \
            "--venue nope --data $T/merged.txt --instruments $D/instrument-5pairs.v2.json" \
            "--venue kraken --data $T/merged.txt --instruments $D/instrument-5pairs.v2.json --listen 0.0.0.0:0" \
            "--venue kraken --data $T/missing --instruments $D/instrument-5pairs.v2.json" \
            "--venue kraken --data $T/merged.txt --instruments $D/instrument-5pairs.v2.json --pace slow"; do
  set +e; "$TH_BIN" sim $args >"$T/out" 2>"$T/err"; rc=$?; set -e
  [ $rc = 2 ] || fail "sim $args: exit $rc, expected 2"
  [ -s "$T/err" ] && [ ! -s "$T/out" ] || fail "sim $args: expected a message on stderr only"
done
grep -q "loopback addresses only" <("$TH_BIN" sim --venue kraken --data "$T/merged.txt" --instruments "$D/instrument-5pairs.v2.json" --listen 0.0.0.0:0 2>&1) \
  || fail "a non-loopback --listen names the rule"
pass "bad options: exit 2 with a message, nothing on stdout"
