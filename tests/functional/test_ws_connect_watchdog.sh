#!/usr/bin/env bash
# The websocket client's connect watchdog (host/net/ws_client.c): a venue whose connects hang (a
# listener with a full accept queue: the SYN is dropped, the connect neither completes nor fails).
# The host must end each attempt itself after TH_WS_CONNECT_TIMEOUT_MS (10 s) and retry through the
# back-off, never letting libwebsockets 4.1.6 time the connect out (its timeout path closes the
# socket but leaks the uv_poll_t: valgrind "possibly lost", "handles still open at exit" — the
# flake of test_kraken_live_valgrind). Under valgrind (release build): two watchdog ends, a clean
# exit at --duration, no leak of any kind. Under ASan: the same behaviour, no valgrind.
source "$(dirname "$0")/lib.sh"
LISTENER=""
trap '[ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null; [ -n "$REC" ] && kill -9 "$REC" 2>/dev/null; cleanup' EXIT
REC=""
python3 "$TH_HOME/tests/functional/stuck_listener.py" "$T/port" &
LISTENER=$!
i=0; until [ -s "$T/port" ]; do
  kill -0 "$LISTENER" 2>/dev/null || fail "the stuck listener exited"
  sleep 0.1; i=$((i + 1)); [ $i -lt 100 ] || fail "the stuck listener gave no port"; done
PORT=$(cat "$T/port")
VG=()
case "$TH_BIN" in
  *asan*) ;;
  *) command -v valgrind >/dev/null || fail "valgrind is not installed (tools/install-deps.sh installs it)"
     source "$(dirname "$0")/vg_lib.sh"; VG+=(--log-file="$T/vg.log") ;;
esac
# 25 s: the watchdog ends the first attempt at ~10 s and the retry at ~20 s; lws's own timeouts
# (its default 20 s, and a 5 s one seen on this stack) would have fired before either.
"${VG[@]}" "$TH_BIN" record --venue kraken --symbols XMR/USD --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" \
  --out "$T/k.rec" --endpoint "ws://127.0.0.1:$PORT" --duration 25 >"$T/rec.json" 2>"$T/rec.log" &
REC=$!
set +e; wait $REC; rc=$?; set -e
REC=""
[ "$rc" = 0 ] || { [ -f "$T/vg.log" ] && cat "$T/vg.log"; cat "$T/rec.log"; fail "record exit $rc"; }
n=$(grep -c 'websocket connect failed.*not connected within 10000 ms' "$T/rec.log" || true)
[ "$n" -ge 2 ] || { cat "$T/rec.log"; fail "the watchdog ended $n attempts (want 2: the first and its retry after the back-off)"; }
! grep -q 'Unable to connect' "$T/rec.log" || { cat "$T/rec.log"; fail "libwebsockets timed a connect out itself (its leaking path)"; }
! grep -q 'handles still open at exit' "$T/rec.log" || { cat "$T/rec.log"; fail "a uv handle was left open at exit"; }
grep -q '"stopped":"--duration reached"' "$T/rec.json" || fail "summary: $(cat "$T/rec.json")"
if [ ${#VG[@]} -gt 0 ]; then
  vg_clean "$T/vg.log" "$rc" "record"
  pass "hanging connects ended by the watchdog ($n times, retried through the back-off), no leak under valgrind: $(vg_summary "$T/vg.log")"
else
  pass "hanging connects ended by the watchdog ($n times, retried through the back-off)"
fi
