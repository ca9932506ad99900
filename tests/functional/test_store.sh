#!/usr/bin/env bash
# test_store.sh — th.store: a strategy's own key-value state survives restarts through the journal.
#  1. a paper run writes a counter at start and, every tick, a table with a 3 KB string (five
#     journal records) whose fields depend on each other; bad values and bounds raise clear errors;
#  2. kill -9 mid-session, restart with --resume: before on_start the store holds a value the run
#     wrote (not older than the last one logged before the kill minus what one commit may lose),
#     whole (every field consistent: never half of a write), the start counter at 1;
#  3. a graceful stop and a second --resume: the values came through a journal that was itself a
#     restart's (carried over), and deleted keys stay deleted;
# (A journal of a newer format version is refused by name: unit.test_order_flow,
# journal_versions_old_read_newer_refused; the store's chunks at every torn byte: unit.test_store.)
source "$(dirname "$0")/lib.sh"

cat >"$T/strat.lua" <<'LUA'
local th = require("th")
local M = {}
local function check(cond, what) if not cond then error("store check failed: " .. what, 2) end end
local function value(n)
  return { n = n, sq = n * n, tag = "t" .. n, big = string.rep(string.char(65 + n % 26), 3000),
           nested = { deep = { ok = true, list = { n, n + 1, n + 2 } }, half = n / 2 } }
end
function M.on_start(state)
  local boots = th.store.get("boots") or 0
  local v = th.store.get("state")
  local fields = { boots = boots, n = v and v.n or -1, gone = tostring(th.store.get("temp")),
                   keys = table.concat(th.store.keys(), ",") }
  if v then
    local w = value(v.n)
    check(v.sq == w.sq and v.tag == w.tag and v.big == w.big and v.nested.half == w.nested.half, "fields of n=" .. v.n)
    check(v.nested.deep.ok == true and #v.nested.deep.list == 3 and v.nested.deep.list[3] == v.n + 2, "nested of n=" .. v.n)
    fields.whole = "yes"
  end
  th.log.info("store at start", fields)
  th.store.set("boots", boots + 1)
  state.n = v and v.n or 0
  if boots == 0 then
    th.store.set("temp", "to delete")
    th.store.set("temp", nil)
    local errs = {}
    local function try(name, k, x) local ok, e = pcall(th.store.set, k, x) errs[#errs + 1] = name .. "=" .. (ok and "accepted" or e) end
    try("function", "f", function() end)
    local cyc = {} cyc.self = cyc
    try("cycle", "c", cyc)
    try("nan", "x", { a = 0 / 0 })
    try("big", "b", string.rep("x", 17000))
    try("key", string.rep("k", 200), 1)
    for _, e in ipairs(errs) do th.log.info("store error", { e = e }) end
    th.store.set("exact", { third = 1 / 3, tiny = 1.23e-6, huge = 2 ^ 60, neg = -0.1, s = "a\0b" })
  end
  local x = th.store.get("exact")
  check(x.third == 1 / 3 and x.tiny == 1.23e-6 and x.huge == 2 ^ 60 and x.neg == -0.1 and x.s == "a\0b", "exact numbers")
end
function M.on_tick(state)
  state.n = state.n + 1
  th.store.set("state", value(state.n))
  th.log.info("stored", { n = state.n })
end
return M
LUA

paper_mm_config a 'api = { listen = "127.0.0.1:0" },'
sed -i "s|strategy = { name = \"market_maker\",|strategy = { name = \"market_maker\", module = \"$T/strat.lua\",|" "$T/cfg.lua"

# 1. first run
start_host run "$T/cfg.lua"
wait_for 'msg="store at start" boots=0 gone=nil keys= n=-1' 10
for want in 'function=.*th.store.set: value of f is a function: th.store keeps strings, numbers, booleans and tables of them' \
            'cycle=.*th.store.set: value of c.self appears twice \(cycles and shared tables are not stored\)' \
            'nan=.*th.store.set: value of x.a is nan: only finite numbers are stored' \
            'big=.*th.store.set\(b\): the value is larger than 16 KiB serialized \(th.store.s limit per key\) \(17007 bytes serialized\)' \
            'key=.*the key is longer than 127 bytes'; do
  grep -Eq "msg=\"store error\" e=\"$want" "$T/host.log" || fail "no clear error: $want; got: $(grep 'store error' "$T/host.log")"
done
pass "th.store refuses functions, cycles, NaN, a 17 KB value and a 200-byte key, each with a message naming it"

# 2. kill -9 mid-session, restart
wait_for 'msg="stored" n=40' 20
kill -9 "$HOST_PID"; wait_exit 5
last=$(grep 'msg="stored"' "$T/host.log" | tail -1 | sed 's/.*n=//')
cp "$T/host.log" "$T/host1.log"
start_host run "$T/cfg.lua" --resume
wait_for 'msg="store at start"' 10
line=$(grep 'msg="store at start"' "$T/host.log")
n=$(sed 's/.* n=\([0-9-]*\).*/\1/' <<<"$line")
[[ "$line" == *"boots=1 "*"keys=boots,exact,state"*"whole=yes"* ]] || fail "after kill -9: $line"
[ "$n" -le "$last" ] && [ "$n" -ge $((last - 2)) ] || fail "restored n=$n, the last write logged before kill -9 was n=$last"
! grep -q 'strategy faulted' "$T/host.log" || fail "$(grep 'strategy faulted' "$T/host.log")"
pass "kill -9 after n=$last: restarted with n=$n whole (3 KB string, nested table), boots=1, before on_start"

# 3. graceful stop, second restart: carried over through the restart's journal
wait_for 'msg="stored" n='$((n + 10)) 20
kill -TERM "$HOST_PID"; wait_exit 20
last=$(grep 'msg="stored"' "$T/host.log" | tail -1 | sed 's/.*n=//')
start_host run "$T/cfg.lua" --resume
wait_for 'msg="store at start"' 10
line=$(grep 'msg="store at start"' "$T/host.log")
[[ "$line" == *"boots=2 gone=nil keys=boots,exact,state n=$last whole=yes"* ]] || fail "after a graceful stop (last n=$last): $line"
kill -TERM "$HOST_PID"; wait_exit 20
pass "graceful stop at n=$last and a second restart: n=$last exactly, boots=2, the deleted key stays deleted"

