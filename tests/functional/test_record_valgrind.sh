#!/usr/bin/env bash
# `tradehost record` under valgrind: Binance spot from the sim (the stream websocket, the REST depth
# snapshots through curl multi, the feed's sync, the writer), a reconnect after a `disconnect`
# fault, then --duration ends it: exit 0, a complete recording, no invalid access and no leak
# (definite, indirect or possible) — lws's two-step client teardown included.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/vg_lib.sh"
vg_require
BD="$TH_HOME/tests/data/binance"
BINS="$BD/spot-exchangeInfo-2021-10-12.rec"
start_sim_venue binance --data "$BD/spot-ws-2021-10-12.rec" --snapshots "$BD/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$BINS" --speed 2 --paused
ep() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/endpoints.json" "$1"; }
"${VG[@]}" --log-file="$T/vg.log" \
  "$TH_BIN" record --venue binance --symbols NKNUSDT,LRCBTC,BLZETH --instruments "$BINS" --out "$T/b.rec" \
  --endpoint "$(ep ws_streams)" --rest "$(ep rest)" --duration 25 >"$T/rec.json" 2>"$T/rec.log" &
REC=$!
trap '[ -n "$REC" ] && kill -9 "$REC" 2>/dev/null; cleanup' EXIT
i=0; until grep -q "websocket connected.*binance-public" "$T/rec.log"; do
  kill -0 $REC 2>/dev/null || fail "record exited: $(tail -3 "$T/rec.log")"
  sleep 0.1; i=$((i + 1)); [ $i -lt 600 ] || fail "record never connected under valgrind"; done
sleep 0.5
curl -sf -X POST "$EP_CONTROL/resume" >/dev/null
i=0; until grep -q "record: book health.*symbol=NKNUSDT.*to=ok" "$T/rec.log"; do
  sleep 0.1; i=$((i + 1)); [ $i -lt 300 ] || fail "NKNUSDT never synchronised under valgrind: $(tail -5 "$T/rec.log")"; done
curl -sf -X POST "$EP_CONTROL/fault" -d '{"kind":"disconnect","scope":"public"}' >/dev/null
i=0; until grep -q "websocket connected.*binance-public.*connects=2" "$T/rec.log"; do
  sleep 0.1; i=$((i + 1)); [ $i -lt 300 ] || fail "no reconnect under valgrind"; done
set +e; wait $REC; rc=$?; set -e
REC=""
vg_clean "$T/vg.log" "$rc" "record"
grep -q '"stopped":"--duration reached"' "$T/rec.json" || fail "summary: $(cat "$T/rec.json")"
[ "$(tail -c 1 "$T/b.rec" | od -An -c | tr -d ' ')" = '\n' ] || fail "the recording does not end with a complete line"
[ "$(grep -c ' <-> ' "$T/b.rec")" = 2 ] && grep -q ' -> ' "$T/b.rec" || fail "the recording lacks its two connections or its snapshots"
pass "record (Binance streams + REST snapshots, a reconnect, --duration) under valgrind: $(vg_summary "$T/vg.log")"
stop_sim
