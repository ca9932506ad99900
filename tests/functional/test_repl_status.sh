#!/usr/bin/env bash
# test_repl_status.sh — th.status() on the paper market maker (scripts/th/status.lua), read through
# the machine mode: one table per pair with book health, best bid/ask, our quotes (best first,
# matching th.orders.open), open orders, position, PnL, the last fill (after a buy through the ask
# fills) and the strategy's fault state (after the strategy is made to raise in on_tick: faulted,
# which callback, the error, its quotes cancelled). th.status(symbol) gives one pair; an unknown
# symbol is nil and a message; the read-only REPL may call it.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
# Quotes 1% either side of the mid: the paper venue's engine fills quotes inside the spread when the
# book moves through them, and the first check wants both sides quoting and no fill yet.
SPREAD_BPS=200 paper_mm_config
start_host run "$T/cfg.lua"
wait_for 'repl: listening' 10
wait_for 'order flow ready' 10

repl() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }
json() { timeout 20 "$TH_BIN" repl --json "$@" 2>>"$T/repl.err"; }
# check LABEL FILE PYTHON: the python code gets `a` (the answers in FILE)
check() {
  python3 -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[2]).read().splitlines()]
try:
    exec(sys.argv[3])
except (AssertionError, KeyError, TypeError, IndexError) as e:
    sys.stderr.write("%s: %r\nanswers: %s\n" % (sys.argv[1], e, json.dumps(a, indent=1)))
    sys.exit(1)
' "$1" "$2" "$3" || fail "$1"
}

# Both pairs quoting on ok books.
for i in $(seq 100); do
  n=$(echo 'local n = 0 for _, s in pairs(th.status()) do if s.open_orders > 0 and s.book.health == "ok" then n = n + 1 end end return n' | repl)
  [ "$n" = 2 ] && break; sleep 0.1
done
[ "$n" = 2 ] || fail "both pairs never quoted on ok books: $n"

printf '%s\n' 'th.status()' 'return th.status("XMR/USD"), th.orders.open("XMR/USD")' 'th.status("NOPE/USD")' | json "$SOCK" >"$T/s1.json"
check "th.status() fields" "$T/s1.json" '
s = a[0]["value"]
assert sorted(s) == ["WAVES/EUR", "XMR/USD"], sorted(s)
for sym, p in s.items():
    assert p["symbol"] == sym and p["strategy"] == "market_maker", p
    assert p["faulted"] is False and "fault" not in p and p["halted"] is False, p
    assert p["book"]["health"] == "ok" and 0 <= p["book"]["age_s"] < 60, p["book"]
    assert 0 < p["bid"] < p["ask"] and p["bid_size"] > 0 and p["ask_size"] > 0, p
    q = p["quotes"]
    assert len(q["bid"]) + len(q["ask"]) == p["open_orders"] > 0, p
    assert all(x["price"] < p["ask"] for x in q["bid"]) and all(x["price"] > p["bid"] for x in q["ask"]), q
    assert [x["price"] for x in q["bid"]] == sorted((x["price"] for x in q["bid"]), reverse=True), q
    assert [x["price"] for x in q["ask"]] == sorted(x["price"] for x in q["ask"]), q
    assert p["position"] == 0 and p["avg_entry"] == 0, p
    assert set(p["pnl"]) == {"realised", "unrealised", "fees", "total"}, p["pnl"]
    assert "last_fill" not in p, p
p, orders = a[1]["values"]
assert sorted(o["id"] for o in orders) == sorted(x["id"] for x in p["quotes"]["bid"] + p["quotes"]["ask"]), (p, orders)
assert p["open_orders"] == len(orders), (p, orders)
assert a[2]["values"] == [None, "unknown symbol NOPE/USD"], a[2]
'
pass "th.status(): both pairs with ok books, best bid < ask, our quotes (= th.orders.open) best first inside the spread, open orders, flat position, PnL, no fill yet"

# A fill: buy 0.5 XMR 2% through the ask; th.status shows the last fill and the position.
OUT=$(echo 'local _, _, ask = th.book("XMR/USD"):best() return th.orders.place{ symbol = "XMR/USD", side = "buy", price = math.ceil(ask * 1.02 * 100) / 100, size = 0.5 }' | repl)
grep -q '^"' <<<"$OUT" || fail "the buy through the ask was not placed: $OUT"
for i in $(seq 50); do
  [ "$(echo 'th.position("XMR/USD").fills' | repl)" -ge 1 ] 2>/dev/null && break; sleep 0.1
done
# One chunk, so that status and position see the same mark (the REPL runs one line per loop turn:
# in separate lines the market may move between them).
printf '%s\n' 'return { s = th.status("XMR/USD"), p = th.position("XMR/USD"), now = th.clock.now_ns() }' | json "$SOCK" >"$T/s2.json"
check "th.status last fill" "$T/s2.json" '
p, pos, now = a[0]["value"]["s"], a[0]["value"]["p"], a[0]["value"]["now"]
assert pos["fills"] >= 1, pos
lf = p["last_fill"]
assert lf["side"] in ("buy", "sell") and lf["size"] > 0 and lf["price"] > 0, lf
assert 0 < lf["time_ns"] <= now and 0 <= lf["age_s"] < 60, (lf, now)
assert p["position"] == pos["qty"] and p["avg_entry"] == pos["avg_entry"], (p, pos)
assert p["pnl"]["fees"] == pos["fees"] > 0, (p["pnl"], pos)
assert abs(p["pnl"]["total"] - (pos["realised"] + pos["unrealised"] - pos["fees"])) < 1e-9, p["pnl"]
'
pass "after a fill: th.status(\"XMR/USD\").last_fill (side, price, size, time), position and PnL agree with th.position"

# The strategy faults (its on_tick does arithmetic on a string now): th.status says so.
echo 'state.last_report = "not a number"' | repl >/dev/null
wait_for 'strategy faulted' 10
for i in $(seq 50); do
  [ "$(echo '#th.orders.open()' | repl)" = 0 ] && break; sleep 0.1
done
echo 'th.status()' | json --read-only "$SOCK" >"$T/s3.json"
check "th.status fault state" "$T/s3.json" '
for sym, p in a[0]["value"].items():
    assert p["faulted"] is True, p
    f = p["fault"]
    assert f["callback"] == "on_tick" and "arithmetic" in f["error"] and f["time_ns"] > 0, f
    assert p["open_orders"] == 0 and p["quotes"] == {"bid": {}, "ask": {}}, p  # an empty Lua table is {} in JSON
'
pass "a faulted strategy: th.status() shows faulted, the callback (on_tick) and its error on each pair, its quotes cancelled (read-only REPL)"

kill -TERM "$HOST_PID"; wait_exit 20
