#!/usr/bin/env bash
# test_report.sh — every paper session writes its report at the end (JSON and HTML beside its
# journal, path printed), with the timeline it sampled; `tradehost report` builds the same JSON
# after the fact, byte for byte; the report's positions, fees and fills are the journal's (as
# `tradehost journal --json` rebuilds them); bad input is refused with a message naming it.
source "$(dirname "$0")/lib.sh"

SPEED=16 TICK_MS=500 paper_mm_config "" 'report = { sample_ms = 500 }, session = { duration_s = 8 },'
"$TH_BIN" run "$T/cfg.lua" >"$T/out" 2>"$T/host.log" || fail "paper session exited $?"
html=$(sed -n 's/^report: //p' "$T/out")
[ -n "$html" ] || fail "the session printed no report path: $(cat "$T/out")"
[ -f "$html" ] || fail "no $html"
dir=$(dirname "$html")
json="$dir/report.json"
[ -f "$json" ] || fail "no report.json beside $html"
journal=$(ls "$T/j"/*.thj)
timeline="${journal%.thj}.timeline"
[ -f "$timeline" ] || fail "no timeline beside the journal"
grep -q '^e [0-9]' "$timeline" || fail "the timeline has no end record"
samples=$(grep -c '^s ' "$timeline")
[ "$samples" -ge 10 ] || fail "only $samples samples in the timeline"
pass "the session wrote $json and its timeline ($samples samples)"

"$TH_BIN" report "$T/j" --out "$T/again" >"$T/report.out" || fail "tradehost report exited $?"
grep -qx "$T/again/report.json" "$T/report.out" || fail "report did not print the JSON path: $(cat "$T/report.out")"
cmp "$json" "$T/again/report.json" || fail "the report after the fact differs from the session's"
pass "tradehost report builds the same JSON after the fact"

"$TH_BIN" journal "$T/j" --json >"$T/journal.json"
luajit - "$json" "$T/journal.json" <<'LUA' || fail "the report disagrees with the journal"
local cjson = require("cjson")
local function read(p) local f = assert(io.open(p)); local s = f:read("*a"); f:close(); return cjson.decode(s) end
local rep, jn = read(arg[1]), read(arg[2])
local function units(text, dec) -- exact decimal text to integer units
  local neg, int, frac = text:match("^(%-?)(%d+)%.?(%d*)$")
  assert(int, "not a decimal: " .. text)
  frac = frac .. string.rep("0", dec - #frac)
  return (neg == "-" and "-" or "") .. (int .. frac):gsub("^0+(%d)", "%1")
end
local total = 0
for sym, p in pairs(jn.positions) do
  local r = assert(rep.pairs[sym], "report lacks " .. sym)
  local qty = units(r.position, p.qty_dec)
  assert(tonumber(qty) == p.qty, sym .. ": position " .. qty .. " vs journal " .. p.qty)
  assert(tonumber(units(r.fees, p.price_dec + p.qty_dec)) == p.fees, sym .. ": fees " .. r.fees .. " vs journal " .. p.fees)
  assert(tonumber(units(r.realised, p.price_dec + p.qty_dec)) == p.realised, sym .. ": realised " .. r.realised .. " vs " .. p.realised)
  assert(r.fills == p.fills, sym .. ": fills " .. r.fills .. " vs " .. p.fills)
  assert(#r.series.t_ms == #r.series.pnl and #r.series.pnl == #r.series.position and #r.series.pnl >= 10, sym .. ": series")
  total = total + r.fills
end
assert(rep.total.fills == total and total > 0, "total fills " .. rep.total.fills .. " of " .. total)
assert(#rep.fills == total, "the fills table")
assert(rep.total.orders > 0 and rep.total.fill_ratio, "orders placed")
assert(type(rep.refusals) == "table" and rep.currency == "USD")
print(("ok: %d fills, %d orders, pnl %s %s"):format(rep.total.fills, rep.total.orders, rep.total.pnl, rep.currency))
LUA
pass "the report's positions, fees, realised PnL and fills are the journal's"

# tradehost journal: human units (decimals, ISO times, money with its currency), every order listed
"$TH_BIN" journal "$T/j" >"$T/journal.txt"
iso='20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z'
grep -qE "records, $iso to $iso;" "$T/journal.txt" || fail "journal: no time span in ISO UTC: $(head -1 "$T/journal.txt")"
orders=$(grep -cE "^  [a-z0-9]+-[0-9a-z]+ +(XMR/USD|WAVES/EUR) +(buy|sell) +[0-9.]+ @ [0-9]+(\.[0-9]+)?  filled [0-9.]+  [a-z_]+.*created $iso\$" "$T/journal.txt" || true)
want=$(luajit -e 'local n=0 for _ in io.read("*a"):gmatch("\"side\"") do n=n+1 end print(n)' <"$T/journal.json")
[ "$orders" -eq "$want" ] && [ "$orders" -gt 0 ] || fail "journal: $orders order lines in human units, $want orders: $(head -5 "$T/journal.txt")"
grep -qE "^  WAVES/EUR +position [0-9.-]+  avg entry [0-9.]+ EUR  realised [0-9.-]+ EUR  fees [0-9.]+ EUR  fills [0-9]+" "$T/journal.txt" ||
  fail "journal: WAVES/EUR money without its currency: $(grep WAVES "$T/journal.txt" | tail -1)"
pass "tradehost journal prints human units ($orders orders, times in ISO UTC, money in EUR/USD)"

if "$TH_BIN" report "$T/nowhere" >"$T/bad.out" 2>&1; then fail "a missing journal was accepted"; fi
grep -q "nowhere" "$T/bad.out" || fail "the message does not name the path: $(cat "$T/bad.out")"
mkdir "$T/empty"
if "$TH_BIN" report "$T/empty" >"$T/bad.out" 2>&1; then fail "an empty directory was accepted"; fi
grep -q "no journal" "$T/bad.out" || fail "$(cat "$T/bad.out")"
echo "s 1 0" >>"$timeline"
if "$TH_BIN" report "$journal" --out "$T/bad" >"$T/bad.out" 2>&1; then fail "a damaged timeline was accepted"; fi
grep -q "not a timeline line" "$T/bad.out" || fail "$(cat "$T/bad.out")"
pass "bad input is refused with its reason"
