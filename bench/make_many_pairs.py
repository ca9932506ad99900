#!/usr/bin/env python3
"""make_many_pairs.py N SECONDS OUT_PREFIX — a synthetic Kraken v2 recording of N pairs for the
store benchmarks (bench/bench_pg.sh): OUT_PREFIX.txt (the recording, real checksums, written by
tests/functional/make_kraken_book.py) and OUT_PREFIX.json (the instruments). Pairs P001/USD..,
price 100.00 ticks 0.01, 10 levels a side; every pair's book moves one tick (a random walk,
seeded: the same file every time) every 0.5 s of recorded time, for SECONDS of recorded time."""
import json
import os
import random
import subprocess
import sys

n, secs, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
rng = random.Random(17)
syms = ["P%03d/USD" % i for i in range(1, n + 1)]
pairs = [{"symbol": s, "base": s.split("/")[0], "quote": "USD", "status": "online", "qty_precision": 8, "qty_increment": 1e-08,
          "price_precision": 2, "price_increment": 0.01, "qty_min": 0.01, "cost_min": 0} for s in syms]
json.dump({"channel": "instrument", "type": "snapshot", "data": {"pairs": pairs}}, open(out + ".json", "w"))


def px(t):
    return "%d.%02d" % (t // 100, t % 100)


mid = {s: 10000 + rng.randrange(-500, 500) for s in syms}  # in ticks of 0.01
lines = []
for s in syms:
    m = mid[s]
    lines.append("0 snapshot %s bids=%s asks=%s" % (s, ",".join("%s:1.50000000" % px(m - k) for k in range(1, 11)),
                                                    ",".join("%s:1.50000000" % px(m + k) for k in range(1, 11))))
step = 0.5 / n
t = 0.001
while t < secs:
    for s in syms:
        m = mid[s]
        if rng.random() < 0.5:  # up one tick
            lines.append("%.4f update %s bids=%s:1.50000000,%s:0 asks=%s:0,%s:1.50000000" % (t, s, px(m), px(m - 10), px(m + 1), px(m + 11)))
            mid[s] = m + 1
        else:
            lines.append("%.4f update %s bids=%s:0,%s:1.50000000 asks=%s:1.50000000,%s:0" % (t, s, px(m - 1), px(m - 11), px(m), px(m + 10)))
            mid[s] = m - 1
        t += step
here = os.path.dirname(os.path.abspath(__file__))
with open(out + ".txt", "w") as f:
    subprocess.run([sys.executable, os.path.join(here, "..", "tests", "functional", "make_kraken_book.py"), "-"],
                   input="\n".join(lines) + "\n", text=True, stdout=f, check=True)
