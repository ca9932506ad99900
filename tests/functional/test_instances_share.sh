#!/usr/bin/env bash
# test_instances_share.sh — each strategy instance trades within its share of the risk budget
# (strategies[i].risk_share, docs/config.md "Several strategies"), and keeps its own th.store
# across a kill -9 restart. Paper host on the bundled recording, risk.budget 10,000 USD, the
# per-position and per-pair gates opened wide (100 %) so that only the share and the total bind:
#  - small (share 0.25, XMR/USD): its cap is 80 % x 0.25 x 10,000 = 2,000 USD of positions and
#    live orders. A bid of 3,000 is refused "exposure_share" (the host-wide total, 8,000, would
#    take it); 1,500 rests; 1,000 more is refused (2,500 > 2,000); 400 more rests (1,900);
#  - big (share 0.75, WAVES/EUR, EUR at 1.2 USD): 5,000 rests: more than small's cap, within its own
#    (6,000); then a quote (th.quotes.set, placed by the executor) of 1,050 is refused
#    exposure_share (the total, 7,950, would take it) and one of 500 is placed.
# A reload to shares of 0.5 each lets small take 500 more. Then kill -9 and a restart on the same
# journal (--resume): each instance finds its own th.store values.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
SPEED=1 paper_mm_config ""
cat >"$T/sizer.lua" <<'LUA'
local th = require("th")
local M = {}
M.defaults = { fracs = "", quotes = "" }
function M.on_start(state, ctx)
  local prev = th.store.get("starts")
  th.log.info("store at start", { instance = ctx.name, starts = tostring(prev), tag = tostring(th.store.get("tag")) })
  th.store.set("starts", (prev or 0) + 1)
  th.store.set("tag", ctx.name .. "-tag")
end
function M.on_book(state, ctx, symbol)
  if state.done then return end
  local b = th.book(symbol)
  if not b or not b:ok() then return end
  state.done = true
  local rate = symbol == "WAVES/EUR" and 1.2 or 1
  local k = 0
  for frac in ctx.params.fracs:gmatch("[^,]+") do
    k = k + 1
    local price = b:mid() * (1 - 0.005 * k) -- apart: the anti-layering gate stays out of it
    local usd = tonumber(frac) * 10000
    local id, why = th.orders.place{ symbol = symbol, side = "buy", price = price, size = usd / rate / price, tag = "share" }
    th.log.info("share place", { instance = ctx.name, usd = usd, ok = id ~= nil, why = tostring(why) })
  end
  for usd in ctx.params.quotes:gmatch("[^,]+") do -- quotes pass the same gate (through the executor)
    local price = b:mid() * 0.97
    local r = th.quotes.set(symbol, { { side = "buy", price = price, size = tonumber(usd) / rate / price } })
    th.log.info("share quote", { instance = ctx.name, usd = usd, placed = r.placed, refusal = tostring(r.refusal) })
  end
end
return M
LUA
python3 - "$T/cfg.lua" "$T" <<'PY'
import re, sys
p, t = sys.argv[1], sys.argv[2]
s = open(p).read()
s = re.sub(r'  strategy = \{ name = "market_maker",.*?\n  pairs = \{[^\n]*\n', '''  strategy = { tick_ms = 100 },
  strategies = {
    { name = "sizer", id = "small", module = "%s/sizer.lua", params = { fracs = "0.3,0.15,0.1,0.04" },
      pairs = { "XMR/USD" }, risk_share = 0.25 },
    { name = "sizer", id = "big", module = "%s/sizer.lua", params = { fracs = "0.5", quotes = "1050,500" },
      pairs = { "WAVES/EUR" }, risk_share = 0.75 },
  },
''' % (t, t), s, flags=re.S)
s = s.replace('risk = { price_band_pct = 5 }', 'risk = { price_band_pct = 5, budget = 10000, max_position_pct = 100, max_pair_pct = 100, rates = { EUR = 1.2 } }')
open(p, "w").write(s)
PY
grep -q 'id = "big"' "$T/cfg.lua" && grep -q 'budget = 10000' "$T/cfg.lua" || fail "the test's edit did not apply: $(cat "$T/cfg.lua")"
repl() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }

