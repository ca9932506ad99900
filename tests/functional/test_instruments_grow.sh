#!/usr/bin/env bash
# An `instrument` update that adds pairs mid-session: every per-instrument array of the order side
# grows with the registry. The host starts with 3 of the 5 bundled Kraken pairs; the recording's
# first frame is a Kraken v2 instrument update adding KSM/BTC and GRT/ETH (both configured pairs).
# The strategy then sets a reference price on KSM/BTC (a heap write past the end before),
# places an order there that the paper venue fills (the fill used to skip the position), and
# counts on_book events for the new pairs (the session's per-pair table was read past its end).
# Under the ASan build the old code aborts with a heap-buffer-overflow.
. "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data/kraken"

# Start-up instruments: the bundled snapshot without KSM/BTC and GRT/ETH.
INS3="$T/ins3.json" UPD="$T/update.json" luajit -e '
local cjson = require("cjson")
local doc = cjson.decode(io.read("*a"))
local keep, added = {}, {}
for _, p in ipairs(doc.data.pairs) do
  if p.symbol == "KSM/BTC" or p.symbol == "GRT/ETH" then added[#added + 1] = p else keep[#keep + 1] = p end
end
doc.data.pairs = keep
local f = assert(io.open(os.getenv("INS3"), "w")); f:write((cjson.encode(doc):gsub("\\/", "/"))); f:close()
local upd = { channel = "instrument", type = "update", data = { pairs = added } }
f = assert(io.open(os.getenv("UPD"), "w")); f:write((cjson.encode(upd):gsub("\\/", "/"))); f:close()
' < "$D/instrument-5pairs.v2.json"
grep -q '"KSM/BTC"' "$T/ins3.json" && fail "KSM/BTC still in the start-up instruments"
grep -q '"KSM/BTC"' "$T/update.json" || fail "KSM/BTC missing from the update"

# The recording: the update first (its own receive time, just before the first book frame).
first_ts=$(head -1 "$D/book-5pairs-2021-04-17.v2.txt" | cut -d' ' -f1)
{ printf '%s %s\n' "$((first_ts - 1000))" "$(cat "$T/update.json")"; cat "$D/book-5pairs-2021-04-17.v2.txt"; } > "$T/rec.txt"

cat > "$T/strat.lua" <<'LUA'
local th = require("th")
local M = {}
function M.on_start(state) state.books = {} end
function M.on_book(state, ctx, symbol) state.books[symbol] = (state.books[symbol] or 0) + 1 end
function M.on_tick(state)
  if state.placed then return end
  local b = th.book("KSM/BTC")
  if not b or not b:ok() then return end
  local bid, _, ask = b:best()
  local ok, err = th.risk.set_reference("KSM/BTC", (bid + ask) / 2)
  th.log.info("reference on a new pair", { ok = tostring(ok), err = tostring(err) })
  local id, why = th.orders.place { symbol = "KSM/BTC", side = "buy", price = ask * 1.002, size = 0.2, tag = "grow" }
  th.log.info("order on a new pair", { id = tostring(id), why = tostring(why) })
  state.placed = true
end
function M.on_stop(state)
  local p = th.position("KSM/BTC") or { qty = -1, fills = -1, fees = -1 }
  th.log.info("final", { ksm_qty = p.qty, ksm_fills = p.fills, ksm_fees_pos = tostring(p.fees > 0),
                         ksm_books = state.books["KSM/BTC"] or 0, grt_books = state.books["GRT/ETH"] or 0,
                         xmr_books = state.books["XMR/USD"] or 0 })
end
return M
LUA

cat > "$T/cfg.lua" <<CFG
return {
  venue = { name = "sim", feed = "kraken", fee_bps = 16, recording = "$T/rec.txt",
            instruments = "$T/ins3.json", pace = "full" },
  strategy = { name = "grow", module = "$T/strat.lua", tick_ms = 100 },
  pairs = { { symbol = "XMR/USD" }, { symbol = "KSM/BTC" }, { symbol = "GRT/ETH" } },
  risk = { price_band_pct = 5 },
  storage = { journal_dir = "$T/j", fsync = "never" },
}
CFG

start_host run "$T/cfg.lua"
wait_exit 60
[ "$HOST_RC" -eq 0 ] || fail "host exited $HOST_RC"
grep -q "AddressSanitizer\|runtime error" "$T/host.log" && fail "sanitizer report"
grep -q 'instruments grew' "$T/host.log" || fail "the order side was not told the instruments grew"
grep -q 'msg="reference on a new pair".*ok=true' "$T/host.log" || fail "set_reference on a new pair"
grep -q 'msg="order on a new pair".*why=nil' "$T/host.log" || fail "order on a new pair refused"
line=$(grep 'msg="final"' "$T/host.log") || fail "no final line"
echo "$line" | grep -q 'ksm_qty=0.2 ' || fail "the fill on KSM/BTC is not in its position: $line"
echo "$line" | grep -q 'ksm_fills=1 ' || fail "fill count on KSM/BTC: $line"
echo "$line" | grep -q 'ksm_fees_pos=true' || fail "fees on KSM/BTC not counted: $line"
echo "$line" | grep -Eq 'ksm_books=[1-9]' || fail "no on_book for KSM/BTC once it exists: $line"
echo "$line" | grep -Eq 'grt_books=[1-9]' || fail "no on_book for GRT/ETH once it exists: $line"
echo "$line" | grep -Eq 'xmr_books=[1-9]' || fail "no on_book for XMR/USD: $line"
pass "instrument update adding 2 pairs: reference, order, fill, position and book events on the new pairs ($line)"

# The journal holds the new pair's fill, and rebuilds its position.
"$TH_BIN" journal "$T/j" > "$T/journal.txt" 2>&1 || fail "tradehost journal failed: $(tail -3 "$T/journal.txt")"
grep -Eq "KSM/BTC +position 0.2 " "$T/journal.txt" || fail "journal does not hold the KSM/BTC position: $(cat "$T/journal.txt")"
pass "the journal rebuilds the new pair's position"
