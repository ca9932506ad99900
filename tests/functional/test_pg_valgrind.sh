#!/usr/bin/env bash
# The PostgreSQL history's whole life under valgrind (issue 17): a paper session writing to a real
# PostgreSQL (pg_lib.sh), PostgreSQL stopped mid-session (the connection lost, reconnects refused,
# its poll handles re-made) and started again (migrations, back-fill), then SIGTERM (the stop's last
# batch and settlement): no invalid access and no leak (definite, indirect or possible). The API's
# GET /performance/stats read from PostgreSQL (app/pg_stats.c: its own connection, deferred
# answers) is asked with PostgreSQL up and down, and by a client that hangs up before the answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/vg_lib.sh"
vg_require
trap 'pg_cleanup; cleanup' EXIT
pg_init "$T/pg"
pg_start
export TH_TEST_PG="$PG_CONNINFO"
SPEED=1 paper_mm_config "" 'session = { name = "session-vg" }, api = { listen = "127.0.0.1:0" },'
sed -i 's|fsync = "turn" }|fsync = "turn", postgres = { conninfo_env = "TH_TEST_PG", connect_timeout_ms = 2000, stop_timeout_ms = 10000 } }|' "$T/cfg.lua"
grep -q 'postgres = { conninfo_env' "$T/cfg.lua" || fail "could not add storage.postgres to the config"
"${VG[@]}" --log-file="$T/vg.log" "$TH_BIN" run "$T/cfg.lua" 2>"$T/host.log" &
HOST_PID=$!
wait_for 'postgres: caught up from the journal' 60
for i in $(seq 100); do [ "$(pgq 'SELECT count(*) FROM orders')" -gt 0 ] && break; sleep 0.2; done
[ "$(pgq 'SELECT count(*) FROM orders')" -gt 0 ] || fail "no orders written under valgrind"
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | sed 's/.*port=//')
stats() { curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/performance/stats"; }
for i in $(seq 50); do [ "$(stats)" = 200 ] && break; sleep 0.2; done
[ "$(stats)" = 200 ] || fail "GET /performance/stats from PostgreSQL under valgrind: $(stats)"
curl -s -m 0.001 "http://127.0.0.1:$PORT/performance/stats" >/dev/null || : # hangs up before the answer
pg_stop
wait_for 'postgres: down: journal only' 30
wait_for 'postgres: connection lost: reconnecting' 30 2
[ "$(stats)" = 503 ] || fail "GET /performance/stats with PostgreSQL down under valgrind: $(stats)"
pg_start
wait_for 'postgres: caught up from the journal' 60 2
kill -TERM "$HOST_PID"
wait_exit 90
vg_clean "$T/vg.log" "$HOST_RC" "the host"
grep -q 'postgres: session written' "$T/host.log" || fail "the stop did not write the session's end"
[ -n "$(pgq "SELECT ended_at FROM sessions WHERE session_id = 'session-vg'")" ] || fail "no ended_at"
pg_stop
pass "history written, PostgreSQL stopped and restarted, back-fill, SIGTERM, under valgrind: $(vg_summary "$T/vg.log")"
