#!/usr/bin/env bash
# The live Kraken Futures lead's whole life under valgrind: a paper session on Kraken spot (live
# books from `tradehost sim --venue kraken`) with Kraken Futures as its lead from a second sim,
# both over real websockets; a seq gap (resubscribe of that book), a disconnect (reconnect and
# resubscribe), /health read, then SIGTERM: no invalid access and no leak (definite, indirect or
# possible) — the lead's connection, feed and instruments freed with the session.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/futures_lead_lib.sh"
source "$(dirname "$0")/vg_lib.sh"
vg_require
trap 'session_cleanup; [ -n "$FUT_PID" ] && kill -9 "$FUT_PID" 2>/dev/null; cleanup' EXIT

start_sim --data "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt" \
  --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --speed 2
start_fut_sim
lead_config 200 1000
"${VG[@]}" --log-file="$T/vg.log" "$TH_BIN" run "$T/cfg.lua" 2>"$T/session.log" &
SESSION_PID=$!
swait "websocket connected.*kraken-futures-public" 60
curl -sf -X POST "$FUT_CONTROL/resume" >/dev/null
i=0; until [ -s "$T/lead.json" ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["PI_ETHUSD"]["health"]=="ok" and d["_on_lead"]>0 else 1)' "$T/lead.json" 2>/dev/null; do
  sleep 0.2; i=$((i + 1)); [ $i -lt 300 ] || sfail "the lead book never ok under valgrind"; done
curl -sf -X POST "$FUT_CONTROL/fault" -d '{"kind":"gap","scope":"PI_ETHUSD","count":1}' >/dev/null
swait "kraken futures public: resubscribing a broken book for a new snapshot.*PI_ETHUSD" 60
curl -sf -X POST "$FUT_CONTROL/fault" -d '{"kind":"disconnect","scope":"public"}' >/dev/null
swait "websocket connected.*kraken-futures-public.*connects=2" 60
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/session.log" | sed 's/.*port=//')
curl -sf --max-time 20 "http://127.0.0.1:$PORT/health" | grep -q '"role":"lead"' || sfail "/health has no lead venue"
stop_session TERM 120
VG_FAIL=sfail vg_clean "$T/vg.log" "$SESSION_RC" "the session"
pass "live Kraken Futures lead (gap, disconnect, /health) beside live Kraken spot, SIGTERM, under valgrind: $(vg_summary "$T/vg.log")"
kill -TERM "$FUT_PID"; wait "$FUT_PID" 2>/dev/null || true; FUT_PID=""
stop_sim
