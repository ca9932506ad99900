#!/usr/bin/env python3
"""bn_place_many.py REST KEY SECRET SYMBOL N QTY — N MARKET orders on SYMBOL (alternately BUY and
SELL of QTY) through the sim's signed Binance REST (HMAC-SHA256 of the query), as another client of
the same account would place them: orders the host never sent. Ten keep-alive connections at once
(the sim answers one request in ~70 ms here). Prints how many were FILLED; exits 1 on any refusal
(its code and message)."""
import hashlib, hmac, http.client, json, sys, threading, time, urllib.parse

rest, key, secret, symbol, n, qty = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
u = urllib.parse.urlsplit(rest)
filled, errors, lock = [0], [], threading.Lock()


def worker(first):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    for i in range(first, n, 10):
        q = urllib.parse.urlencode({"symbol": symbol, "side": "BUY" if i % 2 == 0 else "SELL", "type": "MARKET",
                                    "quantity": qty, "newOrderRespType": "RESULT", "newClientOrderId": "other-%d" % i,
                                    "timestamp": int(time.time() * 1000)})
        sig = hmac.new(secret.encode(), q.encode(), hashlib.sha256).hexdigest()
        conn.request("POST", "%s/api/v3/order?%s&signature=%s" % (u.path, q, sig), headers={"X-MBX-APIKEY": key})
        r = conn.getresponse()
        body = r.read()
        with lock:
            if r.status != 200:
                errors.append("order %d refused: HTTP %d %s" % (i, r.status, body.decode()[:300]))
                return
            if json.loads(body).get("status") == "FILLED":
                filled[0] += 1


threads = [threading.Thread(target=worker, args=(k,)) for k in range(10)]
for t in threads: t.start()
for t in threads: t.join()
if errors: sys.exit(errors[0])
print(filled[0])
