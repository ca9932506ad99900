#!/usr/bin/env bash
# test_timers.sh — th.every / th.after on the host clock, and what a strategy sees around them:
#  1. a paper run at speed 4: an every(1) fires at each recorded second (not each wall second), an
#     after(2) once, a cancelled timer never; the per-strategy bound and bad arguments raise clear
#     errors; the REPL (no strategy callback running) is refused;
#  2. reload: the old code's timers stop, the new code's migrate re-arms; a failed reload keeps
#     them; a raising timer faults the strategy like a raising callback (orders cancelled,
#     th.risk.status().faults, the strategy's on_fault hook told);
#  3. reload counters: successful and failed reloads apart, in th.risk.status().strategies (REPL)
#     and /metrics; on_halt(reason, code) when the kill switch is pulled;
#  4. a backtest (virtual clock at full pace): an every(1) fires once per recorded second.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is not installed"

cat >"$T/v1.lua" <<'LUA'
local th = require("th")
local M = {}
local function ms(st) return math.floor((tonumber(th.clock.now_ns()) - st.t0) / 1e6) end
function M.on_start(state)
  state.t0 = tonumber(th.clock.now_ns())
  state.n = 0
  th.every(1, function(st) st.n = st.n + 1 th.log.info("every fired", { tag = "v1", n = st.n, dt_ms = ms(st) }) end)
  th.after(2, function(st) th.log.info("after fired", { dt_ms = ms(st) }) end)
  local h = th.after(1.5, function() th.log.info("cancelled timer fired") end)
  th.log.info("cancel", { first = tostring(h:cancel()), second = tostring(h:cancel()) })
  local hs = {}
  local _, err = pcall(function() for _ = 1, 100 do hs[#hs + 1] = th.after(1000, function() end) end end)
  th.log.info("timer bound", { armed = #hs, err = err })
  for _, x in ipairs(hs) do x:cancel() end
  local _, e1 = pcall(th.every, 0, function() end)
  local _, e2 = pcall(th.after, 1, "not a function")
  th.log.info("timer args", { every0 = e1, fn = e2 })
  if os.getenv("BACKTEST") then th.every(1, function(st) th.log.info("bt every", { dt_ms = ms(st) }) end) end
end
return M
LUA
cat >"$T/v2.lua" <<'LUA'
local th = require("th")
local M = {}
function M.migrate(state)
  state.m = 0
  th.every(0.5, function(st) st.m = st.m + 1 th.log.info("every fired", { tag = "v2", n = st.m }) end)
end
function M.on_halt(state, ctx, reason, code) th.log.info("on_halt called", { reason = reason, code = code }) end
return M
LUA
cat >"$T/v3.lua" <<'LUA'
local th = require("th")
local M = {}
function M.migrate(state)
  th.after(0.25, function() error("deliberate timer fault") end)
end
function M.on_fault(state, ctx, err) th.log.info("on_fault hook", { err = err }) end
return M
LUA

paper_mm_config a 'api = { listen = "127.0.0.1:0" },'
sed -i "s|strategy = { name = \"market_maker\",|strategy = { name = \"market_maker\", module = \"$T/strat.lua\",|" "$T/cfg.lua"
cp "$T/v1.lua" "$T/strat.lua"
SOCK="$T/tha.sock"
repl() { "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }
port() { grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | tail -1 | sed 's/.*port=//'; }

# 1. on the recorded clock at speed 4
start_host run "$T/cfg.lua"
wait_for 'msg="every fired" dt_ms=[0-9]+ n=4 tag=v1' 10
t_start=$(grep -m1 'msg="session starting"' "$T/host.log" | sed 's/^ts=[^T]*T\([0-9:.]*\)Z.*/\1/')
t_fourth=$(grep -m1 'msg="every fired".* n=4 ' "$T/host.log" | sed 's/^ts=[^T]*T\([0-9:.]*\)Z.*/\1/')
wall_ms=$(python3 -c "import sys;h=lambda t:sum(float(x)*m for x,m in zip(t.split(':'),(3600,60,1)));print(int((h('$t_fourth')-h('$t_start'))*1000))")
[ "$wall_ms" -lt 2500 ] || fail "4 recorded seconds took ${wall_ms} ms of wall time at speed 4 (timers on wall time?)"
for n in 1 2 3 4; do
  dt=$(grep -m1 "msg=\"every fired\".* n=$n tag=v1" "$T/host.log" | sed 's/.*dt_ms=\([0-9]*\).*/\1/')
  [ -n "$dt" ] && [ "$dt" -ge $((n * 1000)) ] && [ "$dt" -le $((n * 1000 + 150)) ] \
    || fail "every(1) call $n at ${dt:-never} ms of recorded time, expected $((n * 1000))..$((n * 1000 + 150))"
done
[ "$(grep -c 'msg="after fired"' "$T/host.log")" = 1 ] || fail "after(2) fired $(grep -c 'msg="after fired"' "$T/host.log") times"
dt=$(grep 'msg="after fired"' "$T/host.log" | sed 's/.*dt_ms=\([0-9]*\).*/\1/')
[ "$dt" -ge 2000 ] && [ "$dt" -le 2150 ] || fail "after(2) fired at $dt ms"
! grep -q 'cancelled timer fired' "$T/host.log" || fail "a cancelled timer fired"
grep -q 'msg="cancel" first=true second=false' "$T/host.log" || fail "cancel results: $(grep 'msg="cancel"' "$T/host.log")"
grep -q 'msg="timer bound" armed=62 err=".*th.after: strategy market_maker already has 64 timers (the limit); cancel one first"' "$T/host.log" \
  || fail "bound: $(grep 'timer bound' "$T/host.log")"
grep -q 'every0=".*th.every: the period must be at least 0.001 s, got 0" fn=".*th.after: fn must be a function, got string"' "$T/host.log" \
  || fail "argument errors: $(grep 'timer args' "$T/host.log")"
out=$(echo 'th.after(1, function() end)' | repl)
[[ "$out" == *"th.after: no strategy callback is running"* ]] || fail "REPL th.after: $out"
pass "every(1) at recorded seconds (4 in ${wall_ms} ms of wall time), after(2) once, cancel, bound 64, argument errors, REPL refused"

# 2. reload: timers swap with the code; a failed reload keeps them; a raising timer faults
cp "$T/v2.lua" "$T/strat.lua"
kill -HUP "$HOST_PID"
wait_for 'msg="strategy reloaded"' 5
wait_for 'msg="every fired" n=4 tag=v2' 5
after_reload=$(awk '/msg="strategy reloaded"/{f=1;next} f' "$T/host.log")
! grep -q 'tag=v1' <<<"$after_reload" || fail "the old code's timer fired after the reload"
echo 'return {' >"$T/strat.lua"
kill -HUP "$HOST_PID"
wait_for 'strategy reload failed' 5
n_before=$(grep -c 'tag=v2' "$T/host.log")
wait_for 'msg="every fired" n=8 tag=v2' 5
pass "reload: the old code's timers dropped, migrate re-armed every(0.5); a failed reload kept them ($n_before -> 8 calls)"

cp "$T/v3.lua" "$T/strat.lua"
kill -HUP "$HOST_PID"
wait_for 'strategy faulted: callbacks stopped until reload.*callback=timer .*deliberate timer fault' 5
wait_for 'msg="on_fault hook" err=".*strat.lua:[0-9]+: deliberate timer fault"' 5
sleep 0.5
tail_v2=$(awk '/strategy faulted: callbacks stopped until reload.*callback=timer/{f=1;next} f' "$T/host.log" | grep -c 'tag=v2' || true)
[ "$tail_v2" = 0 ] || fail "timers kept firing after the fault ($tail_v2)"
OUT=$(printf '%s\n' 'local s = th.risk.status() local i = s.strategies[1] return s.faults[1].callback, i.faulted, i.reloads, i.reload_failures' | repl)
grep -Eq $'^"timer"\ttrue\t2\t1$' <<<"$OUT" || fail "th.risk.status() after the timer fault: $OUT"
pass "a raising timer faults the strategy (callback=timer), its timers stop, on_fault(err) is told"

# 3. counters in /metrics; on_halt on the kill switch
metrics=$(curl -s "http://127.0.0.1:$(port)/metrics")
grep -Eq '^strategy_reloads\{strategy="market_maker"\} 2$' <<<"$metrics" || fail "/metrics reloads: $(grep strategy_reload <<<"$metrics")"
grep -Eq '^strategy_reload_failures\{strategy="market_maker"\} 1$' <<<"$metrics" || fail "/metrics reload failures: $(grep strategy_reload <<<"$metrics")"
cp "$T/v2.lua" "$T/strat.lua"
kill -HUP "$HOST_PID"
wait_for 'strategy reloaded.*unfaulted=true' 5
echo 'th.risk.kill("by the test")' | repl >/dev/null
wait_for 'msg="on_halt called" code=halted reason="by the test"' 5
OUT=$(printf '%s\n' 'local s = th.risk.status() local i = s.strategies[1] return s.halted, i.halts, i.faulted, i.reloads, i.timers' | repl)
grep -Eq $'^true\t1\tfalse\t3\t1$' <<<"$OUT" || fail "th.risk.status() after the kill: $OUT"
echo 'th.risk.rearm()' | repl >/dev/null
echo 'th.risk.kill("again")' | repl >/dev/null
wait_for 'msg="on_halt called" code=halted reason="?again"?$' 5
[ "$(grep -c 'msg="on_halt called"' "$T/host.log")" = 2 ] || fail "on_halt calls: $(grep -c 'on_halt called' "$T/host.log")"
kill -TERM "$HOST_PID"; wait_exit 20
grep -q 'session stopped.*reloads=3 reload_failures=1' "$T/host.log" || fail "$(grep 'session stopped' "$T/host.log")"
pass "reloads 3 and reload failures 1 counted apart (/metrics, th.risk.status().strategies); on_halt once per halt"

# 4. backtest: the virtual clock at full pace
cp "$T/v1.lua" "$T/strat.lua"
BACKTEST=1 start_host backtest "$T/cfg.lua"
wait_exit 60
[ "$HOST_RC" = 0 ] || fail "backtest exit $HOST_RC"
n=$(grep -c 'msg="bt every"' "$T/host.log")
[ "$n" = 29 ] || fail "backtest: every(1) fired $n times over 29.3 recorded seconds, expected 29"
i=0
while read -r dt; do
  i=$((i + 1))
  [ "$dt" -ge $((i * 1000)) ] && [ "$dt" -le $((i * 1000 + 100)) ] || fail "backtest call $i at $dt ms"
done < <(grep 'msg="bt every"' "$T/host.log" | sed 's/.*dt_ms=\([0-9]*\).*/\1/')
pass "backtest: every(1) fired 29 times, each within 100 ms of recorded time after its second"
