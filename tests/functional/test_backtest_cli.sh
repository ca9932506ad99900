#!/usr/bin/env bash
# `tradehost backtest` options, its summary, determinism, latency and sweeps, on the bundled Kraken
# spot data: the book recording and the trade recording of the same minutes merged by receive time
# (two --data), so the market maker's quotes meet real trades.
#  1. Determinism: the same inputs, config and --seed (with lognormal latencies sampled from it) give
#     byte-identical summary.json, report JSON and journal; another seed changes them.
#  2. The printed summary and summary.json agree: fills, refusals by reason, orders by outcome;
#     records = both files' records.
#  3. --set reaches the config before validation (a bad value is refused naming the key).
#  4. --from/--to trade a part of the recording.
#  5. Latency: a post-only bid placed inside the spread reaches the venue after the ask came down
#     to it, and is refused there with the venue's reason (journalled, in the summary).
#  6. A 2x2 sweep: four runs in parallel processes, one table ranked by pnl; any row re-run alone
#     gives the same summary.json.
source "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data/kraken"
source "$TH_HOME/tests/functional/paper_config.sh"
paper_mm_lua "$T/j" >"$T/mm.lua"
DATA=(--data "$D/book-5pairs-2021-04-17.v2.txt" --data "$D/trades-ws-v1-2021-04-17.rec")
LAT=(--set venue.latency.dist=lognormal --set venue.latency.order_ms=20 --set venue.latency.feed_ms=5)
bt() { "$TH_BIN" backtest "$T/mm.lua" "${DATA[@]}" "$@"; }

