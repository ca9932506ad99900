#!/usr/bin/env bash
# test_instances_restart.sh — two strategy instances trading through the Kraken connectors on
# `tradehost sim`, killed -9 with their orders resting at the sim (the dead man's switch set long,
# so they stay) and restarted on the same journal: each instance gets back its own orders and its
# own th.store. Instance xmr trades XMR/USD, waves trades WAVES/EUR; each places one bid 2 %
# under the mid at its first start (on a tick, once the start-up reconciliation is done). After the restart each tries to cancel every open order of
# both pairs: it may cancel the ones of its own pair (restored from the journal, reconciled with
# the sim, none adopted) and is refused the other's ("traded by another strategy instance").
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
kill -9 "$SESSION_PID"; wait "$SESSION_PID" 2>/dev/null || true; SESSION_PID=""
cp "$T/session.log" "$T/session1.log"
sleep 1
[ "$(sim_open_count)" = 2 ] || fail "the sim holds $(sim_open_count) open orders after the kill -9 (2 expected: the dead man's switch is 600 s)"
pass "kill -9 with each instance's bid resting at the sim"

start_session "$T/cfg.lua"
swait "reconciled with the venue" 15
grep -q "reconciled with the venue.* adopted=0" "$T/session.log" || sfail "the restart adopted orders: $(grep reconciled "$T/session.log")"
swait 'msg="inst restored".*instance=waves' 15
swait 'msg="inst restored".*instance=xmr' 15
grep 'msg="inst cancel"\|msg="inst restored"' "$T/session.log" | sed 's/.*msg=/  /'
grep -q 'msg="inst restored" instance=xmr mine=1 refused=1 store=xmr-2' "$T/session.log" || sfail "xmr after the restart"
grep -q 'msg="inst cancel" instance=xmr ok=true symbol=XMR/USD tag=xmr' "$T/session.log" || sfail "xmr did not cancel its own restored order"
grep -q 'msg="inst cancel" instance=xmr ok=false symbol=WAVES/EUR tag=waves why="the pair is traded by another strategy instance"' "$T/session.log" \
  || sfail "xmr was not refused waves' order"
grep -q 'msg="inst restored" instance=waves mine=1 refused=0 store=waves-2\|msg="inst restored" instance=waves mine=1 refused=1 store=waves-2' "$T/session.log" \
  || sfail "waves after the restart"
grep -q 'msg="inst start" boot=2 instance=xmr' "$T/session.log" && grep -q 'msg="inst start" boot=2 instance=waves' "$T/session.log" \
  || sfail "th.store boots not restored per instance"
wait_sim_open -eq 0 10
pass "restart: each instance's order restored to it (xmr cancels XMR/USD, is refused WAVES/EUR; waves cancels its own); th.store per instance (boot 2 each)"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
stop_sim
