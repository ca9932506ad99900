#!/usr/bin/env bash
# test_money.sh — money at the boundaries of a running paper host: th.risk.set_reference refuses
# a non-positive or non-finite reference (through th and through the raw FFI) and nil clears it;
# an order at a price at or below 0 is refused; and `tradehost journal` prints positions, prices
# and money in human units (the instrument's decimals, from the journal itself), equal to the
# exact integers of `--json` scaled by those decimals.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"

paper_mm_config "" ""
sed -i 's/speed = 4/speed = 30/; s/spread_bps = 4/spread_bps = 1/' "$T/cfg.lua"

repl() { "$TH_BIN" repl "$SOCK" 2>"$T/repl.err"; }
expect() { # expect LABEL PATTERN (grep -E on $OUT)
  grep -Eq -- "$2" <<<"$OUT" || { echo "--- repl output ---" >&2; echo "$OUT" >&2; cat "$T/repl.err" >&2; fail "$1: no match for /$2/"; }
}

start_host run "$T/cfg.lua"
wait_for 'repl: listening' 10
wait_for 'order flow ready' 10

# 1. references: refused unless positive and finite; nil clears; a good one is taken
OUT=$(printf '%s\n' 'th.risk.set_reference("XMR/USD", -1)' 'th.risk.set_reference("XMR/USD", 0)' \
      'th.risk.set_reference("XMR/USD", 0/0)' 'th.risk.set_reference("XMR/USD", math.huge)' \
      'th.risk.set_reference("XMR/USD", 1e-30)' 'th.risk.set_reference("XMR/USD", "300")' \
      'th.risk.set_reference("XMR/USD", 352.2)' 'th.risk.set_reference("XMR/USD")' | repl)
[ "$(grep -c 'reference price must be a positive finite number (nil clears it)' <<<"$OUT")" = 5 ] || { echo "$OUT" >&2; fail "set_reference: -1, 0, NaN, inf and a string must each be refused by name"; }
expect "a reference that rounds to 0" 'rounds to 0 at the instrument'
[ "$(grep -c '^true$' <<<"$OUT")" = 2 ] || { echo "$OUT" >&2; fail "set_reference: a positive price and nil must be accepted"; }
pass "th.risk.set_reference refuses -1, 0, NaN, inf, a string and a price rounding to 0; takes 352.2 and nil"

# the raw FFI (no Lua wrapper in between): -1 and NaN refused with the error, 0 clears
OUT=$(printf '%s\n' 'local ffi = require("ffi"); local e = ffi.new("const char *[1]"); return ffi.C.th_risk_set_oracle("XMR/USD", -1, e), ffi.string(e[0])' \
      'local ffi = require("ffi"); local e = ffi.new("const char *[1]"); return ffi.C.th_risk_set_oracle("XMR/USD", 0/0, e), ffi.string(e[0])' \
      'local ffi = require("ffi"); local e = ffi.new("const char *[1]"); return ffi.C.th_risk_set_oracle("XMR/USD", 0, e)' | repl)
[ "$(grep -Ec '^-1	"reference price must be a positive finite number' <<<"$OUT")" = 2 ] || { echo "$OUT" >&2; fail "raw FFI: -1 and NaN must be refused"; }
expect "raw FFI: 0 clears" '^0$'
pass "th_risk_set_oracle through the raw FFI refuses -1 and NaN, 0 clears"

# 2. order prices at or below 0 are refused (bad_order) and nothing is sent
OUT=$(printf '%s\n' 'th.orders.place{ symbol = "XMR/USD", side = "buy", price = -1, size = 0.5 }' \
      'th.orders.place{ symbol = "XMR/USD", side = "buy", price = 0, size = 0.5 }' \
      'th.orders.place{ symbol = "XMR/USD", side = "buy", price = 0/0, size = 0.5 }' | repl)
[ "$(grep -c '^nil	"bad_order"$' <<<"$OUT")" = 3 ] || { echo "$OUT" >&2; fail "orders at price -1, 0, NaN must be refused with bad_order"; }
pass "orders at price -1, 0 and NaN are refused (bad_order)"

# 3. buy 0.5 XMR 2% through the ask (the paper venue fills an order the book trades through; 2% so
#    that the market moving while the REPL answers under load cannot leave it resting), stop,
#    and read the journal in human units
OUT=$(printf '%s\n' 'local b = th.book("XMR/USD"); local _, _, ask = b:best(); return th.orders.place{ symbol = "XMR/USD", side = "buy", price = math.ceil(ask * 1.02 * 100) / 100, size = 0.5 }' | repl)
expect "a buy through the ask is placed" '^"'
for i in $(seq 1 50); do
  OUT=$(echo 'th.position("XMR/USD").fills' | repl)
  [ "$(tail -1 <<<"$OUT")" -ge 1 ] 2>/dev/null && break
  sleep 0.1
done
[ "$(tail -1 <<<"$OUT")" -ge 1 ] 2>/dev/null || fail "the buy through the ask never filled"
kill -TERM "$HOST_PID"; wait_exit 15
"$TH_BIN" journal "$T/j" >"$T/journal.txt" || fail "tradehost journal failed"
"$TH_BIN" journal "$T/j" --json >"$T/journal.json" || fail "tradehost journal --json failed"
luajit - "$T/journal.json" "$T/journal.txt" <<'LUA' || fail "tradehost journal: human units disagree with the exact integers"
local cjson = require("cjson")
local j = cjson.decode(io.open(arg[1]):read("*a"))
local txt = io.open(arg[2]):read("*a")
local fills, bad = 0, 0
local function human(v, dec) return tonumber(v) / 10 ^ dec end
for sym, p in pairs(j.positions) do
  local line = txt:match("\n  " .. sym:gsub("%p", "%%%0") .. "%s+([^\n]*)")
  if not line then io.stderr:write("no line for " .. sym .. "\n") os.exit(1) end
  -- money carries its currency (the pair's quote: "XMR/USD" -> USD)
  local ccy = sym:match("/(.+)$")
  local pos, avg, real, fees = line:match("^position (%S+)  avg entry (%S+) " .. ccy .. "  realised (%S+) " .. ccy .. "  fees (%S+) " .. ccy)
  if not pos then io.stderr:write(sym .. ": not in human units with its currency: " .. line .. "\n") os.exit(1) end
  local function same(label, got, want)
    if math.abs(tonumber(got) - want) > 1e-9 * math.max(1, math.abs(want)) then
      io.stderr:write(("%s %s: printed %s, want %.12g\n"):format(sym, label, got, want)) bad = bad + 1
    end
  end
  same("position", pos, human(p.qty, p.qty_dec))
  same("realised", real, human(p.realised, p.price_dec + p.qty_dec))
  same("fees", fees, human(p.fees, p.price_dec + p.qty_dec))
  if p.qty ~= 0 then same("avg entry", avg, math.floor(tonumber(p.cost) / p.qty) / 10 ^ p.price_dec) end
  if p.qty_dec == 0 and p.price_dec == 0 then io.stderr:write(sym .. ": no decimals in the journal\n") bad = bad + 1 end
  fills = fills + p.fills
  print(sym .. ": " .. line)
end
if fills == 0 then io.stderr:write("the run made no fills: nothing was checked\n") os.exit(1) end
os.exit(bad == 0 and 0 or 1)
LUA
grep -q 'position 2000000000' "$T/journal.txt" && fail "raw integers printed"
pass "tradehost journal prints positions, average entries, realised and fees in human units"
