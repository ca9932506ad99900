#!/usr/bin/env bash
# A live second venue, market data only: a session quoting nothing on Kraken spot (live books from
# `tradehost sim --venue kraken`) takes Kraken Futures as its lead market (venue.lead with
# endpoints and symbols instead of a recording) from a second sim (`--venue kraken-futures` on the
# bundled Futures recording), both over real websockets on loopback: book_snapshot + deltas with
# seq through the feed's one Futures parser, on_lead for every changed lead book, th.book reads it
# and its seq (b:seq(), never going back). /health lists the lead venue and its books. A `gap` on
# one product (a seq hole) is seen by the feed (log), the book goes resyncing (on_lead sees it) and
# is resubscribed for a new snapshot with a later seq (/health counts the resubscribe); a
# `disconnect` puts the lead books resyncing and the reconnect resubscribes; the spot side is
# untouched by either. The lead books equal the Futures sim's once its replay ended. The Futures
# sim gone: /health says the lead is down (degraded). A lead with no live connector is refused
# naming it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/futures_lead_lib.sh"
trap 'session_cleanup; [ -n "$FUT_PID" ] && kill -9 "$FUT_PID" 2>/dev/null; cleanup' EXIT

# the spot sim (the session's own venue), then the Futures sim (the lead), each its endpoints line
start_sim --data "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt" \
  --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --speed 4
start_fut_sim
lead_config 100 200
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
# lead_check PY_EXPR: a Python condition on d (the strategy's dump) and h (GET /health), retried 10 s
lead_check() {
  local i=0
  until curl -sf "http://127.0.0.1:$PORT/health" >"$T/health.json" && python3 - "$T/lead.json" "$T/health.json" "$1" <<'PY' >"$T/check.out" 2>&1
import json, sys
d = json.load(open(sys.argv[1])); h = json.load(open(sys.argv[2]))
lv = [v for v in h["venues"] if v.get("role") == "lead"]
lb = {b["symbol"]: b for b in h["books"] if b.get("lead")}
sys.exit(0 if eval(sys.argv[3]) else 1)
PY
  do sleep 0.1; i=$((i + 1)); [ $i -lt 100 ] || sfail "not so within 10 s: $1; dump $(head -c 600 "$T/lead.json"); health $(cat "$T/health.json"); $(cat "$T/check.out")"; done
}
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/session.log" | sed 's/.*port=//')
[ -n "$PORT" ] || sfail "no api port in the session log"
lead_check 'all(d[s]["on_lead"]["first_seq"] > 0 and d[s]["on_lead"]["last_seq"] >= d[s]["on_lead"]["first_seq"] and d[s]["on_lead"]["seq_back"] == 0 for s in ("PI_ETHUSD", "FI_XBTUSD_210924"))'
pass "live lead: Kraken Futures books ok beside the Kraken spot session, on_lead called, th.book reads them and their seq"
lead_check 'lv == [{"name": "kraken-futures", "role": "lead", "source": "websocket", "state": "connected", "connects": 1, "resubscribes": 0, "frame_errors": 0, "ok": True}] and all(lb[s]["health"] == "ok" and lb[s]["seq"] > 0 for s in ("PI_ETHUSD", "FI_XBTUSD_210924")) and not h["degraded"]'
pass "/health: the lead venue connected, its books ok with their seq"
SEQ0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["PI_ETHUSD"]["on_lead"]["last_seq"])' "$T/lead.json")
curl -sf -X POST "$FUT_CONTROL/fault" -d '{"kind":"gap","scope":"PI_ETHUSD","count":1}' >/dev/null
swait "frame refused by the feed.*pi_ethusd: seq gap \(delta seq [0-9]+ after [0-9]+\)" 10
swait "lead book health.*symbol=pi_ethusd health=resyncing reason=\"seq gap\"" 10
swait "kraken futures public: resubscribing a broken book for a new snapshot.*PI_ETHUSD" 10
lead_ok 10
lead_check 'd["PI_ETHUSD"]["on_lead"]["healths"].get("resyncing", 0) > 0 and d["PI_ETHUSD"]["on_lead"]["resync_seq"] > '"$SEQ0"' and d["PI_ETHUSD"]["on_lead"]["seq_back"] == 0 and lv[0]["resubscribes"] >= 1 and lv[0]["frame_errors"] >= 1 and lb["PI_ETHUSD"]["health"] == "ok"'
pass "a seq gap on PI_ETHUSD: the feed sees it, on_lead sees the book resyncing, a new snapshot with a later seq, /health counts the resubscribe"
curl -sf -X POST "$FUT_CONTROL/fault" -d '{"kind":"disconnect","scope":"public"}' >/dev/null
swait "websocket lost.*kraken-futures-public" 5
swait "lead book health.*health=resyncing.*disconnected" 5
swait "websocket connected.*kraken-futures-public.*connects=2" 10
lead_ok 10
lead_check 'lv[0]["connects"] == 2 and lv[0]["state"] == "connected" and all(d[s]["on_lead"]["healths"].get("resyncing", 0) > 0 for s in ("PI_ETHUSD", "FI_XBTUSD_210924"))'
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
lead_check 'all(d[s]["on_lead"]["seq_back"] == 0 and d[s]["seq"] == d[s]["on_lead"]["last_seq"] for s in ("PI_ETHUSD", "FI_XBTUSD_210924"))'
pass "after the Futures replay (with a gap and a reconnect in it) the lead books equal the futures sim's (top 10), their seq never went back"
kill -TERM "$FUT_PID"; wait "$FUT_PID" 2>/dev/null || true; FUT_PID=""
swait "websocket lost.*kraken-futures-public" 5
lead_check 'lv[0]["state"] != "connected" and not lv[0]["ok"] and h["degraded"] and all(lb[s]["health"] == "resyncing" for s in ("PI_ETHUSD", "FI_XBTUSD_210924")) and [v["state"] for v in h["venues"] if v["role"] == "market_data"] == ["connected"]'
pass "the Futures venue gone: /health says the lead is down and its books resyncing (degraded), the spot feed still connected"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "session exit status $SESSION_RC"
pass "the session stops cleanly (exit 0)"

# A lead feed with no live connector: refused at start, naming it.
sed -i 's/feed = "kraken-futures"/feed = "binance-usdm"/' "$T/cfg.lua"
set +e; "$TH_BIN" run "$T/cfg.lua" 2>"$T/refused.log"; rc=$?; set -e
[ "$rc" = 2 ] || fail "a live binance-usdm lead started (exit $rc): $(tail -3 "$T/refused.log")"
grep -q "venue.lead.feed: binance-usdm has no live connector" "$T/refused.log" || fail "the refusal does not name the lead feed: $(tail -3 "$T/refused.log")"
pass "a live lead with no connector is refused, naming it"
stop_sim
