#!/usr/bin/env bash
# test_pg_api.sh — GET /performance/stats answered from the PostgreSQL history (issue 17), against a
# real PostgreSQL started here (pg_lib.sh: its own directory and socket): the answer is deferred
# (the loop never waits for PostgreSQL; the request is answered when PostgreSQL has answered) and
# holds the figures `tradehost report --session` prints; a past session by ?session=ID; the
# process's own figures by ?source=process; bad names 400, unknown sessions 404. PostgreSQL frozen
# (SIGSTOP): requests answered 503 after storage.postgres.query_timeout_ms, clients that hang up
# before the answer are forgotten (no crash when it comes: the ASan suite runs this too), the host
# trades on. PostgreSQL stopped: 503 at once naming why, the host trades on; back: 200 again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
command -v jq >/dev/null || fail "jq is not installed (tools/install-deps.sh installs it)"
SOCK="$T/th.sock"
FROZEN=""
thaw() { [ -n "$FROZEN" ] && kill -CONT $FROZEN 2>/dev/null; FROZEN=""; }
trap 'thaw; pg_cleanup; cleanup' EXIT
pg_init "$T/pg"
pg_start
export TH_TEST_PG="$PG_CONNINFO connect_timeout=2"
repl() { echo "$1" | "$TH_BIN" repl "$SOCK"; }
# get PATH: the status code on the first line, the body on the second
get() { curl -s -m "${2:-10}" -w '\n%{http_code}\n' "http://127.0.0.1:$PORT$1" | tac; }
trading() { # the market maker quotes and the loop answers: open orders > 0
  local n; n=$(repl '#th.orders.open()'); [ "$n" -gt 0 ] || fail "the host stopped quoting ($n orders open) $1"
}

# A past session first (session-900, ended), then the running one (session-901).
SPEED=1 paper_mm_config "" 'api = { listen = "127.0.0.1:0" }, session = { name = "session-900" },'
sed -i 's|fsync = "turn" }|fsync = "turn", postgres = { conninfo_env = "TH_TEST_PG", query_timeout_ms = 1500 } }|' "$T/cfg.lua"
grep -q 'query_timeout_ms = 1500' "$T/cfg.lua" || fail "could not add storage.postgres to the config"
start_host run "$T/cfg.lua" --duration 3
wait_exit 30
[ "$HOST_RC" = 0 ] || fail "the first session exited $HOST_RC"
[ "$(pgq "SELECT count(*) FROM sessions WHERE session_id = 'session-900' AND ended_at IS NOT NULL")" = 1 ] ||
  fail "session-900 not in the history: $(pgq 'SELECT journal, session_id, ended_at FROM sessions')"
rm -rf "$T/j"
sed -i 's|session-900|session-901|' "$T/cfg.lua"
start_host run "$T/cfg.lua"
wait_for 'api: listening' 10
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | sed 's/.*port=//')
wait_for 'postgres: caught up from the journal' 15
fill_once XMR/USD buy 0.5
fill_once WAVES/EUR buy 20
repl 'th.risk.kill("quiet for the comparison")' >/dev/null
for i in $(seq 100); do [ "$(repl '#th.orders.open()')" = 0 ] && break; sleep 0.1; done
sleep 1.5 # the last records reach the journal, then PostgreSQL
out=$(get /performance/stats)
[ "$(head -1 <<<"$out")" = 200 ] || fail "GET /performance/stats: $out"
tail -n +2 <<<"$out" >"$T/api.json"
jq -e '.source == "postgres" and .session == "session-901" and (.journals | length) == 1 and (.pairs | length) == 2' "$T/api.json" >/dev/null ||
  fail "GET /performance/stats is not the PostgreSQL history of session-901: $(cat "$T/api.json")"
TH_PG="$PG_CONNINFO" "$TH_BIN" report --session session-901 --json >"$T/report.json" || fail "report --session failed"
pick='[.pairs[] | {symbol, fills, orders, orders_filled, volume, fees, position, realised}]'
[ "$(jq -c "$pick" "$T/api.json")" = "$(jq -c "$pick" "$T/report.json")" ] ||
  fail "the API and report --session differ: $(jq -c "$pick" "$T/api.json") vs $(jq -c "$pick" "$T/report.json")"
for sym in XMR/USD WAVES/EUR; do
  want=$(pgq "SELECT count(*) FROM fills f JOIN sessions s USING (journal) WHERE s.session_id = 'session-901' AND symbol = '$sym'")
  got=$(jq --arg s "$sym" '.pairs[] | select(.symbol == $s) | .fills' "$T/api.json")
  [ "$want" -ge 1 ] && [ "$got" = "$want" ] || fail "$sym: fills $got in the API, $want in PostgreSQL"
done
repl 'th.risk.rearm()' >/dev/null
pass "GET /performance/stats from PostgreSQL: session-901, per pair the figures of report --session ($(jq -c '[.pairs[] | .fills]' "$T/api.json") fills)"

