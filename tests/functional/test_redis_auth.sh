#!/usr/bin/env bash
# test_redis_auth.sh — storage.redis.password_env against a real redis-server started here with
# `requirepass` (issue 17, secrets from the environment only): an unset or empty variable refuses
# the start, naming the variable; a wrong password is refused by Redis and the host trades on
# (journal only, /health degraded with the reason, AUTH retried with back-off); the right one
# mirrors the session and the leases (their own connection, the same settings: redis_cfg.c) hold
# the pairs. The
# password never appears in the log, /health or /metrics.
source "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || fail "redis-server is not installed (tools/install-deps.sh installs it)"
command -v jq >/dev/null || fail "jq is not installed (tools/install-deps.sh installs it)"
PW="pw-$RANDOM$RANDOM-never-logged"
RP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" --requirepass "$PW" >"$T/redis.log" 2>&1 &
REDIS_PID=$!
# cleanup, not a check: the redis-server is killed and reaped whatever its status
trap 'kill -9 "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null || :; cleanup' EXIT
for i in $(seq 50); do [ "$(redis-cli -p "$RP" -a "$PW" --no-auth-warning ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(redis-cli -p "$RP" -a "$PW" --no-auth-warning ping)" = PONG ] || fail "redis-server did not start: $(tail -5 "$T/redis.log")"
rcli() { redis-cli -p "$RP" -a "$PW" --no-auth-warning "$@"; }
health() { curl -s "http://127.0.0.1:$PORT/health"; }
no_secret() { # the password in none of: the host log, /health, /metrics
  ! grep -qF -- "$PW" "$T/host.log" || fail "the password is in the host log ($1)"
  ! health | grep -qF -- "$PW" || fail "the password is in /health ($1)"
  ! curl -s "http://127.0.0.1:$PORT/metrics" | grep -qF -- "$PW" || fail "the password is in /metrics ($1)"
}

SPEED=1 paper_mm_config "" 'api = { listen = "127.0.0.1:0" }, session = { name = "session-77" },'
sed -i "s|fsync = \"turn\" }|fsync = \"turn\", redis = { host = \"127.0.0.1\", port = $RP, password_env = \"TH_TEST_REDIS_PW\", connect_timeout_ms = 500 } }|" "$T/cfg.lua"
grep -q "password_env = \"TH_TEST_REDIS_PW\"" "$T/cfg.lua" || fail "could not add storage.redis to the config"

for v in unset empty; do
  set +e
  if [ $v = unset ]; then out=$(env -u TH_TEST_REDIS_PW "$TH_BIN" run "$T/cfg.lua" --duration 1 2>&1); else out=$(TH_TEST_REDIS_PW= "$TH_BIN" run "$T/cfg.lua" --duration 1 2>&1); fi
  rc=$?; set -e
  [ "$rc" != 0 ] && grep -q 'storage.redis.password_env: the environment variable TH_TEST_REDIS_PW is not set or empty' <<<"$out" \
    || fail "an $v password_env was not refused by name (rc $rc): $out"
  rm -rf "$T/j"
done
pass "an unset or empty storage.redis.password_env refuses the start, naming the variable"

# A wrong password: Redis refuses AUTH, the host trades on with the journal only and retries.
TH_TEST_REDIS_PW="wrong-$PW" start_host run "$T/cfg.lua"
wait_for 'api: listening' 10
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | sed 's/.*port=//')
wait_for 'redis: AUTH refused' 10 2
st=$(health | jq -r '.stores[] | select(.name == "redis") | .state')
[ "$st" != ok ] && [ "$(health | jq .degraded)" = true ] || fail "health with a refused AUTH: $(health)"
health | jq -r '.stores[] | select(.name == "redis") | tostring' | grep -q 'AUTH refused' || fail "/health does not say why Redis is down: $(health)"
[ "$(rcli dbsize)" = 0 ] || fail "something was written with a wrong password: $(rcli keys '*')"
n=$(echo '#th.orders.open()' | "$TH_BIN" repl "$T/th.sock")
[ "$n" -gt 0 ] || fail "the host stopped quoting with Redis refusing AUTH ($n orders open)"
no_secret "wrong password"
grep -qF -- "wrong-$PW" "$T/host.log" && fail "the wrong password is in the host log"
kill -TERM "$HOST_PID"; wait_exit 20
pass "a wrong password: AUTH refused and retried ($(grep -c 'redis: AUTH refused' "$T/host.log") times), /health degraded with the reason, the host quoting ($n orders open)"
rm -rf "$T/j"

# The right one: the mirror writes the session under the key scheme, the leases (their own
# connection, the same settings) take the pairs.
sed -i 's|session = { name = "session-77" }|session = { name = "session-77", id_prefix = "ha" }|; s|connect_timeout_ms = 500 }|connect_timeout_ms = 500, leases = { host_id = "h1" } }|' "$T/cfg.lua"
grep -q 'leases = { host_id = "h1" }' "$T/cfg.lua" || fail "could not add storage.redis.leases to the config"
TH_TEST_REDIS_PW="$PW" start_host run "$T/cfg.lua"
wait_for 'api: listening' 10
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | sed 's/.*port=//')
wait_for 'redis: caught up from the journal' 10
S=multi:kraken:session-77
for i in $(seq 40); do [ "$(rcli hlen multi:kraken:xmr-usd:session-77:orders)" -gt 0 ] && break; sleep 0.1; done
[ "$(rcli exists multi:kraken:xmr-usd:session-77:orders $S:config $S:portfolio)" = 3 ] || fail "keys missing with the right password: $(rcli keys '*')"
[ "$(health | jq -r '.stores[] | select(.name == "redis") | .state')" = ok ] || fail "health with the right password: $(health)"
for i in $(seq 40); do [ "$(rcli get th:lease:sim:xmr-usd)" = h1 ] && break; sleep 0.1; done
[ "$(rcli get th:lease:sim:xmr-usd)" = h1 ] || fail "the leases did not take XMR/USD with the right password: $(rcli keys 'th:*')"
no_secret "right password"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "the host's graceful stop exited $HOST_RC"
pass "the right password: the mirror writes the session and the leases hold the pairs ($(rcli dbsize) keys), /health ok, the password in no log or endpoint"
