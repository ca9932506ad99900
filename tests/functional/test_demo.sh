#!/usr/bin/env bash
# test_demo.sh — the README's first command, tools/demo.sh, from a clone-like copy of the tree
# (the tracked files, no var/, no journal): with the built binary (TH_DEMO_BIN skips the install
# and the build) it finishes in under 60 s, prints the status view (plain lines: stdout is not a
# terminal), the summary and the HTML report's path, and the report's JSON has fills on several
# pairs. Then on a pseudo-terminal the view redraws in place (cursor-up and clear-line escapes).
source "$(dirname "$0")/lib.sh"

clone="$T/clone"
mkdir "$clone"
(cd "$TH_HOME" && git ls-files -z | xargs -0 cp --parents -t "$clone" 2>/dev/null) || fail "cannot copy the tracked files"
[ ! -e "$clone/config/var" ] || fail "the copy has a var/ already"
start=$(date +%s.%N)
TH_DEMO_BIN="$TH_BIN" timeout 90 "$clone/tools/demo.sh" </dev/null >"$T/out" 2>"$T/host.log" || fail "demo exited $?: $(tail -5 "$T/out")"
took=$(echo "$(date +%s.%N) - $start" | bc)
echo "demo took ${took}s"
[ "$(echo "$took < 60" | bc)" = 1 ] || fail "the demo took ${took}s (limit 60)"
grep -qE "^live +recording 2021-04-17T" "$T/out" || fail "no status view lines: $(head -5 "$T/out")"
for p in XMR/USD WAVES/EUR KSM/BTC SC/EUR GRT/ETH; do
  grep -qE "^${p} +(ok|stale|empty)" "$T/out" || fail "the status view lacks $p"
done
grep -qE "^final +recording" "$T/out" || fail "no final status frame"
grep -q "^summary: " "$T/out" || fail "no summary: $(tail -8 "$T/out")"
html=$(sed -n 's/^report: //p' "$T/out")
[ -f "$html" ] || fail "no report at '$html'"
case "$html" in "$clone"/config/var/journal/demo/*) ;; *) fail "report outside the demo's journal dir: $html" ;; esac
json="$(dirname "$html")/report.json"
luajit - "$json" >"$T/check" <<'LUA' || fail "report: $(cat "$T/check")"
local cjson = require("cjson")
local f = assert(io.open(arg[1])); local rep = cjson.decode(f:read("*a")); f:close()
local with = {}
for sym, p in pairs(rep.pairs) do if p.fills > 0 then with[#with + 1] = sym end end
table.sort(with)
assert(#with >= 2, "fills on " .. #with .. " pairs: " .. table.concat(with, ","))
assert(#rep.fills == rep.total.fills and rep.total.fills >= 2)
print(("fills on %d pairs (%s), %d fills, %d orders, pnl %.4f %s"):format(#with, table.concat(with, ","), rep.total.fills,
      rep.total.orders, rep.total.pnl, rep.currency))
LUA
pass "the demo finished in ${took}s: $(cat "$T/check")"
grep -q "level=error" "$T/host.log" && fail "errors logged: $(grep level=error "$T/host.log" | head -3)"

# On a terminal: redrawn in place
python3 - "$TH_BIN" "$clone/config/demo.lua" "$T/tty.out" <<'PY' || fail "the demo on a pty failed"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "run", sys.argv[2], "--paper", "--duration", "3"])
out = b""
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    out += b
_, st = os.waitpid(pid, 0)
open(sys.argv[3], "wb").write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
ups=$(grep -ao $'\033\[[0-9]*A' "$T/tty.out" | wc -l)
[ "$ups" -ge 3 ] || fail "on a terminal the view did not redraw in place ($ups cursor-up moves)"
grep -qa $'\033\[2K' "$T/tty.out" || fail "no clear-line escapes on a terminal"
grep -qa "^summary: " "$T/tty.out" || fail "no summary on the terminal"
pass "on a terminal the view redraws in place ($ups redraws)"
