#!/usr/bin/env bash
# test_pg_history.sh — the PostgreSQL history (storage.postgres) against a real PostgreSQL started
# here in the test's own directory (unix socket only, pg_lib.sh), issue 17: the schema is migrated
# at start (schema_migrations; a second start applies nothing); a paper session writes sessions,
# orders, order events, fills, position and PnL snapshots; PostgreSQL is stopped mid-session (the
# host trades on, journal only, /health degraded) and started again: the writer reconnects, reads
# how far it had got and back-fills from the journal; the history is then checked row by row
# against `tradehost journal --json` (nothing lost, nothing duplicated), again after the graceful
# stop (settlement records, the session's end). The conninfo holds a password: never logged.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
command -v jq >/dev/null || fail "jq is not installed (tools/install-deps.sh installs it)"
CHECK="python3 $(dirname "$0")/pg_check.py"
SOCK="$T/th.sock"
trap 'pg_cleanup; cleanup' EXIT
pg_init "$T/pg"
export TH_TEST_PG="$PG_CONNINFO password=not-in-any-log connect_timeout=2"
health_pg() { curl -s "http://127.0.0.1:$PORT/health" | jq -r '.stores[] | select(.name == "postgres") | .'"${1:-state}"; }
count() { grep -cE -- "$1" "$T/host.log" || true; }

# A config naming an unset variable is refused at start, naming the variable.
SPEED=1 paper_mm_config "" 'api = { listen = "127.0.0.1:0" }, session = { name = "session-789" },'
sed -i 's|fsync = "turn" }|fsync = "turn", postgres = { conninfo_env = "TH_TEST_PG_UNSET", connect_timeout_ms = 500 } }|' "$T/cfg.lua"
grep -q 'postgres = { conninfo_env' "$T/cfg.lua" || fail "could not add storage.postgres to the config"
set +e; out=$(TH_TEST_PG_UNSET= "$TH_BIN" run "$T/cfg.lua" --duration 1 2>&1); rc=$?; set -e
[ "$rc" != 0 ] && grep -q 'TH_TEST_PG_UNSET is not set or empty' <<<"$out" || fail "an unset conninfo_env was not refused by name (rc $rc): $out"
sed -i 's|TH_TEST_PG_UNSET|TH_TEST_PG|' "$T/cfg.lua"
rm -rf "$T/j"
pass "an unset conninfo_env is refused at start, naming the variable"

# PostgreSQL is not there yet: the host trades regardless, connects are retried with back-off.
start_host run "$T/cfg.lua"
wait_for 'api: listening' 10
PORT=$(grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | sed 's/.*port=//')
wait_for 'msg="stores" journal=.* postgres="conninfo from \$TH_TEST_PG \(history of the journal\)"' 10
wait_for 'postgres: connection lost: reconnecting' 10 2
[ "$(health_pg)" = connecting ] || fail "health while PostgreSQL is absent: $(curl -s "http://127.0.0.1:$PORT/health")"
pass "no PostgreSQL at start: connects retried with back-off, /health connecting"
pg_start
wait_for 'postgres: caught up from the journal' 15
[ "$(pgq 'SELECT version FROM schema_migrations')" = 1 ] || fail "schema_migrations: $(pgq 'SELECT * FROM schema_migrations')"
n=$(pgq "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('sessions', 'orders',
  'order_events', 'fills', 'position_snapshots', 'pnl_snapshots', 'risk_events', 'settlement_records')")
[ "$n" = 8 ] || fail "tables missing: $(pgq "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")"
JKEY=$(pgq "SELECT journal FROM sessions WHERE session_id = 'session-789'")
[ -n "$JKEY" ] && [ -f "$T/j/$JKEY.thj" ] || fail "no session row naming the journal: $(pgq 'SELECT * FROM sessions')"
for i in $(seq 40); do [ "$(health_pg)" = ok ] && break; sleep 0.1; done
[ "$(health_pg)" = ok ] && [ "$(health_pg schema_version)" = 1 ] || fail "health with PostgreSQL up: $(curl -s "http://127.0.0.1:$PORT/health")"
for i in $(seq 60); do [ "$(pgq 'SELECT count(*) FROM orders')" -gt 0 ] && break; sleep 0.1; done
[ "$(pgq 'SELECT count(*) FROM orders')" -gt 0 ] || fail "no orders written"
pass "schema migrated (version 1, 8 tables), session row $JKEY, orders written, /health ok"

