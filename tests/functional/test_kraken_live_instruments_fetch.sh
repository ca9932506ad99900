#!/usr/bin/env bash
# A live Kraken session without venue.instruments takes them from the venue at start: the WS v2
# `instrument` channel's snapshot on the public endpoint (the names the book channel uses), before
# the order side, the strategy and the market data connections open. Then the market maker quotes
# as with the file: orders rest at the sim on each pair's tick, none refused, SIGTERM cancels them.
# A configured pair the venue does not list: the snapshot is refused as a failure naming the pair,
# the connection is dropped and the snapshot asked again after the back-off, /health says
# "fetching_instruments" with the reason, nothing opens, and SIGTERM ends the wait (exit 2).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

kraken_accounts "$T/accounts.json"
source "$T/accounts.json.env"
start_sim --data "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt" \
  --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --accounts "$T/accounts.json" --speed 3 --paused
live_mm_config "$T/cfg.lua" "$T/j" 'api = { listen = "127.0.0.1:0" },'
sed -i 's|name = "kraken", instruments = "[^"]*",|name = "kraken",|' "$T/cfg.lua"
! grep -q "instruments =" "$T/cfg.lua" || fail "the config still names an instrument file"
start_session "$T/cfg.lua"
swait "instruments: fetched from the venue.*venue=kraken instruments=5 attempts=1" 10
swait "order flow ready" 5
swait "kraken private: executions subscribed" 10
swait "kraken public: market data live" 10
first_fetch=$(grep -n "instruments: fetched from the venue" "$T/session.log" | head -1 | cut -d: -f1)
first_public=$(grep -n "kraken public: market data live" "$T/session.log" | head -1 | cut -d: -f1)
first_orders=$(grep -n "order flow ready" "$T/session.log" | head -1 | cut -d: -f1)
[ "$first_fetch" -lt "$first_orders" ] && [ "$first_fetch" -lt "$first_public" ] ||
  sfail "the order side or the market data opened before the instruments were in"
pass "instruments from the venue's instrument channel first, then the order side and the market data"
sleep 0.5
sim_post resume
wait_sim_open -gt 0 10
! grep -q "order rejected" "$T/session.log" || sfail "the sim refused an order: $(grep -m3 'order rejected' "$T/session.log")"
python3 - "$EP_CONTROL/state" <<'PY' || sfail "orders off the instrument channel's tick"
import json, sys, urllib.request
from decimal import Decimal
ticks = {"XMR/USD": Decimal("0.01"), "WAVES/EUR": Decimal("0.0001")}
a = json.load(urllib.request.urlopen(sys.argv[1]))["accounts"][0]
assert a["open_orders"], a
for o in a["open_orders"]:
    n = Decimal(str(o["price"])) / ticks[o["symbol"]]  # the sim's JSON number: float text
    assert abs(n - n.to_integral_value()) < Decimal("0.000001"), ("off the tick", o)
PY
pass "quoting on fetched instruments: orders rest at the sim on each pair's tick, none refused"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
[ "$(sim_open_count)" = 0 ] || fail "the sim still holds $(sim_open_count) open orders after the host stopped"
pass "SIGTERM: every open order cancelled"

# A pair the venue does not list.
sed -i 's|{ symbol = "WAVES/EUR", size = 20 }|{ symbol = "NOPE/EUR", size = 20 }|' "$T/cfg.lua"
mv "$T/session.log" "$T/session1.log"
start_session "$T/cfg.lua"
swait "api: listening" 10
port=$(grep -m1 -o 'api: listening.*port=[0-9]*' "$T/session.log" | grep -o 'port=[0-9]*' | cut -d= -f2)
swait 'instruments: fetch from the venue failed.*the venue lists no instrument NOPE/EUR' 10 2
curl -s "http://127.0.0.1:$port/health" >"$T/health.json"
python3 - "$T/health.json" <<'PY' || sfail "/health while fetching: $(cat "$T/health.json")"
import json, sys
h = json.load(open(sys.argv[1]))
md = [v for v in h["venues"] if v["role"] == "market_data"][0]
assert md["state"] == "fetching_instruments" and not md["ok"], md
assert "NOPE/EUR" in md["reason"], md
PY
! grep -q "order flow ready\|kraken public: market data live" "$T/session.log" || sfail "something opened without the instruments"
pass "a pair the venue does not list: named, asked again after the back-off, /health says why, nothing opened"
stop_session TERM
[ "$SESSION_RC" = 2 ] || sfail "exit status $SESSION_RC (expected 2: did not start)"
grep -q "stopped while waiting for the venue's instruments: the session did not start" "$T/session.log" || sfail "the stop is not explained"
pass "SIGTERM ends the wait (exit 2: the session did not start)"
stop_sim
