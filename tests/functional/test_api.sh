#!/usr/bin/env bash
# test_api.sh — the loopback HTTP API of a running paper host, with curl: health, Prometheus
# metrics (every line well-formed, refusals by reason present), the risk view; the kill switch
# pulled over HTTP (bearer token required, orders cancelled, new ones refused) and re-armed; no
# token configured -> changes refused; the token never in the log; bad listen addresses, a missing
# token variable and a port in use stop start-up with a clear message.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is not installed (tools/install-deps.sh installs it)"
SOCK="$T/th.sock" # the REPL of paper_mm_config with no name
export TH_TEST_API_TOKEN="tok-$RANDOM-$RANDOM-secret"

config() { paper_mm_config "${2:-}" "api = $1,"; } # config API_TABLE [NAME]: NAME gets its own journal and REPL socket
port() { grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | tail -1 | sed 's/.*port=//'; }
http() { # http METHOD PATH [curl args...]: prints "STATUS BODY"
  local m=$1 p=$2; shift 2
  curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "http://127.0.0.1:$PORT$p" >"$T/code" || fail "curl $m $p failed"
  echo "$(cat "$T/code") $(cat "$T/body")"
}

config '{ listen = "127.0.0.1:0", token_env = "TH_TEST_API_TOKEN" }'
start_host run "$T/cfg.lua"
wait_for 'api: listening' 10
wait_for 'order flow ready' 10
PORT=$(port)
[ -n "$PORT" ] && [ "$PORT" -gt 0 ] || fail "no port in the log"
out=$(http GET /health)
[[ "$out" == '200 {"ok":true,'*'"mode":"paper"'*'"order_flow":true,"halted":false,"degraded":false,'* ]] || fail "health: $out"
pass "GET /health on 127.0.0.1:$PORT"

sleep 1 # some ticks and refusals to count
curl -s "http://127.0.0.1:$PORT/metrics" >"$T/metrics" || fail "metrics"
grep -q '^# TYPE risk_refused_total counter$' "$T/metrics" || fail "no risk_refused_total family"
grep -Eq '^risk_refused_total\{reason="halted"\} [0-9]' "$T/metrics" || fail "no refusal counter by reason"
grep -Eq '^strategy_callback_ns\{strategy="market_maker",quantile="0.99"\} [0-9]+$' "$T/metrics" || fail "no callback latency summary"
grep -Eq '^session_ticks [1-9][0-9]*$' "$T/metrics" || fail "no ticks counted"
grep -Eq '^api_events_dropped_total\{reason="slow_reader"\} 0$' "$T/metrics" || fail "no events drop counter by reason"
bad=$(grep -vE '^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|summary)$|^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9][0-9.e+-]*$' "$T/metrics" || true)
[ -z "$bad" ] || fail "malformed Prometheus lines: $bad"
dup=$(grep '^# TYPE' "$T/metrics" | sort | uniq -d)
[ -z "$dup" ] || fail "a family typed twice: $dup"
pass "GET /metrics: $(grep -vc '^#' "$T/metrics") samples, every line well-formed Prometheus text"

out=$(http GET /risk)
[[ "$out" == '200 {"halted":false,'* ]] || fail "risk: $out"
out=$(http GET /nowhere); [[ "$out" == '404 '*'no such endpoint'* ]] || fail "404: $out"
out=$(http POST /risk/kill); [[ "$out" == '401 '*'bearer token'* ]] || fail "kill without a token: $out"
out=$(http POST /risk/kill -H "Authorization: Bearer wrong"); [[ "$out" == '401 '* ]] || fail "kill with a wrong token: $out"
out=$(http POST /risk/kill -H "Authorization: Bearer ${TH_TEST_API_TOKEN}x"); [[ "$out" == '401 '* ]] || fail "kill with a longer token: $out"
out=$(http GET /risk/kill -H "Authorization: Bearer $TH_TEST_API_TOKEN"); [[ "$out" == '405 '* ]] || fail "GET must not kill: $out"
out=$(http GET /risk); [[ "$out" == '200 {"halted":false,'* ]] || fail "a refused request changed something: $out"
pass "unknown paths 404, GET on a POST endpoint 405; a kill without the right token is refused (401) and changes nothing"