# ---- 1. determinism
bt --report "$T/a" --seed 3 "${LAT[@]}" >"$T/a.out" 2>"$T/a.log" || fail "run a: exit $?"
bt --report "$T/b" --seed 3 "${LAT[@]}" >"$T/b.out" 2>"$T/b.log" || fail "run b: exit $?"
bt --report "$T/c" --seed 4 "${LAT[@]}" >"$T/c.out" 2>"$T/c.log" || fail "run c: exit $?"
for d in a b c; do
  [ -s "$T/$d/summary.json" ] || fail "run $d wrote no summary.json"
  ls "$T/$d"/*.report/report.json >/dev/null 2>&1 || fail "run $d wrote no report.json: $(ls "$T/$d")"
done
cmp "$T/a/summary.json" "$T/b/summary.json" || fail "same seed, different summary.json"
cmp "$T/a"/*.report/report.json "$T/b"/*.report/report.json || fail "same seed, different report.json"
cmp "$T/a"/*.thj "$T/b"/*.thj || fail "same seed, different journals"
! cmp -s "$T/a"/*.thj "$T/c"/*.thj || fail "another seed gave the same journal (the latencies are not sampled from it)"
pass "same inputs, config and --seed: byte-identical summary.json, report.json and journal; --seed 4 differs"

# ---- 2. the summary
S="$T/a/summary.json"
python3 - "$S" "$T/a.out" <<'PY' || fail "summary: $(cat "$T/a.out")"
import json, re, sys
s = json.load(open(sys.argv[1])); out = open(sys.argv[2]).read()
assert s["records"] == 2600 + 51, s["records"]          # every record of both files (53 lines, 2 are the connection)
assert s["book_events"] > 1000, s["book_events"]
t = s["total"]
assert t["fills"] >= 1 and t["fills"] == t["maker_fills"] + t["taker_fills"], t
assert t["currency"] == "USD" and t["fees"] > 0 and t["volume"] > 0, t
p = s["pairs"]["XMR/USD"]
assert p["fills"] == t["fills"], (p, t)
o = s["orders"]
assert o["failed"] == 0 and o["placed"] >= o["filled"] + o["cancelled"], o
assert s["refusals"], s                                   # the market maker's layering refusals
m = re.search(r"fills (\d+) \(maker (\d+), taker (\d+)\)", out); assert m and int(m.group(1)) == t["fills"], out
for reason, n in s["refusals"].items(): assert f"{reason}={n}" in out, (reason, n, out)
assert re.search(r"events: 2651 records, \d+ book events in [0-9.]+ s: \d+ records/s, \d+ book events/s", out), out
PY
pass "summary: fills, volume, fees, PnL, orders by outcome and refusals by reason, printed and in summary.json"

# ---- 3. --set
set +e; "$TH_BIN" backtest "$T/mm.lua" --set venue.queue_model=bogus >"$T/bad.out" 2>&1; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'venue.queue_model' "$T/bad.out" || fail "--set with a bad value: rc $rc: $(cat "$T/bad.out")"
bt --report "$T/w" --set strategy.params.spread_bps=40 --set venue.taker_fee_bps=50 >"$T/w.out" 2>"$T/w.log" || fail "--set run: exit $?"
grep -q 'taker_bps=50' "$T/w.log" || fail "--set venue.taker_fee_bps did not reach the paper venue"
pass "--set overrides the config before validation (a bad value is refused naming the key)"

# ---- 4. --from/--to
bt --report "$T/f" --from +10 --to +20 >"$T/f.out" 2>"$T/f.log" || fail "--from/--to: exit $?"
python3 - "$T/a/summary.json" "$T/f/summary.json" <<'PY' || fail "--from/--to: $(cat "$T/f.out")"
import json, sys
a, f = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert 0 < f["book_events"] < a["book_events"] / 2, (f["book_events"], a["book_events"])
assert f["to_ns"] - f["from_ns"] == 10 * 10**9, f
PY
pass "--from +10 --to +20: only those ten recorded seconds are traded"

# ---- 5. latency: the venue refuses a post-only order that crosses when it arrives
cat >"$T/pl.txt" <<'REC'
0.0 snapshot XMR/USD bids=100.00:5.00000000 asks=101.00:3.00000000
0.2 update XMR/USD asks=100.40:1.00000000
0.6 update XMR/USD bids=99.00:1.00000000
REC
python3 "$TH_HOME/tests/functional/make_kraken_book.py" "$T/pl.txt" >"$T/pl.rec"
cat >"$T/pl.lua" <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", recording = "$T/pl.rec", instruments = "$D/instrument-5pairs.v2.json",
            latency = { order_ms = 300 } },
  strategy = { name = "probe", module = "$TH_HOME/tests/functional/paper_probe.lua", tick_ms = 1000,
               params = { orders = "po buy 100.50 0.5 post" } },
  pairs = { { symbol = "XMR/USD" } }, risk = { price_band_pct = 5 },
}
CFG
"$TH_BIN" backtest "$T/pl.lua" --report "$T/pl" >"$T/pl.out" 2>"$T/pl.log" || fail "latency run: exit $?"
grep -q 'msg="order rejected" .*reason="post_only_would_cross"' "$T/pl.log" || fail "no venue refusal: $(grep -E 'probe|reject' "$T/pl.log")"
grep -q 'msg="probe order" .*reason=rejected state=done .*t_ms=34600 tag=po' "$T/pl.log" || fail "the refusal did not come back after 2 x 300 ms: $(grep 'probe order' "$T/pl.log")"
grep -q '"venue_rejects":{"post_only_would_cross":1}' "$T/pl/summary.json" || fail "summary: $(cat "$T/pl/summary.json")"
"$TH_BIN" journal "$T/pl" --json >"$T/pl.json" 2>/dev/null || fail "tradehost journal"
grep -q 'post_only_would_cross' "$T/pl"/*.thj || fail "the refusal's reason is not in the journal"
pass "order latency 300 ms: the post-only bid reached the venue after the ask came down to it, refused (post_only_would_cross), the answer back at +600 ms; the reason is in the journal and the summary"

# ---- 6. a sweep
start=$(date +%s.%N)
bt --report "$T/sw" --set strategy.params.spread_bps=2,20 --set strategy.params.levels=1,2 --rank pnl >"$T/sw.out" 2>"$T/sw.err" \
  || fail "sweep: exit $?: $(cat "$T/sw.out" "$T/sw.err")"
end=$(date +%s.%N)
python3 - "$T/sw/sweep.json" <<'PY' || fail "sweep table: $(cat "$T/sw.out")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["runs"] == 4 and len(s["table"]) == 4 and s["rank"] == "pnl", s
pnl = [r["pnl"] for r in s["table"]]
assert pnl == sorted(pnl, reverse=True), pnl
combos = {(r["params"]["strategy.params.spread_bps"], r["params"]["strategy.params.levels"]) for r in s["table"]}
assert combos == {("2", "1"), ("2", "2"), ("20", "1"), ("20", "2")}, combos
assert all(r["exit"] == 0 for r in s["table"]), s
PY
grep -q '^1 ' "$T/sw/sweep.txt" || fail "no plain table: $(cat "$T/sw/sweep.txt")"
# the top row, re-run alone, gives the same summary
read -r dir sb lv < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["table"][0]; print(r["dir"], r["params"]["strategy.params.spread_bps"], r["params"]["strategy.params.levels"])' "$T/sw/sweep.json")
bt --report "$T/one" --set strategy.params.spread_bps="$sb" --set strategy.params.levels="$lv" >/dev/null 2>&1 || fail "re-run of $dir"
cmp "$T/one/summary.json" "$T/sw/$dir/summary.json" || fail "the sweep's $dir differs from the same run alone"
pass "sweep 2x2: 4 runs in parallel processes in $(echo "$end - $start" | bc) s, ranked by pnl (sweep.json, sweep.txt); the top row re-run alone gives the same summary.json"
