#!/usr/bin/env bash
# test_signals.sh — how the host ends (issue 11 items 6 and 7).
#   - SIGPIPE: REPL clients that hang up while their (large) answer is written, with no API
#     configured (libwebsockets is not there to ignore SIGPIPE), must not end the host: it keeps
#     quoting and later stops gracefully with every order cancelled.
#   - A strategy stuck in a callback (on_start, on_book): SIGTERM then a second SIGTERM (or SIGINT)
#     ends the process at once with the forced-exit status, after logging which callback was
#     stuck; SIGTERM alone ends it after session.stop_timeout_s. The journal stays consistent: the
#     next start recovers from it, and a normal stop then cancels every order.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 is not installed (tools/install-deps.sh installs it)"
FORCED=124 # session.h TH_EXIT_FORCED
SOCK="$T/th.sock"

open_orders() { echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK"; }

# --- SIGPIPE: clients that hang up during their answer -------------------------------------------
paper_mm_config
start_host run "$T/cfg.lua"
wait_for 'order flow ready' 10
wait_for 'repl: listening' 10
for i in $(seq 20); do n=$(open_orders); [ "$n" -gt 0 ] && break; sleep 0.1; done
[ "$n" -gt 0 ] || fail "the market maker placed no orders"
python3 - "$SOCK" <<'PY'
import socket, sys
for i in range(200):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[1])
        s.sendall(b'string.rep("x", 60000)\n')
    except OSError as e:  # the host is gone: the shell says how it ended
        print("# client %d: %s" % (i, e))
        break
    s.close()  # gone before the answer is written
PY
sleep 0.5
kill -0 "$HOST_PID" 2>/dev/null || { wait_exit 1; fail "200 REPL clients hanging up during their answer ended the host (exit $HOST_RC)"; }
n=$(open_orders)
[ "$n" -gt 0 ] || fail "after the hang-ups: $n open orders"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "graceful stop after the hang-ups: exit $HOST_RC"
grep -q 'every order is cancelled' "$T/host.log" || fail "orders not cancelled at stop after the hang-ups"
pass "200 REPL clients hung up during their answer (no API): host alive, $n orders, graceful stop (exit 0, every order cancelled)"

# --- a strategy stuck in a callback ----------------------------------------------------------------
# The market maker, made to spin in the named callback (on_book: after it has quoted for a while).
cat >"$T/stuck.lua" <<'LUA'
local th = require("th")
local mm = require("strategies.market_maker")
local M = {}
for k, v in pairs(mm) do M[k] = v end
local where = os.getenv("TH_TEST_STUCK")
local function spin() -- tell the test, then never return
  io.open(os.getenv("TH_TEST_STUCK_FILE"), "w"):close()
  while true do end
end
function M.on_start(state, ctx)
  if where == "on_start" then spin() end
  return mm.on_start(state, ctx)
end
function M.on_book(state, ctx, symbol)
  -- Stuck only once quotes rest at the venue, so the forced exit leaves live orders behind.
  if #th.orders.open() > 0 then state.books = (state.books or 0) + 1 end
  if where == "on_book" and (state.books or 0) > 20 then spin() end
  return mm.on_book(state, ctx, symbol)
end
return M
LUA

# stuck_host CALLBACK SECONDS_TIMEOUT: a fresh journal dir, the stuck strategy, stuck by now.
stuck_host() {
  J="$T/j-$1-$RANDOM"
  paper_mm_config "-$1" "session = { stop_timeout_s = $2 },"
  sed -i "s|storage = { journal_dir = \"[^\"]*\"|storage = { journal_dir = \"$J\"|; s|name = \"market_maker\", tick_ms|name = \"market_maker\", module = \"$T/stuck.lua\", tick_ms|" "$T/cfg.lua"
  rm -f "$T/spinning"
  TH_TEST_STUCK=$1 TH_TEST_STUCK_FILE="$T/spinning" start_host run "$T/cfg.lua"
  for i in $(seq 300); do [ -e "$T/spinning" ] && break; sleep 0.05; done
  [ -e "$T/spinning" ] || fail "$1: the strategy did not get stuck within 15 s"
  sleep 0.5 # well inside the loop now
}

