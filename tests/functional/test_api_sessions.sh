#!/usr/bin/env bash
# test_api_sessions.sh — the session endpoints of the HTTP API and its /events websocket, against
# a running paper market maker (issue 17): a session held by session.start = "api" and started over
# HTTP; status, performance statistics, per-venue/book/store health; reload (the SIGHUP path, good
# and refused); kill and re-arm seen on the stream; a settlement with its summary file; the
# graceful stop over HTTP. Every error code: 400 (malformed JSON, unknown field, wrong type) with a
# message, 401 (no or wrong token), 404, 405, 409 (start while running, a second settlement),
# 413 (a body over 4 KiB), 422 (a reload the strategy refuses), 426 (/events without upgrade).
# The token comes from a 0600 file; a file others can read is refused at start. The stream is
# read by a websocket client (api_probe.py, RFC 6455 on raw sockets): every message one JSON
# object of a known type, fills on it matching the statistics.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is not installed (tools/install-deps.sh installs it)"
command -v jq >/dev/null || fail "jq is not installed (tools/install-deps.sh installs it)"
PROBE="python3 $(dirname "$0")/api_probe.py"
SOCK="$T/th.sock"
TOKEN="tok-$RANDOM-$RANDOM-file"
printf '%s\n' "$TOKEN" >"$T/token"
chmod 644 "$T/token"
cp "$TH_HOME/strategies/market_maker.lua" "$T/mm.lua"

config() { # config [EXTRA]: the paper market maker at recorded pace (28 s of data: fills still come in a slow run), strategy code from $T/mm.lua, held for the API
  SPEED=1 paper_mm_config "" "api = { listen = \"127.0.0.1:0\", token_file = \"$T/token\", status_every_s = 0.2 },
  ${1:-}"
  sed -i "s|strategy = { name = \"market_maker\",|strategy = { name = \"market_maker\", module = \"$T/mm.lua\",|" "$T/cfg.lua"
}
http() { # http METHOD PATH [curl args...]: prints "STATUS BODY"
  local m=$1 p=$2; shift 2
  curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "http://127.0.0.1:$PORT$p" >"$T/code" || fail "curl $m $p failed"
  echo "$(cat "$T/code") $(cat "$T/body")"
}
auth=(-H "Authorization: Bearer $TOKEN")

# A token file others can read is refused, naming the file and the fix.
config 'session = { start = "api", name = "session-456" },'
set +e; "$TH_BIN" run "$T/cfg.lua" --duration 1 2>"$T/e1"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q "api.token_file $T/token: readable by group or others (mode 0644): chmod 600 it" "$T/e1" ||
  fail "a 0644 token file: rc $rc: $(cat "$T/e1")"
[ -z "$(ls "$T/j" 2>/dev/null)" ] || fail "a refused start left a journal: $(ls "$T/j")"
pass "a token file readable by others stops start-up (exit 2) with the fix named"

