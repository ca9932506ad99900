#!/usr/bin/env python3
"""sim_rest_hostile.py VENUE ENDPOINTS_JSON — hostile requests on the sim's REST side, each over a
raw socket (so bytes go out exactly as written), each checked for the venue's own refusal naming
the real problem: over-long parameters and queries (never cut, so that a later parameter goes
missing), NUL and other bytes a symbol or id cannot hold, numbers past int64. After every probe a
well-formed signed call must still work (no account left unusable, no connection dropped)."""
import base64, hashlib, hmac, json, socket, sys, time

venue, ep = sys.argv[1], json.load(open(sys.argv[2]))
host, port = ep["rest"][7:].split(":")
port = int(port)
failures = []


def http(method, target, headers=None, body=b""):
    """(status, parsed JSON body) of one request on a fresh connection; (None, None) if the sim
    closed it without an answer."""
    s = socket.create_connection((host, port))
    s.settimeout(5)
    head = "%s %s HTTP/1.1\r\nHost: x\r\n" % (method, target)
    for k, v in (headers or {}).items():
        head += "%s: %s\r\n" % (k, v)
    if body:
        head += "Content-Type: application/x-www-form-urlencoded\r\n"
    head += "Content-Length: %d\r\n\r\n" % len(body)
    s.sendall(head.encode("latin-1") + body)
    data = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
            if b"\r\n\r\n" in data:
                h, b = data.split(b"\r\n\r\n", 1)
                cl = [l for l in h.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(b) >= int(cl[0].split(b":")[1]):
                    break
    except socket.timeout:
        pass
    s.close()
    if not data:
        return None, None
    h, b = data.split(b"\r\n\r\n", 1)
    status = int(h.split(b" ")[1])
    try:
        return status, json.loads(b)
    except ValueError:
        return status, b[:200]


def expect(what, got, status, check):
    st, body = got
    ok = st == status and isinstance(body, (dict, list)) and check(body)
    print("%s %s: %s %s" % ("ok  " if ok else "FAIL", what, st, str(body)[:220]))
    if not ok:
        failures.append(what)


# ---- Binance ----
def bn_signed(method, path, q):
    q = q + "&timestamp=%d" % int(time.time() * 1000)
    sig = hmac.new(ep["secret"].encode(), q.encode("latin-1"), hashlib.sha256).hexdigest()
    return http(method, path + "?" + q + "&signature=" + sig, {"X-MBX-APIKEY": ep["key"]})


def bn_illegal(param):
    return lambda b: b.get("code") == -1100 and ("'%s'" % param) in b.get("msg", "")


def binance():
    ok = lambda b: "balances" in b
    cl_range = "legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'"
    expect("origClientOrderId of 5000 characters: -1100 naming it (not a missing timestamp)",
           bn_signed("DELETE", "/api/v3/order", "symbol=NKNUSDT&origClientOrderId=" + "a" * 5000), 400,
           lambda b: bn_illegal("origClientOrderId")(b) and cl_range in b["msg"])
    expect("origClientOrderId of 37 characters: -1100", bn_signed("GET", "/api/v3/order", "symbol=NKNUSDT&origClientOrderId=" + "a" * 37),
           400, bn_illegal("origClientOrderId"))
    expect("newClientOrderId of 3000 characters: -1100 naming it",
           bn_signed("POST", "/api/v3/order", "symbol=NKNUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=100&price=0.3&newClientOrderId=" + "b" * 3000),
           400, bn_illegal("newClientOrderId"))
    expect("a parameter past the old 1024-byte fragment limit does not hide the later timestamp",
           bn_signed("GET", "/api/v3/openOrders", "symbol=NKNUSDT&note=" + "x" * 2000), 200, lambda b: isinstance(b, list))
    q = "symbol=NKNUSDT&pad=" + "+" * 3000 + "&limit=5"
    expect("a query too long for the sim's buffer once re-encoded (3000 "+" = 9000 bytes as %20): 414, refused as too long",
           http("GET", "/api/v3/depth?" + q), 414, lambda b: b.get("code") == -1000 and "too long" in b.get("msg", ""))
    expect("symbol=%ff%fe: -1100 naming symbol", http("GET", "/api/v3/depth?symbol=%ff%fe"), 400, bn_illegal("symbol"))
    expect("symbol=%00%ff%fe: a 400 with Binance's error JSON, not a dropped connection",
           http("GET", "/api/v3/depth?symbol=%00%ff%fe"), 400, bn_illegal("symbol"))
    expect("signed symbol=%00%ff%fe: a 400 with Binance's error JSON",
           bn_signed("DELETE", "/api/v3/order", "symbol=%00%ff%fe&orderId=1"), 400, bn_illegal("symbol"))
    expect("a bad %-escape (%zz): a 400 with Binance's error JSON, not libwebsockets' HTML 403",
           http("GET", "/api/v3/depth?symbol=NKNUSDT&limit=%zz"), 400, lambda b: b.get("code") == -1100)
    expect("a request line longer than the parser's header space (9000 bytes): 414 in Binance's shape, not a dropped connection",
           http("GET", "/api/v3/depth?symbol=NKNUSDT&pad=" + "x" * 9000), 414, lambda b: b.get("code") == -1000 and "too long" in b.get("msg", ""))
    expect("orderId past int64 (DELETE): -1100, not -2011",
           bn_signed("DELETE", "/api/v3/order", "symbol=NKNUSDT&orderId=99999999999999999999999"), 400, bn_illegal("orderId"))
    expect("orderId 2^64+1 (GET order): -1100, not -2013",
           bn_signed("GET", "/api/v3/order", "symbol=NKNUSDT&orderId=18446744073709551617"), 400, bn_illegal("orderId"))
    expect("orderId 9223372036854775808 (int64 max + 1, 19 digits): -1100",
           bn_signed("GET", "/api/v3/order", "symbol=NKNUSDT&orderId=9223372036854775808"), 400, bn_illegal("orderId"))
    expect("orderId -1: -1100", bn_signed("GET", "/api/v3/order", "symbol=NKNUSDT&orderId=-1"), 400, bn_illegal("orderId"))
    expect("orderId 1e3: -1100", bn_signed("DELETE", "/api/v3/order", "symbol=NKNUSDT&orderId=1e3"), 400, bn_illegal("orderId"))
    expect("orderId 9223372036854775807 (int64 max, well-formed): -2013, the order does not exist",
           bn_signed("GET", "/api/v3/order", "symbol=NKNUSDT&orderId=9223372036854775807"), 400, lambda b: b.get("code") == -2013)
    expect("timestamp past int64: -1100 naming timestamp", http("GET", "/api/v3/account?timestamp=99999999999999999999999&signature=00",
           {"X-MBX-APIKEY": ep["key"]}), 400, bn_illegal("timestamp"))
    expect("myTrades fromId past int64: -1100 naming fromId",
           bn_signed("GET", "/api/v3/myTrades", "symbol=NKNUSDT&fromId=99999999999999999999999"), 400, bn_illegal("fromId"))
    expect("depth limit past int64: -1100 naming limit", http("GET", "/api/v3/depth?symbol=NKNUSDT&limit=99999999999999999999999"),
           400, bn_illegal("limit"))
    expect("quantity with 5000 digits: -1100 naming quantity",
           bn_signed("POST", "/api/v3/order", "symbol=NKNUSDT&side=BUY&type=LIMIT&timeInForce=GTC&price=0.3&quantity=1" + "0" * 5000),
           400, bn_illegal("quantity"))
    expect("after all that, a signed call works", bn_signed("GET", "/api/v3/account", "recvWindow=5000"), 200, ok)


# ---- Kraken ----
nonce = [int(time.time() * 1000)]


def kr_private(method, fields, n=None):
    if n is None:
        nonce[0] += 1
        n = str(nonce[0])
    body = ("nonce=%s" % n + ("&" + fields if fields else "")).encode("latin-1")
    path = "/0/private/" + method
    sha = hashlib.sha256(n.encode("latin-1") + body).digest()
    sig = base64.b64encode(hmac.new(base64.b64decode(ep["secret"]), path.encode() + sha, hashlib.sha512).digest()).decode()
    return http("POST", path, {"API-Key": ep["key"], "API-Sign": sig}, body)


def kr_err(text):
    return lambda b: b.get("error") == [text]


def kraken():
    ok = lambda b: b.get("error") == [] and "ZUSD" in b.get("result", {})
    expect("nonce of 5000 digits: EAPI:Invalid nonce (not a signature error)", kr_private("Balance", "", "9" * 5000), 200,
           kr_err("EAPI:Invalid nonce"))
    expect("nonce past uint64: EAPI:Invalid nonce", kr_private("Balance", "", "99999999999999999999999"), 200, kr_err("EAPI:Invalid nonce"))
    expect("nonce 2^64 (20 digits, past uint64): EAPI:Invalid nonce", kr_private("Balance", "", "18446744073709551616"), 200,
           kr_err("EAPI:Invalid nonce"))
    expect("nonce -5: EAPI:Invalid nonce", kr_private("Balance", "", "-5"), 200, kr_err("EAPI:Invalid nonce"))
    expect("the account still works after those nonces (none was taken as the highest)", kr_private("Balance", ""), 200, ok)
    expect("txid of 5000 characters: EGeneral:Invalid arguments:txid", kr_private("CancelOrder", "txid=" + "A" * 5000), 200,
           kr_err("EGeneral:Invalid arguments:txid"))
    expect("txid=%00%ff%fe: EGeneral:Invalid arguments:txid", kr_private("CancelOrder", "txid=%00%ff%fe"), 200,
           kr_err("EGeneral:Invalid arguments:txid"))
    expect("txid (a userref) past int32: EGeneral:Invalid arguments:txid", kr_private("CancelOrder", "txid=99999999999999999999999"), 200,
           kr_err("EGeneral:Invalid arguments:txid"))
    expect("cl_ord_id with a NUL: EGeneral:Invalid arguments:cl_ord_id", kr_private("CancelOrder", "cl_ord_id=ab%00cd"), 200,
           kr_err("EGeneral:Invalid arguments:cl_ord_id"))
    expect("QueryOrders with 200 txids (past Kraken's 50): EGeneral:Invalid arguments:txid",
           kr_private("QueryOrders", "txid=" + ",".join(["OABCDE-FGHIJ-KLMNOP"] * 200)), 200,
           lambda b: len(b.get("error", [])) == 1 and b["error"][0].startswith("EGeneral:Invalid arguments:txid"))
    expect("TradesHistory ofs past int64: EGeneral:Invalid arguments:ofs", kr_private("TradesHistory", "ofs=99999999999999999999999"),
           200, kr_err("EGeneral:Invalid arguments:ofs"))
    expect("OpenOrders userref past int32: EGeneral:Invalid arguments:userref",
           kr_private("OpenOrders", "userref=99999999999999999999999"), 200, kr_err("EGeneral:Invalid arguments:userref"))
    expect("AddOrder userref past int64: EGeneral:Invalid arguments:userref",
           kr_private("AddOrder", "pair=XMRUSD&type=buy&ordertype=limit&volume=1&price=100&userref=99999999999999999999999"), 200,
           kr_err("EGeneral:Invalid arguments:userref"))
    expect("AddOrder volume of 5000 digits: EGeneral:Invalid arguments:volume",
           kr_private("AddOrder", "pair=XMRUSD&type=buy&ordertype=limit&price=100&volume=1" + "0" * 5000), 200,
           kr_err("EGeneral:Invalid arguments:volume"))
    expect("Depth count past int64: EGeneral:Invalid arguments:count", http("GET", "/0/public/Depth?pair=XMRUSD&count=99999999999999999999999"),
           200, kr_err("EGeneral:Invalid arguments:count"))
    expect("Depth pair=%00%ff%fe: Kraken's error JSON naming pair, not a dropped connection", http("GET", "/0/public/Depth?pair=%00%ff%fe"),
           200, kr_err("EGeneral:Invalid arguments:pair"))
    expect("Time?x=%01: a 400 in Kraken's envelope", http("GET", "/0/public/Time?x=%01"), 400,
           lambda b: len(b.get("error", [])) == 1 and b["error"][0].startswith("EGeneral:Invalid arguments"))
    expect("a request line of 9000 bytes: 414 in Kraken's envelope", http("GET", "/0/public/Depth?pair=XMRUSD&pad=" + "x" * 9000), 414,
           lambda b: len(b.get("error", [])) == 1 and "too long" in b["error"][0])
    q = "pair=XMRUSD&pad=" + "+" * 3000 + "&count=5"
    expect("a query too long for the sim's buffer: 414, refused as too long", http("GET", "/0/public/Depth?" + q), 414,
           lambda b: len(b.get("error", [])) == 1 and b["error"][0].startswith("EGeneral:Invalid arguments") and "too long" in b["error"][0])
    expect("after all that, a signed call works", kr_private("Balance", ""), 200, ok)


binance() if venue == "binance" else kraken()
if failures:
    print("%d hostile probe(s) answered wrongly: %s" % (len(failures), "; ".join(failures)))
    sys.exit(1)
print("all hostile REST probes refused as the venue refuses them")
