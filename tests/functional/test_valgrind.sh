#!/usr/bin/env bash
# The host's whole life — start, ticks, a reload, API requests, REPL clients (one still attached at the end),
# SIGTERM — runs valgrind-clean: no invalid access and no leak (definite, indirect or possible) at
# teardown.
. "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vg_lib.sh"
vg_require
cp "$TH_HOME/strategies/heartbeat.lua" "$T/hb.lua"
cat > "$T/cfg.lua" <<LUA
return { venue = { name = "sim" }, strategy = { name = "heartbeat", module = "$T/hb.lua", tick_ms = 20,
         budget_ms = 1000 }, pairs = { { symbol = "A/B" } }, repl = { socket = "$T/th.sock" },
         api = { listen = "127.0.0.1:0" } }
LUA
"${VG[@]}" --log-file="$T/vg.log" "$TH_BIN" run "$T/cfg.lua" 2>"$T/host.log" &
HOST_PID=$!
wait_for 'msg="tick"' 60 3
kill -HUP "$HOST_PID"
wait_for 'strategy reloaded' 30
port=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | sed 's/.*port=//')
curl -sf "http://127.0.0.1:$port/health" >/dev/null || fail "api health under valgrind"
curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^session_ticks ' || fail "api metrics under valgrind"
out=$(printf '%s\n' 'x = {1, 2, 3}' '#x' 'error("e")' 'for' | "$TH_BIN" repl "$T/th.sock" 2>/dev/null || true)
grep -q '^3$' <<<"$out" || fail "repl under valgrind: $out"
mkfifo "$T/in"
exec 3<>"$T/in" # the held client's stdin: open, so it waits for more input when the host stops
"$TH_BIN" repl "$T/th.sock" <"$T/in" >/dev/null 2>"$T/held.err" &
HELD=$!
echo 'state' >&3
wait_for 'repl: client attached' 30 2
kill -TERM "$HOST_PID"
wait_exit 60
wait "$HELD" || true
exec 3>&-
grep -q 'the host closed the connection' "$T/held.err" || fail "attached client was not told the host went away"
vg_clean "$T/vg.log" "$HOST_RC" "the host"
pass "start, tick, reload, API, REPL, SIGTERM with a client attached, under valgrind: $(vg_summary "$T/vg.log")"
