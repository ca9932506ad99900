#!/usr/bin/env bash
# A strategy receives ticks; SIGHUP swaps its code keeping the very same state table; a broken
# script, a failing check() or a failing migrate() leave the old code running with state intact;
# a Lua error faults only the strategy; a good reload clears the fault; SIGTERM exits 0 after on_stop.
. "$(dirname "$0")/lib.sh"

write_strategy() { # write_strategy VERSION [EXTRA_LUA]
  local extra=${2:-}
  cat > "$T/strat.lua" <<LUA
local th = require("th")
local M = {}
function M.on_start(state, ctx)
  state.ticks = 0
  state.identity = tostring(state)
end
function M.on_tick(state, ctx)
  state.ticks = state.ticks + 1
  th.log.info("tick", { v = $1, n = state.ticks, same = tostring(tostring(state) == state.identity),
                        migrated = tostring(state.migrated) })
end
function M.on_stop(state) th.log.info("on_stop ran", { n = state.ticks }) end
$extra
return M
LUA
}

cat > "$T/cfg.lua" <<LUA
return {
  venue = { name = "sim" },
  strategy = { name = "reloadable", module = "$T/strat.lua", tick_ms = 20 },
  pairs = { { symbol = "XMR/USD" } },
}
LUA

write_strategy 1
start_host run "$T/cfg.lua"
wait_for 'msg="tick" migrated=nil n=3 same=true v=1'
pass "strategy receives ticks"

# Good reload: v2 with a migrate that marks the state.
write_strategy 2 'function M.migrate(state) state.migrated = "yes"; return true end'
kill -HUP "$HOST_PID"
wait_for 'strategy reloaded'
wait_for 'msg="tick" migrated=yes n=[0-9]+ same=true v=2'
n_before=$(grep -E 'v=1$' "$T/host.log" | tail -1 | sed -E 's/.* n=([0-9]+).*/\1/')
n_after=$(grep -E 'v=2$' "$T/host.log" | head -1 | sed -E 's/.* n=([0-9]+).*/\1/')
[ "$n_after" -eq $((n_before + 1)) ] || fail "tick counter did not continue across reload ($n_before -> $n_after)"
pass "SIGHUP swapped code v1->v2, state table kept (n $n_before -> $n_after, same=true, migrated)"

# Broken script: syntax error. Old code (v2) keeps running; the error names file and line.
printf 'local M = {}\nfunction M.on_tick(state\nreturn M\n' > "$T/strat.lua"
kill -HUP "$HOST_PID"
wait_for 'strategy reload failed: old code keeps running'
grep -q "strat.lua:3:" "$T/host.log" || fail "reload error does not name file:line"
c2=$(grep -c 'v=2$' "$T/host.log")
wait_for 'v=2$' 5 $((c2 + 3))
pass "broken script on reload: error reported with file:line, v2 keeps ticking"

# check() refusing, and migrate() raising after mutating: both leave v2 and an intact state.
write_strategy 3 'function M.check() return false, "not today" end'
kill -HUP "$HOST_PID"
wait_for 'check\(\) refused: not today'
write_strategy 4 'function M.migrate(state) state.ticks = -1000; state.migrated = "half"; error("boom in migrate") end'
kill -HUP "$HOST_PID"
wait_for 'boom in migrate'
c2=$(grep -c 'v=2$' "$T/host.log")
wait_for 'v=2$' 5 $((c2 + 2))
grep -q 'migrated=half' "$T/host.log" && fail "a failed migrate leaked into the state"
last_n=$(grep -E 'v=2$' "$T/host.log" | tail -1 | sed -E 's/.* n=([0-9]+).*/\1/')
[ "$last_n" -gt "$n_after" ] || fail "state counter went backwards after failed migrate"
pass "failed check() and failed migrate() keep old code and restore state"

# A runtime error faults the strategy (logged with file:line, counted), not the host.
write_strategy 5 'local tick = M.on_tick; function M.on_tick(state, ctx) if state.ticks > 0 then error("kaput") end end'
kill -HUP "$HOST_PID"
wait_for 'strategy faulted: callbacks stopped until reload'
grep -q 'where=.*strat.lua:[0-9]*' "$T/host.log" || fail "fault log has no file:line"
kill -0 "$HOST_PID" || fail "host died on a strategy error"
pass "Lua error faulted the strategy, host alive"

write_strategy 6
kill -HUP "$HOST_PID"
wait_for 'unfaulted=true'
wait_for 'v=6$'
pass "good reload clears the fault"

kill -TERM "$HOST_PID"
wait_exit
[ "$HOST_RC" -eq 0 ] || fail "SIGTERM exit code $HOST_RC"
grep -q 'on_stop ran' "$T/host.log" || fail "on_stop did not run"
grep -q 'reason=SIGTERM' "$T/host.log" || fail "no graceful stop log"
pass "SIGTERM: on_stop ran, exit 0"
