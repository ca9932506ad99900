#!/usr/bin/env bash
# The live Binance connectors' whole life under valgrind: a host quoting on `tradehost sim --venue
# binance` over real sockets (the combined stream, REST depth snapshots through curl multi, the
# WebSocket API for orders and user data), then SIGTERM: every order cancelled at the sim, no
# invalid access and no leak (definite, indirect or possible) at teardown.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/binance_live_lib.sh"
source "$(dirname "$0")/vg_lib.sh"
vg_require
trap 'session_cleanup; cleanup' EXIT

start_bn_sim --speed 1 --paused
TICK_MS=200 bn_mm_config "$T/cfg.lua" "$T/j"
sed -i 's/tick_ms = 200,/tick_ms = 200, budget_ms = 1000,/' "$T/cfg.lua"
"${VG[@]}" --log-file="$T/vg.log" "$TH_BIN" run "$T/cfg.lua" 2>"$T/session.log" &
SESSION_PID=$!
swait "binance private: user data subscribed" 60
swait "websocket connected.*binance-public" 60
sleep 1
sim_post resume # a Binance book is ok once a diff follows its snapshot: the replay starts when the host listens
wait_sim_open -gt 0 60
sleep 2
stop_session TERM 120
VG_FAIL=sfail vg_clean "$T/vg.log" "$SESSION_RC" "the session"
[ "$(sim_open_count)" = 0 ] || sfail "the sim still holds open orders after the host stopped"
pass "live Binance (stream, REST snapshots, WebSocket API) quoting on the sim, SIGTERM, under valgrind: $(vg_summary "$T/vg.log")"
stop_sim
