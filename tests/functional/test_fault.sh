#!/usr/bin/env bash
# test_fault.sh — a strategy whose callback raises while its quotes rest: callbacks stop, its live
# orders are cancelled (strategy.on_fault = "cancel", the default) or left resting ("keep"), and
# the fault is visible in th.risk.status() (REPL), in GET /health ("ok": false, 503, the fault
# listed) and in the exit status (3). A faulted on_start is the same: not healthy, exit 3.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is not installed (tools/install-deps.sh installs it)"

# market_maker, raising in on_tick once its quotes are live (or in on_start when FAULT_AT=start).
cat >"$T/faulty.lua" <<'LUA'
local th = require("th")
local mm = require("strategies.market_maker")
local M = { defaults = mm.defaults }
for k, v in pairs(mm) do if type(v) == "function" then M[k] = v end end
function M.on_start(state, ctx)
  if os.getenv("FAULT_AT") == "start" then error("deliberate fault in on_start") end
  mm.on_start(state, ctx)
end
function M.on_tick(state, ctx)
  mm.on_tick(state, ctx)
  local live = #(th.orders.open() or {})
  if live >= 2 then th.log.info("faulting with live orders", { live = live }) error("deliberate fault with quotes live") end
end
return M
LUA

config() { # config NAME ON_FAULT
  paper_mm_config "$1" 'api = { listen = "127.0.0.1:0" },'
  sed -i "s|strategy = { name = \"market_maker\",|strategy = { name = \"market_maker\", module = \"$T/faulty.lua\", on_fault = \"$2\",|" "$T/cfg.lua"
  SOCK="$T/th$1.sock"
}
repl() { "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }
live_orders() { echo '#th.orders.open()' | repl | grep -E '^[0-9]+$' | tail -1; }
port() { grep -o 'msg="api: listening".*port=[0-9]*' "$T/host.log" | tail -1 | sed 's/.*port=//'; }
health() { curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$(port)/health" >"$T/code" || fail "curl /health"; echo "$(cat "$T/code") $(cat "$T/body")"; }

# 1. Default: the faulted strategy's orders are cancelled.
config a cancel
start_host run "$T/cfg.lua"
wait_for 'msg="faulting with live orders"' 20
wait_for 'strategy faulted: callbacks stopped until reload.*callback=on_tick' 5
wait_for 'strategy faulted: cancelling its orders.*callback=on_tick live_orders=[1-9]' 5
n=""
for i in $(seq 50); do n=$(live_orders); [ "$n" = 0 ] && break; sleep 0.1; done
[ "$n" = 0 ] || fail "orders still live 5 s after the fault: $n"
OUT=$(printf '%s\n' 'local f = th.risk.status().faults[1] return #th.risk.status().faults, f.strategy, f.callback, f.error, f.orders_cancelled > 0' | repl)
grep -Eq $'^1\t"market_maker"\t"on_tick"\t".*faulty.lua:[0-9]+: deliberate fault with quotes live"\ttrue$' <<<"$OUT" \
  || fail "th.risk.status().faults: $OUT"
out=$(health)
[[ "$out" == '503 {"ok":false,'*'"faults":[{"strategy":"market_maker","callback":"on_tick","error":"'*'deliberate fault with quotes live","orders_cancelled":'[1-9]* ]] \
  || fail "/health with a faulted strategy: $out"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 3 ] || fail "a session ending with a faulted strategy exited $HOST_RC, expected 3"
grep -q 'session ended with a faulted strategy.*exit=3' "$T/host.log" || fail "no log line for the exit status"
pass "fault in on_tick: orders cancelled, th.risk.status().faults and /health (503, ok=false) name it, exit 3"

# 2. on_fault = "keep": the orders stay resting for the operator.
config b keep
start_host run "$T/cfg.lua"
wait_for 'strategy faulted: its orders are kept \(strategy.on_fault = keep\).*live_orders=[1-9]' 20
sleep 1
n=$(live_orders)
[ "${n:-0}" -gt 0 ] || fail "on_fault = keep: the orders were not kept (live: '$n')"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 3 ] || fail "keep: exit $HOST_RC, expected 3"
pass "on_fault = keep: $n orders left resting after the fault; exit 3"

# 3. A faulted on_start: the host runs but is not healthy, and says so when it ends.
config c cancel
FAULT_AT=start start_host run "$T/cfg.lua"
wait_for 'api: listening' 10
wait_for 'strategy faulted.*callback=on_start' 10
out=$(health)
[[ "$out" == '503 {"ok":false,'*'"callback":"on_start","error":"'*'deliberate fault in on_start"'* ]] || fail "/health after a faulted on_start: $out"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 3 ] || fail "faulted on_start: exit $HOST_RC, expected 3"
pass "faulted on_start: /health 503 ok=false with the fault; exit 3 (was: ok=true, exit 0)"

# 4. on_fault is validated.
config d sometimes
set +e; "$TH_BIN" run "$T/cfg.lua" --duration 1 2>"$T/bad.log"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'strategy.on_fault: sometimes is not one of cancel, keep' "$T/bad.log" || fail "bad on_fault: rc $rc: $(cat "$T/bad.log")"
pass "strategy.on_fault = \"sometimes\" is refused by name"
