#!/usr/bin/env bash
# test_instances.sh — several strategy instances in one host (config `strategies`), on the paper
# host of the bundled recording:
#  - q_xmr and q_waves run the same quoter code on one pair each, with their own parameters, state
#    and th.store namespace (q_xmr also takes the touch every 10 books, so that it fills all along);
#    `portfolio` trades nothing and reads both pairs;
#  - each hears only its own pairs' events; an instance may not trade another's pair, and the
#    portfolio instance may not trade what it only reads;
#  - q_waves faults: its WAVES/EUR orders are cancelled, q_xmr keeps quoting and filling;
#  - th.risk.status().strategies lists the three (q_waves faulted), /metrics has each one's counters.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
TOKEN="tok-$RANDOM-$RANDOM"
printf '%s\n' "$TOKEN" >"$T/token"; chmod 600 "$T/token"
SPEED=1 paper_mm_config "" "api = { listen = \"127.0.0.1:0\", token_file = \"$T/token\" },"
cat >"$T/quoter.lua" <<'LUA'
local th = require("th")
local M = {}
M.defaults = { spread_bps = 1, size = 1, fail_after = 0, take_every = 0 }
function M.on_start(state, ctx)
  state.books, state.seen = 0, {}
  th.store.set("me", ctx.name)
end
function M.on_book(state, ctx, symbol)
  state.books = state.books + 1
  state.seen[symbol] = true
  if state.books % 200 == 5 then th.log.info("store", { instance = ctx.name, me = th.store.get("me") }) end
  if ctx.params.fail_after > 0 and state.books > ctx.params.fail_after then error("instance boom") end
  local p = ctx.symbols[symbol].params
  local b = th.book(symbol)
  if not b or not b:ok() then return end
  local mid = b:mid()
  local h = mid * p.spread_bps / 1e4
  th.quotes.set(symbol, { { side = "buy", price = mid - h, size = p.size }, { side = "sell", price = mid + h, size = p.size } })
  if p.take_every > 0 and state.books % p.take_every == 0 then -- take the touch: a fill now
    local bid, _, ask = b:best()
    local buy = (state.books / p.take_every) % 2 == 0
    th.orders.place{ symbol = symbol, side = buy and "buy" or "sell", price = buy and ask or bid, size = p.size, tag = "take" }
  end
  if not state.tried then
    state.tried = true
    local other = symbol == "XMR/USD" and "WAVES/EUR" or "XMR/USD"
    local id, why = th.orders.place{ symbol = other, side = "buy", price = 1, size = 1 }
    th.log.info("foreign place", { instance = ctx.name, id = tostring(id), why = why })
  end