# recovers: the journal the forced exit left is read by the next start, which ends normally.
recovers() {
  paper_mm_config "-$1"
  sed -i "s|storage = { journal_dir = \"[^\"]*\"|storage = { journal_dir = \"$J\"|" "$T/cfg.lua"
  start_host run "$T/cfg.lua" --duration 2 --resume
  wait_for 'recovered from the journal' 10
  wait_exit 30
  [ "$HOST_RC" = 0 ] || fail "$1: the start after the forced exit: exit $HOST_RC"
  grep -q 'every order is cancelled' "$T/host.log" || fail "$1: orders not cancelled by the start after the forced exit"
  RECOVERED=$(grep -o 'recovered from the journal.*live_orders=[0-9]*' "$T/host.log" | sed 's/.*live_orders=//')
  # Stuck in on_book, the market maker had quoted: its orders were left live and are recovered.
  [ "$1" != on_book ] || [ "$RECOVERED" -gt 0 ] || fail "$1: the next start recovered $RECOVERED live orders"
}

# elapsed_ms START_NS
elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

for cb in on_start on_book; do
  # SIGTERM, then a second signal: out at once.
  stuck_host "$cb" 600
  kill -TERM "$HOST_PID"
  sleep 0.5
  kill -0 "$HOST_PID" 2>/dev/null || fail "$cb: the first SIGTERM ended a stuck host before its stop timeout"
  t0=$(date +%s%N)
  if [ "$cb" = on_book ]; then kill -INT "$HOST_PID"; second=SIGINT; else kill -TERM "$HOST_PID"; second=SIGTERM; fi
  wait_exit 5
  ms=$(elapsed_ms "$t0")
  [ "$HOST_RC" = "$FORCED" ] || fail "$cb: SIGTERM then $second: exit $HOST_RC, expected $FORCED"
  [ "$ms" -lt 1000 ] || fail "$cb: the second signal took $ms ms to end the process"
  grep -qE "forced exit.*signal=$second.*strategy=market_maker callback=$cb" "$T/host.log" || fail "$cb: the forced exit does not name the stuck callback"
  recovers "$cb"
  pass "stuck in $cb: SIGTERM then $second -> exit $FORCED in $ms ms, naming $cb; the next start recovers the journal ($RECOVERED live orders) and cancels them"
done

for cb in on_start on_book; do
  # SIGTERM alone: out after session.stop_timeout_s (2 s here).
  stuck_host "$cb" 2
  t0=$(date +%s%N)
  kill -TERM "$HOST_PID"
  wait_exit 10
  ms=$(elapsed_ms "$t0")
  [ "$HOST_RC" = "$FORCED" ] || fail "$cb: SIGTERM with stop_timeout_s = 2: exit $HOST_RC, expected $FORCED"
  [ "$ms" -ge 1900 ] && [ "$ms" -lt 3500 ] || fail "$cb: SIGTERM with stop_timeout_s = 2 ended the process after $ms ms"
  grep -qE "forced exit.*signal=SIGTERM.*strategy=market_maker callback=$cb" "$T/host.log" || fail "$cb: the forced exit does not name the stuck callback"
  recovers "$cb"
  pass "stuck in $cb: SIGTERM alone -> exit $FORCED after $ms ms (stop_timeout_s = 2); the next start recovers ($RECOVERED live orders)"
done

# A healthy host: SIGTERM stops it gracefully (exit 0), well inside the stop timeout.
paper_mm_config "" "session = { stop_timeout_s = 2 },"
start_host run "$T/cfg.lua"
wait_for 'order flow ready' 10
sleep 1
kill -TERM "$HOST_PID"; wait_exit 10
[ "$HOST_RC" = 0 ] || fail "a healthy host with stop_timeout_s = 2: exit $HOST_RC"
grep -q 'every order is cancelled' "$T/host.log" || fail "orders not cancelled"
grep -q 'forced exit' "$T/host.log" && fail "a healthy stop was forced"
pass "a healthy host still stops gracefully on SIGTERM (exit 0)"
