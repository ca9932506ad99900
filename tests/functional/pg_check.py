#!/usr/bin/env python3
"""pg_check.py — the PostgreSQL history against the journal, row by row (test_pg_history.sh).

  pg_check.py CONNINFO JOURNAL_JSON JOURNAL_KEY [--closed]

JOURNAL_JSON is `tradehost journal DIR --json` (the state a restart rebuilds). Checks, for the
session row JOURNAL_KEY: `records` equals the journal's record count (minus its closing record with
--closed: the one record written after the host's last loop turn); every order of the journal is a
row of `orders` with the same symbol, side, state, reason, price, qty, filled (integer units) and
adopted, and no row is there the journal lacks; per pair the fills rows number exactly the journal
position's fills (a fill written twice would be a second row: the key is journal, client id, trade
id) and their quantities add up to what the position bought and sold; the last position snapshot
of each pair is the journal's position (qty, realised, fees); order_events has no gap a fill left
out (every fill row has its fill event, same seq); with --closed, settlement_records holds the
journal's final position per pair. Prints a summary line; exits 1 naming the first difference.
Reads through psql (no Python package needed)."""
import json
import subprocess
import sys


def query(conninfo, sql):
    out = subprocess.run(["psql", conninfo, "-X", "-q", "-At", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\x1f") for line in out.splitlines() if line]


def main():
    conninfo, jfile, key = sys.argv[1], sys.argv[2], sys.argv[3]
    closed = "--closed" in sys.argv[4:]
    j = json.load(open(jfile))
    k = key.replace("'", "''")
    rows = query(conninfo, "SELECT records, ended_at IS NOT NULL FROM sessions WHERE journal = '%s'" % k)
    if len(rows) != 1:
        sys.exit("no session row for journal %s" % key)
    want_records = j["records"] - (1 if closed else 0)
    if int(rows[0][0]) != want_records:
        sys.exit("sessions.records = %s, the journal has %d records%s" % (rows[0][0], j["records"], " (one the closing record)" if closed else ""))
    if closed and rows[0][1] != "t":
        sys.exit("the session row has no ended_at after the stop")
    pg = {}
    for cl, sym, side, state, reason, price, qty, filled, adopted in query(
            conninfo, "SELECT cl_id, symbol, side, state, reason, price_units, qty_units, filled_units, adopted FROM orders "
                      "WHERE journal = '%s'" % k):
        pg[cl] = {"symbol": sym, "side": side, "state": state, "reason": reason, "price": int(price), "qty": int(qty),
                  "filled": int(filled), "adopted": adopted == "t"}
    for cl, o in j["orders"].items():
        if cl not in pg:
            sys.exit("order %s of the journal is not in orders" % cl)
        for a in ("symbol", "side", "state", "reason", "price", "qty", "filled", "adopted"):
            if o[a] != pg[cl][a]:
                sys.exit("order %s: journal %s=%r, postgres %r" % (cl, a, o[a], pg[cl][a]))
    extra = set(pg) - set(j["orders"])
    if extra:
        sys.exit("orders in postgres the journal lacks: %s" % sorted(extra)[:5])
    fills = {}
    for sym, n, side, q in query(conninfo, "SELECT symbol, count(*), side, sum(qty_units) FROM fills WHERE journal = '%s' "
                                           "GROUP BY symbol, side" % k):
        f = fills.setdefault(sym, {"n": 0, "buy": 0, "sell": 0})
        f["n"] += int(n)
        f[side] += int(q)
    nofill = query(conninfo, "SELECT count(*) FROM fills f WHERE journal = '%s' AND NOT EXISTS (SELECT 1 FROM order_events e "
                             "WHERE e.journal = f.journal AND e.seq = f.seq AND e.event = 'fill')" % k)
    if int(nofill[0][0]):
        sys.exit("%s fill rows have no fill order event at their seq" % nofill[0][0])
    last = {}
    for sym, qty, real, fees in query(conninfo, "SELECT DISTINCT ON (symbol) symbol, qty_units, realised_units, fees_units FROM "
                                                "position_snapshots WHERE journal = '%s' ORDER BY symbol, seq DESC" % k):
        last[sym] = (int(qty), real, fees)
    settle = {}
    if closed:
        for sym, qty, fills_n in query(conninfo, "SELECT symbol, qty_units, fills FROM settlement_records WHERE journal = '%s'" % k):
            settle[sym] = (int(qty), int(fills_n))
    n_fills = 0
    for sym, pos in j["positions"].items():
        f = fills.get(sym, {"n": 0, "buy": 0, "sell": 0})
        if f["n"] != pos["fills"]:
            sys.exit("%s: %d fills in postgres, the journal counts %d" % (sym, f["n"], pos["fills"]))
        if f["buy"] - f["sell"] != pos["qty"]:
            sys.exit("%s: fills add up to %d, the journal's position is %d" % (sym, f["buy"] - f["sell"], pos["qty"]))
        n_fills += f["n"]
        if pos["fills"]:
            if sym not in last:
                sys.exit("%s: no position snapshot" % sym)
            got = last[sym]
            if (got[0], got[1], got[2]) != (pos["qty"], str(pos["realised"]), str(pos["fees"])):
                sys.exit("%s: last position snapshot %r, journal qty %r realised %r fees %r" % (sym, got, pos["qty"], pos["realised"],
                                                                                              pos["fees"]))
            if closed and settle.get(sym) != (pos["qty"], pos["fills"]):
                sys.exit("%s: settlement record %r, journal qty %r fills %r" % (sym, settle.get(sym), pos["qty"], pos["fills"]))
    print("records=%d orders=%d fills=%d pairs=%d" % (want_records, len(j["orders"]), n_fills, len(j["positions"])))


if __name__ == "__main__":
    main()
