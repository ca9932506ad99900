#!/usr/bin/env bash
# test_repl.sh — the REPL socket of a running paper host, through the real `tradehost repl` client:
# a 0600 socket; expressions, prints, multi-line chunks, per-client environments and the strategy's
# state; errors and a runaway loop answered without harming the host (test_repl_budget.sh holds
# every other way to fight the budget, test_repl_readonly.sh the sandbox and os.exit); the kill
# switch pulled from the REPL (orders cancelled, new ones refused) and re-armed; a second host
# refused on a live socket, a stale socket from a kill -9 replaced, a non-socket path refused.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"

paper_mm_config

repl() { "$TH_BIN" repl "$SOCK" 2>"$T/repl.err"; }
expect() { # expect LABEL PATTERN (grep -E on $OUT)
  grep -Eq -- "$2" <<<"$OUT" || { echo "--- repl output ---" >&2; echo "$OUT" >&2; cat "$T/repl.err" >&2; fail "$1: no match for /$2/"; }
}

start_host run "$T/cfg.lua"
wait_for 'repl: listening' 10
wait_for 'order flow ready' 10
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "socket mode is $(stat -c %a "$SOCK"), not 600"
pass "REPL socket is listening with mode 0600"

OUT=$(printf '%s\n' '1+1' 'print("a", 2) return 3' 'x = 40' 'x + 2' 'function twice(v)' '  return v * 2' 'end' 'twice(21)' \
      'type(state), type(ctx), type(th.orders.open)' | repl) || fail "repl client exited $?"
expect "expression" '^2$'
expect "print and return" $'^a\t2$'
expect "assignment kept between chunks" '^42$'
expect "multi-line chunk" '^42$'
expect "strategy state and ctx" '"table"	"table"	"function"'
[ "$(grep -c '^42$' <<<"$OUT")" = 2 ] || fail "expected two 42s"
OUT=$(echo 'x' | repl)
expect "a new client has its own environment" '^nil$'
pass "expressions, prints, multi-line chunks, per-client environments, strategy state"

OUT=$(printf '%s\n' 'error("boom")' 'local t = nil; return t.field' 'x = = 1' 'while true do end' '"still here"' | repl) || fail "client exited $?"
expect "runtime error" '^error: .*boom'
expect "runtime error names the problem" "attempt to index local 't'"
expect "syntax error" "^error: repl:1: unexpected symbol near '='"
expect "runaway loop stopped" '^error: .*stopped after [0-9]+ (instructions|ms)'
expect "host still answers after all of it" '^"still here"$'
kill -0 "$HOST_PID" || fail "host died"
pass "errors and a runaway loop are answered; the host keeps running"

# A line over 64 KiB is refused, and the connection keeps working.
OUT=$( { head -c 70000 /dev/zero | tr '\0' 'x'; echo; echo '7*6'; } | repl)
expect "long line refused" 'longer than 64 KiB'
expect "connection works after it" '^42$'
pass "an over-long line is refused without losing the connection"

# The kill switch from the REPL.
# The market maker quotes on its ticks once the recording has books: wait (bounded) until it has
# live orders rather than reading th.orders.open() once, which raced the first quotes.
live=0
for i in $(seq 100); do
  OUT=$(echo '#th.orders.open()' | repl)
  live=$(grep -E '^[0-9]+$' <<<"$OUT" | tail -1)
  [ "${live:-0}" -gt 0 ] && break
  sleep 0.1
done
[ "${live:-0}" -gt 0 ] || fail "no live orders to cancel after 10 s (got '$OUT')"
OUT=$(printf '%s\n' 'th.risk.kill("pulled from the repl")' | repl)
expect "kill returns ok" '^true$'
wait_for 'kill switch pulled.*pulled from the repl' 5
for i in $(seq 50); do
  OUT=$(echo '#th.orders.open()' | repl); [ "$(tail -1 <<<"$OUT")" = 0 ] && break; sleep 0.1
done
[ "$(tail -1 <<<"$OUT")" = 0 ] || fail "orders still open after the kill: $OUT"
OUT=$(printf '%s\n' 'th.risk.status().halted' 'th.orders.place{ symbol = "XMR/USD", side = "buy", price = 300, size = 0.5 }' | repl)
expect "halted" '^true$'
expect "new orders refused" '^nil	"halted"$'
OUT=$(printf '%s\n' 'th.risk.rearm()' 'th.risk.status().halted' | repl)
expect "re-armed" '^false$'
pass "kill switch from the REPL: $live open orders cancelled, new ones refused, re-armed by hand"

# A second host on the same socket is refused; the first is untouched.
set +e; "$TH_BIN" run "$T/cfg.lua" --duration 1 2>"$T/second.log"; rc=$?; set -e
[ "$rc" = 2 ] || fail "second host on a live socket exited $rc, expected 2"
grep -q 'another host is listening on this socket' "$T/second.log" || fail "second host: no clear message: $(cat "$T/second.log")"
OUT=$(echo '1' | repl); expect "first host still serves" '^1$'
pass "a second host on a live socket is refused with a clear message"

# kill -9 leaves the socket file behind; the next start removes it and listens again.
kill -9 "$HOST_PID"; wait_exit 5
[ -S "$SOCK" ] || fail "expected a stale socket file after kill -9"
start_host run "$T/cfg.lua" --duration 20
wait_for 'repl: removed a stale socket file' 10
wait_for 'repl: listening' 10
OUT=$(echo '"back"' | repl); expect "after a stale socket" '^"back"$'
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "host exited $HOST_RC on SIGTERM"
[ ! -e "$SOCK" ] || fail "socket file left after a graceful stop"
pass "stale socket replaced after kill -9; removed on a graceful stop"

# The client against nothing, and a path that is not a socket.
set +e; "$TH_BIN" repl "$SOCK" </dev/null 2>"$T/err"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q 'is a host running with repl.socket' "$T/err" || fail "client with no host: rc $rc, $(cat "$T/err")"
echo "not a socket" >"$SOCK"
set +e; "$TH_BIN" run "$T/cfg.lua" --duration 1 2>"$T/third.log"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'exists and is not a socket' "$T/third.log" || fail "non-socket path: rc $rc, $(cat "$T/third.log")"
[ "$(cat "$SOCK")" = "not a socket" ] || fail "the file at the socket path was touched"
pass "no host: the client says so (exit 1); a file at the socket path is refused and left alone"