start_host run "$T/cfg.lua"
wait_for 'msg="share place".*instance=big' 15
wait_for 'msg="share place".*instance=small' 15 4
grep 'msg="share place"' "$T/host.log" | sed 's/.*msg=/  /'
exp=(
  'instance=small ok=false usd=3000 why=exposure_share'
  'instance=small ok=true usd=1500 why=nil'
  'instance=small ok=false usd=1000 why=exposure_share'
  'instance=small ok=true usd=400 why=nil'
  'instance=big ok=true usd=5000 why=nil'
)
for e in "${exp[@]}"; do
  grep -q "msg=\"share place\" $e" "$T/host.log" || fail "expected: $e; got: $(grep 'share place' "$T/host.log")"
done
n=$(echo 'return #th.orders.open("XMR/USD") .. " " .. #th.orders.open("WAVES/EUR") .. " " .. th.risk.status().refusals.exposure_share' | repl)
[ "$n" = '"2 2 3"' ] || fail "open orders XMR/USD, WAVES/EUR and exposure_share refusals: $n"
grep -q 'msg="share quote" instance=big placed=0 refusal=exposure_share usd=1050' "$T/host.log" \
  && grep -q 'msg="share quote" instance=big placed=1 refusal=nil usd=500' "$T/host.log" \
  || fail "big's quotes (1,050 past its 6,000 cap, within the 8,000 total; then 500): $(grep 'share quote' "$T/host.log")"
pass "small (share 0.25) is held to 2,000 USD (3,000 and 1,000 more refused exposure_share, 1,500 + 400 rest); big (share 0.75) rests 5,000, then a 1,050 quote is refused exposure_share and a 500 one placed"

# The shares change with a reload (SIGHUP): an order on small's pair, from the REPL too, counts
# in small's group; 500 USD more (2,400) is refused at 0.25 and rests at 0.5 (cap 4,000).
place='local b = th.book("XMR/USD") local p = b:mid() * 0.95 local id, why = th.orders.place{ symbol = "XMR/USD", side = "buy", price = p, size = 500 / p } return tostring(why)'
r=$(echo "$place" | repl)
[ "$r" = '"exposure_share"' ] || fail "a REPL order on small's pair at share 0.25: $r"
sed -i 's/risk_share = 0.25/risk_share = 0.5/; s/risk_share = 0.75/risk_share = 0.5/' "$T/cfg.lua"
kill -HUP "$HOST_PID"
wait_for 'msg="reload applied"' 10
r=$(echo "$place" | repl)
[ "$r" = '"nil"' ] || fail "the same order after the reload to share 0.5: $r"
pass "a reload changes the shares: 500 USD more on small's pair refused at 0.25, resting at 0.5"
wait_for 'msg="store at start".*instance=small' 5
grep -q 'msg="store at start" instance=small starts=nil tag=nil' "$T/host.log" || fail "fresh store: $(grep 'store at start' "$T/host.log")"
kill -9 "$HOST_PID"; wait_exit 10
mv "$T/host.log" "$T/host1.log"
start_host run "$T/cfg.lua" --resume
wait_for 'msg="store at start".*instance=big' 15
wait_for 'msg="store at start".*instance=small' 15
grep -q 'msg="store at start" instance=small starts=1 tag=small-tag' "$T/host.log" || fail "small's store after kill -9: $(grep 'store at start' "$T/host.log")"
grep -q 'msg="store at start" instance=big starts=1 tag=big-tag' "$T/host.log" || fail "big's store after kill -9: $(grep 'store at start' "$T/host.log")"
pass "after kill -9 each instance finds its own th.store (small-tag, big-tag; starts=1 each)"
kill -TERM "$HOST_PID"; wait_exit 30
[ "$HOST_RC" = 0 ] || fail "exit $HOST_RC after the restart"
pass "graceful stop after the restart: exit 0"