fill_once XMR/USD buy 0.5
fill_once WAVES/EUR buy 20
for i in $(seq 100); do [ "$(pgq "SELECT count(*) FROM fills")" -ge 1 ] && break; sleep 0.1; done
[ "$(pgq "SELECT count(*) FROM fills")" -ge 1 ] || fail "fills not written: $(pgq 'SELECT * FROM fills')"
[ "$(pgq "SELECT count(*) FROM position_snapshots")" -ge 1 ] || fail "no position snapshots"
for i in $(seq 30); do [ "$(pgq 'SELECT count(*) FROM pnl_snapshots')" -ge 1 ] && break; sleep 0.1; done
[ "$(pgq 'SELECT count(*) FROM pnl_snapshots')" -ge 1 ] || fail "no PnL snapshot after a second"
pass "fills written: $(pgq 'SELECT count(*) FROM fills') fills, $(pgq 'SELECT count(*) FROM position_snapshots') position snapshots"

# A batch refused with the connection up (here: a constraint no fill meets): logged, retried from
# the journal every second, and written once the refusal ends.
nc=$(count 'postgres: caught up from the journal')
pgq "ALTER TABLE fills ADD CONSTRAINT no_fills_now CHECK (qty_units < 0) NOT VALID"
fill_once XMR/USD buy 0.1
wait_for 'postgres: a batch was refused: rewriting it from the journal' 10
[ "$(health_pg errors)" -ge 1 ] || fail "the refused batch is not counted: $(curl -s "http://127.0.0.1:$PORT/health")"
pgq "ALTER TABLE fills DROP CONSTRAINT no_fills_now"
wait_for 'postgres: caught up from the journal' 15 $((nc + 1))
pass "a refused batch: logged, counted in /health, rewritten from the journal once accepted"

