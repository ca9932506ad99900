#!/usr/bin/env bash
# test_dispatch_priority.sh — dispatch priorities and overload mode on the real host (paper, a
# synthetic 40-pair recording of bench/make_many_pairs.py at recorded pace): P001-P004 have
# priority 1, P005-P012 priority 2, P013-P040 priority 4 (docs/config.md "Priorities and overload").
# The strategy quotes every pair; its priority-4 on_book is slow (4 ms of CPU) for its first 80
# calls, so the loop falls behind and the market data piles up. Asserted:
#  - priority 1 got an on_book every turn its book changed (never deferred), and the strategy heard
#    every one of them;
#  - priority-4 pairs were deferred (over session.turn_budget_us), then overload mode paused
#    priority 4 (logged with the reason), its orders cancelled through the order flow (the journal
#    has the cancels, the paper venue confirmed them: no live order on a paused pair a tick later),
#    and a strategy's th.quotes.set on a paused pair was refused; priority 2 was never paused;
#  - once the slow calls are over the loop catches up: priority 4 resumes (logged), gets on_book
#    with the current book and quotes again; overload mode ends; th.dispatch(), th.status(),
#    /health and /metrics say so.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
TOKEN="tok-$RANDOM-$RANDOM"
printf '%s\n' "$TOKEN" >"$T/token"; chmod 600 "$T/token"
python3 "$TH_HOME/bench/make_many_pairs.py" 40 60 "$T/many"
cat >"$T/prio.lua" <<'LUA'
local th = require("th")
local M = {}
M.defaults = { slow_calls = 80, slow_ms = 4 }
local function level(symbol) local n = tonumber(symbol:sub(2, 4)) return n <= 4 and 1 or n <= 12 and 2 or 4 end
function M.on_start(state, ctx)
  state.books = { 0, 0, 0, 0 }
  state.after_resume = 0
  state.slow = 0
  state.paused_ticks = {}
  state.ids, state.pulled = {}, {} -- each pair's orders after its last on_book; those a pause pulled
  state.live_while_paused, state.refused, state.accepted_while_paused, state.paused_seen = 0, 0, 0, 0
end
function M.on_book(state, ctx, symbol)
  local l = level(symbol)
  state.books[l] = state.books[l] + 1
  if l == 4 then
    if state.slow < ctx.params.slow_calls then
      state.slow = state.slow + 1
      local t = os.clock() + ctx.params.slow_ms / 1e3
      while os.clock() < t do end
    elseif state.resumed then
      state.after_resume = state.after_resume + 1
    end
  end
  local b = th.book(symbol)
  if not b or not b:ok() then return end
  local mid = b:mid()
  th.quotes.set(symbol, { { side = "buy", price = mid * 0.999, size = 1 }, { side = "sell", price = mid * 1.001, size = 1 } })
  local ids = {}
  for _, o in ipairs(th.orders.open(symbol) or {}) do ids[#ids + 1] = o.id end
  state.ids[symbol] = ids
end
-- Each tick: what a paused pair looks like from the strategy's side.
function M.on_tick(state, ctx)
  local any = false
  for i = 13, 40 do
    local sym = ("P%03d/USD"):format(i)
    local st = th.status(sym)
    if st and st.paused then
      any = true
      state.paused_ticks[sym] = (state.paused_ticks[sym] or 0) + 1
      if state.paused_ticks[sym] == 1 then
        for _, id in ipairs(state.ids[sym] or {}) do state.pulled[#state.pulled + 1] = id end
        state.ids[sym] = nil
      end
      -- a tick after the pause the cancels are confirmed: nothing may rest at the venue
      if state.paused_ticks[sym] >= 2 and st.open_orders > 0 then state.live_while_paused = state.live_while_paused + 1 end
      local ok, err = th.quotes.set(sym, { { side = "buy", price = 1, size = 1 } })
      if ok then state.accepted_while_paused = state.accepted_while_paused + 1
      elseif tostring(err):find("paused by overload", 1, true) then state.refused = state.refused + 1 end
    else
      state.paused_ticks[sym] = 0
    end
  end
  if any then state.paused_seen = state.paused_seen + 1 end
  if not any and state.paused_seen > 0 and state.slow >= ctx.params.slow_calls then state.resumed = true end
end
return M
LUA
{
  echo "return {"
  for i in $(seq 1 40); do
    p=4; [ "$i" -le 12 ] && p=2; [ "$i" -le 4 ] && p=1
    printf '  { symbol = "P%03d/USD", priority = %d },\n' "$i" "$p"
  done
  echo "}"
} >"$T/pairs.lua"
cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", recording = "$T/many.txt", instruments = "$T/many.json",
            pace = "recorded", speed = 4, stale_ms = 3600000, fee_bps = 16 },
  strategy = { name = "prio", module = "$T/prio.lua", tick_ms = 100, budget_ms = 100 },
  pairs = th.pairs_file("pairs.lua"),
  risk = { budget = 1e12, currency = "USD", max_open_orders = 100000, price_band_pct = 50,
           orders_per_s = 1000000, orders_burst = 1000000 },
  session = { turn_budget_us = 2000, max_defer_turns = 10, overload_turns = 5, overload_calm_ms = 300 },
  storage = { journal_dir = "$T/journal", fsync = "never" },
  repl = { socket = "$SOCK" },
  api = { listen = "127.0.0.1:0", token_file = "$T/token" },
}
CFG
repl() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }

