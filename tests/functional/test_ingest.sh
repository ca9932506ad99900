#!/usr/bin/env bash
# One market-data ingestion path (issue 12, items 1, 2 and 7).
# - A one-symbol Binance recording in `<receive_ts_ns> <frame>` form whose REST depth snapshot is a
#   bare body on its own line (built from the bundled data by make_binance_inline.lua) replays to
#   the same book as the reference model; with several symbols and no URL, the error names them.
# - Every counted error and ignored frame class has a reason: logged for its first occurrences,
#   counted per reason in `replay --json`.
# - A Binance backtest and a paper session with venue.snapshots get books, equal to replay's.
. "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data/binance"
INS="$D/spot-exchangeInfo-2021-10-12.rec"
CHECK="luajit $TH_HOME/tests/functional/check_replay.lua"

# --- item 1: the inline snapshot in a one-symbol recording ------------------------------------
luajit "$TH_HOME/tests/functional/make_binance_inline.lua" "$D/spot-ws-2021-10-12.rec" "$D/spot-depth-snapshots-2021-10-12.rec" NKNUSDT > "$T/one.rec"
grep -qE '^[0-9]{19} \{"lastUpdateId":' "$T/one.rec" || fail "generated recording has no bare snapshot line"
grep -qE '^[0-9]{19} \{"stream":"nknusdt@trade"' "$T/one.rec" || fail "generated recording has no @trade frame"
[ "$(grep -c '"stream":"' "$T/one.rec")" -ge 200 ] || fail "generated recording is too small"
"$TH_BIN" replay "$T/one.rec" --venue binance --instruments "$INS" --json > "$T/one.json" 2>"$T/one.err" || fail "replay exit $?"
$CHECK 'r.errors == 0' 'sym.NKNUSDT.health == "ok"' 'sym.NKNUSDT.gaps == 0' '#sym.NKNUSDT.bids == 5 and #sym.NKNUSDT.asks == 5' \
  'sym.NKNUSDT.trades == 2' < "$T/one.json" || fail "one-symbol inline snapshot: $(cat "$T/one.json")"
luajit "$TH_HOME/tests/functional/reference_books.lua" binance "$T/one.rec" > "$T/one.ref"
luajit "$TH_HOME/tests/functional/compare_books.lua" "$T/one.ref" "$T/one.json" > "$T/one.cmp" || { cat "$T/one.cmp"; fail "inline one-symbol book differs from the reference"; }
pass "binance one-symbol recording, snapshot as a bare line: book ok, equal to the reference model ($(cat "$T/one.cmp"))"

# The same snapshot line in the 4-symbol recording: no URL, several symbols -> an error naming them.
luajit "$TH_HOME/tests/functional/make_binance_inline.lua" "$D/spot-ws-2021-10-12.rec" "$D/spot-depth-snapshots-2021-10-12.rec" LRCBTC --all-frames > "$T/multi.rec"
grep -qE '^[0-9]{19} \{"lastUpdateId"' "$T/multi.rec" || fail "multi-symbol recording has no bare snapshot"
"$TH_BIN" replay "$T/multi.rec" --venue binance --instruments "$INS" --json > "$T/multi.json" 2>"$T/multi.err" || true
$CHECK 'r.errors == 1' 'r.reasons.errors["REST snapshot names no symbol and the recording has no one symbol"] == 1' \
  'sym.LRCBTC.health == "empty"' < "$T/multi.json" || fail "several symbols: $(cat "$T/multi.json")"
grep -q 'REST snapshot names no symbol and the recording has frames for 3 symbols (NKNUSDT, BLZETH, LRCBTC)' "$T/multi.err" \
  || fail "several symbols: the candidates are not named: $(grep rejected "$T/multi.err")"
"$TH_BIN" replay "$T/multi.rec" --venue binance --instruments "$INS" --symbol LRCBTC --json > "$T/multi2.json" 2>/dev/null || true
$CHECK 'r.errors == 0' 'sym.LRCBTC.health == "ok"' < "$T/multi2.json" || fail "--symbol did not resolve the bare snapshot"
# ... and a recorded subscription naming one stream is enough, whatever other frames hold.
{ echo 'wss://stream.binance.com:9443/stream?streams=lrcbtc@depth@100ms/lrcbtc@bookTicker <-> 1633998511.159679'; cat "$T/multi.rec"; } > "$T/sub.rec"
"$TH_BIN" replay "$T/sub.rec" --venue binance --instruments "$INS" --json > "$T/sub.json" 2>/dev/null || true
$CHECK 'r.errors == 0' 'sym.LRCBTC.health == "ok"' < "$T/sub.json" || fail "the subscription URL did not name the snapshot's symbol"
# A bare snapshot given to the only symbol seen so far, when another symbol turns up later: said so.
luajit "$TH_HOME/tests/functional/make_binance_inline.lua" "$D/spot-ws-2021-10-12.rec" "$D/spot-depth-snapshots-2021-10-12.rec" NKNUSDT --all-frames > "$T/late.rec"
"$TH_BIN" replay "$T/late.rec" --venue binance --instruments "$INS" --json > "$T/late.json" 2>"$T/late.err" || true
$CHECK 'r.reasons.errors["REST snapshot without a URL in a recording of several symbols"] == 1' < "$T/late.json" \
  || fail "a later second symbol is not reported: $(grep -o '"reasons.*' "$T/late.json")"
grep -q 'applied to NKNUSDT, the only symbol the recording had shown; BLZETH appears later' "$T/late.err" \
  || fail "late second symbol: no message naming both: $(grep rejected "$T/late.err")"
pass "several symbols and no URL: an error naming the candidates ($(grep -o 'has frames for [^)]*)' "$T/multi.err" | head -1)); --symbol or a one-stream subscription resolves it"

# --- item 2: every counted error and ignored class has a reason --------------------------------
$CHECK 'r.ignored == 1' 'r.reasons.ignored["event type not used (kline and others)"] == 1' 'next(r.reasons.errors) == nil' \
  < "$T/one.json" || fail "ignored kline frame has no reason: $(grep -o '"reasons.*' "$T/one.json")"
grep -q 'msg="frame ignored" line=[0-9]* reason="event type not used (kline and others)" count=1' "$T/one.err" \
  || fail "ignored frame not logged with its reason"
# 30 rejected frames of one kind and 1 of another: each reason is logged for its first 10, counted in full.
{ head -3 "$T/one.rec"
  for i in $(seq 1 30); do echo "16339985130000000$((10 + i)) {\"stream\":\"nknusdt@bookTicker\",\"data\":{\"u\":1,\"b\":\"0.35\",\"B\":\"1\",\"a\":\"0.36\",\"A\":\"1\"}}"; done
  echo '1633998513000000099 {"stream":"xxxusdt@depth@100ms","data":{"e":"depthUpdate","s":"XXXUSDT","U":1,"u":2,"b":[],"a":[]}}'
  tail -n +4 "$T/one.rec"; } > "$T/errs.rec"
"$TH_BIN" replay "$T/errs.rec" --venue binance --instruments "$INS" --json > "$T/errs.json" 2>"$T/errs.err" || true
$CHECK 'r.errors == 30' 'r.reasons.errors["frame names no symbol"] == 30' 'r.reasons.ignored["symbol not in the instrument data"] == 1' \
  'sym.NKNUSDT.health == "ok"' < "$T/errs.json" || fail "per-reason counts: $(grep -o '"errors":[0-9]*\|"reasons.*' "$T/errs.json")"
[ "$(grep -c 'frame rejected.*reason="frame names no symbol"' "$T/errs.err")" -eq 10 ] || fail "expected the first 10 of 30 logged"
grep -q 'reason="frame names no symbol" count=10 (further ones are counted, not logged)' "$T/errs.err" || fail "the log does not say it stops"
grep -q 'error="unknown symbol XXXUSDT (not in the instrument data)" reason="symbol not in the instrument data"' "$T/errs.err" \
  || fail "the rarer reason is not logged: $(grep rejected "$T/errs.err" | tail -2)"
"$TH_BIN" replay "$T/errs.rec" --venue binance --instruments "$INS" > "$T/errs.txt" 2>/dev/null || true
grep -q '^errors  30: frame names no symbol$' "$T/errs.txt" || fail "the table does not list reasons: $(cat "$T/errs.txt")"
pass "errors and ignored frames: logged with their reason for the first 10 of each, counted per reason in --json and the table"

# --- item 7: one ingestion path for replay, backtest and paper run -----------------------------
cat > "$T/watch.lua" <<'LUA'
local th = require("th")
local M = {}
function M.on_start(state) state.n = {} end
function M.on_book(state, ctx, symbol) state.n[symbol] = (state.n[symbol] or 0) + 1 end
function M.on_stop(state, ctx)
  for _, p in ipairs(ctx.pairs) do
    local b = th.book(p.symbol)
    local out = {}
    for _, side in ipairs({ "bid", "ask" }) do
      for i, l in ipairs(b:levels(side, 5)) do out[#out + 1] = ("%s%d=%.10g/%.10g"):format(side, i, l[1], l[2]) end
    end
    th.log.info("final", { symbol = p.symbol, health = (b:health()), events = state.n[p.symbol] or 0, levels = table.concat(out, ",") })
  end
end
return M
LUA
expect() { # expect REPLAY.json SYMBOL: the levels string replay's book gives
  luajit -e "local c=require('cjson') local r=c.decode(io.read('*a')).symbols['$2'] local o={}
    for _, s in ipairs({'bid','ask'}) do for i, l in ipairs(r[s .. 's']) do o[#o+1]=('%s%d=%.10g/%.10g'):format(s, i, tonumber(l[1]), tonumber(l[2])) end end
    print(table.concat(o, ','))" < "$1"
}
session_cfg() { # session_cfg FILE RECORDING SNAPSHOTS-LINE PACE-LINE
  cat > "$1" <<LUA
return {
  venue = { name = "sim", paper = true, feed = "binance", recording = "$2", instruments = "$INS",
            $3 $4 stale_ms = 3600000 },
  strategy = { name = "watch", module = "$T/watch.lua", tick_ms = 100, budget_ms = 1000 },
  pairs = { { symbol = "NKNUSDT" }, { symbol = "BLZETH" }, { symbol = "LRCBTC" }, { symbol = "RUNEEUR" } },
}
LUA
}
check_session() { # check_session LOG REPLAY.json SYMBOLS... : every symbol ok with replay's levels
  local log=$1 ref=$2; shift 2
  for sym in "$@"; do
    line=$(grep 'msg="final"' "$log" | grep " symbol=$sym\b") || fail "no final line for $sym"
    echo "$line" | grep -q 'health=ok' || fail "$sym has no book in the session: $line"
    want=$(expect "$ref" "$sym")
    echo "$line" | grep -qF "levels=\"$want\"" || fail "$sym: session book differs from replay: $line vs $want"
  done
}
"$TH_BIN" replay "$D/spot-ws-2021-10-12.rec" --venue binance --instruments "$INS" --snapshots "$D/spot-depth-snapshots-2021-10-12.rec" --json > "$T/b.json" 2>/dev/null
session_cfg "$T/bt.lua" "$D/spot-ws-2021-10-12.rec" "snapshots = \"$D/spot-depth-snapshots-2021-10-12.rec\"," ""
"$TH_BIN" backtest "$T/bt.lua" 2>"$T/bt.log" || fail "backtest exit $?"
check_session "$T/bt.log" "$T/b.json" NKNUSDT BLZETH LRCBTC RUNEEUR
grep -q 'market data from recording.* snapshots=4 ' "$T/bt.log" || fail "backtest did not load venue.snapshots"
pass "binance backtest with venue.snapshots: 4 books ok, each equal to replay --snapshots"

session_cfg "$T/paper.lua" "$D/spot-ws-2021-10-12.rec" "snapshots = \"$D/spot-depth-snapshots-2021-10-12.rec\"," 'pace = "recorded", speed = 40,'
"$TH_BIN" run "$T/paper.lua" --paper --duration 2.5 2>"$T/paper.log" || fail "paper run exit $?"
grep -q 'recording finished' "$T/paper.log" || fail "paper run did not reach the end of the recording"
check_session "$T/paper.log" "$T/b.json" NKNUSDT BLZETH LRCBTC RUNEEUR
pass "binance paper session (recorded pace x40) with venue.snapshots: 4 books ok, each equal to replay"

session_cfg "$T/one.lua" "$T/one.rec" "" ""
sed -i 's/pairs = {.*/pairs = { { symbol = "NKNUSDT" } },/' "$T/one.lua"
"$TH_BIN" backtest "$T/one.lua" 2>"$T/one.log" || fail "inline backtest exit $?"
check_session "$T/one.log" "$T/one.json" NKNUSDT
pass "binance backtest on the one-symbol inline recording: the book equals replay's"

set +e; sed 's|snapshots = "[^"]*"|snapshots = "'"$INS"'"|' "$T/bt.lua" > "$T/badsnap.lua"
"$TH_BIN" backtest "$T/badsnap.lua" 2>"$T/badsnap.log"; rc=$?; set -e
[ $rc -eq 2 ] && grep -q "venue.snapshots: $INS has no binance depth snapshots" "$T/badsnap.log" \
  || fail "a bad venue.snapshots file is not refused by name (exit $rc): $(tail -2 "$T/badsnap.log")"
pass "venue.snapshots naming a file of no snapshots is refused with a message naming the key"
