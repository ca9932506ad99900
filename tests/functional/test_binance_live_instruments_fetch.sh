#!/usr/bin/env bash
# A live Binance session without venue.instruments fetches them at start (GET /api/v3/exchangeInfo
# for its pairs, on the loop) before anything else opens. The sim answers the first calls 503: each
# failure is logged with its reason and retried after the back-off, /health says
# "fetching_instruments" with that reason meanwhile, no order goes out and no stream opens. Once the
# instruments are in, the market maker quotes exactly as with the file: its orders rest at the sim
# on the pairs' ticks (none refused), and SIGTERM cancels them all. A pair the venue does not list
# never lets the session start (the reason named), and SIGTERM ends that wait.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/binance_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

start_bn_sim --paused
sim_post fault '{"kind":"http_5xx","scope":"all","count":3}'
bn_mm_config "$T/cfg.lua" "$T/j" 'api = { listen = "127.0.0.1:0" },'
sed -i 's|name = "binance", instruments = "[^"]*",|name = "binance",|' "$T/cfg.lua"
! grep -q "instruments =" "$T/cfg.lua" || fail "the config still names an instrument file"
start_session "$T/cfg.lua"
swait "api: listening" 10
port=$(grep -m1 -o 'api: listening.*port=[0-9]*' "$T/session.log" | grep -o 'port=[0-9]*' | cut -d= -f2)
swait "instruments: fetch from the venue failed.*HTTP 503" 10
curl -s "http://127.0.0.1:$port/health" >"$T/health.json"
python3 - "$T/health.json" <<'PY' || sfail "/health while fetching: $(cat "$T/health.json")"
import json, sys
h = json.load(open(sys.argv[1]))
md = [v for v in h["venues"] if v["role"] == "market_data"][0]
assert md["state"] == "fetching_instruments" and not md["ok"], md
assert "503" in md["reason"], md
assert h["order_flow"] is False, h
PY
! grep -q "websocket connected.*binance" "$T/session.log" || sfail "a websocket opened before the instruments were in"
pass "exchangeInfo answered 503: logged, retried after the back-off; /health says fetching_instruments (HTTP 503); nothing else opened"
swait "instruments: fetched from the venue.*venue=binance instruments=3 attempts=4" 15
n_fail=$(grep -c "instruments: fetch from the venue failed" "$T/session.log")
[ "$n_fail" = 3 ] || sfail "expected 3 failed attempts (three 503s), saw $n_fail"
swait "order flow ready" 5
swait "websocket connected.*binance-public" 10
swait "binance private: user data subscribed" 10
pass "instruments in after $n_fail failed attempts (the back-off); then the order side and the streams opened"
sleep 0.5
sim_post resume
wait_sim_open -gt 0 10
! grep -q "order rejected\|tick_size\|refused.*tick" "$T/session.log" || sfail "an order was refused: $(grep -m3 'order rejected\|refused' "$T/session.log")"
python3 - "$EP_CONTROL/state" <<'PY' || sfail "orders off the exchangeInfo tick"
import json, urllib.request
from decimal import Decimal
ticks = {"NKNUSDT": Decimal("0.0001"), "LRCBTC": Decimal("0.00000001"), "BLZETH": Decimal("0.00000001")}
a = json.load(urllib.request.urlopen(__import__("sys").argv[1]))["accounts"][0]
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

# A pair the venue does not list: the answer is a failure (named), retried; SIGTERM ends the wait.
sed -i 's|{ symbol = "BLZETH", size = 200 }|{ symbol = "NOPEUSDT", size = 1 }|' "$T/cfg.lua"
mv "$T/session.log" "$T/session1.log"
start_session "$T/cfg.lua"
swait "instruments: fetch from the venue failed.*(NOPEUSDT|Invalid symbol)" 10
stop_session TERM
[ "$SESSION_RC" = 2 ] || sfail "exit status $SESSION_RC (expected 2: did not start)"
grep -q "stopped while waiting for the venue's instruments: the session did not start" "$T/session.log" || sfail "the stop is not explained"
! grep -q "order flow ready" "$T/session.log" || sfail "the order side opened without the instruments"
pass "a pair the venue does not list: named, retried, never started; SIGTERM ends the wait (exit 2)"
stop_sim
