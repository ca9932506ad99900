#!/usr/bin/env bash
# test_watchdog.sh — a stuck strategy (strategy.stuck_s): a compiled `while true do end` in on_book
# cannot be interrupted inside LuaJIT, so the watchdog thread notices the callback running past
# stuck_s, logs which one (strategy, callback, pair) and ends the process with exit status 5;
# a restart (--resume, the paper account) recovers the positions and orders from the journal.
# Below stuck_s, over-budget calls are counted per callback (strategy_over_budget{...,callback=}).
source "$(dirname "$0")/lib.sh"
REF="luajit $TH_HOME/tests/functional/journal_reference.lua"
cat >"$T/strat.lua" <<'LUA'
local th = require("th")
local mm = require("strategies.market_maker")
local M = {}
for k, v in pairs(mm) do M[k] = v end
function M.on_tick(state, ctx, now)
  state.t = (state.t or 0) + 1
  if state.t <= 3 then local t0 = os.clock() while os.clock() - t0 < 0.02 do end end -- 20 ms: over the 5 ms budget
  if state.t == 15 then -- a taker buy, so there is a position to recover
    local b = th.book("XMR/USD")
    local _, _, ask = b:best()
    local id, why = th.orders.place{ symbol = "XMR/USD", side = "buy", price = math.ceil(ask * 1.02 * 100) / 100, size = 0.5, tag = "taker" }
    th.log.info("taker buy", { id = id, why = why })
  end
  local pos = th.position("XMR/USD")
  if state.t >= 40 and not state.hang and pos and pos.fills > 0 and not os.getenv("NO_HANG") then
    th.log.info("hanging from now on") state.hang = true
  end
  if state.t >= 15 and state.t < 30 then return end -- no requote meanwhile: th.quotes.set would cancel the taker order
  return mm.on_tick(state, ctx, now)
end
function M.on_book(state, ctx, symbol)
  if state.hang and symbol == "XMR/USD" then while true do end end
  return mm.on_book(state, ctx, symbol)
end
return M
LUA
paper_mm_config a 'api = { listen = "127.0.0.1:0" },'
sed -i "s|strategy = { name = \"market_maker\",|strategy = { name = \"market_maker\", module = \"$T/strat.lua\", stuck_s = 1, budget_ms = 5,|" "$T/cfg.lua"
grep -q 'stuck_s = 1' "$T/cfg.lua" || fail "the test's edit did not apply"
port() { grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | tail -1 | sed 's/.*port=//'; }
ts_s() { sed 's/^ts=[^T]*T\([0-9:.]*\)Z.*/\1/' <<<"$1" | awk -F: '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 }'; }

start_host run "$T/cfg.lua"
wait_for 'msg="taker buy" id=' 10
wait_for 'msg="fill" .*symbol=XMR/USD' 10
metrics=$(curl -s "http://127.0.0.1:$(port)/metrics")
n=$(grep -E '^strategy_over_budget\{strategy="market_maker",callback="on_tick"\} [0-9]+$' <<<"$metrics" | awk '{print $2}')
[ -n "$n" ] && [ "$n" -ge 3 ] || fail "over-budget on_tick calls: $(grep over_budget <<<"$metrics")"
pass "over-budget calls counted per callback: strategy_over_budget{callback=\"on_tick\"} $n"

wait_for 'hanging from now on' 10
wait_exit 10
[ "$HOST_RC" = 5 ] || fail "a stuck strategy: exit $HOST_RC, expected 5"
line=$(grep 'strategy stuck' "$T/host.log") || fail "no 'strategy stuck' line"
[[ "$line" == *"strategy=market_maker callback=on_book pair=XMR/USD running_ms="*"stuck_ms=1000"*"exit=5"* ]] || fail "stuck line: $line"
hang=$(ts_s "$(grep 'hanging from now on' "$T/host.log")")
stuck=$(ts_s "$line")
python3 -c "import sys; d=float(sys.argv[2])-float(sys.argv[1]); print('%.2f' % d); sys.exit(0 if 1.0 <= d <= 2.5 else 1)" "$hang" "$stuck" >"$T/delay" \
  || fail "the watchdog ended the process $(cat "$T/delay") s after the hang (stuck_s 1, margin 1.5 s)"
pass "while true do end in on_book: exit 5 $(cat "$T/delay") s after the hang (stuck_s 1); $(sed 's/.*msg=//' <<<"$line" | cut -c1-160)"

# The journal as the stuck host left it, then a restart: positions carried, every order settled.
f=$(ls "$T/ja"/*.thj | sort | tail -1)
"$TH_BIN" journal "$T/ja" --json >"$T/crashed.json" || fail "tradehost journal"
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
qty = j["positions"].get("XMR/USD", {}).get("qty", 0)
live = sum(1 for o in j["orders"].values() if o["state"] != "done")
print("qty=%s live=%d" % (qty, live))
sys.exit(0 if qty != 0 and live > 0 else 1)' "$T/crashed.json" >"$T/crashed.txt" \
  || fail "the stuck host's journal should hold a position and live orders: $(cat "$T/crashed.txt")"
NO_HANG=1 start_host run "$T/cfg.lua" --resume --duration 2
wait_for 'recovered from the journal' 10
wait_for 'reconciled with the venue' 10
wait_exit 20
[ "$HOST_RC" = 0 ] || fail "restart exited $HOST_RC"
newest=$(ls "$T/ja"/*.thj | sort | tail -1)
[ "$newest" != "$f" ] || fail "the restart wrote no journal of its own"
$REF "$newest" >"$T/after.json"
luajit "$TH_HOME/tests/functional/check_restart.lua" "$T/crashed.json" "$T/after.json" || fail "restart: positions not carried over or orders left live"
pass "restart after the stuck exit (journal: $(cat "$T/crashed.txt")): position carried, orders reconciled, clean stop"