live=$(echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK")
[ "$live" -gt 0 ] || fail "no live orders before the kill"
# paper balances: the paper account's (the engine's), what the resting quotes hold included
out=$(http GET /balances); [[ "$out" == '200 {"known":true,"source":"paper","balances":{'*'"USD":{"total":"'* ]] || fail "GET /balances: $out"
out=$(echo 'local b = th.balance("USD") return b.source .. " " .. tostring(b.held > 0 and math.abs(b.available - (b.total - b.held)) < 1e-3)' | "$TH_BIN" repl "$SOCK")
[ "$out" = '"paper true"' ] || fail "th.balance(\"USD\") on paper: $out"
pass "GET /balances and th.balance on paper: the paper account, held by the resting quotes"
out=$(http POST '/risk/kill?reason=operator' -H "Authorization: Bearer $TH_TEST_API_TOKEN")
[[ "$out" == '200 {"halted":true,"halt_code":"halted","halt_reason":"api: operator"'* ]] || fail "kill: $out"
wait_for 'kill switch pulled.*api: operator' 5
for i in $(seq 50); do
  n=$(echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK"); [ "$n" = 0 ] && break; sleep 0.1
done
[ "$n" = 0 ] || fail "$n orders still open after the API kill"
out=$(echo 'th.orders.place{ symbol = "XMR/USD", side = "buy", price = 300, size = 0.5 }' | "$TH_BIN" repl "$SOCK")
[ "$out" = $'nil\t"halted"' ] || fail "a new order after the kill: $out"
out=$(http GET /health); [[ "$out" == *'"halted":true,'* ]] || fail "health after kill: $out"
out=$(http POST /risk/rearm -H "Authorization: Bearer $TH_TEST_API_TOKEN")
[[ "$out" == '200 {"halted":false,'* ]] || fail "rearm: $out"
pass "POST /risk/kill: $live open orders cancelled, new ones refused; POST /risk/rearm re-arms"

grep -q "$TH_TEST_API_TOKEN" "$T/host.log" && fail "the token appears in the log"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "host exited $HOST_RC"
pass "the token never appears in the log; graceful stop with the API open"

# No token configured: reads work, changes are refused.
config '{ listen = "localhost:0" }'
start_host run "$T/cfg.lua"
wait_for 'api: listening.*changes=refused' 10
PORT=$(port)
out=$(http POST /risk/kill -H "Authorization: Bearer anything"); [[ "$out" == '403 '*'api.token_env or api.token_file'* ]] || fail "no token_env: $out"
out=$(http GET /health); [[ "$out" == '200 '* ]] || fail "health without a token: $out"
pass "without api.token_env: reads answered, changes refused (403)"

# A port in use (the host above still holds it), a token variable that is not set, a public address.
config "{ listen = \"127.0.0.1:$PORT\" }" second
set +e; "$TH_BIN" run "$T/cfg.lua" --duration 1 2>"$T/e1"; rc1=$?; set -e
kill -TERM "$HOST_PID"; wait_exit 20
config '{ listen = "127.0.0.1:0", token_env = "TH_TEST_NOT_SET" }' second
set +e; env -u TH_TEST_NOT_SET "$TH_BIN" run "$T/cfg.lua" --duration 1 2>"$T/e2"; rc2=$?; set -e
config '{ listen = "0.0.0.0:8080" }' second
set +e; "$TH_BIN" run "$T/cfg.lua" --duration 1 2>"$T/e3"; rc3=$?; set -e
[ "$rc1" = 2 ] && grep -q "cannot listen" "$T/e1" || fail "port in use: rc $rc1: $(cat "$T/e1")"
[ "$rc2" = 2 ] && grep -q "TH_TEST_NOT_SET is not set" "$T/e2" || fail "missing token variable: rc $rc2: $(cat "$T/e2")"
[ "$rc3" = 2 ] && grep -q "api.listen: 0.0.0.0 is not a loopback address" "$T/e3" || fail "public address: rc $rc3: $(cat "$T/e3")"
pass "port in use, unset token variable, non-loopback address: each stops start-up (exit 2) naming the problem"