out=$(get '/performance/stats?session=session-900')
[ "$(head -1 <<<"$out")" = 200 ] && tail -n +2 <<<"$out" | jq -e '.session == "session-900" and (.journals[0].ended | length) > 0' >/dev/null ||
  fail "a past session: $out"
out=$(get '/performance/stats?source=process')
[ "$(head -1 <<<"$out")" = 200 ] && tail -n +2 <<<"$out" | jq -e '.totals and (.source | test("this process"))' >/dev/null ||
  fail "?source=process: $out"
out=$(get '/performance/stats?session=no-such-session')
[ "$(head -1 <<<"$out")" = 404 ] && grep -q 'no session no-such-session in the PostgreSQL history' <<<"$out" || fail "unknown session: $out"
out=$(get "/performance/stats?session=x%27%3Bdrop%20table%20fills")
[ "$(head -1 <<<"$out")" = 400 ] && tail -n +2 <<<"$out" | jq -e '.error | test("a session name is 1 to 63 characters")' >/dev/null ||
  fail "a session name with SQL in it: $out"
out=$(get '/performance/stats?source=journal')
[ "$(head -1 <<<"$out")" = 400 ] && grep -q 'source: postgres or process' <<<"$out" || fail "?source=journal: $out"
[ "$(pgq 'SELECT count(*) FROM fills')" -ge 2 ] || fail "the fills table is gone"
pass "?session=session-900 (a past session), ?source=process (this process), unknown session 404, a hostile name 400, a bad source 400"

# PostgreSQL frozen (every process of this test's server stopped): the requests wait, are answered
# 503 after query_timeout_ms (1.5 s), or at once while a query has waited that long already.
# Clients that hang up first are forgotten. The host trades on.
PM=$(head -1 "$PG_DIR/data/postmaster.pid")
FROZEN="$PM $(pgrep -P "$PM" | tr '\n' ' ')"
kill -STOP $FROZEN
for i in 1 2 3; do curl -s -m 0.3 "http://127.0.0.1:$PORT/performance/stats" >/dev/null && fail "answered while PostgreSQL is frozen"; done
t0=$(date +%s%N)
out=$(get /performance/stats)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$(head -1 <<<"$out")" = 503 ] && tail -n +2 <<<"$out" | jq -e '.error | test("PostgreSQL")' >/dev/null || fail "frozen PostgreSQL: $out"
why=$(tail -n +2 <<<"$out" | jq -r .error)
[ "$ms" -lt 4000 ] || fail "frozen PostgreSQL: answered after $ms ms (query_timeout_ms is 1500)"
trading "while PostgreSQL is frozen"
curl -s -m 5 "http://127.0.0.1:$PORT/health" | jq -e '.ok' >/dev/null || fail "/health while PostgreSQL is frozen"
for i in 1 2 3; do curl -s -m 0.05 "http://127.0.0.1:$PORT/performance/stats" >/dev/null || :; done
thaw
for i in $(seq 50); do out=$(get /performance/stats); [ "$(head -1 <<<"$out")" = 200 ] && break; sleep 0.2; done
[ "$(head -1 <<<"$out")" = 200 ] || fail "PostgreSQL thawed: $out"
kill -0 "$HOST_PID" || fail "the host died"
gone=$(curl -s "http://127.0.0.1:$PORT/metrics" | grep '^api_postgres_reads_total{result="client_gone"}' | awk '{print $2}')
[ "${gone%.*}" -ge 3 ] || fail "clients that hung up: $gone counted: $(curl -s "http://127.0.0.1:$PORT/metrics" | grep api_postgres)"
pass "PostgreSQL frozen: 503 in $ms ms ($why), $gone clients that hung up forgotten, trading on, 200 once it answers"

# PostgreSQL stopped: 503 at once with the reason; the host trades on; back: 200 again.
pg_stop
wait_for 'postgres: down: journal only' 10
t0=$(date +%s%N)
out=$(get /performance/stats)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$(head -1 <<<"$out")" = 503 ] && tail -n +2 <<<"$out" | jq -e '.error | test("PostgreSQL is unavailable: .+")' >/dev/null ||
  fail "PostgreSQL stopped: $out"
[ "$ms" -lt 3000 ] || fail "PostgreSQL stopped: the 503 took $ms ms (the message says it did not wait for query_timeout_ms)"
why=$(tail -n +2 <<<"$out" | jq -r .error)
trading "while PostgreSQL is stopped"
fill_once XMR/USD sell 0.3
pg_start
for i in $(seq 100); do out=$(get /performance/stats); [ "$(head -1 <<<"$out")" = 200 ] && break; sleep 0.1; done
[ "$(head -1 <<<"$out")" = 200 ] || fail "PostgreSQL back: $out"
pass "PostgreSQL stopped: 503 in $ms ms ($why), trading and filling on; back: 200"

kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "host exited $HOST_RC"
pg_stop
pass "graceful stop: exit 0"
