#!/usr/bin/env bash
# Every refusal and failure of a backtest is in its report with its reason, per pair and in total;
# the paper account's balances come from venue.balances.
#  1. A strategy provokes refusals of three kinds on two pairs: the gates' price_band and
#     size_too_large (on both pairs) and the venue's insufficient_funds (WAVES/EUR: 1000.5 EUR
#     cannot buy 1000 WAVES at ~13 EUR, and no WAVES to sell). report.json has them by reason in
#     total and per pair (before: per reason only, "counted per reason, not per pair"), and the
#     HTML page has a row per reason with its total and each pair's count.
#  2. `tradehost report` rebuilds the same counts from the journal and timeline after the fact.
#  3. venue.balances: the same orders without it (every asset at the default 1e12) are all
#     accepted by the venue; a bad amount stops start-up naming the key.
source "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data/kraken"
ref_config() { # ref_config BALANCES
  cat <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", recording = "$D/book-5pairs-2021-04-17.v2.txt",
            instruments = "$D/instrument-5pairs.v2.json", stale_ms = 60000, $1 },
  strategy = { name = "refprobe", module = "$TH_HOME/tests/functional/refusal_probe.lua", tick_ms = 1000 },
  pairs = { { symbol = "XMR/USD", orders = "far buy -1000 0.5; big buy -10 50; ok buy -10 1" },
            { symbol = "WAVES/EUR", max_order_size = 5000,
              orders = "broke buy -10 1000; short sell 10 10; far2 sell 1000 5; big2 buy -10 6000" } },
  risk = { price_band_pct = 5, max_order_size = 20 },
}
CFG
}
ref_config 'balances = { USD = 10000, EUR = "1000.5" }' >"$T/ref.lua"
"$TH_BIN" backtest "$T/ref.lua" --report "$T/r" >"$T/r.out" 2>"$T/r.log" || fail "backtest exit $?: $(tail -5 "$T/r.log")"
json=$(ls "$T"/r/*.report/report.json)
python3 - "$json" <<'PY' >"$T/check" || fail "report.json: $(cat "$T/check")"
import json, sys
r = json.load(open(sys.argv[1]))
want_total = {"price_band": 2, "size_too_large": 2}
assert r["refusals"] == want_total, r["refusals"]
assert r["rejects"] == {"insufficient_funds": 2}, r["rejects"]
x, w = r["pairs"]["XMR/USD"], r["pairs"]["WAVES/EUR"]
assert x["refusals"] == {"price_band": 1, "size_too_large": 1}, x["refusals"]
assert w["refusals"] == {"price_band": 1, "size_too_large": 1}, w["refusals"]
assert x["rejects"] == {}, x["rejects"]
assert w["rejects"] == {"insufficient_funds": 2}, w["rejects"]
for key in ("refusals", "rejects"):  # the pairs add up to the total
    tot = {}
    for p in r["pairs"].values():
        for k, n in p[key].items(): tot[k] = tot.get(k, 0) + n
    assert tot == r[key], (key, tot, r[key])
print("total refusals", r["refusals"], "rejects", r["rejects"], "; XMR/USD", x["refusals"], "; WAVES/EUR", w["refusals"], w["rejects"])
PY
html="${json%.json}.html"
grep -q '<tr><td class="l">refusal</td><td class="l">price_band</td><td>2</td><td>1</td><td>1</td></tr>' "$html" || fail "HTML: no price_band row: $(grep -A5 'class="refusals"' "$html")"
grep -q '<tr><td class="l">refusal</td><td class="l">size_too_large</td><td>2</td><td>1</td><td>1</td></tr>' "$html" || fail "HTML: no size_too_large row"
grep -q '<tr><td class="l">venue reject</td><td class="l">insufficient_funds</td><td>2</td><td>0</td><td>2</td></tr>' "$html" || fail "HTML: no insufficient_funds row"
grep -q 'msg="probe order" .*reason=rejected state=done symbol=WAVES/EUR tag=broke' "$T/r.log" || fail "the unpaid buy was not rejected: $(grep 'probe' "$T/r.log")"
grep -q 'msg="order rejected" .*reason="insufficient_funds"' "$T/r.log" || fail "no venue error in the log"
pass "refusals by reason per pair and in total, JSON and HTML: $(cat "$T/check")"

# ---- 2. the same after the fact
"$TH_BIN" report "$T/r" --out "$T/again" >"$T/again.out" 2>&1 || fail "tradehost report: $(cat "$T/again.out")"
python3 - "$json" "$T/again/report.json" <<'PY' || fail "tradehost report differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["refusals"] == b["refusals"] and a["rejects"] == b["rejects"]
for s in a["pairs"]: assert a["pairs"][s]["refusals"] == b["pairs"][s]["refusals"] and a["pairs"][s]["rejects"] == b["pairs"][s]["rejects"], s
PY
pass "tradehost report rebuilds the same per-pair refusals from the journal and timeline"

# ---- 3. without venue.balances every order the gates pass is accepted; bad balances refused
ref_config 'fee_bps = 16' >"$T/rich.lua"
"$TH_BIN" backtest "$T/rich.lua" --report "$T/rich" >/dev/null 2>"$T/rich.log" || fail "backtest without balances exit $?"
! grep -q 'msg="order rejected"' "$T/rich.log" || fail "rejected without balances: $(grep 'order rejected' "$T/rich.log")"
grep -q '"venue_rejects":{}' "$T/rich/summary.json" || fail "summary without balances: $(cat "$T/rich/summary.json")"
for bad in 'balances = { USD = -5 }' 'balances = { USD = "1e5" }' 'balances = { ["US D"] = 5 }'; do
  ref_config "$bad" >"$T/bad.lua"
  rc=0; "$TH_BIN" backtest "$T/bad.lua" >/dev/null 2>"$T/bad.log" || rc=$?
  [ "$rc" = 2 ] && grep -q "venue.balances" "$T/bad.log" || fail "$bad: rc=$rc $(cat "$T/bad.log")"
done
pass "venue.balances: without it the same orders are accepted (default balances); bad amounts or names stop start-up naming venue.balances"
