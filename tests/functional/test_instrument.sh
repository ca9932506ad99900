#!/usr/bin/env bash
# test_instrument.sh — th.instrument(symbol) in a running paper host: the venue's instrument data in
# human units, exact (a tick of 0.00000001 and a minimum size of 1e9 survive as text and number),
# nil + reason for an unknown symbol, and a change that an instrument update brings mid-session
# (XMR/USD goes to maintenance with a larger minimum) is what the next call returns.
source "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data/kraken"

# Start-up instruments: the bundled five plus a meme coin at 8 price decimals and whole-unit lots.
MEME='{"symbol":"PEPE/EUR","base":"PEPE","quote":"EUR","status":"online","qty_precision":0,"qty_increment":1,"price_precision":8,"price_increment":0.00000001,"qty_min":1000000000,"cost_min":0.45}'
sed "s|\"pairs\":\[|\"pairs\":[$MEME,|" "$D/instrument-5pairs.v2.json" >"$T/ins.json"
grep -q PEPE "$T/ins.json" || fail "could not add PEPE/EUR to the instruments"
# The update, half-way through the recording (16 s of recorded time, 4 s at speed 4).
UPD='{"channel":"instrument","type":"update","data":{"pairs":[{"symbol":"XMR/USD","base":"XMR","quote":"USD","status":"maintenance","qty_precision":8,"qty_increment":0.00000001,"price_precision":2,"price_increment":0.01,"qty_min":0.1,"cost_min":5}]}}'
mid_ts=$(sed -n 1300p "$D/book-5pairs-2021-04-17.v2.txt" | cut -d' ' -f1)
{ head -1299 "$D/book-5pairs-2021-04-17.v2.txt"; printf '%s %s\n' "$mid_ts" "$UPD"; tail -n +1300 "$D/book-5pairs-2021-04-17.v2.txt"; } >"$T/rec.txt"

cat >"$T/strat.lua" <<'LUA'
local th = require("th")
local M = {}
local function check(cond, what) if not cond then error("instrument check failed: " .. what, 2) end end
function M.on_start(state)
  local x = assert(th.instrument("XMR/USD"))
  check(x.symbol == "XMR/USD" and x.base == "XMR" and x.quote == "USD", "names")
  check(x.status == "online", "status " .. x.status)
  check(x.tick == 0.01 and x.text.tick == "0.01", "tick " .. x.text.tick)
  check(x.lot == 0.00000001 and x.text.lot == "0.00000001", "lot " .. x.text.lot)
  check(x.min_size == 0.05 and x.text.min_size == "0.05", "min_size " .. x.text.min_size)
  check(x.min_cost == 0 and x.text.min_cost == "0", "min_cost " .. x.text.min_cost)
  check(x.price_decimals == 2 and x.qty_decimals == 8, "decimals")
  local p = assert(th.instrument("PEPE/EUR"))
  check(p.text.tick == "0.00000001" and p.tick == 1e-8 and tonumber(p.text.tick) == p.tick, "PEPE tick " .. p.text.tick)
  check(("%." .. p.price_decimals .. "f"):format(p.tick) == "0.00000001", "PEPE tick does not round-trip")
  check(p.min_size == 1e9 and p.text.min_size == "1000000000" and p.lot == 1, "PEPE min_size " .. p.text.min_size)
  check(p.min_cost == 0.45 and p.text.min_cost == "0.45", "PEPE min_cost " .. p.text.min_cost)
  -- 0.00000123 is a whole number of ticks: the tick gives exact prices
  check(("%.8f"):format(123 * p.tick) == "0.00000123", "123 ticks")
  local none, err = th.instrument("NOPE/EUR")
  check(none == nil and err:find("NOPE/EUR", 1, true) and err:find("unknown symbol", 1, true), "unknown: " .. tostring(err))
  check(not pcall(th.instrument, 42), "a number symbol must raise")
  th.log.info("instrument start ok", { xmr_status = x.status, pepe_tick = p.text.tick, pepe_min_size = p.text.min_size })
end
function M.on_tick(state)
  local x = th.instrument("XMR/USD")
  if x.status ~= "online" and not state.seen then
    state.seen = true
    th.log.info("instrument changed", { status = x.status, min_size = x.text.min_size, min_cost = x.text.min_cost,
                                        at_ns = th.clock.now_ns() })
  end
end
return M
LUA

paper_mm_config a
sed -i -e "s|strategy = { name = \"market_maker\",|strategy = { name = \"market_maker\", module = \"$T/strat.lua\",|" \
  -e "s|recording = \"[^\"]*\"|recording = \"$T/rec.txt\"|" -e "s|instruments = \"[^\"]*\"|instruments = \"$T/ins.json\"|" "$T/cfg.lua"
start_host run "$T/cfg.lua"
wait_for 'msg="instrument start ok"' 10
grep -q 'msg="instrument start ok".*pepe_min_size=1000000000 pepe_tick=0.00000001' "$T/host.log" || fail "start values: $(grep 'instrument start' "$T/host.log")"
pass "th.instrument: XMR/USD and PEPE/EUR exact (tick 0.00000001 round-trips, min size 1e9), unknown symbol nil + reason"
wait_for 'msg="instrument changed"' 15
line=$(grep 'msg="instrument changed"' "$T/host.log")
[[ "$line" == *"min_cost=5 min_size=0.1 status=offline"* ]] || fail "after the update: $line"
at=$(sed 's/.*at_ns=\([0-9]*\).*/\1/' <<<"$line")
[ "$at" -ge "$mid_ts" ] || fail "the change was seen at $at, before the update's recorded time $mid_ts"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "exit $HOST_RC"
! grep -q 'strategy faulted' "$T/host.log" || fail "$(grep 'strategy faulted' "$T/host.log")"
pass "an instrument update mid-session shows in th.instrument: status offline, min_size 0.1, min_cost 5"
