#!/usr/bin/env bash
# test_report_browser.sh — a paper session's HTML report opened in a real headless Chromium
# (Debian's chromium, driven by playwright-core from tests/browser, pinned by its package-lock and
# installed by tools/install-deps.sh): every plot rendered with data points, a row per fill, no
# console errors, no network request (tests/browser/check_report.js). Then the same page with one
# remote image added must fail the check, so the check can fail.
source "$(dirname "$0")/lib.sh"

browser_dir="$TH_HOME/tests/browser"
[ -x "${TH_CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium (tools/install-deps.sh installs Debian's)"
[ -d "$browser_dir/node_modules/playwright-core" ] || fail "no playwright-core in tests/browser (tools/install-deps.sh runs npm ci there)"

SPEED=16 TICK_MS=500 paper_mm_config "" 'report = { sample_ms = 250 }, session = { duration_s = 8 },'
"$TH_BIN" run "$T/cfg.lua" >"$T/out" 2>"$T/host.log" || fail "paper session exited $?"
html=$(sed -n 's/^report: //p' "$T/out")
[ -f "$html" ] || fail "no report: $(cat "$T/out")"
dir=$(dirname "$html")
node "$browser_dir/check_report.js" "$dir" >"$T/check.out" 2>&1 || { cat "$T/check.out" >&2; fail "the report did not render as it should"; }
grep -q '"errors":0,"requests":0' "$T/check.out" || fail "$(cat "$T/check.out")"
pass "the report rendered in Chromium: $(cat "$T/check.out")"

mkdir "$T/bad"
cp "$dir/report.json" "$T/bad/"
sed 's|<h1>|<img src="http://127.0.0.1:9/pixel.png"><h1>|' "$dir/report.html" >"$T/bad/report.html"
if node "$browser_dir/check_report.js" "$T/bad" >"$T/bad.out" 2>&1; then fail "a page with a remote image passed the check"; fi
grep -q "FAIL: resources referenced\|FAIL: network requests\|FAIL: console" "$T/bad.out" || fail "$(cat "$T/bad.out")"
pass "a page that reaches for the network fails the check: $(head -1 "$T/bad.out")"

# A sweep's comparison table (sweep.html): a 3x2 grid of the market maker on the bundled
# recording, ranked by pnl; every run a row in sweep.json's order, its link to the run's report.
source "$TH_HOME/tests/functional/paper_config.sh"
paper_mm_lua "$T/j-sw" >"$T/sw.lua"
"$TH_BIN" backtest "$T/sw.lua" --report "$T/sw" --set strategy.params.spread_bps=2,10,40 --set strategy.params.levels=1,2 \
  --rank pnl --jobs 2 >"$T/sw.out" 2>&1 || fail "sweep exit $?: $(tail -5 "$T/sw.out")"
[ -f "$T/sw/sweep.html" ] || fail "no sweep.html: $(ls "$T/sw")"
node "$browser_dir/check_sweep.js" "$T/sw" >"$T/sw.check" 2>&1 || { cat "$T/sw.check" >&2; fail "the sweep table did not render as it should"; }
grep -q '"rows":6,"rank":"pnl","errors":0,"requests":0' "$T/sw.check" || fail "$(cat "$T/sw.check")"
pass "the sweep table rendered in Chromium: $(cat "$T/sw.check")"
# the check can fail: two rows swapped
python3 - "$T/sw/sweep.html" "$T/swbad" <<'PY'
import os, re, sys, shutil
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(os.path.dirname(src), dst)
html = open(src).read()
rows = re.findall(r'<tr data-rank=.*?</tr>\n', html)
html = html.replace(rows[0] + rows[1], rows[1] + rows[0])
open(os.path.join(dst, "sweep.html"), "w").write(html)
PY
if node "$browser_dir/check_sweep.js" "$T/swbad" >"$T/swbad.out" 2>&1; then fail "a sweep table with two rows swapped passed the check"; fi
grep -q "FAIL: row 1" "$T/swbad.out" || fail "$(cat "$T/swbad.out")"
pass "a sweep table out of rank order fails the check: $(head -1 "$T/swbad.out")"
