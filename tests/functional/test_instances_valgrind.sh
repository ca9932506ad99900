#!/usr/bin/env bash
# Several strategy instances (config `strategies`) under valgrind: two instances load (the second
# allocated beside the session's), one faults, a SIGHUP reloads both, the REPL reaches the second
# (instance(id)); a second SIGHUP removes the first and adds a third in its place (the session's
# own struct takes the new one); SIGTERM: no invalid access and no leak (definite, indirect or possible).
. "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vg_lib.sh"
vg_require
cat >"$T/inst.lua" <<'LUA'
local th = require("th")
local M = { defaults = { fail_at = 0 } }
function M.on_start(state) state.ticks = 0 end
function M.on_tick(state, ctx)
  state.ticks = state.ticks + 1
  th.log.info("inst tick", { instance = ctx.name, n = state.ticks })
  if ctx.params.fail_at > 0 and state.ticks == ctx.params.fail_at then error("boom in " .. ctx.name) end
end
return M
LUA
cat >"$T/cfg.lua" <<LUA
return { venue = { name = "sim" }, strategy = { tick_ms = 20, budget_ms = 1000 },
         strategies = { { name = "inst", id = "one", module = "$T/inst.lua", pairs = { "A/B" } },
                        { name = "inst", id = "two", module = "$T/inst.lua", pairs = { "C/D" }, params = { fail_at = 3 } } },
         repl = { socket = "$T/th.sock" } }
LUA
"${VG[@]}" --log-file="$T/vg.log" "$TH_BIN" run "$T/cfg.lua" 2>"$T/host.log" &
HOST_PID=$!
wait_for 'strategy faulted.*strategy=two' 60
wait_for 'msg="inst tick" instance=one n=6' 30
sed -i 's/fail_at = 3/fail_at = 0/' "$T/cfg.lua"
kill -HUP "$HOST_PID"
wait_for 'msg="reload applied"|strategy reloaded' 30
wait_for 'msg="inst tick" instance=two n=5' 30
out=$(echo 'local s, c = instance("two") return c.name .. " " .. tostring(s.ticks >= 5)' | "$TH_BIN" repl "$T/th.sock" 2>/dev/null)
[ "$out" = '"two true"' ] || fail "repl instance() under valgrind: $out"
sed -i 's/id = "one"/id = "three"/' "$T/cfg.lua"
grep -q 'id = "three"' "$T/cfg.lua" || fail "the test's edit did not apply: $(cat "$T/cfg.lua")"
kill -HUP "$HOST_PID"
wait_for 'msg="inst tick" instance=three n=3' 30
out=$(echo 'local t = {} for _, s in ipairs(th.strategies()) do t[#t + 1] = s.name end return ctx.name .. " " .. table.concat(t, ",")' | "$TH_BIN" repl "$T/th.sock" 2>/dev/null)
[ "$out" = '"three three,two"' ] || fail "after removing the first instance under valgrind: $out"
kill -TERM "$HOST_PID"
wait_exit 60
vg_clean "$T/vg.log" "$HOST_RC" "the host"
pass "two instances, one faulting, SIGHUP, REPL instance(), SIGTERM under valgrind: $(vg_summary "$T/vg.log")"
