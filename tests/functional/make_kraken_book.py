#!/usr/bin/env python3
"""make_kraken_book.py SCRIPT > recording — a Kraken v2 recording written by hand, with real checksums.

Each line of SCRIPT (a file, or - for stdin) is one record:
  T snapshot SYMBOL bids=P:Q,P:Q asks=P:Q,...   a book snapshot at T seconds
  T update SYMBOL bids=P:Q asks=P:Q             levels changed (Q 0 removes)
  T trade SYMBOL buy|sell P Q                   a recorded trade (buy: the taker bought)
Prices and quantities are written as given (their text is what the checksum covers), so a test
can say exactly what the book held. Times are seconds after 2021-04-17 16:48:54 UTC (the bundled
recording's day). Used by the paper-matching and backtest tests for hand-computable cases."""
import json
import sys
import zlib

BASE_NS = 1618678134000000000
books = {}


def levels(spec):
    out = []
    for part in spec.split(",") if spec else []:
        p, q = part.split(":")
        out.append((p, q))
    return out


def crc_text(s):
    return s.replace(".", "").lstrip("0")


def checksum(book):
    asks = sorted(book["asks"].items(), key=lambda kv: float(kv[0]))[:10]
    bids = sorted(book["bids"].items(), key=lambda kv: -float(kv[0]))[:10]
    text = "".join(crc_text(p) + crc_text(q) for p, q in asks) + "".join(crc_text(p) + crc_text(q) for p, q in bids)
    return zlib.crc32(text.encode()) & 0xFFFFFFFF


def raw(levels_):
    # numbers as the wire has them: the text verbatim (json.dumps would reformat floats)
    return "[" + ",".join('{"price":%s,"qty":%s}' % (p, q) for p, q in levels_) + "]"


src = sys.stdin if len(sys.argv) < 2 or sys.argv[1] == "-" else open(sys.argv[1])
for line in src:
    line = line.split("#")[0].strip()
    if not line:
        continue
    f = line.split()
    ts = BASE_NS + int(round(float(f[0]) * 1e9))
    kind, sym = f[1], f[2]
    if kind in ("snapshot", "update"):
        kv = dict(x.split("=", 1) for x in f[3:])
        bids, asks = levels(kv.get("bids", "")), levels(kv.get("asks", ""))
        if kind == "snapshot":
            books[sym] = {"bids": {}, "asks": {}}
        b = books[sym]
        for side, lv in (("bids", bids), ("asks", asks)):
            for p, q in lv:
                if float(q) == 0:
                    b[side].pop(p, None)
                else:
                    b[side][p] = q
        body = '{"channel":"book","type":"%s","data":[{"symbol":"%s","bids":%s,"asks":%s,"checksum":%d}]}' % (
            kind, sym, raw(bids), raw(asks), checksum(b))
    elif kind == "trade":
        side, p, q = f[3], f[4], f[5]
        body = '{"channel":"trade","type":"update","data":[{"symbol":"%s","side":"%s","price":%s,"qty":%s,"ord_type":"limit","trade_id":%d,"timestamp":"2021-04-17T16:48:54Z"}]}' % (
            sym, side, p, q, ts % 1000000)
    else:
        sys.exit("unknown record kind: " + kind)
    print(ts, body)
