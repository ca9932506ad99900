#!/usr/bin/env bash
# A strategy sees the real books: in a backtest over the Kraken recording (virtual clock, full
# pace, conflated on_book) th.book views at the end equal replay --json's books; ticks follow
# recorded time; the paper demo config runs and prints what the strategy sees.
. "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data"
cat > "$T/watch.lua" <<'LUA'
local th = require("th")
local M = {}
function M.on_start(state) state.n = {} state.ticks = 0 state.first = nil end
function M.on_book(state, ctx, symbol)
  state.n[symbol] = (state.n[symbol] or 0) + 1
  assert(th.book(symbol):ok(), "on_book for a book that is not ok")
end
function M.on_tick(state, ctx, now) state.ticks = state.ticks + 1 state.first = state.first or now end
function M.on_stop(state, ctx)
  for _, p in ipairs(ctx.pairs) do
    local b = th.book(p.symbol)
    local bid, bq, ask, aq = b:best()
    local lv = b:levels("ask", 5)
    th.log.info("final", { symbol = p.symbol, bid = ("%.10g"):format(bid), ask = ("%.10g"):format(ask),
      ask5 = ("%.10g"):format(lv[5][1]), events = state.n[p.symbol] or 0, health = (b:health()) })
  end
  th.log.info("ticks", { n = state.ticks, virtual = tostring(th.clock.is_virtual()),
                         first_tick_s = ("%.0f"):format(tonumber(state.first or 0) / 1e9) })
end
return M
LUA
cat > "$T/bt.lua" <<LUA
return {
  venue = { name = "sim", feed = "kraken", recording = "$D/kraken/book-5pairs-2021-04-17.v2.txt",
            instruments = "$D/kraken/instrument-5pairs.v2.json", stale_ms = 60000 },
  strategy = { name = "watch", module = "$T/watch.lua", tick_ms = 1000, budget_ms = 1000 },
  pairs = { { symbol = "XMR/USD" }, { symbol = "SC/EUR" }, { symbol = "GRT/ETH" }, { symbol = "KSM/BTC" }, { symbol = "WAVES/EUR" } },
}
LUA
"$TH_BIN" backtest "$T/bt.lua" 2>"$T/host.log" || fail "backtest exit $?"
"$TH_BIN" replay "$D/kraken/book-5pairs-2021-04-17.v2.txt" --venue kraken --instruments "$D/kraken/instrument-5pairs.v2.json" --json > "$T/r.json" 2>/dev/null
for sym in XMR/USD SC/EUR GRT/ETH KSM/BTC WAVES/EUR; do
  line=$(grep "msg=\"final\"" "$T/host.log" | grep "symbol=$sym$") || fail "no final line for $sym"
  want=$(luajit -e "local c=require('cjson') local r=c.decode(io.read('*a')).symbols['$sym']
    print(('bid=%.10g'):format(tonumber(r.bids[1][1])), ('ask=%.10g'):format(tonumber(r.asks[1][1])), ('ask5=%.10g'):format(tonumber(r.asks[5][1])))" < "$T/r.json")
  for kv in $want; do echo "$line" | grep -q " $kv " || fail "$sym: strategy saw '$line', replay says $kv"; done
  echo "$line" | grep -q "health=ok" || fail "$sym not ok at the end"
  ev=$(echo "$line" | sed -E 's/.* events=([0-9]+).*/\1/')
  [ "$ev" -gt 0 ] || fail "$sym: no on_book events"
done
pass "backtest: th.book views at the end equal replay --json for all 5 pairs"
grep -q 'reason=end of recording' "$T/host.log" || fail "backtest did not stop at the end of the recording"
ticks=$(grep 'msg="ticks"' "$T/host.log" | sed -E 's/.* n=([0-9]+).*/\1/')
[ "$ticks" -ge 27 ] && [ "$ticks" -le 30 ] || fail "expected ~29 virtual ticks over 29 s of recording, got $ticks"
grep 'msg="ticks"' "$T/host.log" | grep -q 'first_tick_s=1618678135 .*virtual=true\|first_tick_s=1618678135' || fail "ticks not on recorded time: $(grep 'msg="ticks"' "$T/host.log")"
pass "backtest: $ticks on_tick calls on the virtual clock (recorded time), stopped at the end of the recording"

# th.book on the hot path: no allocation per call, no NYI trace abort (book_hotpath.lua says how).
sed -e "s|module = \"$T/watch.lua\"|module = \"$TH_HOME/tests/functional/book_hotpath.lua\"|" -e 's|name = "watch"|name = "book_hotpath"|' "$T/bt.lua" > "$T/hot.lua"
"$TH_BIN" backtest "$T/hot.lua" 2>"$T/hot.log" || fail "hot-path backtest exit $?"
line=$(grep 'msg="hotpath"' "$T/hot.log") || fail "hot-path strategy logged no figures: $(tail -3 "$T/hot.log")"
rounds=$(echo "$line" | sed -E 's/.* rounds=([0-9]+).*/\1/')
per=$(echo "$line" | sed -E 's/.* bytes_per_round=([0-9.]+).*/\1/')
nyi=$(echo "$line" | sed -E 's/.* nyi_aborts=([0-9]+).*/\1/')
[ "$rounds" -ge 10000 ] || fail "hot-path test measured only $rounds rounds"
awk -v p="$per" 'BEGIN { exit !(p < 8) }' || fail "th.book views allocate: $per bytes per round of 13 calls ($line)"
[ "$nyi" -eq 0 ] || fail "NYI trace aborts on the th.book hot path: $(grep 'trace abort' "$T/hot.log" | head -5)"
pass "th.book hot path: $rounds rounds of 13 view calls, $per bytes per round (GC stopped), 0 NYI trace aborts"

"$TH_BIN" run "$TH_HOME/config/book_watch.lua" --paper --duration 3 2>"$T/demo.log" || fail "demo exit $?"
grep -q 'msg="book" .*symbol=XMR/USD' "$T/demo.log" || fail "demo printed no XMR/USD book"
grep -q 'msg="summary"' "$T/demo.log" || fail "demo printed no summary"
pass "paper demo prints the books the strategy sees"
