#!/usr/bin/env bash
# test_repl_show.sh — how the REPL shows values (scripts/th/repl_show.lua), through the real client
# on a paper market maker: nested tables pretty-printed (one line when short, one entry per line
# when long), the depth limit ({...}; show(v, depth) goes deeper), cycles marked with where the
# table was shown, at most 40 entries a table, numbers at real magnitudes (BTC 100000.12345678,
# a meme coin's 0.00000123, a size of 1e9) printed exactly, and a book shown as its top levels.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
paper_mm_config
start_host run "$T/cfg.lua"
wait_for 'repl: listening' 10
wait_for 'order flow ready' 10

repl() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }
same() { # same LABEL GOT WANT
  [ "$2" = "$3" ] || { printf -- '--- got ---\n%s\n--- want ---\n%s\n' "$2" "$3" >&2; fail "$1"; }
}

# Depth: 4 levels below the value by default, then {...}; show(v, depth) prints deeper.
OUT=$(printf '%s\n' 't = { a = { b = { c = { d = { e = { f = 1 } } } } } }' 'return t' 'show(t, 6)' 'show(t, 1)' | repl)
same "depth limit" "$OUT" '{ a = { b = { c = { d = {...} } } } }
{ a = { b = { c = { d = { e = { f = 1 } } } } } }
{ a = {...} }'
pass "nested tables stop at depth 4 with {...}; show(t, 6) and show(t, 1) choose the depth"

# Cycles: the back reference names where the table was shown.
OUT=$(printf '%s\n' 'c = { name = "c" } c.self = c c.kids = { c, { up = c } } return c' \
  'x = { a = { n = 1 } } x.a.back = x.a x.a.root = x return x' \
  'shared = { 1 } return { p = shared, q = shared }' | repl)
same "cycles" "$OUT" '{ kids = { <cycle: top>, { up = <cycle: top> } }, name = "c", self = <cycle: top> }
{ a = { back = <cycle: top.a>, n = 1, root = <cycle: top> } }
{ p = { 1 }, q = { 1 } }'
pass "a table inside itself is shown once, its back references as <cycle: top> / <cycle: top.a>; a shared (acyclic) table is shown twice"

# Layout: short tables on one line, a long one with one entry per line, indented.
OUT=$(printf '%s\n' 'return { alpha = string.rep("x", 50), beta = { 1, 2, 3 }, gamma = { delta = string.rep("y", 50), eps = { "z" } } }' | repl)
same "multi-line layout" "$OUT" '{
  alpha = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
  beta = { 1, 2, 3 },
  gamma = { delta = "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", eps = { "z" } }
}'
OUT=$(printf '%s\n' 'local t = {} for i = 1, 100 do t[i] = i * 1000 end return t' | repl)
same "a long list" "$OUT" '{
  1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000, 13000, 14000, 15000,
  16000, 17000, 18000, 19000, 20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000,
  30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000, 40000, ... (60 more)
}'
OUT=$(printf '%s\n' 'local t = {} for i = 1, 100 do t[("k%03d"):format(i)] = i end return t' | repl)
[ "$(grep -cE '^  k0[0-9][0-9] = [0-9]+,$' <<<"$OUT")" = 40 ] && [ "$(sed -n 42p <<<"$OUT")" = '  ... (60 more)' ] ||
  fail "100 keys: '$OUT'"
pass "short tables on one line, long ones one entry per line (lists of short values filled); 40 entries then '... (60 more)'"

# Numbers at real magnitudes, strings with control bytes, keys that are not names.
OUT=$(printf '%s\n' 'return { 100000.12345678, 0.00000123, 1e9, 1234567890.12345678, 0.1 + 0.2, 2^53, -0.5, 1/0, -1/0, 0/0 }' \
  'return { ["a b"] = 1, ["end"] = 2, [true] = 3, s = "tab\there\nnl \"q\" \1" }' | repl)
same "numbers and strings" "$OUT" '{
  100000.12345678, 0.00000123, 1000000000, 1234567890.1234567, 0.30000000000000004,
  9007199254740992, -0.5, inf, -inf, nan
}
{ [true] = 3, ["a b"] = 1, ["end"] = 2, s = "tab\there\nnl \"q\" \001" }'
pass "numbers print exactly (100000.12345678, 0.00000123, 1000000000, 0.30000000000000004), strings escaped"

# A book: as its top levels (a ladder of 5 asks and 5 bids around the spread); inline in a table.
for i in $(seq 50); do
  OUT=$(echo 'th.book("XMR/USD"):ok()' | repl); [ "$OUT" = true ] && break; sleep 0.1
done
[ "$OUT" = true ] || fail "the XMR/USD book never became ok"
OUT=$(echo 'th.book("XMR/USD")' | repl)
head -1 <<<"$OUT" | grep -Eq '^book XMR/USD: ok( \(.*\))?, updated [0-9.]+ s ago$' || fail "book header: '$OUT'"
[ "$(grep -cE '^  ask +[0-9.]+ +[0-9.]+$' <<<"$OUT")" = 5 ] || fail "book: not 5 ask levels: '$OUT'"
[ "$(grep -cE '^  bid +[0-9.]+ +[0-9.]+$' <<<"$OUT")" = 5 ] || fail "book: not 5 bid levels: '$OUT'"
grep -Eq '^  ---  spread [0-9]+\.[0-9]{1,2}, mid [0-9.]+$' <<<"$OUT" || fail "book: no spread line to the prices' decimals: '$OUT'"
# asks descend to the spread, bids descend from it; the best ask is above the best bid
awk '/^  (ask|bid)/ { p = $2 + 0; if (n++ && p >= last) bad = 1; last = p } END { exit bad }' <<<"$OUT" ||
  fail "book ladder not in price order: '$OUT'"
OUT=$(echo 'return { b = th.book("XMR/USD"), n = 1 }' | repl)
grep -Eq '^\{ b = <book XMR/USD ok bid [0-9.]+@[0-9.]+ ask [0-9.]+@[0-9.]+>, n = 1 \}$' <<<"$OUT" || fail "inline book: '$OUT'"
pass "a book is shown as its top levels: 5 asks, the spread and mid, 5 bids; inline as <book ...>"

# The read-only REPL shows the same, functions in state hidden.
OUT=$(printf '%s\n' 'state' 'show(ctx.pairs, 1)' | timeout 20 "$TH_BIN" repl --read-only "$SOCK")
grep -Eq '^\{ fills = 0, last_report = [0-9.]+, refusals = \{.*\} \}$' <<<"$(head -1 <<<"$OUT")" || fail "read-only state: '$OUT'"
[ "$(tail -1 <<<"$OUT")" = '{ {...}, {...} }' ] || fail "read-only show(ctx.pairs, 1): '$OUT'"
pass "the read-only REPL pretty-prints through its proxies"

kill -TERM "$HOST_PID"; wait_exit 20