chmod 600 "$T/token"
start_host run "$T/cfg.lua"
wait_for 'session held: waiting for POST /sessions/start' 10
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | sed 's/.*port=//')
grep -q 'changes=token_file' "$T/host.log" || fail "the start line does not say where the token comes from"
out=$(http GET /sessions/status)
[ "$(jq -r '.state + " " + .session' "$T/body")" = "configured session-456" ] || fail "held status: $out"
[ "$(jq -r '.books[0].state // .venues[0].state' <(curl -s "http://127.0.0.1:$PORT/health"))" = waiting_for_start ] ||
  fail "health while held: $(curl -s "http://127.0.0.1:$PORT/health")"
n=$(echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK")
[ "$n" = 0 ] || fail "a held session quotes: $n orders"
pass "session.start = \"api\": held (status configured, market data waiting, no orders) until started"

# The event stream, from before the start to the stop.
$PROBE "$PORT" events 60 "$T/events" >"$T/events.out" 2>&1 &
EV_PID=$!
sleep 0.5

# Error codes on the start endpoint, before it succeeds: nothing of these starts the session.
out=$(http POST /sessions/start); [[ "$out" == '401 {"error":"missing or wrong bearer token"}' ]] || fail "no token: $out"
out=$(http POST /sessions/start -H "Authorization: Bearer x$TOKEN"); [[ "$out" == '401 '* ]] || fail "wrong token: $out"
out=$(http POST /sessions/start -H "Authorization: Basic $TOKEN"); [[ "$out" == '401 '* ]] || fail "not a bearer token: $out"
out=$(http POST /sessions/start "${auth[@]}" -d '{"duration_s": 60,}')
[[ "$out" == '400 {"error":"invalid JSON at byte 18: expected a string key in an object"}' ]] || fail "malformed JSON: $out"
out=$(http POST /sessions/start "${auth[@]}" -d '{"duration":60}')
[[ "$out" == '400 {"error":"unknown field \"duration\" (this endpoint takes: duration_s)"}' ]] || fail "unknown field: $out"
out=$(http POST /sessions/start "${auth[@]}" -d '{"duration_s":"60"}')
[[ "$out" == '400 {"error":"field \"duration_s\": expected a number >= 0"}' ]] || fail "wrong type: $out"
out=$(http POST /sessions/start "${auth[@]}" -d '[60]')
[[ "$out" == '400 {"error":"the body must be a JSON object"}' ]] || fail "an array body: $out"
big=$(head -c 5000 /dev/zero | tr '\0' ' ')
out=$(http POST /sessions/start "${auth[@]}" --data-binary "{\"duration_s\":1$big}")
[[ "$out" == '413 {"error":"request body of 5016 bytes: the limit is 4096"}' ]] || fail "a 5 KB body: $out"
out=$(http GET /sessions/start "${auth[@]}"); [[ "$out" == '405 {"error":"/sessions/start takes POST only"}' ]] || fail "GET start: $out"
out=$(http POST /sessions/status "${auth[@]}"); [[ "$out" == '405 '* ]] || fail "POST status: $out"
out=$(http GET /sessions/nowhere); [[ "$out" == '404 {"error":"no such endpoint","endpoints":['*'"POST /settlement/trigger"]}' ]] || fail "404: $out"
out=$(http GET /events); [[ "$out" == '426 '*websocket* ]] || fail "/events without upgrade: $out"
[ "$(jq -r .state <(curl -s "http://127.0.0.1:$PORT/sessions/status"))" = configured ] || fail "a refused start started"
pass "400 (malformed JSON at byte 18, unknown field, wrong type, not an object), 401, 404, 405, 413, 426: each with a message, nothing started"

out=$(http POST /sessions/start "${auth[@]}" -d '{"duration_s": 60}')
[[ "$out" == '200 '* ]] && [ "$(jq -r '.state + " " + (.duration_s|tostring)' "$T/body")" = "running 60" ] || fail "start: $out"
wait_for 'POST /sessions/start: starting the session' 5
wait_for 'market_maker started' 5
out=$(http POST /sessions/start "${auth[@]}"); [[ "$out" == '409 {"error":"the session is already running'* ]] || fail "second start: $out"
for i in $(seq 50); do n=$(echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK"); [ "$n" -gt 0 ] && break; sleep 0.1; done
[ "$n" -gt 0 ] || fail "no orders after the start"
pass "POST /sessions/start: running with the given duration, quoting ($n orders); a second start is 409"

h=$(curl -s "http://127.0.0.1:$PORT/health")
[ "$(jq -r '[.ok, .degraded, (.venues|map(.role + ":" + .state)|join(",")), (.books|map(.symbol + ":" + .health)|join(",")), (.stores|map(.name + ":" + .state)|join(","))]|join(" ")' <<<"$h")" = \
  "true false market_data:replaying,orders:connected WAVES/EUR:ok,XMR/USD:ok journal:ok" ] || fail "health: $h"
pass "/health: venues (market data replaying, orders connected), books (ok), stores (journal ok)"

# A marketable buy fills against the recorded book: the fill shows on the stream and in the stats.
out=$(echo 'local _, _, ask = th.book("XMR/USD"):best() return th.orders.place{ symbol = "XMR/USD", side = "buy", price = math.floor(ask * 1.002 * 100) / 100, size = 0.5, tag = "probe" }' | "$TH_BIN" repl "$SOCK")
[[ "$out" == \"th* ]] || fail "the probe order was refused: $out"
for i in $(seq 100); do
  f=$(curl -s "http://127.0.0.1:$PORT/performance/stats" | jq '.pairs[] | select(.symbol == "XMR/USD") | .session_fills')
  [ "$f" -gt 0 ] && break; sleep 0.1
done
[ "$f" -gt 0 ] || fail "the marketable order never filled"
curl -s "http://127.0.0.1:$PORT/performance/stats" >"$T/stats"
jq -e '.pairs | length == 2 and all(has("pnl") and has("fees") and has("volume_quote") and has("fills") and has("fill_ratio") and has("max_drawdown"))' "$T/stats" >/dev/null ||
  fail "stats lack a field: $(cat "$T/stats")"
pos=$(jq '.pairs[] | select(.symbol == "XMR/USD") | .position' "$T/stats")
[ "$(echo 'return th.position("XMR/USD").qty' | "$TH_BIN" repl "$SOCK")" = "$pos" ] || fail "stats position $pos differs from th.position"
pass "GET /performance/stats: both pairs, every figure; XMR/USD position $pos as th.position says"

out=$(http POST /reload "${auth[@]}"); [[ "$out" == '200 {"ok":true,"changed":'* ]] || fail "reload: $out"
echo 'this is not lua (' >>"$T/mm.lua"
out=$(http POST /reload "${auth[@]}")
[[ "$out" == '422 {"ok":false,"error":"'*"mm.lua"*'"detail":"nothing changed: the old config and code keep running"}' ]] || fail "a broken reload: $out"
cp "$TH_HOME/strategies/market_maker.lua" "$T/mm.lua"
kill -HUP "$HOST_PID"
wait_for 'strategy reloaded.*reloads=2' 5
pass "POST /reload: 200 with what changed, then 422 naming the broken file (nothing changed); SIGHUP takes the same path (th_session_reload)"

out=$(http POST /risk/kill "${auth[@]}" -d '{"reason":"from the test"}')
[[ "$out" == '200 {"halted":true,"halt_code":"halted","halt_reason":"api: from the test"'* ]] || fail "kill with a JSON reason: $out"
sleep 0.3
out=$(http POST /risk/rearm "${auth[@]}"); [[ "$out" == '200 {"halted":false,'* ]] || fail "rearm: $out"
sleep 0.5

out=$(http POST /settlement/trigger "${auth[@]}" -d '{"cancel_leftovers": "yes"}')
[[ "$out" == '400 {"error":"field \"cancel_leftovers\": expected true or false"}' ]] || fail "settle, wrong type: $out"
out=$(http POST /settlement/trigger "${auth[@]}" -d '{"cancel_leftovers": true}')
[[ "$out" == '202 '* ]] || fail "settle: $out"
file=$(jq -r .file "$T/body")
out2=$(http POST /settlement/trigger "${auth[@]}")
# 409 while the first runs; a 202 only if the first had finished before this second one came. The
# host logs "settlement triggered" before it answers, so the log's order says which happened (a
# count of "done" lines taken before the request raced the first settlement's end).
first_done_before_second=$(awk '/settlement triggered/ { t++; if (t == 2) { print (d > 0) ? "yes" : "no"; exit } } /settlement done/ { d++ }' "$T/host.log")
[[ "$out2" == '409 {"error":"a settlement or reconciliation is already running"}' || ( "$out2" == '202 '* && "$first_done_before_second" == yes ) ]] ||
  fail "a second settlement while one runs: $out2"
wait_for 'settlement done: summary written' 10
# the leftovers' cancels go out once the venue has answered the reconciliation, each once: sent
# while its open-orders request was out, every one was re-sent and refused as an unknown order
grep -q 'cancel failed' "$T/host.log" && fail "a settlement's cancel was refused: $(grep 'cancel failed' "$T/host.log" | head -3)"
[ "$(stat -c %a "$file")" = 600 ] || fail "summary file mode $(stat -c %a "$file")"
[ "$(jq -r '.type + " " + .session' "$file")" = "settlement session-456" ] || fail "summary: $(cat "$file")"
[ "$(jq '.positions[] | select(.symbol == "XMR/USD") | .position' "$file")" = "$pos" ] || fail "summary position differs: $(cat "$file")"
pass "POST /settlement/trigger: 400 on a bad body, 202, reconciled, leftovers cancelled, summary $(basename "$file") (0600) with the position"

out=$(http POST /sessions/stop "${auth[@]}")
[[ "$out" == '202 {"state":"stopping"'* ]] || fail "stop: $out"
wait_exit 20
[ "$HOST_RC" = 0 ] || fail "host exited $HOST_RC after POST /sessions/stop"
grep -q 'msg="stopping" reason=POST /sessions/stop' "$T/host.log" || fail "no stop reason in the log"
grep -q 'every order is cancelled' "$T/host.log" || fail "orders not cancelled at the API stop"
wait "$EV_PID" || fail "the events client failed: $(cat "$T/events.out")"
pass "POST /sessions/stop: 202, then the graceful stop (orders cancelled), exit 0"

# What the websocket client saw.
ev=$(cat "$T/events.out")
[[ "$ev" == "first=hello bad=0 closed="* ]] || fail "events client: $ev"
for t in order fill risk reload status settlement; do
  [ "$(jq -r --arg t "$t" 'select(.type == $t) | .type' "$T/events" | head -1)" = "$t" ] || fail "no $t event on the stream: $ev"
done
[ "$(jq -r 'select(.type != "hello") | .session' "$T/events" | sort -u)" = session-456 ] || fail "events name another session"
[ "$(jq -r 'select(.type == "reload") | .source + ":" + (.ok|tostring)' "$T/events" | tr '\n' ' ')" = "api:true api:false SIGHUP:true " ] ||
  fail "reload events: $(jq -c 'select(.type == "reload")' "$T/events")"
[ "$(jq -r 'select(.type == "risk") | .event + ":" + .reason' "$T/events" | head -2 | tr '\n' ' ')" = "halted:api: from the test rearmed: " ] ||
  fail "risk events: $(jq -c 'select(.type == "risk")' "$T/events")"
sum=$(jq -s 'map(select(.type == "fill" and .symbol == "XMR/USD") | .price * .size) | add' "$T/events")
vol=$(jq '.pairs[] | select(.symbol == "XMR/USD") | .volume_quote' "$T/stats")
awk -v a="$sum" -v b="$vol" 'BEGIN { exit !(a - b < 1e-6 && b - a < 1e-6) }' || fail "fills on the stream sum to $sum, the stats say $vol"
[ "$(jq -r 'select(.type == "fill" and .tag == "probe") | .side + " " + (.size|tostring)' "$T/events")" = "buy 0.5" ] || fail "the probe's fill is not on the stream"
pass "/events: $(wc -l <"$T/events") messages, hello first, every one JSON of a known type (${ev#*closed=}); fills sum to the stats' volume"