start_host run "$T/cfg.lua"
wait_for 'order flow ready' 10
wait_for 'msg="overload: lowest priority paused' 30
line=$(grep -m1 'msg="overload: lowest priority paused' "$T/host.log")
echo "  $line"
[[ "$line" == *"priority=4 "* ]] || fail "the first level paused is not priority 4: $line"
[[ "$line" =~ orders_cancelled=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] || fail "pausing cancelled no orders: $line"
[[ "$line" == *'reason="deferrals in 5 turns in a row'* ]] || fail "no reason logged: $line"
pass "the loop fell behind: priority 4 paused, its orders cancelled, the reason logged"

wait_for 'msg="overload: priority resumed' 30
wait_for 'msg="overload: ended' 40
# the slow calls are over: the loop keeps up, priority 4 quotes again
for i in $(seq 100); do
  r=$(echo 'return tostring(state.resumed) .. " " .. state.after_resume' | repl)
  [[ "$r" =~ ^\"true\ ([0-9]+)\"$ ]] && [ "${BASH_REMATCH[1]}" -gt 40 ] && break
  sleep 0.1
done
[[ "$r" =~ ^\"true\ ([0-9]+)\"$ ]] && [ "${BASH_REMATCH[1]}" -gt 40 ] || fail "priority 4 got no on_book after its resume: $r"
q='local d = th.dispatch() local p = d.priorities local st, q = th.status("P020/USD"), th.status("P001/USD") '
q+='return table.concat({ tostring(d.overload), #d.paused_priorities, d.paused_pairs, d.overload_enters, d.overload_exits, '
q+='p[1].changed, p[1].dispatched, p[1].deferred, p[2].skipped, p[4].deferred, p[4].skipped, '
q+='state.books[1], st.priority, tostring(st.paused), st.open_orders, q.priority, '
q+='state.live_while_paused, state.refused, state.accepted_while_paused, state.paused_seen }, " ")'
# a loaded machine may stretch a turn past the budget now and then: read until overload mode is off
for i in $(seq 20); do
  sleep 0.5
  d=$(echo "$q" | repl)
  [[ "$d" == '"false 0 0 '* ]] && break
done
echo "  th.dispatch and state: $d"
read -r ov npl npp ent ext c1 d1 def1 sk2 def4 sk4 books1 prio20 paused20 open20 prio1 live refused accepted seen <<<"${d//\"/}"
[ "$ov" = false ] && [ "$npl" = 0 ] && [ "$npp" = 0 ] || fail "overload mode did not end: $d"
[ "$ent" -ge 1 ] && [ "$ext" = "$ent" ] || fail "enters/exits: $d"
[ "$def1" = 0 ] && [ "$c1" = "$d1" ] && [ "$d1" -gt 0 ] || fail "priority 1 missed a turn (changed $c1, dispatched $d1, deferred $def1)"
[ "$books1" = "$d1" ] || fail "the strategy heard $books1 priority-1 on_book, the host made $d1"
pass "priority 1: an on_book every turn its book changed ($d1 of $c1, none deferred), all heard by the strategy"
[ "$def4" -gt 0 ] && [ "$sk4" -gt 0 ] || fail "priority 4 was not deferred and paused (deferred $def4, skipped while paused $sk4)"
[ "$sk2" = 0 ] || fail "priority 2 was paused (skipped $sk2)"
grep 'msg="overload: lowest priority paused' "$T/host.log" | grep -qv 'priority=4 ' && fail "a level other than 4 was paused"
pass "priority 4: $def4 deferrals, then paused ($sk4 book changes skipped); priority 2 never paused"
[ "$seen" -gt 0 ] || fail "on_tick never saw a paused pair"
[ "$live" = 0 ] || fail "an order stayed live on a paused pair ($live ticks)"
[ "$refused" -gt 0 ] && [ "$accepted" = 0 ] || fail "th.quotes.set on a paused pair: refused $refused, accepted $accepted"
pass "while paused: no order live on its pairs, a strategy's th.quotes.set refused ($refused times)"
[ "$prio20" = 4 ] && [ "$paused20" = false ] && [ "$open20" = 2 ] && [ "$prio1" = 1 ] || fail "th.status after the resume: $d"
pass "after the resume: P020/USD priority 4, not paused, quoting again (2 orders); overload ended ($ent enters, $ext exits)"

PORT=$(grep -m1 'api: listening' "$T/host.log" | sed -E 's/.* port=([0-9]+).*/\1/')
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/metrics" >"$T/metrics" || fail "GET /metrics"
grep -q '^dispatch_overload_active 0$' "$T/metrics" || fail "metrics: $(grep dispatch_ "$T/metrics")"
grep -q "^dispatch_overload_enters_total $ent\$" "$T/metrics" || fail "metrics enters: $(grep dispatch_overload "$T/metrics")"
grep -q '^dispatch_deferred_total{priority="1"} 0$' "$T/metrics" || fail "metrics: $(grep dispatch_deferred "$T/metrics")"
grep -qE '^dispatch_deferred_total\{priority="4"\} [1-9]' "$T/metrics" || fail "metrics: $(grep dispatch_deferred "$T/metrics")"
grep -qE '^dispatch_paused_skips_total\{priority="4"\} [1-9]' "$T/metrics" || fail "metrics: $(grep dispatch_paused "$T/metrics")"
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/health" >"$T/health" || fail "GET /health"
python3 - "$T/health" <<'PY' || fail "/health: $(cat "$T/health")"
import json, sys
h = json.load(open(sys.argv[1]))
d = h["dispatch"]
assert d["overload"] is False and d["paused_priorities"] == [] and d["overload_enters"] >= 1, d
assert d["deferred"]["1"] == 0 and d["deferred"]["4"] > 0, d
b = {x["symbol"]: x for x in h["books"]}
assert b["P001/USD"]["priority"] == 1 and b["P020/USD"]["priority"] == 4 and b["P020/USD"]["paused"] is False, b["P020/USD"]
PY
pass "/metrics and /health: overload counts, deferrals by priority, each book's priority"

# the journal: the orders resting on priority-4 pairs when a pause came were cancelled through the
# order flow and the venue confirmed it (done, cancelled; and no order live a tick into a pause)
pulled=$(echo 'return table.concat(state.pulled, " ")' | repl)
pulled=${pulled//\"/}
[ -n "$pulled" ] || fail "no order was resting on a priority-4 pair when it was paused"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "host exit status $HOST_RC"
"$TH_BIN" journal "$T/journal" --json >"$T/journal.json" 2>"$T/journal.err" || fail "tradehost journal: $(cat "$T/journal.err")"
python3 - "$T/journal.json" $pulled <<'PY' || fail "the journal disagrees"
import json, sys
orders = json.load(open(sys.argv[1]))["orders"]
ids = sys.argv[2:]
for i in ids:
    o = orders.get(i)
    assert o and o["state"] == "done" and o["reason"] == "cancelled" and o["filled"] == 0, (i, o)
    assert int(o["symbol"][1:4]) >= 13, (i, o)
print("  %d orders pulled by pauses, each done/cancelled in the journal" % len(ids))
PY
pass "journal: every order a pause pulled is cancelled (confirmed); the host stopped cleanly"
