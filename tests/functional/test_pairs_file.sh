#!/usr/bin/env bash
# test_pairs_file.sh — a pair list in its own file (`pairs = th.pairs_file("pairs/top.lua")`, the
# path relative to the config file's directory, whatever the working directory), rewritten by a
# "discovery script" and picked up by SIGHUP: the new pair starts quoting, the dropped one has its
# orders cancelled. A missing file, a syntax error in it and a bad item are refused with the file
# named (at start: exit 2; on a reload: nothing changes).
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
mkdir -p "$T/conf/pairs"
paper_mm_lua "$T/j" "repl = { socket = \"$SOCK\" }," >"$T/conf/cfg.lua"
sed -i 's|^  pairs = .*|  pairs = th.pairs_file("pairs/top.lua"),|' "$T/conf/cfg.lua"
grep -q 'th.pairs_file("pairs/top.lua")' "$T/conf/cfg.lua" || fail "the test's edit did not apply"
discover() { # discover LUA-LIST: what a discovery script does: write the list beside, then rename over
  printf 'return %s\n' "$1" >"$T/conf/pairs/top.lua.tmp"
  mv "$T/conf/pairs/top.lua.tmp" "$T/conf/pairs/top.lua"
}
repl() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }
ask() { printf '%s\n' "$1" | repl; }
wait_open() { # wait_open SYMBOL N
  local i=0
  while [ "$(ask "return #th.orders.open(\"$1\")")" != "$2" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "$1: $(ask "return #th.orders.open(\"$1\")") open orders, expected $2"
    sleep 0.1
  done
}

# A start with the file missing: exit 2, the file named.
cd /
set +e; "$TH_BIN" run "$T/conf/cfg.lua" 2>"$T/start.err"; rc=$?; set -e
[ "$rc" = 2 ] || fail "start without the pairs file: exit $rc"
grep -q "invalid config: $T/conf/cfg.lua: error while evaluating: $T/conf/cfg.lua:[0-9]*: th.pairs_file: no such file: $T/conf/pairs/top.lua" "$T/start.err" \
  || fail "start without the pairs file: $(cat "$T/start.err")"
pass "a missing pairs file stops start-up (exit 2) naming the config line and the file"

discover '{ { symbol = "XMR/USD", size = 0.5 }, { symbol = "WAVES/EUR", size = 20 } }'
start_host run "$T/conf/cfg.lua"   # from /: the list is found beside the config all the same
wait_for 'order flow ready' 10
wait_open XMR/USD 4
wait_open WAVES/EUR 4
pass "started from / with the pairs in conf/pairs/top.lua: XMR/USD and WAVES/EUR quote"

discover '{ { symbol = "XMR/USD", size = 0.5 }, "KSM/BTC" }'
kill -HUP "$HOST_PID"
wait_for 'msg="reload applied".*pairs added KSM/BTC; pairs removed WAVES/EUR' 5
wait_for 'pair removed by a reload: its orders cancelled.* symbol=WAVES/EUR cancelled=4' 5
wait_open WAVES/EUR 0
wait_open KSM/BTC 4
[ "$(ask 'return ctx.symbols["KSM/BTC"].params.size, ctx.config._pairs_file')" = $'1\t"'"$T/conf/pairs/top.lua"'"' ] \
  || fail "ctx: $(ask 'return ctx.symbols["KSM/BTC"].params.size, ctx.config._pairs_file')"
pass "the list rewritten and SIGHUP: KSM/BTC (a bare symbol: default size 1) quotes, WAVES/EUR's 4 orders cancelled"

# Bad lists: refused with the file named, nothing changes.
check_refused() { # LABEL EXPECTED
  local out; out=$(ask 'reload()')
  [[ "$out" == "reload failed: "*"$2"* ]] || fail "$1: $out"
  [ "$(ask 'local p = {} for i, x in ipairs(ctx.pairs) do p[i] = x.symbol end return table.concat(p, " ")')" = '"XMR/USD KSM/BTC"' ] \
    || fail "$1: the pairs changed"
  pass "$1: $out"
}
discover '{ "XMR/USD", { symbol = 5 } }'
check_refused "a bad item" "config $T/conf/cfg.lua (pairs from $T/conf/pairs/top.lua): pairs[2].symbol: expected string, got number"
printf 'return {\n  "XMR/USD"\n  "KSM/BTC",\n}\n' >"$T/conf/pairs/top.lua"
check_refused "a syntax error in the list" "th.pairs_file: $T/conf/pairs/top.lua:3: '}' expected (to close '{' at line 1) near '\"KSM/BTC\"'"
rm "$T/conf/pairs/top.lua"
check_refused "the list gone" "th.pairs_file: no such file: $T/conf/pairs/top.lua"
discover '{ "XMR/USD", "XMR/USD" }'
check_refused "a pair twice" "pairs[2].symbol: XMR/USD is listed twice (first at pairs[1])"

kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "exit $HOST_RC"
