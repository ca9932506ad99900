#!/usr/bin/env bash
# The live Kraken connectors' whole life under valgrind: a host trading on `tradehost sim` over
# real sockets (libwebsockets client public and private, libcurl multi for REST, both on the uv
# loop), then SIGTERM: every order cancelled at the sim, and no invalid access and no leak
# (definite, indirect or possible) at teardown — lws's two-step context destroy and curl's multi
# cleanup included.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/vg_lib.sh"
vg_require
trap 'session_cleanup; cleanup' EXIT

merge_kraken_recording "$T/rec.txt"
kraken_accounts "$T/accounts.json"
source "$T/accounts.json.env"
start_sim --data "$T/rec.txt" --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --accounts "$T/accounts.json" --speed 2
DEAD_MAN_S=60 TICK_MS=200 live_mm_config "$T/cfg.lua" "$T/j"
sed -i 's/tick_ms = 200,/tick_ms = 200, budget_ms = 1000,/' "$T/cfg.lua"
"${VG[@]}" --log-file="$T/vg.log" "$TH_BIN" run "$T/cfg.lua" 2>"$T/session.log" &
SESSION_PID=$!
swait "kraken private: executions subscribed" 60
swait "kraken public: market data live" 60
wait_sim_open -gt 0 60
sleep 2
stop_session TERM 120
VG_FAIL=sfail vg_clean "$T/vg.log" "$SESSION_RC" "the session"
[ "$(sim_open_count)" = 0 ] || sfail "the sim still holds open orders after the host stopped"
pass "live Kraken (public + private websockets, REST) quoting on the sim, SIGTERM, under valgrind: $(vg_summary "$T/vg.log")"
stop_sim
