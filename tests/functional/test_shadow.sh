#!/usr/bin/env bash
# test_shadow.sh — shadow reload (reload{shadow = true}, shadow(), discard(), promote()) on a paper
# host quoting the bundled recording (the same paper set-up as test_reload_orders.sh).
#  - a quoter quotes both pairs at mid +- spread_bps with size x size_mult (on each book and tick);
#    v1: 10 bps, x1;
#  - the config is edited to v2 (30 bps, x3) and shadowed: shadow() reports differences for both
#    pairs, the live quotes showing 10 bps and size x1, the shadow's 30 bps and x3; the shadow's
#    timer runs (its beat is logged as v2) and its th.store writes stay in it; a raw
#    ffi.C.th_order_place from the shadow is refused by the host;
#  - discard(): the difference lines are logged, the live quotes are still v1 (10 bps), and the
#    journal (read by the independent reference reader) has no order of the v2 size: the shadow sent
#    nothing; the live strategy went on placing; no reload was counted;
#  - a shadow that raises: "shadow faulted", the live strategy is not faulted and keeps quoting,
#    th.risk.status().faults stays empty;
#  - shadow again, then promote(): the live quotes become v2 (30 bps, x3), one reload counted, the
#    state is the same table (migrate ran on it), v2-sized orders appear in the journal;
#  - after a graceful stop: every order done, no duplicate intent, the journal's rebuild agrees with
#    the reference reader.
source "$(dirname "$0")/lib.sh"
REF="luajit $TH_HOME/tests/functional/journal_reference.lua"
CMP="luajit $TH_HOME/tests/functional/compare_journal.lua"
SOCK="$T/th.sock"
TOKEN="tok-$RANDOM-$RANDOM"
printf '%s\n' "$TOKEN" >"$T/token"; chmod 600 "$T/token"
SPEED=1 TICK_MS=100 paper_mm_config "" "api = { listen = \"127.0.0.1:0\", token_file = \"$T/token\" },"
cat >"$T/quoter.lua" <<'LUA'
local th = require("th")
local M = {}
M.defaults = { spread_bps = 10, size = 1, size_mult = 1, version = "v1", fail = false }
local function arm(state)
  th.every(0.5, function(state, ctx) th.log.info("beat", { v = ctx.params.version }) end)
end
function M.on_start(state, ctx) state.books, state.identity = 0, tostring(state) arm(state) end
function M.migrate(state)
  local f = io.open(os.getenv("TH_TEST_DIR") .. "/fail_migrate")
  if f then f:close() error("migrate refuses") end
  state.migrations = (state.migrations or 0) + 1
  arm(state)
end
-- on every book change and every tick (the recording ends after 28 s; a slow run must still quote)
local function quote(state, ctx, symbol)
  state.books = state.books + 1
  local p = ctx.symbols[symbol] and ctx.symbols[symbol].params
  if not p then return end
  if p.fail and state.books > 3 then error("shadow boom") end
  local b = th.book(symbol)
  if not b or not b:ok() then return end
  if require("th.shadow").role() == 2 and not state.raw_tried then
    -- around th.orders: straight at the FFI. The host refuses a shadow's order.
    state.raw_tried = true
    local ffi, base = require("ffi"), require("th.ffi")
    local req = ffi.new("th_order_req")
    req.symbol, req.tag, req.side, req.price, req.qty = symbol, "raw", base.C.TH_BID, b:mid(), p.size
    local rc = base.C.th_order_place(req, ffi.new("char[40]"), ffi.new("int32_t[1]"), base.err)
    th.log.info("raw place from the shadow", { rc = rc, err = base.errstr() })
    th.store.set("shadow_wrote", true)
  end
  local mid, size = b:mid(), p.size * p.size_mult
  local h = mid * p.spread_bps / 1e4
  th.quotes.set(symbol, { { side = "buy", price = mid - h, size = size, tag = p.version },
                          { side = "sell", price = mid + h, size = size, tag = p.version } })