# PostgreSQL stops mid-session (fast: connections cut): the host trades on, journal only.
before=$(pgq "SELECT records FROM sessions WHERE journal = '$JKEY'")
nl=$(count 'postgres: connection lost: reconnecting'); nc=$(count 'postgres: caught up from the journal')
pg_stop
wait_for 'postgres: down: journal only' 10
[ "$(health_pg)" = down ] || fail "health with PostgreSQL stopped: $(curl -s "http://127.0.0.1:$PORT/health")"
[ "$(curl -s "http://127.0.0.1:$PORT/health" | jq .degraded)" = true ] || fail "not degraded without PostgreSQL"
fill_once XMR/USD sell 0.3
fill_once WAVES/EUR sell 10
echo 'th.risk.kill("a risk event while PostgreSQL is down")' | "$TH_BIN" repl "$SOCK" >/dev/null
echo 'th.risk.rearm()' | "$TH_BIN" repl "$SOCK" >/dev/null
fill_once XMR/USD buy 0.2
wait_for 'postgres: connection lost: reconnecting' 10 $((nl + 1))
sleep 1.5
n=$(echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK")
[ "$n" -gt 0 ] || fail "the market maker stopped quoting while PostgreSQL was down"
pass "PostgreSQL stopped: /health down, reconnects retried with back-off, the host trades on ($n orders open, fills while down)"

pg_start
wait_for 'postgres: caught up from the journal' 20 $((nc + 1))
grep -q "postgres: writing: catching up from the journal.*already_written=$before" "$T/host.log" ||
  grep -qE "postgres: writing: catching up from the journal.*already_written=[1-9]" "$T/host.log" ||
  fail "the back-fill did not resume after what was written: $(grep 'catching up' "$T/host.log")"
echo 'th.risk.kill("quiet for the check")' | "$TH_BIN" repl "$SOCK" >/dev/null
for i in $(seq 100); do [ "$(echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK")" = 0 ] && break; sleep 0.1; done
sleep 1 # the last records reach the journal, then PostgreSQL
"$TH_BIN" journal "$T/j" --json >"$T/journal.json" || fail "tradehost journal failed"
want=$(jq .records "$T/journal.json")
for i in $(seq 100); do [ "$(pgq "SELECT records FROM sessions WHERE journal = '$JKEY'")" = "$want" ] && break; sleep 0.1; done
out=$($CHECK "$PG_CONNINFO" "$T/journal.json" "$JKEY" 2>&1) || fail "postgres differs from the journal: $out"
[ "$(jq '[.positions[].fills] | add' "$T/journal.json")" -ge 6 ] || fail "fewer fills in the journal than placed here: $out"
[ "$(pgq "SELECT string_agg(event, ',' ORDER BY seq) FROM risk_events WHERE journal = '$JKEY'")" = "kill,rearm,kill" ] ||
  fail "risk events: $(pgq 'SELECT * FROM risk_events')"
pass "PostgreSQL back: back-filled from the journal (resumed after record $before); row by row equal to the journal ($out); risk events kill,rearm,kill"

kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "host exited $HOST_RC"
grep -q 'postgres: session written' "$T/host.log" || fail "the stop did not write the session's end"
"$TH_BIN" journal "$T/j" --json >"$T/journal.json" || fail "tradehost journal failed"
out=$($CHECK "$PG_CONNINFO" "$T/journal.json" "$JKEY" --closed 2>&1) || fail "after the stop, postgres differs from the journal: $out"
! grep -q 'not-in-any-log' "$T/host.log" || fail "the conninfo's password is in the log"
# The session's statistics read back from PostgreSQL, against the journal.
TH_PG="$PG_CONNINFO" "$TH_BIN" report --session session-789 --json >"$T/report.json" || fail "report --session failed"
for sym in $(jq -r '.positions | keys[]' "$T/journal.json"); do
  want_f=$(jq --arg s "$sym" '.positions[$s].fills' "$T/journal.json")
  want_o=$(jq --arg s "$sym" '[.orders[] | select(.symbol == $s)] | length' "$T/journal.json")
  got=$(jq -r --arg s "$sym" '.pairs[] | select(.symbol == $s) | "\(.fills) \(.orders) \(.fill_ratio)"' "$T/report.json")
  [ "${got% *}" = "$want_f $want_o" ] || fail "report --session $sym: fills orders ratio $got, the journal $want_f $want_o"
done
[ "$(jq -r .source "$T/report.json")" = postgres ] && [ "$(jq '.portfolio.snapshots' "$T/report.json")" -ge 1 ] ||
  fail "report --session: $(cat "$T/report.json")"
TH_PG="$PG_CONNINFO" "$TH_BIN" report --session session-789 | grep -q '^XMR/USD ' || fail "report --session: no table"
set +e; rout=$(env -u TH_PG "$TH_BIN" report --session session-789 2>&1); rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'TH_PG.*not set.*tradehost report JOURNAL_OR_DIR' <<<"$rout" || fail "report --session without PostgreSQL: rc $rc: $rout"
set +e; rout=$(TH_PG="$PG_CONNINFO" "$TH_BIN" report --session no-such-session 2>&1); rc=$?; set -e
[ "$rc" = 1 ] && grep -q 'no session no-such-session' <<<"$rout" || fail "report --session of an unknown session: rc $rc: $rout"
pass "report --session session-789 from PostgreSQL: per pair fills and orders equal the journal's; unset TH_PG and unknown sessions refused by name"
pass "graceful stop: every record but the closing one written, settlement records = the journal's positions ($out); the password never logged"

# A second session on the same database: the migrations are not applied again; its own session row.
rm -rf "$T/j"
sed -i 's|session-789|session-790|' "$T/cfg.lua"
start_host run "$T/cfg.lua" --duration 3
wait_exit 30
[ "$HOST_RC" = 0 ] || fail "the second session exited $HOST_RC"
[ "$(pgq 'SELECT count(*) FROM schema_migrations')" = 1 ] || fail "migrations applied twice: $(pgq 'SELECT * FROM schema_migrations')"
grep -q 'postgres: schema ready.*version=1' "$T/host.log" || fail "the second start did not find the schema"
[ "$(pgq 'SELECT count(*) FROM sessions')" = 2 ] || fail "sessions: $(pgq 'SELECT journal, session_id FROM sessions')"
"$TH_BIN" journal "$T/j" --json >"$T/journal.json" || fail "tradehost journal failed"
JKEY2=$(pgq "SELECT journal FROM sessions WHERE session_id = 'session-790'")
out=$($CHECK "$PG_CONNINFO" "$T/journal.json" "$JKEY2" --closed 2>&1) || fail "second session: $out"
pg_stop
pass "a second start: schema found at version 1 (nothing re-applied), its own session row, equal to its journal ($out)"
