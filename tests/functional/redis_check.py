#!/usr/bin/env python3
"""redis_check.py — the Redis mirror against the journal, key by key (test_redis_mirror.sh).

  redis_check.py PORT JOURNAL_JSON PREFIX SESSION

JOURNAL_JSON is `tradehost journal DIR --json` (the state a restart rebuilds); PREFIX is
"<strategy>:<venue>". For every pair: each order of the journal is in <PREFIX>:<sym>:<SESSION>:orders
with the same state, reason, price, size and filled (integer units), and no order is there that the
journal lacks; the fills hash holds exactly as many fills as the journal's position counts (one
field per "client id|trade id": a duplicate would be a second field); the position's qty,
realised and fees are the journal's. Prints a summary line; exits 1 naming the first difference.
Speaks RESP on a raw socket (no package needed)."""
import json
import socket
import sys


class Redis:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.f = self.s.makefile("rb")

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode()
        if t == b"*":
            return [self.read() for _ in range(int(rest))]
        raise RuntimeError("bad reply %r" % line)


def key_symbol(sym):
    return sym.lower().replace("/", "-")


def main():
    port, jfile, prefix, session = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    j = json.load(open(jfile))
    r = Redis(port)
    orders = {}
    for cl, o in j["orders"].items():
        orders.setdefault(o["symbol"], {})[cl] = o
    n_orders = n_fills = 0
    for sym, pos in j["positions"].items():
        base = "%s:%s:%s" % (prefix, key_symbol(sym), session)
        got = r.cmd("HGETALL", base + ":orders") or []
        red = {got[i]: json.loads(got[i + 1]) for i in range(0, len(got), 2)}
        want = orders.get(sym, {})
        for cl, o in want.items():
            if cl not in red:
                sys.exit("%s: order %s of the journal is not in %s:orders" % (sym, cl, base))
            x = red[cl]
            for a, b in (("state", "state"), ("reason", "reason"), ("side", "side"), ("price", "price_units"),
                         ("qty", "qty_units"), ("filled", "filled_units"), ("adopted", "adopted")):
                if o[a] != x[b]:
                    sys.exit("%s: order %s: journal %s=%r, redis %s=%r" % (sym, cl, a, o[a], b, x[b]))
        extra = set(red) - set(want)
        if extra:
            sys.exit("%s: orders in redis the journal lacks: %s" % (sym, sorted(extra)[:5]))
        n_orders += len(want)
        nf = r.cmd("HLEN", base + ":fills")
        if nf != pos["fills"]:
            sys.exit("%s: %d fills in redis, the journal counts %d" % (sym, nf, pos["fills"]))
        n_fills += nf
        if pos["fills"] or pos["qty"]:
            p = r.cmd("HGETALL", base + ":positions") or []
            p = {p[i]: p[i + 1] for i in range(0, len(p), 2)}
            for a, b in (("qty", "qty_units"), ("realised", "realised_units"), ("fees", "fees_units")):
                if str(pos[a]) != p.get(b):
                    sys.exit("%s: position %s: journal %r, redis %r" % (sym, a, pos[a], p.get(b)))
    print("orders=%d fills=%d pairs=%d" % (n_orders, n_fills, len(j["positions"])))


if __name__ == "__main__":
    main()
