#!/usr/bin/env bash
# test_repl_json.sh — the REPL's machine mode, `tradehost repl --json SOCKET`: each input line one
# chunk, each answer exactly one JSON object on one line ({"ok", "value"/"values" or "error",
# "output"}), for values, prints, errors, incomplete chunks, runaway chunks, cycles, non-UTF-8
# bytes, books; `.complete WORD` (tab completion over the protocol: keys of the table the word
# resolves to, never running code, __index tables followed, functions with "("); the read-only
# socket's completions list only what it may call; a line with an ESC byte is answered by the
# client itself.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
paper_mm_config
start_host run "$T/cfg.lua"
wait_for 'repl: listening' 10
wait_for 'order flow ready' 10

# check LABEL FILE PYTHON: FILE holds the answers; the python code gets `a` (the list of objects)
check() {
  python3 - "$2" "$3" <<'PY' || fail "$1"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == "", "the output does not end in a newline"
a = [json.loads(l) for l in lines[:-1]]
try:
    exec(sys.argv[2])
except AssertionError as e:
    sys.stderr.write("assertion failed: %s\nanswers:\n%s\n" % (e, "\n".join(lines)))
    sys.exit(1)
PY
}

IN=(
  '1+1'
  'print("a", 2) print("b") return "c"'
  'error("boom")'
  'function f('
  'return 1, nil, {1, 2, {k = "v"}}'
  'x = 41'
  'x + 1'
  'local t = { name = "t" } t.self = t return t'
  'return "\255ok\226\130\172"'
  'return 0/0, 1/0, 100000.12345678, 0.00000123, 2^40, {}'
  'while true do end'
  'th.book("XMR/USD")'
  'return 123456789012LL'
  'print(string.rep("z", 10)) return nil'
  $'\x1b[A'
  '.complete th.ri'
  '.complete th.risk.'
  '.complete pri'
  '.complete th.book("X"):'
  '.complete nosuch.'
  'obj = setmetatable({ own = 1 }, { __index = { inherited = 2, method = function() end } })'
  '.complete obj.'
  '.complete obj:'
  'trap = setmetatable({}, { __index = function(_, k) hits = (hits or 0) + 1 end })'
  '.complete trap.x'
  'hits'
  's = "text"'
  '.complete s:up'
)
printf '%s\n' "${IN[@]}" | timeout 30 "$TH_BIN" repl --json "$SOCK" >"$T/full.json" 2>"$T/full.err" || fail "json client exited $?: $(cat "$T/full.err")"
[ "$(wc -l <"$T/full.json")" = "${#IN[@]}" ] || { cat "$T/full.json"; fail "expected ${#IN[@]} answers, one per line"; }
check "machine mode answers" "$T/full.json" '
assert a[0] == {"ok": True, "n": 1, "value": 2, "output": ""}, a[0]
assert a[1] == {"ok": True, "n": 1, "value": "c", "output": "a\t2\nb\n"}, a[1]
assert a[2]["ok"] is False and a[2]["error"].endswith("boom") and a[2]["output"] == "", a[2]
assert a[3]["ok"] is False and a[3]["incomplete"] is True and "<eof>" in a[3]["error"], a[3]
assert a[4] == {"ok": True, "n": 3, "value": 1, "values": [1, None, [1, 2, {"k": "v"}]], "output": ""}, a[4]
assert a[5] == {"ok": True, "n": 0, "value": None, "output": ""}, a[5]
assert a[6]["value"] == 42, a[6]
assert a[7]["value"] == {"name": "t", "self": "<cycle>"}, a[7]
assert a[8]["value"] == "\ufffdok\u20ac", a[8]
assert a[9]["values"] == ["nan", "inf", 100000.12345678, 0.00000123, 1099511627776, {}], a[9]
assert a[10]["ok"] is False and "stopped after" in a[10]["error"], a[10]
b = a[11]["value"]
assert b["symbol"] == "XMR/USD" and b["health"] == "ok" and len(b["bids"]) == 5 and len(b["asks"]) == 5, b
assert b["bids"][0][0] < b["asks"][0][0] and b["mid"] > 0, b
assert a[12]["value"] == 123456789012, a[12]
assert a[13] == {"ok": True, "n": 1, "value": None, "output": "zzzzzzzzzz\n"}, a[13]
assert a[14]["ok"] is False and "ESC byte" in a[14]["error"], a[14]
assert a[15] == {"ok": True, "completions": ["th.risk"]}, a[15]
assert a[16]["completions"] == ["th.risk.kill(", "th.risk.rearm(", "th.risk.set_reference(", "th.risk.status("], a[16]
assert a[17]["completions"] == ["print("], a[17]
assert a[18]["completions"] == [] and a[19]["completions"] == [], (a[18], a[19])
assert a[21]["completions"] == ["obj.inherited", "obj.method(", "obj.own"], a[21]
assert a[22]["completions"] == ["obj:method("], a[22]
assert a[24]["completions"] == [], a[24]
assert a[25]["value"] is None, ("completion ran an __index function", a[25])
assert a[27]["completions"] == ["s:upper("], a[27]
'
kill -0 "$HOST_PID" || fail "host died"
pass "machine mode: ${#IN[@]} lines, ${#IN[@]} JSON objects (values, prints, errors, incomplete, runaway, cycle, non-UTF-8, book, int64, ESC refusal, completions without running __index)"

# Read-only: the same protocol; completions list only what the sandbox has.
RO=(
  '.complete th.'
  '.complete th.orders.'
  '.complete th.risk.'
  '.complete o'
  'th.risk.kill("x")'
  'th.status("XMR/USD").symbol'
)
printf '%s\n' "${RO[@]}" | timeout 30 "$TH_BIN" repl --read-only --json "$SOCK" >"$T/ro.json" 2>"$T/ro.err" || fail "read-only json client exited $?"
check "read-only machine mode" "$T/ro.json" '
assert a[0]["completions"] == ["th.balance(", "th.balances(", "th.book(", "th.clock", "th.dispatch(", "th.host_info(", "th.orders", "th.pnl(", "th.position(", "th.risk", "th.status("], a[0]
assert a[1]["completions"] == ["th.orders.get(", "th.orders.open("], a[1]
assert a[2]["completions"] == ["th.risk.status("], a[2]
assert a[3]["completions"] == ["or"], a[3]
assert a[4]["ok"] is False and "attempt to call field \x27kill\x27" in a[4]["error"], a[4]
assert a[5] == {"ok": True, "n": 1, "value": "XMR/USD", "output": ""}, a[5]
'
pass "read-only machine mode: completions list only the reading functions; kill refused as JSON"

kill -TERM "$HOST_PID"; wait_exit 20
