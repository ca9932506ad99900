#!/usr/bin/env bash
# The live Binance connectors' whole life under valgrind: a host quoting on `tradehost sim --venue
# binance` over real sockets (the combined stream, REST depth snapshots through curl multi, the
# WebSocket API for orders and user data), then SIGTERM: every order cancelled at the sim, no
# invalid access and no leak (definite, indirect or possible) at teardown.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/binance_live_lib.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (tools/install-deps.sh installs it)"
case "$TH_BIN" in *asan*) echo "ok - skipped under ASan (valgrind and ASan do not mix)"; exit 0 ;; esac
trap 'session_cleanup; cleanup' EXIT

start_bn_sim --speed 1 --paused
TICK_MS=200 bn_mm_config "$T/cfg.lua" "$T/j"
sed -i 's/tick_ms = 200,/tick_ms = 200, budget_ms = 1000,/' "$T/cfg.lua"
valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
  --log-file="$T/vg.log" "$TH_BIN" run "$T/cfg.lua" 2>"$T/session.log" &
SESSION_PID=$!
swait "binance private: user data subscribed" 60
swait "websocket connected.*binance-public" 60
sleep 1
sim_post resume # a Binance book is ok once a diff follows its snapshot: the replay starts when the host listens
wait_sim_open -gt 0 60
sleep 2
kill -TERM "$SESSION_PID"
for i in $(seq 1200); do kill -0 "$SESSION_PID" 2>/dev/null || break; sleep 0.1; done
set +e; wait "$SESSION_PID"; SESSION_RC=$?; set -e
SESSION_PID=""
[ "$SESSION_RC" = 0 ] || { cat "$T/vg.log"; sfail "valgrind run exit $SESSION_RC"; }
[ "$(sim_open_count)" = 0 ] || sfail "the sim still holds open orders after the host stopped"
grep -q "ERROR SUMMARY: 0 errors" "$T/vg.log" || { cat "$T/vg.log"; fail "valgrind reported errors"; }
pass "live Binance (stream, REST snapshots, WebSocket API) quoting on the sim, SIGTERM, under valgrind: $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$T/vg.log")"
stop_sim
