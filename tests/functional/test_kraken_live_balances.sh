#!/usr/bin/env bash
# Balances end to end over real sockets against `tradehost sim --venue kraken`: the market maker
# trades XMR/USD and WAVES/EUR through the Kraken connectors while the host keeps the account's
# balances (core/balances.c) from REST BalanceEx (start, reconciliation, holds) and the WS v2
# `balances` channel (snapshot, then the ledger of each fill).
#   1. at start the host's totals equal the sim's accounts exactly (XMR at 8 decimals, a meme
#      asset holding 1e9 units and a fraction, USD with cents), through GET /balances and through
#      Lua (th.balance / th.balances over the REPL);
#   2. after fills (the market paused) every total equals the sim's exactly, and each moved by
#      exactly the sim's trades (cost and fee: the ledger's amounts); what open orders hold equals
#      the sim's (as BalanceEx shows it: rounded up to the asset's decimals, 4 for fiat, 10 else),
#      so available = total - held is the venue's;
#   3. after the private connection is lost and back (the sim's fault), they agree again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/balances_lib.sh"
trap 'session_cleanup; cleanup' EXIT

merge_kraken_recording "$T/rec.txt"
python3 - "$T/accounts.json" <<'PY'
import base64, json, os, sys
acc = {"key": "key-live-A", "secret": base64.b64encode(os.urandom(64)).decode(),
       "balances": {"USD": "100000.25", "XMR": "100.12345678", "EUR": "100000", "WAVES": "5000", "MEME": "1000000000.00000001"},
       "fees": {"maker_bps": 16, "taker_bps": 26}, "tier": "pro"}
json.dump({"accounts": [acc]}, open(sys.argv[1], "w"))
open(sys.argv[1] + ".env", "w").write("export KRAKEN_KEY=%s KRAKEN_SECRET=%s\n" % (acc["key"], acc["secret"]))
PY
source "$T/accounts.json.env"
start_sim --data "$T/rec.txt" --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --accounts "$T/accounts.json" --speed 3 --paused
SOCK="$T/repl.sock"
DEAD_MAN_S=20 live_mm_config "$T/cfg.lua" "$T/j" "api = { listen = \"127.0.0.1:0\" }, repl = { socket = \"$SOCK\" },"
sed -i 's/dead_man_s = 20,/dead_man_s = 20, balance_refresh_s = 0.2,/' "$T/cfg.lua"
grep -q "balance_refresh_s = 0.2" "$T/cfg.lua" || fail "the config did not take balance_refresh_s"

start_session "$T/cfg.lua"
swait "kraken private: executions subscribed" 10
swait "api: listening" 10
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/session.log" | sed 's/.*port=//')
# --- 1. at start ---
BAL_HELD_DECIMALS=kraken
bal_wait start kraken 10
bal_start_is '{"USD": "100000.25", "XMR": "100.12345678", "EUR": "100000", "WAVES": "5000", "MEME": "1000000000.00000001"}' ||
  fail "the start balances are not the accounts' figures"
pass "at start the host's balances equal the sim's accounts (MEME 1000000000.00000001, XMR 100.12345678, USD 100000.25)"
lua_total=$(echo 'th.balance("MEME").text.total' | "$TH_BIN" repl "$SOCK")
[ "$lua_total" = "\"1000000000.00000001\"" ] || fail "th.balance(\"MEME\").text.total: $lua_total"
lua_n=$(echo 'local n = 0 for k, b in pairs(th.balances()) do n = n + 1 end return n' | "$TH_BIN" repl "$SOCK")
[ "$lua_n" -ge 5 ] || fail "th.balances() named $lua_n assets"
lua_zero=$(echo 'th.balance("DOGE").total' | "$TH_BIN" repl "$SOCK")
[ "$lua_zero" = 0 ] || fail "an asset the venue does not name: $lua_zero"
lua_xmr=$(echo 'th.balance("XMR").total' | "$TH_BIN" repl "$SOCK")
[ "$lua_xmr" = 100.12345678 ] || fail "th.balance(\"XMR\").total: $lua_xmr"
lua_st=$(echo 'th.status("XMR/USD").balances.USD.total' | "$TH_BIN" repl "$SOCK")
[ "$lua_st" = 100000.25 ] || fail "th.status(\"XMR/USD\").balances.USD.total: $lua_st"
pass "Lua: th.balance / th.balances / th.status give the same figures (exact text and numbers)"

# --- 2. fills move the balances by exactly the sim's trades ---
sim_post resume
sim_wait "a['fills'] >= 2" 60
sim_post pause
sleep 0.5
bal_wait all kraken 15
bal_moved_by_trades || fail "the balances did not move by the sim's trades"
# the balance gate: a buy costing more than the USD available is refused before it leaves the host
rejected=$(sim_state | python3 -c 'import json,sys; print(json.load(sys.stdin)["accounts"][0]["orders_rejected"])')
out=$(echo 'local b = th.book("XMR/USD"):best() return th.orders.place{ symbol = "XMR/USD", side = "buy", price = math.floor(b * 0.985 * 100) / 100, size = 400 }' | "$TH_BIN" repl "$SOCK")
[ "$out" = $'nil\t"insufficient_balance"' ] || fail "a buy over the USD available: $out"
out=$(echo 'local b = th.book("XMR/USD"):best() return th.orders.place{ symbol = "XMR/USD", side = "sell", price = math.floor(b * 1.015 * 100) / 100, size = 100.2 }' | "$TH_BIN" repl "$SOCK")
[ "$out" = $'nil\t"insufficient_balance"' ] || fail "a sell over the XMR available: $out"
n=$(echo 'th.risk.status().refusals.insufficient_balance' | "$TH_BIN" repl "$SOCK")
[ "$n" = 2 ] || fail "refusals counted for insufficient_balance: $n"
[ "$(sim_state | python3 -c 'import json,sys; print(json.load(sys.stdin)["accounts"][0]["orders_rejected"])')" = "$rejected" ] ||
  fail "a refused order reached the sim (it rejected it)"
pass "insufficient_balance: a buy over the USD available and a sell over the XMR available refused in the host, counted, nothing sent"
pass "after $(sim_state | python3 -c 'import json,sys; print(json.load(sys.stdin)["accounts"][0]["fills"])') fills: totals equal the sim's and moved by exactly its trades (fees included); held and available equal the sim's"
# --- 3. the private connection lost and back: the balances channel's new snapshot and BalanceEx agree again ---
sim_post fault '{"kind":"disconnect","scope":"private"}' || fail "the sim refused the disconnect"
swait "websocket lost.*kraken-private" 5
swait "executions subscribed\" reconnect=yes" 10
swait "reconciled with the venue" 25 2
bal_wait all kraken 15
pass "after a private disconnect: resubscribed, reconciled, balances equal the sim's again"
! grep -q "balances subscription refused" "$T/session.log" || sfail "the balances subscription was refused"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
stop_sim
