#!/usr/bin/env bash
# test_instances_reload.sh — a reload adds and removes strategy instances (config `strategies`), on
# the paper host of the bundled recording:
#  - q_xmr (XMR/USD) and q_waves (WAVES/EUR) run; the config is edited to q_xmr and a new q_new on
#    WAVES/EUR and SIGHUP'd: q_waves gets on_stop, its quotes are cancelled, it leaves
#    th.strategies(); q_new gets on_start (its own th.store, its risk share) and quotes WAVES/EUR;
#  - a config whose shares add up to more than 1 changes nothing and names the file and the key;
#  - the first instance (the one the session holds) is removed too: q_xmr gets on_stop, q_x2 takes
#    XMR/USD over and the REPL's ctx is q_new's;
#  - a graceful stop cancels every order (on_stop of the instances left).
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
SPEED=1 paper_mm_config
cat >"$T/quoter.lua" <<'LUA'
local th = require("th")
local M = {}
M.defaults = { spread_bps = 1, size = 1 }
function M.on_start(state, ctx)
  state.books = 0
  th.store.set("me", ctx.name)
  th.log.info("inst start", { instance = ctx.name, share = ctx.instance.risk_share, pairs = #ctx.pairs })
end
function M.on_stop(state, ctx)
  th.store.set("stopped", true)
  th.log.info("inst stop", { instance = ctx.name, books = state.books > 0 })
end
function M.on_book(state, ctx, symbol)
  state.books = state.books + 1
  local p = ctx.symbols[symbol].params
  local b = th.book(symbol)
  if not b or not b:ok() then return end
  local mid = b:mid()
  local h = mid * p.spread_bps / 1e4
  th.quotes.set(symbol, { { side = "buy", price = mid - h, size = p.size }, { side = "sell", price = mid + h, size = p.size } })
end
return M
LUA
# instances BLOCK: the config's strategies list is BLOCK (the first call puts the list in place)
instances() {
  python3 - "$T/cfg.lua" "$1" <<'PY'
import re, sys
p, block = sys.argv[1], sys.argv[2]
s = open(p).read()
if "--I" not in s:
    s, n = re.subn(r'  strategy = \{ name = "market_maker",.*?\n  pairs = \{[^\n]*\n',
                   '  strategy = { tick_ms = 100 },\n  strategies = {\n--I\n--/I\n  },\n', s, flags=re.S)
    assert n == 1, s
s = re.sub(r'--I\n.*--/I\n', lambda m: '--I\n' + block + '\n--/I\n', s, flags=re.S)
open(p, "w").write(s)
PY
}
Q="name = \"quoter\", module = \"$T/quoter.lua\""
XMR="{ $Q, id = \"q_xmr\", pairs = { { symbol = \"XMR/USD\", size = 0.5 } }, risk_share = 0.5 },"
instances "$XMR
    { $Q, id = \"q_waves\", params = { spread_bps = 2 }, pairs = { { symbol = \"WAVES/EUR\", size = 20 } }, risk_share = 0.3 },"
repl() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }
ask() { printf '%s\n' "$1" | repl; }
names='local t = {} for _, s in ipairs(th.strategies()) do t[#t + 1] = s.name .. "=" .. s.reloads end return table.concat(t, " ")'
wait_open() { # wait_open SYMBOL N
  local i=0
  while [ "$(ask "return #th.orders.open(\"$1\")")" != "$2" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "$1: $(ask "return #th.orders.open(\"$1\")") open orders, expected $2"
    sleep 0.1
  done
}
ids() { ask "local t = {} for _, o in ipairs(th.orders.open(\"$1\")) do t[#t + 1] = o.id end table.sort(t) return table.concat(t, \",\")"; }

start_host run "$T/cfg.lua"
wait_for 'order flow ready' 10
wait_for 'msg="inst start" instance=q_waves pairs=1 share=0.3' 10
wait_open WAVES/EUR 2
wait_open XMR/USD 2
old_waves=$(ids WAVES/EUR)
old_xmr=$(ids XMR/USD)

# 1. q_waves out, q_new in (on the same pair, its own parameters and a share of 0.4)
instances "$XMR
    { $Q, id = \"q_new\", params = { spread_bps = 3 }, pairs = { { symbol = \"WAVES/EUR\", size = 10 } }, risk_share = 0.4 },"
kill -HUP "$HOST_PID"
wait_for 'msg="reload applied".*instances added q_new.*instances removed q_waves' 10
grep -q 'msg="inst stop" books=true instance=q_waves' "$T/host.log" || fail "q_waves got no on_stop"
wait_for 'msg="inst start" instance=q_new pairs=1 share=0.4' 10
r=$(ask "$names")
[ "$r" = '"q_xmr=1 q_new=0"' ] || fail "th.strategies() after the reload: $r"
for id in ${old_waves//[\",]/ }; do
  st=$(ask "return th.orders.get(\"$id\").state")
  [ "$st" = '"done"' ] || fail "q_waves's order $id is $st after its removal"
done
wait_open WAVES/EUR 2
[ "$(ids WAVES/EUR)" != "$old_waves" ] || fail "WAVES/EUR still has q_waves's orders"
[ "$(ids XMR/USD)" = "$old_xmr" ] || wait_open XMR/USD 2 # q_xmr quotes on (its quotes may move with the book)
r=$(ask 'local s, c = instance("q_new") return c.name .. " " .. c.instance.risk_share .. " " .. c.params.spread_bps .. " " .. tostring(s.books > 0) .. " " .. tostring(th.risk.status().strategies[3])')
[ "$r" = '"q_new 0.4 3 true nil"' ] || fail "q_new after the reload: $r"
r=$(ask 'return tostring(select(2, instance("q_waves")))')
[ "$r" = '"no strategy instance q_waves (instances: q_xmr, q_new)"' ] || fail "q_waves is still reachable: $r"
pass "SIGHUP with q_waves out and q_new in: q_waves on_stop, its quotes cancelled; q_new on_start (share 0.4), quoting WAVES/EUR"

# 2. shares over 1: nothing changes, the error names the file and the key
instances "$XMR
    { $Q, id = \"q_new\", pairs = { { symbol = \"WAVES/EUR\", size = 10 } }, risk_share = 0.6 },
    { $Q, id = \"q_bad\", pairs = { { symbol = \"XMR/EUR\", size = 1 } }, risk_share = 0.1 },"
r=$(ask 'return reload()')
[[ "$r" == *"reload failed: config $T/cfg.lua: strategies: the risk_share values add up to 1.2, more than 1"* ]] || fail "shares over 1: $r"
grep -q 'msg="inst start" instance=q_bad' "$T/host.log" && fail "q_bad started"
r=$(ask "$names")
[ "$r" = '"q_xmr=1 q_new=0"' ] || fail "th.strategies() after a refused reload: $r"
pass "shares adding up to 1.2: refused naming the file and the key, no instance added or changed"

# 3. the first instance out: q_xmr stops, q_x2 takes XMR/USD over
instances "{ $Q, id = \"q_new\", pairs = { { symbol = \"WAVES/EUR\", size = 10 } }, risk_share = 0.4 },
    { $Q, id = \"q_x2\", pairs = { { symbol = \"XMR/USD\", size = 0.2 } }, risk_share = 0.6 },"
old_xmr=$(ids XMR/USD)
kill -HUP "$HOST_PID"
wait_for 'msg="reload applied".*instances added q_x2.*instances removed q_xmr' 10
grep -q 'msg="inst stop" books=true instance=q_xmr' "$T/host.log" || fail "q_xmr got no on_stop"
wait_for 'msg="inst start" instance=q_x2 pairs=1 share=0.6' 10
r=$(ask "$names")
[ "$r" = '"q_new=1 q_x2=0"' ] || fail "th.strategies() after removing the first instance: $r"
r=$(ask 'return ctx.name .. " " .. state.books')
[[ "$r" =~ ^\"q_new\ [0-9]+\"$ ]] || fail "the REPL's ctx after removing the first instance: $r"
for id in ${old_xmr//[\",]/ }; do
  st=$(ask "return th.orders.get(\"$id\").state")
  [ "$st" = '"done"' ] || fail "q_xmr's order $id is $st after its removal"
done
wait_open XMR/USD 2
pass "the first instance removed: q_xmr on_stop and its quotes cancelled; q_x2 quotes XMR/USD; the REPL's ctx is q_new's"

kill -TERM "$HOST_PID"; wait_exit 30
[ "$HOST_RC" = 0 ] || fail "exit $HOST_RC"
grep -q 'msg="every order is cancelled"' "$T/host.log" || fail "the stop left orders live"
grep -q 'msg="inst stop" books=true instance=q_x2' "$T/host.log" && grep -q 'msg="inst stop" books=true instance=q_new' "$T/host.log" \
  || fail "on_stop at the end: $(grep 'inst stop' "$T/host.log")"
pass "graceful stop: on_stop of q_new and q_x2, every order cancelled, exit 0"
