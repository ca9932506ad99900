#!/usr/bin/env bash
# Balances end to end over real sockets against `tradehost sim --venue binance`: the market maker
# trades through the Binance connector while the host keeps the account's balances from the
# WebSocket API's account.status (start, reconciliation) and the user data stream's
# outboundAccountPosition (every order event and fill).
#   1. at start the host's balances equal the sim's account exactly (BTC at 8 decimals, NKN holding
#      1e9 units and a fraction, USDT with cents); what the resting quotes hold (locked) too;
#   2. after a fill (the market paused) every total, held and available equals the sim's exactly,
#      and the totals moved by exactly the sim's trades (cost, quantity and the fee in its asset).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/binance_live_lib.sh"
source "$(dirname "$0")/balances_lib.sh"
trap 'session_cleanup; cleanup' EXIT

python3 - "$T/accounts.json" <<'PY'
import json, os, sys
acc = {"key": "bn-key-" + os.urandom(8).hex(), "secret": os.urandom(32).hex(),
       "balances": {"USDT": "100000.25", "NKN": "1000000000.12345678", "BTC": "2.12345678", "LRC": "50000", "ETH": "30.5", "BLZ": "100000"},
       "fees": {"maker_bps": 10, "taker_bps": 10}}
json.dump({"accounts": [acc]}, open(sys.argv[1], "w"))
open(sys.argv[1] + ".env", "w").write("export BINANCE_KEY=%s BINANCE_SECRET=%s\n" % (acc["key"], acc["secret"]))
PY
start_sim_venue binance --data "$BN_DATA/spot-ws-2021-10-12.rec" --snapshots "$BN_DATA/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$BN_INS" --accounts "$T/accounts.json" --speed 1 --paused --ws-ping-ms 500
source "$T/accounts.json.env"
SOCK="$T/th.sock"
bn_mm_config "$T/cfg.lua" "$T/j" "api = { listen = \"127.0.0.1:0\" }, repl = { socket = \"$SOCK\" },"
start_session "$T/cfg.lua"
swait "binance private: user data subscribed" 10
swait "api: listening" 10
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/session.log" | sed 's/.*port=//')

# --- 1. at start ---
bal_wait start binance 10
bal_start_is '{"USDT": "100000.25", "NKN": "1000000000.12345678", "BTC": "2.12345678", "LRC": "50000", "ETH": "30.5", "BLZ": "100000"}' ||
  fail "the start balances are not the account's figures"
pass "at start the host's balances equal the sim's account (NKN 1000000000.12345678, BTC 2.12345678, USDT 100000.25)"
sim_post resume # the books sync once the replay runs: then the quotes go out
wait_sim_open -gt 0 10
sim_post pause
sleep 0.3
bal_wait all binance 10
pass "with quotes resting: held (locked) and available equal the sim's"
lua=$(echo 'th.balance("NKN").text.total' | "$TH_BIN" repl "$SOCK")
[ "$lua" = "\"1000000000.12345678\"" ] || fail "th.balance(\"NKN\").text.total: $lua"

# --- 2. a fill: a marketable buy placed from the REPL (the recording's own trades may not reach a quote) ---
out=$(echo 'local ins = th.instrument("NKNUSDT") local _, _, a = th.book("NKNUSDT"):best() local n = math.ceil(a * 1.02 / ins.tick - 1e-9) return th.orders.place{ symbol = "NKNUSDT", side = "buy", price = tonumber(("%." .. ins.price_decimals .. "f"):format(n * ins.tick)), size = 40, tag = "t" }' | "$TH_BIN" repl "$SOCK")
[[ "$out" == \"th* ]] || sfail "a marketable buy on NKNUSDT was refused: $out"
sim_wait "a['fills'] >= 1" 20
sim_post pause
sleep 0.5
bal_wait all binance 15
bal_moved_by_trades '{"NKNUSDT": ["NKN", "USDT"], "LRCBTC": ["LRC", "BTC"], "BLZETH": ["BLZ", "ETH"]}' ||
  fail "the balances did not move by the sim's trades"
pass "after the fill: totals, held and available equal the sim's; totals moved by exactly its trades (fee included)"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
stop_sim
