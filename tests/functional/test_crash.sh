#!/usr/bin/env bash
# test_crash.sh — kill -9 the host (and abort it mid-record) while it journals a stream of order
# activity; the journal rebuilds to the same state as an independent reference reader, no intent
# is lost or duplicated, a torn last record is ignored, and a restart recovers: it carries the
# positions over, reconciles with the venue, and ends with every order cancelled. Also: SIGUSR1
# pulls the kill switch, which survives a restart until re-armed.
source "$(dirname "$0")/lib.sh"
REF="luajit $TH_HOME/tests/functional/journal_reference.lua"
CMP="luajit $TH_HOME/tests/functional/compare_journal.lua"

config() { # config JOURNAL_DIR EXTRA_STRATEGY_PARAMS
  cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", fee_bps = 16,
            recording = "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt",
            instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            pace = "recorded", speed = ${SPEED:-20}, stale_ms = 60000 },
  strategy = { name = "market_maker", tick_ms = 50,
               params = { levels = 3, spread_bps = 2, step_bps = 11, skew_bps = 1, report_every_s = 1000, $2 } },
  pairs = { { symbol = "XMR/USD", size = 0.5 }, { symbol = "WAVES/EUR", size = 20 }, { symbol = "SC/EUR", size = 2000 } },
  risk = { price_band_pct = 5, anti_layering_pct = 0.1 },
  quotes = { price_tolerance_bps = 0.5, size_tolerance_pct = 1 },
  storage = { journal_dir = "$1", fsync = "turn" },
  log = { level = "info" },
}
CFG
}

check_journal() { # check_journal DIR LABEL
  local f
  f=$(ls "$1"/*.thj | sort | tail -1)
  "$TH_BIN" journal "$1" --json >"$T/host.json" || fail "$2: tradehost journal failed"
  $REF "$f" >"$T/ref.json" || fail "$2: reference reader failed"
  $CMP "$T/host.json" "$T/ref.json" >"$T/cmp.txt" 2>&1 || { cat "$T/cmp.txt" >&2; fail "$2: rebuilt state differs from the reference"; }
  pass "$2: $(cat "$T/cmp.txt")"
}

# 1. kill -9 at random points, three times, each into a fresh journal dir
for round in 1 2 3; do
  J="$T/j$round"
  config "$J" 'requote_on = "tick"'
  start_host run "$T/cfg.lua"
  wait_for 'order flow ready' 10
  sleep "$(( RANDOM % 2 )).$(( (RANDOM % 8) + 2 ))"
  kill -9 "$HOST_PID"; wait_exit 5
  records=$("$TH_BIN" journal "$J" --json | luajit -e 'print(require("cjson").decode(io.read("*a")).records)')
  [ "$records" -gt 20 ] || fail "round $round: only $records records journalled before the kill"
  check_journal "$J" "kill -9 round $round ($records records)"
done

# 2. restart on the last crashed journal: recovery, reconcile, carried positions, clean stop
cp "$T/host.json" "$T/crashed.json"
start_host run "$T/cfg.lua" --duration 2 --resume
wait_for 'recovered from the journal' 10
wait_for 'reconciled with the venue' 10
wait_exit 20
[ "$HOST_RC" = 0 ] || fail "restart exited $HOST_RC"
grep -q 'msg="every order is cancelled"\|msg="session stopped"' "$T/host.log" || fail "restart did not stop cleanly"
newest=$(ls "$T/j3"/*.thj | sort | tail -1)
$REF "$newest" >"$T/after.json"
luajit "$TH_HOME/tests/functional/check_restart.lua" "$T/crashed.json" "$T/after.json" || fail "restart: positions not carried over or orders left live"
check_journal "$T/j3" "restart journal"
pass "restart recovers, carries positions, reconciles and stops with every order done"

# 3. abort mid-record (torn tail) at a random byte
J="$T/j4"
config "$J" 'requote_on = "book"'
CRASH_AT=$(( 3000 + RANDOM % 4000 ))
TH_JOURNAL_CRASH_AT=$CRASH_AT start_host run "$T/cfg.lua"
wait_exit 30
[ "$HOST_RC" != 0 ] || fail "the crash hook did not abort the host"
f=$(ls "$J"/*.thj)
[ "$(stat -c %s "$f")" = "$CRASH_AT" ] || fail "abort: the journal has $(stat -c %s "$f") bytes, the hook wrote $CRASH_AT"
check_journal "$J" "abort at byte $CRASH_AT"
# The abort lands mid-record unless CRASH_AT happens to be a record boundary: walk the length
# fields to know which, and both readers must say torn_tail exactly when it is mid-record.
boundary=$(JF="$f" luajit -e '
  local d = io.open(os.getenv("JF"), "rb"):read("*a"); local off = 0
  while off + 8 <= #d do
    local a, b, c, e = d:byte(off + 1, off + 4); off = off + 8 + a + b * 256 + c * 65536 + e * 16777216
  end
  print(off == #d and "yes" or "no")')
want=$([ "$boundary" = yes ] && echo false || echo true)
grep -Eq "\"torn_tail\": ?$want" "$T/host.json" || fail "abort at byte $CRASH_AT (record boundary: $boundary): tradehost journal torn_tail is not $want"
grep -Eq "\"torn_tail\": ?$want" "$T/ref.json" || fail "abort at byte $CRASH_AT (record boundary: $boundary): reference torn_tail is not $want"
pass "abort at byte $CRASH_AT: torn_tail=$want on both readers (record boundary: $boundary)"

# 4. SIGUSR1 kill switch: orders cancelled, new ones refused, still halted after a restart
J="$T/j5"
config "$J" 'requote_on = "book"'
start_host run "$T/cfg.lua" --duration 3
wait_for 'order flow ready' 10
sleep 0.5
kill -USR1 "$HOST_PID"
wait_for 'kill switch pulled' 5
wait_exit 20
grep -q 'halted=true' "$T/host.log" || fail "kill switch: strategy summary does not report halted"
grep -Eq 'refusals="[^"]*halted=' "$T/host.log" || fail "kill switch: no refusals counted as halted"
start_host run "$T/cfg.lua" --duration 1 --resume
wait_for 'recovered from the journal.*halted=yes' 10
wait_exit 20
grep -q 'halted=true' "$T/host.log" || fail "kill switch did not survive the restart"
pass "SIGUSR1 kill switch cancels, refuses, and stays pulled across a restart"