end
M.on_book = quote
function M.on_tick(state, ctx) for _, p in ipairs(ctx.pairs) do quote(state, ctx, p.symbol) end end
return M
LUA
sed -i "s|strategy = { name = \"market_maker\",|strategy = { name = \"quoter\", module = \"$T/quoter.lua\",|; s|params = { levels = .* } },|params = { spread_bps = 10, size_mult = 1, version = \"v1\" } },|" "$T/cfg.lua"
grep -q 'version = "v1"' "$T/cfg.lua" || fail "the test's edit did not apply"
v2() { sed -i 's|params = { spread_bps = .* } },|params = { spread_bps = 30, size_mult = 3, version = "v2"'"${1:-}"' } },|' "$T/cfg.lua"; }
repl() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }
http() { # http METHOD PATH [curl args...]: prints "STATUS BODY"
  local m=$1 p=$2; shift 2
  curl -s -o "$T/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $TOKEN" "$@" "http://127.0.0.1:$PORT$p" >"$T/code" || fail "curl $m $p failed"
  echo "$(cat "$T/code") $(cat "$T/body")"
}
# The live quotes per pair: "SYMBOL:BPS:SIZE" (spread between our best bid and ask over the mid, in
# bps; each side rounds outward to the tick, a WAVES/EUR tick is ~0.75 bps: 20 bps shows as 20-22).
QUOTES='local out = {} for _, s in ipairs({ "XMR/USD", "WAVES/EUR" }) do local bid, ask, size for _, o in ipairs(th.orders.open(s)) do if o.state ~= "pending_cancel" then if o.side == "buy" then bid = math.max(bid or 0, o.price) else ask = math.min(ask or 1e18, o.price) end size = o.size end end out[#out + 1] = s .. ":" .. (bid and ask and math.floor((ask - bid) / ((ask + bid) / 2) * 1e4 + 0.5) or "none") .. ":" .. tostring(size) end return table.concat(out, " ")'
# wait_quotes REGEX: until the live quotes match (amends in flight show the old price for a while:
# a loaded machine takes longer), up to 10 s; $q holds the last answer.
wait_quotes() {
  local i
  for i in $(seq 1 20); do
    q=$(echo "$QUOTES" | repl)
    [[ "$q" =~ $1 ]] && return 0
    sleep 0.5
  done
  return 1
}
# Orders in the journal of the v2 size (x3: 1.5 XMR, 60 WAVES; v1's, amended after a partial fill to
# filled + size, stay below x2), and intents in all. The journal has sizes in lots (qty_decimals).
journal_v2() {
  local f; f=$(ls "$T/j"/*.thj | sort | tail -1)
  $REF "$f" | python3 -c '
import json, sys
j = json.load(sys.stdin)
v1 = {"XMR/USD": 0.5 * 10 ** int(sys.argv[1]), "WAVES/EUR": 20 * 10 ** int(sys.argv[2])}
print(sum(1 for o in j["orders"].values() if o["qty"] >= 2.5 * v1[o["symbol"]]), j["intents"])' $DECIMALS
}

export TH_TEST_DIR="$T"
start_host run "$T/cfg.lua"
wait_for 'order flow ready' 10
wait_for 'msg="beat" v=v1' 10
DECIMALS=$(echo 'return th.instrument("XMR/USD").qty_decimals .. " " .. th.instrument("WAVES/EUR").qty_decimals' | repl | tr -d '"')
wait_quotes 'XMR/USD:(19|20|21|22):0.5 WAVES/EUR:(19|20|21|22):20' || fail "v1 does not quote 10 bps a side at size x1: $q"
pass "v1 quotes: $q"

# ---- shadow, then discard ----
v2
out=$(echo 'reload{ shadow = true, max_diffs = 5 }' | repl)
[[ "$out" == *"shadow: ok: shadow of quoter started"*"strategy.params.size_mult"* ]] || fail "shadow start: $out"
wait_for 'msg="beat" v=v2' 10
sleep 1.5
diff=$(echo 'local r = shadow() local x, w = r.pairs["XMR/USD"], r.pairs["WAVES/EUR"] return ("%d/%d %d/%d %s | %s | %d %s"):format(x.differing, x.compared, w.differing, w.compared, x.diffs[1].live, x.diffs[1].shadow, #x.diffs, tostring(r.faulted))' | repl)
echo "  shadow(): $diff"
[[ "$diff" =~ ^\"([0-9]+)/([0-9]+)\ ([0-9]+)/([0-9]+)\ quotes\ buy\ [0-9.]+x0.5\ sell\ [0-9.]+x0.5\ \|\ quotes\ buy\ [0-9.]+x1.5\ sell\ [0-9.]+x1.5\ \|\ 5\ false\"$ ]] \
  || fail "shadow() does not show the live (x0.5) and shadow (x1.5) quotes differing: $diff"
[ "${BASH_REMATCH[1]}" -gt 0 ] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[3]}" -gt 0 ] \
  || fail "every compared event should differ on both pairs: $diff"
bps=$(echo 'local d = shadow().pairs["XMR/USD"].diffs[1] local function bps(s) local b, a = s:match("buy ([%d.]+)x.* sell ([%d.]+)x") b, a = tonumber(b), tonumber(a) return math.floor((a - b) / ((a + b) / 2) * 1e4 + 0.5) end return bps(d.live) .. " " .. bps(d.shadow)' | repl)
[ "$bps" = '"20 60"' ] || fail "live/shadow spreads in the differences: $bps (want 20 60)"
grep -q 'msg="raw place from the shadow" err="a shadow strategy sends nothing (reload{shadow = true})" rc=-1' "$T/host.log" \
  || fail "a raw FFI place from the shadow was not refused: $(grep 'raw place' "$T/host.log")"
st=$(echo 'return tostring(th.store.get("shadow_wrote"))' | repl)
[ "$st" = '"nil"' ] || fail "the shadow's th.store write reached the live store: $st"
wait_quotes 'XMR/USD:(19|20|21|22):0.5 WAVES/EUR:(19|20|21|22):20' || fail "the live quotes moved while shadowed: $q"
pass "shadow of v2 (30 bps, x3): $diff; spreads $bps; live quotes unchanged ($q); raw FFI place refused; store write kept in the shadow"
before=$(journal_v2)
b0=$(echo 'return state.books' | repl)
out=$(echo 'discard()' | repl)
[[ "$out" == *"discard: ok: discarded after"*"WAVES/EUR "*"XMR/USD "* ]] || fail "discard: $out"
grep -q 'msg="shadow difference".*n=5 pair=XMR/USD' "$T/host.log" || fail "the differences were not logged"
! grep -q 'msg="shadow difference".*n=6 pair=XMR/USD' "$T/host.log" || fail "more than max_diffs=5 differences logged"
grep -q 'msg="shadow pair".*outcome=discarded pair=XMR/USD' "$T/host.log" || fail "no shadow pair line"
n=$(grep -c 'msg="beat" v=v2' "$T/host.log")
sleep 1.5
[ "$(grep -c 'msg="beat" v=v2' "$T/host.log")" = "$n" ] || fail "the discarded shadow's timer still runs"
after=$(journal_v2)
read -r v2n _ <<<"$before"; read -r v2m _ <<<"$after"
[ "$v2n" = 0 ] && [ "$v2m" = 0 ] || fail "orders of the shadow's size reached the journal: $before / $after"
b1=$(echo 'return state.books' | repl)
[ "$b1" -gt "$b0" ] || fail "the live strategy stopped getting books after discard: $b0 -> $b1"
wait_quotes 'XMR/USD:(19|20|21|22):0.5 WAVES/EUR:(19|20|21|22):20' || fail "discard changed the live quotes: $q"
r=$(echo 'local s = th.strategies()[1] return s.name .. " " .. s.reloads .. " " .. #th.strategies() .. " " .. tostring(s.faulted)' | repl)
[ "$r" = '"quoter 0 1 false"' ] || fail "strategies after discard: $r"
pass "discard: differences logged (first 5), live still v1 ($q), 0 orders of the shadow's size in the journal, the live strategy ran on ($b0 -> $b1 quoting calls), $r"

# ---- the same over the API: POST /reload {"shadow": true}, then {"discard": true} ----
PORT=$(grep -m1 'api: listening' "$T/host.log" | sed -E 's/.* port=([0-9]+).*/\1/')
out=$(http POST /reload -d '{"shadow": true, "promote": true}')
[[ "$out" == '400 {"error":"one of shadow, promote and discard at a time"}' ]] || fail "API: two steps at once: $out"
out=$(http POST /reload -d '{"shadow": true, "max_diffs": 3}')
[[ "$out" == '200 {"ok":true,"shadow":"start","detail":"shadow of quoter started'* ]] || fail "API shadow start: $out"
out=$(http POST /reload -d '{"shadow": true}')
[[ "$out" == '422 {"ok":false,"shadow":"start","error":"a shadow of quoter is already running'* ]] || fail "API second shadow: $out"
sleep 1
out=$(http POST /reload -d '{"discard": true}')
[[ "$out" == '200 {"ok":true,"shadow":"discard","detail":"discarded after '*'WAVES/EUR '*'XMR/USD '* ]] || fail "API discard: $out"
grep -q 'msg="shadow difference".*n=3 pair=XMR/USD' "$T/host.log" || fail "API: no differences logged"
out=$(http POST /reload -d '{"discard": true}')
[[ "$out" == '422 {"ok":false,"shadow":"discard","error":"no shadow of quoter is running'* ]] || fail "API discard of none: $out"
pass "POST /reload {\"shadow\": true, \"max_diffs\": 3} then {\"discard\": true}: $out"

# ---- a shadow that faults ----
v2 ', fail = true'
out=$(echo 'reload{ shadow = true }' | repl)
[[ "$out" == *"shadow: ok"* ]] || fail "shadow start: $out"
wait_for 'shadow faulted: the shadow stops, the live strategy runs on.*shadow boom' 10
f=$(echo 'local r = shadow() local st = th.risk.status() return tostring(r.faulted) .. " " .. r.fault.callback .. " " .. #st.faults .. " " .. tostring(st.strategies[1].faulted)' | repl)
[[ "$f" =~ ^\"true\ on_(book|tick)\ 0\ false\"$ ]] || fail "after the shadow's fault: $f"
i0=$(echo 'return state.books' | repl); sleep 1; i1=$(echo 'return state.books' | repl)
[ "$i1" -gt "$i0" ] || fail "the live strategy stopped after the shadow's fault: books $i0 -> $i1"
wait_quotes 'XMR/USD:(19|20|21|22):0.5 WAVES/EUR:(19|20|21|22):20' || fail "the live quotes after the shadow's fault: $q"
out=$(echo 'discard()' | repl)
[[ "$out" == *"the shadow faulted"*"shadow boom"* ]] || fail "discard of a faulted shadow: $out"
pass "a faulting shadow stops alone: $f; the live strategy quotes on ($q, books $i0 -> $i1)"

# ---- a shadow whose migrate raises: nothing started; then shadow, then promote ----
v2
touch "$T/fail_migrate"
out=$(echo 'reload{ shadow = true }' | repl)
[[ "$out" == *"shadow failed: "*"migrate(copy of the state) raised"*"migrate refuses"* ]] || fail "a failing shadow start: $out"
rf=$(echo 'return tostring(shadow()) .. " " .. state.books' | repl)
[[ "$rf" =~ ^\"nil\ [0-9]+\"$ ]] || fail "after a failed shadow start: $rf"
rm "$T/fail_migrate"
out=$(echo 'reload{ shadow = true }' | repl)
[[ "$out" == *"shadow: ok"* ]] || fail "shadow start after a failed one: $out"
out=$(echo 'reload{ shadow = true }' | repl)
[[ "$out" == *"shadow failed: a shadow of quoter is already running"* ]] || fail "a second shadow: $out"
sleep 1
out=$(echo 'promote()' | repl)
[[ "$out" == *"promote: ok: changed strategy.params.size_mult, strategy.params.spread_bps, strategy.params.version; shadow promoted after"* ]] || fail "promote: $out"
wait_for 'msg="reload applied"' 5
wait_quotes 'XMR/USD:(59|60|61|62):1.5 WAVES/EUR:(59|60|61|62):60' || fail "after promote the live quotes are not v2 (30 bps, x3): $q"
r=$(echo 'local s = th.strategies()[1] return s.reloads .. " " .. s.reload_failures .. " " .. tostring(tostring(state) == state.identity) .. " " .. state.migrations .. " " .. tostring(shadow())' | repl)
[ "$r" = '"1 0 true 1 nil"' ] || fail "after promote (reloads, failures, same state, migrations, shadow): $r"
read -r v2p _ <<<"$(journal_v2)"
[ "$v2p" -gt 0 ] || fail "no v2-sized order in the journal after promote"
grep -q 'msg="beat" v=v2' "$T/host.log" || fail "no v2 beat"
pass "a shadow whose migrate raised left nothing (shadow() and books: $rf); promote: live quotes now $q; reloads/failures/same state/migrations/shadow: $r; $v2p v2-sized orders"

kill -TERM "$HOST_PID"; wait_exit 30
[ "$HOST_RC" = 0 ] || fail "exit $HOST_RC"
grep -q 'session stopped.*reloads=1 reload_failures=0' "$T/host.log" || fail "$(grep 'session stopped' "$T/host.log")"
f=$(ls "$T/j"/*.thj | sort | tail -1)
"$TH_BIN" journal "$T/j" --json >"$T/host.json" || fail "tradehost journal"
$REF "$f" >"$T/ref.json" || fail "reference reader"
$CMP "$T/host.json" "$T/ref.json" >"$T/cmp.txt" 2>&1 || { cat "$T/cmp.txt" >&2; fail "the journal's rebuild differs from the reference"; }
python3 -c '
import json, sys
j = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
bad = [o for o in j["orders"].values() if o["state"] != "done" or o["reason"] not in ("cancelled", "filled", "failed")
       or (o["reason"] == "failed" and o["filled"] != 0)]
print("%d orders, all done; %d intents, %d duplicate" % (len(j["orders"]), r["intents"], r["duplicate_intents"]))
sys.exit(1 if bad or r["duplicate_intents"] or len(j["orders"]) < 4 else 0)' "$T/host.json" "$T/ref.json" >"$T/states.txt" || fail "orders after the stop: $(cat "$T/states.txt")"
pass "stop: $(cat "$T/states.txt"); journal: $(cat "$T/cmp.txt")"
