#!/usr/bin/env bash
# A live second venue, market data only: a session quoting nothing on Kraken spot (live books from
# `tradehost sim --venue kraken`) takes Kraken Futures as its lead market (venue.lead with
# endpoints and symbols instead of a recording) from a second sim (`--venue kraken-futures` on the
# bundled Futures recording): book_snapshot + deltas with seq through the feed's one Futures
# parser, on_lead for every changed lead book, th.book reads it. The lead books equal the Futures
# sim's own once its replay ended; a `gap` on one product (seq hole) resubscribes that book for a
# new snapshot; a `disconnect` puts the lead books resyncing and the reconnect resubscribes; the
# spot side is untouched by either. A lead with no live connector is refused naming it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
FUT_PID=""
trap 'session_cleanup; [ -n "$FUT_PID" ] && kill -9 "$FUT_PID" 2>/dev/null; cleanup' EXIT
FD="$TH_HOME/tests/data/kraken-futures"

# the spot sim (the session's own venue), then the Futures sim (the lead), each its endpoints line
start_sim --data "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt" \
  --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --speed 4
"$TH_BIN" sim --venue kraken-futures --data "$FD/futures-ws-v1-2021-07-22.rec" --instruments "$FD/instruments-2021-07-22.rec" \
  --speed 4 --paused >"$T/fut.json" 2>"$T/fut.log" &
FUT_PID=$!
i=0; until grep -q '}' "$T/fut.json" 2>/dev/null; do sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "no endpoints line from the futures sim"; done
fut() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/fut.json" "$1"; }
FUT_CONTROL="$(fut rest)/_sim"
cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "kraken", paper = true, instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_public)", ws_private = "$(ep ws_private)" },
            stale_ms = 3600000,
            lead = { feed = "kraken-futures", instruments = "$FD/instruments-2021-07-22.rec",
                     endpoints = { ws_public = "$(fut ws_public)" }, symbols = { "pi_ethusd", "fi_xbtusd_210924" } } },
  strategy = { name = "live_lead_books", module = "$TH_HOME/tests/functional/live_lead_books.lua", tick_ms = 100, budget_ms = 200,
               params = { out = "$T/lead.json", lead = { "pi_ethusd", "fi_xbtusd_210924" } } },
  pairs = { { symbol = "XMR/USD" } },
  storage = { journal_dir = "$T/j" },
}
CFG
start_session "$T/cfg.lua"
swait "websocket connected.*kraken-futures-public" 10
swait "websocket connected.*kraken-public" 10
sleep 0.5
curl -sf -X POST "$FUT_CONTROL/resume" >/dev/null
lead_ok() { # lead_ok TIMEOUT_S: both lead books ok in the strategy's dump
  local i=0
  until [ -s "$T/lead.json" ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if all(d[s]["health"]=="ok" for s in ("PI_ETHUSD","FI_XBTUSD_210924")) and d["_on_lead"]>0 else 1)' "$T/lead.json" 2>/dev/null; do
    sleep 0.1; i=$((i + 1)); [ $i -lt $(($1 * 10)) ] || sfail "the lead books never ok: $(head -c 400 "$T/lead.json")"
  done
}
lead_ok 10
pass "live lead: Kraken Futures books ok beside the Kraken spot session, on_lead called, th.book reads them"
curl -sf -X POST "$FUT_CONTROL/fault" -d '{"kind":"gap","scope":"PI_ETHUSD","count":1}' >/dev/null
swait "kraken futures public: resubscribing a broken book for a new snapshot.*PI_ETHUSD" 10
lead_ok 10
pass "a seq gap on PI_ETHUSD: that book resubscribed for a new snapshot, ok again"
curl -sf -X POST "$FUT_CONTROL/fault" -d '{"kind":"disconnect","scope":"public"}' >/dev/null
swait "websocket lost.*kraken-futures-public" 5
swait "lead book health.*health=resyncing.*disconnected" 5
swait "websocket connected.*kraken-futures-public.*connects=2" 10
lead_ok 10
! grep -q "websocket lost.*name=kraken-public" "$T/session.log" || sfail "the spot connection was lost too"
pass "a lead disconnect: lead books resyncing, reconnected and resubscribed; the spot connection untouched"
i=0; until curl -sf "$FUT_CONTROL/state" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["data_ended"] else 1)'; do
  sleep 0.2; i=$((i + 1)); [ $i -lt 300 ] || fail "the futures sim's data did not end"; done
i=0
until curl -sf "$FUT_CONTROL/state" >"$T/fstate.json" && python3 - "$T/lead.json" "$T/fstate.json" >"$T/lead.diff" 2>&1 <<'PY'
import json, sys
mine = json.load(open(sys.argv[1])); sim = json.load(open(sys.argv[2]))["books"]
sim = {k.upper(): v for k, v in sim.items()}
for sym in ("PI_ETHUSD", "FI_XBTUSD_210924"):
    b, s = mine[sym], sim[sym]
    if b["health"] != "ok": print(sym, "health", b["health"]); sys.exit(1)
    for side in ("bids", "asks"):
        a = [(float(p), float(q)) for p, q in b[side]]; e = [(float(p), float(q)) for p, q in s[side]]
        if a != e: print(sym, side, "session", a[:3], "sim", e[:3]); sys.exit(1)
PY
do sleep 0.2; i=$((i + 1)); [ $i -lt 50 ] || sfail "lead books differ from the futures sim's: $(cat "$T/lead.diff")"; done
pass "after the Futures replay (with a gap and a reconnect in it) the lead books equal the futures sim's (top 10)"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "session exit status $SESSION_RC"
pass "the session stops cleanly (exit 0)"
kill -TERM "$FUT_PID"; wait "$FUT_PID" 2>/dev/null || true; FUT_PID=""

# A lead feed with no live connector: refused at start, naming it.
sed -i 's/feed = "kraken-futures"/feed = "binance-usdm"/' "$T/cfg.lua"
set +e; "$TH_BIN" run "$T/cfg.lua" 2>"$T/refused.log"; rc=$?; set -e
[ "$rc" = 2 ] || fail "a live binance-usdm lead started (exit $rc): $(tail -3 "$T/refused.log")"
grep -q "venue.lead.feed: binance-usdm has no live connector" "$T/refused.log" || fail "the refusal does not name the lead feed: $(tail -3 "$T/refused.log")"
pass "a live lead with no connector is refused, naming it"
stop_sim
