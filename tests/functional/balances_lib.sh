# balances_lib.sh — the balance tests' comparisons of the host's balances (GET /balances) with the
# sim's account (GET /_sim/state), sourced after kraken_live_lib.sh. Needs PORT (the host's API).
#   BAL_HELD_DECIMALS: "kraken" (BalanceEx shows holds rounded up to the asset's decimals: 4 for
#   fiat, 10 else) or "exact" (Binance's locked is the sim's figure).
api_bal() { curl -sf "http://127.0.0.1:$PORT/balances"; }
# bal_compare MODE SOURCE: MODE "start" (totals only; saves them to $T/start.json) or "all" (totals,
# held and available); prints each asset; exit 1 on a difference
bal_compare() {
  api_bal >"$T/host_bal.json" || return 1
  sim_state >"$T/state.json" || return 1
  python3 - "$T/host_bal.json" "$T/state.json" "$1" "$T/start.json" "$2" "${BAL_HELD_DECIMALS:-exact}" <<'PY'
import json, sys
from decimal import Decimal, ROUND_CEILING
h = json.load(open(sys.argv[1])); a = json.load(open(sys.argv[2]))["accounts"][0]; mode, src, held_mode = sys.argv[3], sys.argv[5], sys.argv[6]
if not h["known"] or h["source"] != src: print("not known from", src, ":", h); sys.exit(1)
hb = h["balances"]; ok = True
for asset, total in a["balances"].items():
    mine = hb.get(asset)
    if mine is None:
        if Decimal(total) != 0: print(asset, "missing on the host, sim", total); ok = False
        continue
    same = Decimal(mine["total"]) == Decimal(total)
    line = "%-6s host total=%s sim=%s" % (asset, mine["total"], total)
    if mode == "all":
        want = Decimal(a["held"].get(asset, "0"))
        if held_mode == "kraken":
            want = want.quantize(Decimal(1).scaleb(-(4 if asset in ("USD", "EUR") else 10)), rounding=ROUND_CEILING)
        same = same and Decimal(mine["held"]) == want and Decimal(mine["available"]) == Decimal(mine["total"]) - want
        line += " held=%s sim=%s" % (mine["held"], want)
    print(line, "ok" if same else "DIFFERENT"); ok = ok and same
if mode == "start": json.dump({k: v["total"] for k, v in hb.items()}, open(sys.argv[4], "w"))
sys.exit(0 if ok else 1)
PY
}
# bal_wait MODE SOURCE TIMEOUT_S
bal_wait() {
  local i=0
  until bal_compare "$1" "$2" >"$T/cmp.txt" 2>&1; do
    sleep 0.2; i=$((i + 1)); [ $i -lt $(($3 * 5)) ] || sfail "balances differ from the sim's: $(cat "$T/cmp.txt")"
  done
  cat "$T/cmp.txt"
}
# bal_start_is JSON: the start totals ($T/start.json) are exactly these {asset: text}
bal_start_is() {
  python3 - "$T/start.json" "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); want = json.loads(sys.argv[2])
bad = {k: (s.get(k), v) for k, v in want.items() if s.get(k) != v}
if bad: print("differ:", bad)
sys.exit(1 if bad else 0)
PY
}
# bal_moved_by_trades [PAIRS_JSON]: each total moved from $T/start.json by exactly the sim's trades (base by the
# quantity, quote by the cost and the fee, in the fee's asset); run after bal_compare all
bal_moved_by_trades() {
  local pairs='{}'
  [ $# -eq 0 ] || pairs=$1
  python3 - "$T/start.json" "$T/state.json" "$T/host_bal.json" "$pairs" <<'PY'
import json, sys
from decimal import Decimal
start = {k: Decimal(v) for k, v in json.load(open(sys.argv[1])).items()}
s = json.load(open(sys.argv[2])); a = s["accounts"][0]; h = json.load(open(sys.argv[3]))["balances"]
names = json.loads(sys.argv[4])  # symbol -> [base, quote] where the symbol does not say (Binance)
move = {}
for t in a["trades"]:
    base, quote = t["symbol"].split("/") if "/" in t["symbol"] else names[t["symbol"]]
    q, cost = Decimal(t["qty"]), Decimal(t["cost"])
    sgn = 1 if t["side"] == "buy" else -1
    move[base] = move.get(base, 0) + sgn * q
    move[quote] = move.get(quote, 0) - sgn * cost
    fa = t.get("fee_asset", quote)
    move[fa] = move.get(fa, 0) - Decimal(t["fee"])
ok = bool(move)
for asset, m in move.items():
    got = Decimal(h[asset]["total"]) - start.get(asset, Decimal(0))
    print("%-6s moved %s, the sim's trades %s" % (asset, got, m)); ok = ok and got == m
# the fees alone move an asset at every trade: balances that never moved would be caught here
ok = ok and any(m != 0 for m in move.values())
sys.exit(0 if ok else 1)
PY
}