end
function M.on_fill(state, ctx, fill) state.fills = (state.fills or 0) + 1 state.last_fill = fill.symbol end
return M
LUA
cat >"$T/watch.lua" <<'LUA'
local th = require("th")
local M = {}
function M.on_start(state, ctx) state.seen, state.books = {}, 0 th.store.set("me", ctx.name) end
function M.on_book(state, ctx, symbol)
  state.books = state.books + 1
  state.seen[symbol] = (state.seen[symbol] or 0) + 1
  if state.books == 1 then
    local id, why = th.orders.place{ symbol = symbol, side = "buy", price = 1, size = 1 }
    th.log.info("portfolio place", { id = tostring(id), why = why, reads = table.concat(ctx.reads, ","), pairs = #ctx.pairs })
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
    { name = "quoter", id = "q_xmr", module = "%s/quoter.lua", params = { take_every = 10 },
      pairs = { { symbol = "XMR/USD", size = 0.5 } }, risk_share = 0.5 },
    { name = "quoter", id = "q_waves", module = "%s/quoter.lua", params = { spread_bps = 2, fail_after = 40 },
      pairs = { { symbol = "WAVES/EUR", size = 20 } }, risk_share = 0.3 },
    { name = "watch", id = "portfolio", module = "%s/watch.lua", reads = { "XMR/USD", "WAVES/EUR" }, risk_share = 0.2 },
  },
''' % (t, t, t), s, flags=re.S)
open(p, "w").write(s)
PY
grep -q 'id = "portfolio"' "$T/cfg.lua" || fail "the test's edit did not apply: $(cat "$T/cfg.lua")"
repl() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }

start_host run "$T/cfg.lua"
wait_for 'order flow ready' 10
wait_for 'msg="store" instance=q_waves me=q_waves' 10
wait_for 'msg="store" instance=q_xmr me=q_xmr' 10
grep -q 'msg="foreign place" id=nil instance=q_xmr why="the pair is traded by another strategy instance"' "$T/host.log" \
  || fail "q_xmr placed on WAVES/EUR: $(grep 'foreign place' "$T/host.log")"
grep -q 'msg="portfolio place" id=nil pairs=0 reads=XMR/USD,WAVES/EUR why="the pair is traded by another strategy instance"' "$T/host.log" \
  || fail "the portfolio instance traded a pair it only reads: $(grep 'portfolio place' "$T/host.log")"
pass "each instance its own th.store namespace; no instance trades another's pair"

wait_for 'strategy faulted: cancelling its orders.*strategy=q_waves' 20
grep -q 'strategy faulted.*strategy=q_xmr\|strategy faulted.*strategy=portfolio' "$T/host.log" && fail "another instance faulted"
f0=$(echo 'return th.position("XMR/USD").fills' | repl)
sleep 4
st=$(echo 'local t = {} for _, s in ipairs(th.risk.status().strategies) do t[#t + 1] = s.name .. "=" .. tostring(s.faulted) end return table.concat(t, " ") .. " | " .. #th.orders.open("WAVES/EUR") .. " " .. #th.orders.open("XMR/USD") .. " | " .. th.position("XMR/USD").fills' | repl)
echo "  $st"
[[ "$st" =~ ^\"q_xmr=false\ q_waves=true\ portfolio=false\ \|\ 0\ 2\ \|\ ([0-9]+)\"$ ]] || fail "after q_waves faulted: $st"
[ "${BASH_REMATCH[1]}" -gt "$f0" ] || fail "q_xmr's fills stopped after q_waves faulted: $f0 -> ${BASH_REMATCH[1]}"
pass "q_waves faulted alone (its WAVES/EUR orders cancelled); q_xmr quotes on and fills ($f0 -> ${BASH_REMATCH[1]} fills)"

PORT=$(grep -m1 'api: listening' "$T/host.log" | sed -E 's/.* port=([0-9]+).*/\1/')
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/metrics" >"$T/metrics" || fail "GET /metrics"
grep -q '^strategy_errors{strategy="q_waves"} 1$' "$T/metrics" || fail "metrics: $(grep strategy_errors "$T/metrics")"
grep -q '^strategy_errors{strategy="q_xmr"} 0$' "$T/metrics" || fail "metrics: $(grep strategy_errors "$T/metrics")"
grep -q '^strategy_errors{strategy="portfolio"} 0$' "$T/metrics" || fail "metrics: $(grep strategy_errors "$T/metrics")"
pass "/metrics: strategy_errors per instance (q_waves 1, q_xmr 0, portfolio 0)"

# The REPL: state and ctx are the first instance's; instance(id) reaches every one (read-only too);
# th.status() names each pair's instance and its fault.
r=$(echo 'local s, c = instance("portfolio") local w = instance("q_waves") return ctx.name .. " " .. c.name .. " " .. tostring(s.seen["XMR/USD"] > 0 and s.seen["WAVES/EUR"] > 0) .. " " .. tostring(w.books > 40) .. " " .. tostring(select(2, instance("nope")))' | repl)
[ "$r" = '"q_xmr portfolio true true no strategy instance nope (instances: q_xmr, q_waves, portfolio)"' ] || fail "REPL instance(): $r"
r=$(echo 'local s, c = instance("q_waves") local ok = pcall(function() s.books = 0 end) return c.name .. " " .. tostring(ok)' | timeout 20 "$TH_BIN" repl --read-only "$SOCK" 2>>"$T/repl.err")
[ "$r" = '"q_waves false"' ] || fail "read-only REPL instance(): $r"
r=$(echo 'local st = th.status() return st["XMR/USD"].strategy .. "=" .. tostring(st["XMR/USD"].faulted) .. " " .. st["WAVES/EUR"].strategy .. "=" .. tostring(st["WAVES/EUR"].faulted)' | repl)
[ "$r" = '"q_xmr=false q_waves=true"' ] || fail "th.status() per instance: $r"
pass "REPL: instance(id) gives each instance's state and ctx (read-only: a view); th.status() names each pair's instance and fault"

# One reload of every instance: the config and each one's code, as one transaction. q_waves was
# faulted: the reload clears it (its fail_after raised so it does not fault again at once).
sed -i 's/fail_after = 40/fail_after = 100000/' "$T/cfg.lua"
kill -HUP "$HOST_PID"
wait_for 'msg="reload applied".*strategies.2.params.fail_after' 10
r=$(echo 'local t = {} for _, s in ipairs(th.strategies()) do t[#t + 1] = s.name .. "=" .. s.reloads .. "/" .. tostring(s.faulted) end return table.concat(t, " ")' | repl)
[ "$r" = '"q_xmr=1/false q_waves=1/false portfolio=1/false"' ] || fail "after the reload: $r"
wait_for 'msg="store" instance=q_waves' 10 2
sleep 1
w=$(echo 'return #th.orders.open("WAVES/EUR")' | repl)
[ "$w" = 2 ] || fail "q_waves does not quote again after the reload: $w open orders on WAVES/EUR"
# a migrate that raises in one instance: nothing changes in any
printf 'function M.migrate(state) if state.seen["WAVES/EUR"] then error("no migrate for waves") end end\n' >>"$T/quoter.lua"
sed -i 's/^return M$//' "$T/quoter.lua"; echo 'return M' >>"$T/quoter.lua"
kill -HUP "$HOST_PID"
wait_for 'strategy reload failed: old code keeps running.*instances=3.*no migrate for waves' 10
r=$(echo 'local t = {} for _, s in ipairs(th.strategies()) do t[#t + 1] = s.name .. "=" .. s.reloads .. "/" .. s.reload_failures end return table.concat(t, " ")' | repl)
[ "$r" = '"q_xmr=1/1 q_waves=1/1 portfolio=1/1"' ] || fail "after a refused reload: $r"
pass "SIGHUP reloads the three instances as one transaction (q_waves unfaulted and quoting again); a migrate raising in one changes none"

kill -TERM "$HOST_PID"; wait_exit 30
[ "$HOST_RC" = 0 ] || fail "exit $HOST_RC"
grep -q 'msg="every order is cancelled"' "$T/host.log" || fail "the stop left orders live"
pass "graceful stop: every order cancelled, exit 0"
