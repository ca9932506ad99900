#!/usr/bin/env bash
# `tradehost backtest`: event semantics and order outcomes.
#  1. A backtest and a recorded-pace run of one recording deliver the same sequence of market
#     events to the strategy: a hand-written Kraken recording (records 60 ms apart, some at the
#     very same receive time, which both runs conflate into one on_book). Before, a backtest
#     applied 512 records per loop turn and delivered one on_book per pair per batch.
#  2. No order of the bundled market maker ends `failed` in a backtest of the bundled Kraken
#     recording (before: its first orders were cancelled by a later tick of the same loop turn,
#     before they were sent, and ended `failed` with no reason).
#  3. An order cancelled in the callback that placed it (never sent) ends `cancelled`, with the
#     reason in the journal.
source "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data/kraken"

# ---- 1. the same events in a backtest and at recorded pace
{
  echo "0.00 snapshot XMR/USD bids=100.00:5.00000000,99.00:10.00000000 asks=101.00:3.00000000,102.00:10.00000000"
  echo "0.00 snapshot WAVES/EUR bids=20.000000:50.00000000 asks=20.100000:40.00000000"
  for i in $(seq 1 12); do
    t=$(printf '%.2f' "$(echo "$i * 0.06" | bc)")
    echo "$t update XMR/USD bids=100.00:$((5 + i)).00000000"
    # every third step: WAVES/EUR at the same receive time (one batch: one on_book each)
    if [ $((i % 3)) = 0 ]; then echo "$t update WAVES/EUR asks=20.100000:$((40 + i)).00000000"; fi
    # every fourth: a second XMR/USD update at the same time (conflated into one on_book)
    if [ $((i % 4)) = 0 ]; then echo "$t update XMR/USD asks=101.00:$((3 + i)).00000000"; fi
  done
} >"$T/script.txt"
python3 "$TH_HOME/tests/functional/make_kraken_book.py" "$T/script.txt" >"$T/ev.rec"
ev_config() {
  cat <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", recording = "$T/ev.rec",
            instruments = "$D/instrument-5pairs.v2.json", pace = "recorded", stale_ms = 60000 },
  strategy = { name = "evlog", module = "$TH_HOME/tests/functional/event_log.lua", tick_ms = 1000,
               params = { place_cancel = ${1:-false} } },
  pairs = { { symbol = "XMR/USD" }, { symbol = "WAVES/EUR" } },
  risk = { price_band_pct = 5 },
  storage = { journal_dir = "$T/j-ev" }, session = { duration_s = 1.2 },
}
CFG
}
ev_config >"$T/ev.lua"
"$TH_BIN" backtest "$T/ev.lua" 2>"$T/bt.log" || fail "backtest exit $?"
"$TH_BIN" run "$T/ev.lua" 2>"$T/rp.log" || fail "recorded-pace run exit $?"
events() { awk '/msg="ev" .*kind=book/ { sub(/.*msg="ev" /, ""); print }' "$1"; }
events "$T/bt.log" >"$T/bt.ev"
events "$T/rp.log" >"$T/rp.ev"
n=$(wc -l <"$T/bt.ev")
# 2 snapshots at one time, then 12 steps: XMR/USD each, WAVES/EUR on 4 of them
[ "$n" = 18 ] || fail "backtest delivered $n on_book events, expected 18: $(cat "$T/bt.ev")"
diff "$T/bt.ev" "$T/rp.ev" >"$T/ev.diff" || fail "backtest and recorded pace differ: $(cat "$T/ev.diff")"
pass "backtest and recorded pace deliver the same 18 on_book events, in the same order, with the same books"

# ---- 2. the market maker's orders never end `failed`
source "$TH_HOME/tests/functional/paper_config.sh"
paper_mm_lua "$T/j-mm" >"$T/mm.lua"
cat >"$T/mmlog.lua" <<'LUA'
local th = require("th")
local mm = dofile(os.getenv("TH_HOME") .. "/strategies/market_maker.lua")
local M = setmetatable({}, { __index = mm })
function M.on_order(state, ctx, o)
  if o.state == "done" then th.log.info("mm done", { reason = o.reason, tag = o.tag }) end
end
return M
LUA
sed -i "s|name = \"market_maker\",|name = \"market_maker\", module = \"$T/mmlog.lua\",|" "$T/mm.lua"
"$TH_BIN" backtest "$T/mm.lua" 2>"$T/mm.log" || fail "market maker backtest exit $?"
done_n=$(grep -c 'msg="mm done"' "$T/mm.log" || :)
failed_n=$(grep -c 'msg="mm done" reason=failed' "$T/mm.log" || :)
[ "$done_n" -gt 20 ] || fail "the market maker finished only $done_n orders"
[ "$failed_n" = 0 ] || fail "$failed_n of $done_n market-maker orders ended failed"
pass "market maker backtest: $done_n orders finished, none failed"

# ---- 3. placed and cancelled in one callback: cancelled, with the reason journalled
ev_config true >"$T/pc.lua"
sed -i "s|j-ev|j-pc|" "$T/pc.lua"
"$TH_BIN" run "$T/pc.lua" --paper 2>"$T/pc.log" || fail "place-cancel run exit $?"
grep -q 'msg="ev order" reason=cancelled state=done tag=pc' "$T/pc.log" || fail "the unsent order did not end cancelled: $(grep 'ev order' "$T/pc.log")"
"$TH_BIN" journal "$T/j-pc" --json >"$T/pc.json" 2>/dev/null || fail "tradehost journal failed"
grep -q '"cancelled"' "$T/pc.json" || fail "the journal does not rebuild the order as cancelled: $(head -c 600 "$T/pc.json")"
pass "an order cancelled before it was sent ends cancelled (journal agrees)"
