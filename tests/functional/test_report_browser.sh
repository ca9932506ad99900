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
