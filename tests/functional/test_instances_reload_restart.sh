#!/usr/bin/env bash
# test_instances_reload_restart.sh — kill -9 after a reload changed the strategy instances, on
# `tradehost sim` through the Kraken connectors (the dead man's switch set long, so orders rest):
# instances xmr (XMR/USD) and waves (WAVES/EUR) each place one bid 2 % under the mid; a reload
# replaces waves with a new instance w2 on WAVES/EUR: waves gets on_stop and its bid is cancelled
# at the sim, w2 starts (its own th.store) and places its own bid. kill -9 with xmr's and w2's bids
# resting; the restart on the same journal and config gives each its own order back (it may cancel
# its own pair's, is refused the other's, none adopted) and its own th.store; waves is gone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

kraken_accounts "$T/accounts.json"
source "$T/accounts.json.env"
start_sim --data "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt" \
  --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --accounts "$T/accounts.json" --speed 4
cat >"$T/inst.lua" <<'LUA'
local th = require("th")
local M = {}
function M.on_stop(state, ctx) th.log.info("inst stop", { instance = ctx.name }) end
function M.on_start(state, ctx)
  state.boot = (th.store.get("boots") or 0) + 1
  th.store.set("boots", state.boot)
  th.store.set("mine", ctx.name .. "-" .. state.boot)
  th.log.info("inst start", { instance = ctx.name, boot = state.boot })
end
local function place(state, ctx)
  local symbol = ctx.pairs[1].symbol
  local b = th.book(symbol)
  if not b or not b:ok() then return end
  local p = b:mid() * 0.98
  local id, why = th.orders.place{ symbol = symbol, side = "buy", price = p, size = symbol == "XMR/USD" and 0.5 or 20, tag = ctx.name }
  if id then state.placed = true end -- else (recovering: the start-up reconciliation) again next tick
  th.log.info("inst placed", { instance = ctx.name, id = tostring(id), why = tostring(why) })
end
function M.on_tick(state, ctx)
  if state.boot == 1 and not state.placed then return place(state, ctx) end
  if state.boot ~= 2 or state.tried then return end
  local open = th.orders.open()
  if #open < 2 then return end
  state.tried = true
  local mine, refused = 0, 0
  for _, o in ipairs(open) do
    local ok, why = th.orders.cancel(o.id)
    if ok then mine = mine + 1 else refused = refused + 1 end
    th.log.info("inst cancel", { instance = ctx.name, symbol = o.symbol, tag = o.tag, ok = ok == true, why = tostring(why) })
  end
  th.log.info("inst restored", { instance = ctx.name, mine = mine, refused = refused, store = th.store.get("mine") })
end
return M
LUA
DEAD_MAN_S=600 live_mm_config "$T/cfg.lua" "$T/j"
python3 - "$T/cfg.lua" "$T" <<'PY'
import re, sys
p, t = sys.argv[1], sys.argv[2]
s = open(p).read()
s, n = re.subn(r'  strategy = \{ name = "market_maker",.*?\n  pairs = \{[^\n]*\n', '''  strategy = { tick_ms = 100 },
  strategies = {
    { name = "inst", id = "xmr", module = "%s/inst.lua", pairs = { "XMR/USD" } },
    { name = "inst", id = "waves", module = "%s/inst.lua", pairs = { "WAVES/EUR" } },
  },
''' % (t, t), s, flags=re.S)
assert n == 1, s
open(p, "w").write(s)
PY

start_session "$T/cfg.lua"
swait 'msg="inst placed".*instance=waves.*why=nil' 15
swait 'msg="inst placed".*instance=xmr.*why=nil' 15
wait_sim_open -eq 2 10
sed -i 's/id = "waves"/id = "w2"/' "$T/cfg.lua"
grep -q 'id = "w2"' "$T/cfg.lua" || sfail "the test's edit did not apply"
kill -HUP "$SESSION_PID"
swait 'msg="reload applied".*instances added w2; instances removed waves' 10
grep -q 'msg="inst stop" instance=waves' "$T/session.log" || sfail "waves got no on_stop"
grep -q 'msg="instance removed by a reload: its pairs.* orders cancelled" strategy=waves cancelled=1' "$T/session.log" || sfail "waves's bid was not cancelled"
swait 'msg="inst start" boot=1 instance=w2' 10
swait 'msg="inst placed".*instance=w2.*why=nil' 15
sim_wait "len(a['open_orders']) == 2 and a['orders_cancelled'] == 1" 10
pass "reload: waves stopped (on_stop, its bid cancelled at the sim), w2 started on WAVES/EUR and placed its own bid"
kill -9 "$SESSION_PID"; wait "$SESSION_PID" 2>/dev/null || true; SESSION_PID=""
cp "$T/session.log" "$T/session1.log"
sleep 1
[ "$(sim_open_count)" = 2 ] || fail "the sim holds $(sim_open_count) open orders after the kill -9 (2 expected: the dead man's switch is 600 s)"
pass "kill -9 with each instance's bid resting at the sim"

start_session "$T/cfg.lua"
swait "reconciled with the venue" 15
grep -q "reconciled with the venue.* adopted=0" "$T/session.log" || sfail "the restart adopted orders: $(grep reconciled "$T/session.log")"
swait 'msg="inst restored".*instance=w2' 15
swait 'msg="inst restored".*instance=xmr' 15
grep 'msg="inst cancel"\|msg="inst restored"' "$T/session.log" | sed 's/.*msg=/  /'
grep -q 'msg="inst restored" instance=xmr mine=1 refused=1 store=xmr-2' "$T/session.log" || sfail "xmr after the restart"
grep -q 'msg="inst cancel" instance=xmr ok=true symbol=XMR/USD tag=xmr' "$T/session.log" || sfail "xmr did not cancel its own restored order"
grep -q 'msg="inst cancel" instance=xmr ok=false symbol=WAVES/EUR tag=w2 why="the pair is traded by another strategy instance"' "$T/session.log" \
  || sfail "xmr was not refused w2's order"
grep -q 'msg="inst restored" instance=w2 mine=1 refused=0 store=w2-2\|msg="inst restored" instance=w2 mine=1 refused=1 store=w2-2' "$T/session.log" \
  || sfail "w2 after the restart"
grep -q 'msg="inst start" boot=2 instance=xmr' "$T/session.log" && grep -q 'msg="inst start" boot=2 instance=w2' "$T/session.log" \
  || sfail "th.store boots not restored per instance"
grep -q 'msg="inst start".*instance=waves' "$T/session.log" && sfail "the removed instance waves started again"
wait_sim_open -eq 0 10
pass "restart: each instance's order restored to it (xmr cancels XMR/USD, is refused WAVES/EUR; w2 cancels its own, none adopted); th.store per instance (boot 2 each); waves did not start"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
stop_sim
