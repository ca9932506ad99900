#!/usr/bin/env bash
# test_loop_commit.sh — the journal's fdatasync does not hold up market data. With a slow disk
# (TH_JOURNAL_SYNC_DELAY_MS: every commit takes 300 ms more), a paper market-making session at 16x
# recorded pace keeps applying market data on time while its commits are written on libuv's
# thread pool, and still journals every intent before the venue sees it, sends and acks its
# orders, and stops with every commit flushed. The same session with the commit on the loop
# thread (TH_JOURNAL_COMMIT_ON_LOOP=1, what the host did before) must show the stall, or this
# test could not tell the two apart.
source "$(dirname "$0")/lib.sh"
REF="luajit $TH_HOME/tests/functional/journal_reference.lua"
CMP="luajit $TH_HOME/tests/functional/compare_journal.lua"

config() { # config JOURNAL_DIR: 16x recorded pace, requoting every 50 ms
  SPEED=16 TICK_MS=50 SPREAD_BPS=2 STEP_BPS=11 STALE_MS=60000 \
    paper_mm_lua "$1" 'quotes = { price_tolerance_bps = 0.5 },' >"$T/cfg.lua"
}

# field NAME MSG: the value of NAME= on the host log line with msg="MSG"
field() { grep "msg=\"$2\"" "$T/host.log" | tail -1 | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
ms() { awk -v u="$1" 'BEGIN { printf "%d", u / 1000 }'; }

run_session() { # run_session LABEL ON_LOOP
  config "$T/j$1"
  TH_JOURNAL_SYNC_DELAY_MS=300 TH_JOURNAL_COMMIT_ON_LOOP=$2 start_host run "$T/cfg.lua" --duration 3
  wait_exit 30
  [ "$HOST_RC" = 0 ] || fail "$1: exited $HOST_RC"
  LAG_MAX=$(ms "$(field max_us 'market data lag')")
  LAG_P99=$(ms "$(field p99_us 'market data lag')")
  STALL_MAX=$(ms "$(field max_us 'loop stall in the journal commit step')")
  [ -n "$LAG_MAX" ] && [ -n "$STALL_MAX" ] || fail "$1: no lag/stall figures logged"
  cp "$T/host.log" "$T/host-$1.log"
}

# 1. before: the commit on the loop thread stalls market data for the whole sync
run_session onloop 1
grep -q 'commit=loop' "$T/host.log" || fail "baseline did not commit on the loop"
[ "$STALL_MAX" -ge 280 ] || fail "baseline: the loop stalled only ${STALL_MAX} ms in a commit (the test cannot see the stall)"
[ "$LAG_MAX" -ge 250 ] || fail "baseline: market data at most ${LAG_MAX} ms late (the test cannot see the stall)"
pass "commit on the loop: commit step up to ${STALL_MAX} ms, market data up to ${LAG_MAX} ms late"

# 2. after: the sync runs on the thread pool; the loop goes on
run_session pool 0
grep -q 'commit=thread_pool' "$T/host.log" || fail "the commit did not run on the thread pool"
batches=$(field batches 'journal writes off the loop')
[ "${batches:-0}" -ge 5 ] || fail "only ${batches:-0} batches written off the loop"
[ "$STALL_MAX" -lt 100 ] || fail "the loop still stalled ${STALL_MAX} ms in a commit step"
[ "$LAG_MAX" -lt 150 ] || fail "market data was ${LAG_MAX} ms late with the commit off the loop"
pass "commit on the thread pool ($batches batches of >= 300 ms): commit step at most ${STALL_MAX} ms, market data at most ${LAG_MAX} ms late (p99 ${LAG_P99} ms)"

# 3. journal before send, and a flushed stop: every order the venue saw has its intent journalled
#    (the venue acks only what it received), every record the flow appended is in the file (the
#    stop waited for the batch that was out, then flushed the rest), and the file rebuilds to the
#    same state as the independent reference reader.
f=$(ls "$T/jpool"/*.thj | sort | tail -1)
"$TH_BIN" journal "$T/jpool" --json >"$T/host.json" || fail "tradehost journal failed"
$REF "$f" >"$T/ref.json" || fail "reference reader failed"
$CMP "$T/host.json" "$T/ref.json" >"$T/cmp.txt" 2>&1 || { cat "$T/cmp.txt" >&2; fail "rebuilt state differs from the reference"; }
luajit -e '
  local j = require("cjson").decode(io.read("*a"))
  local n, acked, live = 0, 0, 0
  for _, o in pairs(j.orders) do
    n = n + 1
    if o.reason ~= "failed" then acked = acked + 1 end
    if o.state ~= "done" then live = live + 1 end
  end
  if n < 8 then error("only " .. n .. " orders journalled") end
  if acked < 4 then error("only " .. acked .. " orders reached the venue") end
  if live ~= 0 then error(live .. " orders still live after the stop") end
  print(n .. " orders journalled, " .. acked .. " reached the venue, none left live")
' <"$T/host.json" >"$T/orders.txt" || { cat "$T/orders.txt" >&2; fail "journal contents"; }
grep -q 'msg="every order is cancelled"' "$T/host.log" || fail "the stop did not cancel every order"
appended=$(field records 'order flow closed')
on_disk=$(luajit -e 'print(require("cjson").decode(io.read("*a")).records)' <"$T/host.json")
[ -n "$appended" ] && [ "$appended" = "$on_disk" ] || fail "the flow appended ${appended:-?} records, the file holds $on_disk"
pass "journal: $(cat "$T/orders.txt"); $(cat "$T/cmp.txt")"
