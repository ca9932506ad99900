#!/usr/bin/env bash
# test_lease_reload.sh — pairs changed by a config reload (SIGHUP) with Redis leases on (issue 17,
# docs/ops.md "Running several hosts"), against a real redis-server on its own port: a pair the
# reload adds is leased like the start's pairs (its key holds this host's id, the pair is quoted,
# no no_lease refusals); a pair the reload removes has its orders cancelled and its lease handed
# back (the key deleted, so another host can take it at once); the stop releases the rest.
source "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || fail "redis-server is not installed (tools/install-deps.sh installs it)"
RP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REDIS_PID=""
trap 'if [ -n "$REDIS_PID" ]; then kill -9 "$REDIS_PID" 2>/dev/null || :; wait "$REDIS_PID" 2>/dev/null || :; fi; cleanup' EXIT
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" >"$T/redis.log" 2>&1 &
REDIS_PID=$!
for i in $(seq 50); do [ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] || fail "redis-server did not start on port $RP"
SOCK="$T/th.sock"
repl() { echo "$1" | "$TH_BIN" repl "$SOCK"; }
rkey() { redis-cli -p "$RP" get "th:lease:sim:$1"; }
open_on() { repl "local n = 0 for _, o in ipairs(th.orders.open()) do if o.symbol == \"$1\" then n = n + 1 end end return n"; }
# wait_until SECS 'CONDITION': until the condition (evaluated afresh each time) holds
wait_until() { local s=$1 i; for i in $(seq $(($1 * 10))); do eval "$2" && return 0; sleep 0.1; done; return 1; }

SPEED=1 paper_mm_config "" 'session = { id_prefix = "ha" },'
sed -i "s|fsync = \"turn\" }|fsync = \"turn\", redis = { host = \"127.0.0.1\", port = $RP, connect_timeout_ms = 300, leases = { host_id = \"host-r\", ttl_ms = 1500 } } }|" "$T/cfg.lua"
grep -q 'host_id = "host-r"' "$T/cfg.lua" || fail "could not add storage.redis.leases to the config"
start_host run "$T/cfg.lua"
wait_for 'lease: acquired: quoting the pair' 10 2
[ "$(rkey xmr-usd)" = host-r ] && [ "$(rkey waves-eur)" = host-r ] || fail "the start's leases: xmr-usd=$(rkey xmr-usd) waves-eur=$(rkey waves-eur)"
[ -z "$(rkey sc-eur)" ] || fail "a lease on SC/EUR before it was configured"
pass "the start's pairs leased (th:lease:sim:xmr-usd, waves-eur = host-r)"

# The reload adds SC/EUR.
sed -i 's|{ symbol = "WAVES/EUR", size = 20 } }|{ symbol = "WAVES/EUR", size = 20 }, { symbol = "SC/EUR", size = 5000 } }|' "$T/cfg.lua"
grep -q 'SC/EUR' "$T/cfg.lua" || fail "the test's edit (add SC/EUR) did not apply"
kill -HUP "$HOST_PID"
wait_for 'msg="reload applied"' 10
wait_until 10 '[ "$(rkey sc-eur)" = host-r ]' || fail "the pair the reload added is not leased: th:lease:sim:sc-eur=$(rkey sc-eur)"
wait_until 10 '[ "$(open_on SC/EUR)" -gt 0 ]' || fail "the added pair is not quoted: $(open_on SC/EUR) open, refusals: $(repl 'return th.risk.status and th.risk.status() or ""')"
[ "$(redis-cli -p "$RP" pttl th:lease:sim:sc-eur)" -gt 0 ] || fail "the added pair's lease has no expiry"
sleep 1.6 # past one ttl: renewed, not lost
[ "$(rkey sc-eur)" = host-r ] && [ "$(open_on SC/EUR)" -gt 0 ] || fail "the added pair's lease was not renewed"
[ "$(grep -c 'lease: lost' "$T/host.log" || true)" = 0 ] || fail "a lease was lost: $(grep 'lease: lost' "$T/host.log")"
pass "a pair added by SIGHUP is leased like the start's (th:lease:sim:sc-eur = host-r, renewed) and quoted ($(open_on SC/EUR) orders)"

# The reload removes WAVES/EUR: its orders cancelled, its lease handed back.
sed -i 's|{ symbol = "WAVES/EUR", size = 20 }, ||' "$T/cfg.lua"
grep -q 'WAVES/EUR' "$T/cfg.lua" && fail "the test's edit (remove WAVES/EUR) did not apply"
kill -HUP "$HOST_PID"
wait_for 'msg="reload applied"' 10 2
wait_until 10 '[ -z "$(rkey waves-eur)" ]' || fail "the pair the reload removed is still leased: th:lease:sim:waves-eur=$(rkey waves-eur)"
[ "$(open_on WAVES/EUR)" = 0 ] || fail "orders left on the removed pair: $(open_on WAVES/EUR)"
grep -q 'lease: handed back.*symbol=WAVES/EUR' "$T/host.log" || fail "no hand-back logged for WAVES/EUR"
[ "$(rkey xmr-usd)" = host-r ] && [ "$(rkey sc-eur)" = host-r ] || fail "the other leases: xmr-usd=$(rkey xmr-usd) sc-eur=$(rkey sc-eur)"
pass "a pair removed by SIGHUP: its orders cancelled and its lease deleted (another host can take it at once)"

kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "host exited $HOST_RC"
[ -z "$(rkey xmr-usd)$(rkey sc-eur)" ] || fail "leases left after the stop: $(redis-cli -p "$RP" keys 'th:lease:*')"
pass "graceful stop: exit 0, every lease released"
