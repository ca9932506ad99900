#!/usr/bin/env bash
# test_redis_mirror.sh — the Redis mirror (storage.redis) against a real redis-server started here
# on its own port (issue 17): the host starts while Redis is not there yet (a refused connect is
# noticed and retried with back-off: the hiredis 0.14 poll-error fix), mirrors under the key scheme
# (multi:kraken:xmr-usd:session-456:orders ...), caches market snapshots with TTLs; Redis is killed
# mid-session (the host trades on, journal only, /health degraded) and restarted empty: the mirror
# catches up from the journal, and every order, fill and position is then checked key by key
# against `tradehost journal --json` (nothing lost, nothing duplicated).
source "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || fail "redis-server is not installed (tools/install-deps.sh installs it)"
command -v jq >/dev/null || fail "jq is not installed (tools/install-deps.sh installs it)"
CHECK="python3 $(dirname "$0")/redis_check.py"
SOCK="$T/th.sock"
RP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REDIS_PID=""
redis_start() {
  redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" >>"$T/redis.log" 2>&1 &
  REDIS_PID=$!
  for i in $(seq 50); do [ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.1; done
  fail "redis-server did not start on port $RP: $(tail -5 "$T/redis.log")"
}
redis_kill() { kill -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || [ $? = 137 ] || fail "redis-server did not die of SIGKILL"; REDIS_PID=""; }
# cleanup, not a check: a redis-server still running is killed and reaped whatever its status
trap 'if [ -n "$REDIS_PID" ]; then kill -9 "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null || :; fi; cleanup' EXIT
rcli() { redis-cli -p "$RP" "$@"; }
health_redis() { curl -s "http://127.0.0.1:$PORT/health" | jq -r '.stores[] | select(.name == "redis") | .state'; }

# Recorded pace (SPEED=1: 28 s of market data), so that fills still come late in the test.
SPEED=1 paper_mm_config "" 'api = { listen = "127.0.0.1:0" }, session = { name = "session-456" },'
sed -i "s|fsync = \"turn\" }|fsync = \"turn\", redis = { host = \"127.0.0.1\", port = $RP, connect_timeout_ms = 500 } }|" "$T/cfg.lua"
grep -q "redis = { host" "$T/cfg.lua" || fail "could not add storage.redis to the config"

# Redis is not there yet: refused connects are noticed and retried, the host trades regardless.
start_host run "$T/cfg.lua"
wait_for 'api: listening' 10
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | sed 's/.*port=//')
wait_for 'msg="stores" journal=.* redis="127.0.0.1:'"$RP"' \(mirror of the journal\)" postgres=off' 10
wait_for 'redis: connection lost: reconnecting.*refused' 10 2
[ "$(health_redis)" = connecting ] || fail "health while Redis is absent: $(curl -s "http://127.0.0.1:$PORT/health")"
[ "$(curl -s "http://127.0.0.1:$PORT/health" | jq .degraded)" = true ] || fail "not degraded without Redis"
pass "no Redis at start: refused connects retried with back-off ($(grep -c 'reconnecting' "$T/host.log") so far), /health degraded"

redis_start
wait_for 'redis: caught up from the journal' 10
for i in $(seq 40); do [ "$(health_redis)" = ok ] && break; sleep 0.1; done
[ "$(health_redis)" = ok ] || fail "health with Redis up: $(curl -s "http://127.0.0.1:$PORT/health")"
K=multi:kraken:xmr-usd:session-456
S=multi:kraken:session-456
for i in $(seq 40); do [ "$(rcli hlen $K:orders)" -gt 0 ] && break; sleep 0.1; done
[ "$(rcli exists $K:orders $S:config $S:risk_params $S:portfolio)" = 4 ] || fail "keys missing: $(rcli keys '*')"
[ "$(rcli hget $S:config strategy)" = multi ] && [ "$(rcli hget $S:config venue)" = kraken ] || fail "config: $(rcli hgetall $S:config)"
sleep 1.2
t=$(rcli ttl market:kraken:xmr-usd:ticker); b=$(rcli ttl market:kraken:xmr-usd:book)
[ "$t" -gt 50 ] && [ "$t" -le 60 ] && [ "$b" -gt 20 ] && [ "$b" -le 30 ] || fail "snapshot TTLs: ticker $t book $b"
[ "$(rcli get market:kraken:xmr-usd:book | jq '.bids | length')" -gt 0 ] || fail "no book snapshot"
pass "Redis up: caught up; $K:{orders,...} and $S:{config,portfolio,risk_params}; ticker TTL ${t}s (60), book ${b}s (30)"

fill_once XMR/USD buy 0.5
fill_once WAVES/EUR buy 20
for i in $(seq 100); do [ "$(rcli hlen $K:fills)" -ge 1 ] && break; sleep 0.1; done
[ "$(rcli hlen $K:fills)" -ge 1 ] || fail "a fill was not mirrored"
pass "fills mirrored: $K:fills has $(rcli hlen $K:fills)"

# Redis dies mid-session: the host trades on, journal only.
redis_kill
wait_for 'redis: down: journal only' 10
[ "$(health_redis)" = down ] || fail "health with Redis killed: $(curl -s "http://127.0.0.1:$PORT/health")"
fill_once XMR/USD sell 0.3
fill_once WAVES/EUR sell 10
fill_once XMR/USD buy 0.2
sleep 2
n=$(echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK")
[ "$n" -gt 0 ] || fail "the market maker stopped quoting while Redis was down"
pass "Redis killed: /health says down, the host trades on ($n orders open, fills while down)"

redis_start # empty: nothing of before survived
wait_for 'redis: caught up from the journal' 15 2
echo 'th.risk.kill("quiet for the check")' | "$TH_BIN" repl "$SOCK" >/dev/null
for i in $(seq 100); do [ "$(echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK")" = 0 ] && break; sleep 0.1; done
sleep 1 # the last records reach the journal, then the mirror
for i in $(seq 50); do
  [ "$(curl -s "http://127.0.0.1:$PORT/health" | jq '.stores[] | select(.name == "redis") | .journal_bytes_behind')" = 0 ] && break
  sleep 0.1
done
"$TH_BIN" journal "$T/j" --json >"$T/journal.json" || fail "tradehost journal failed"
out=$($CHECK "$RP" "$T/journal.json" multi:kraken session-456) || fail "redis differs from the journal: $out"
[ "$(jq '[.positions[].fills] | add' "$T/journal.json")" -ge 5 ] || fail "fewer fills in the journal than placed here: $out"
[ "$(rcli hget $S:risk_params halted)" = true ] || fail "the kill is not in risk_params"
pass "Redis restarted empty: caught up from the journal; key by key equal to the journal ($out)"

kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "host exited $HOST_RC"
grep -q 'redis: mirror time on the loop' "$T/host.log" || fail "no mirror timing at the stop"
rcli shutdown nosave >/dev/null 2>&1 || [ $? = 1 ] # the connection closes under redis-cli: it says so
wait "$REDIS_PID" || fail "redis-server did not shut down cleanly"
REDIS_PID=""
pass "graceful stop with the mirror on: $(grep -o 'redis: mirror time on the loop.*' "$T/host.log")"
