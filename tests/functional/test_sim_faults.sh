#!/usr/bin/env bash
# test_sim_faults.sh — every fault kind of POST /_sim/fault, checked on the wire by
# tests/ccxt/kraken_faults.js (raw websocket and HTTP clients); then that the sim survives garbage,
# bare connections and a websocket client that never reads (it is cut, the others are served).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
need_ccxt
D="$TH_HOME/tests/data/kraken"
start_sim --data "$D/book-5pairs-2021-04-17.v2.txt" --instruments "$D/instrument-5pairs.v2.json" --speed 20 --paused
node "$TH_HOME/tests/ccxt/kraken_faults.js" "$T/endpoints.json" "$D/book-5pairs-2021-04-17.v2.txt" || fail "fault test"
stop_sim
pass "SIGTERM after the faults: exit 0, no sanitizer report"

start_sim --data "$D/book-5pairs-2021-04-17.v2.txt" --instruments "$D/instrument-5pairs.v2.json" --pace full
python3 - "$T/endpoints.json" <<'PY' || fail "hostile clients"
import base64, json, os, socket, sys, time, urllib.request
ep = json.load(open(sys.argv[1]))
host, port = ep["rest"][7:].split(":"); port = int(port)
qport = int(ep["ws_private"].split(":")[2].split("/")[0])
def conn(p=port):
    s = socket.create_connection((host, p)); s.settimeout(5); return s
# bare connections that never send, on both ports
bare = [conn() for _ in range(20)] + [conn(qport) for _ in range(20)]
# garbage: random bytes, a request line then junk, an endless header, a huge body
for junk in [os.urandom(4000), b"GET / HTTP/1.1\r\n" + os.urandom(2000), b"GET /0/public/Time HTTP/1.1\r\nX: " + b"a" * 20000,
             b"POST /0/private/Balance HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + b"a" * 100000,
             b"GET /v2 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n\r\n" + os.urandom(3000)]:
    s = conn()
    try:
        s.sendall(junk); s.recv(100)
    except OSError:
        pass
    s.close()
# a websocket client that subscribes to a lot and never reads: the sim cuts it
s = conn()
s.sendall(b"GET /v2 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
time.sleep(0.2)
def ws_frame(text):
    data = text.encode(); mask = os.urandom(4)
    hdr = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + len(data).to_bytes(2, "big"))
    return hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))
sub = ws_frame(json.dumps({"method": "subscribe", "params": {"channel": "book", "depth": 1000, "symbol": ["XMR/USD", "SC/EUR", "WAVES/EUR", "KSM/BTC"]}}))
unsub = ws_frame(json.dumps({"method": "unsubscribe", "params": {"channel": "book", "symbol": ["XMR/USD", "SC/EUR", "WAVES/EUR", "KSM/BTC"]}}))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
try:
    for i in range(400):
        s.sendall(sub + unsub)
except OSError:
    pass
# the others are served meanwhile
t0 = time.time()
body = json.load(urllib.request.urlopen(ep["rest"] + "/0/public/Time", timeout=5))
assert body["error"] == [] and time.time() - t0 < 2, body
state = json.load(urllib.request.urlopen(ep["control"] + "/state", timeout=5))
assert state["books"]["XMR/USD"]["bids"], state
for b in bare: b.close()
print("hostile clients done")
PY
wait_for "a websocket client does not read; cut" 10
kill -0 "$SIM_PID" || fail "the sim died"
curl -sf "$EP_REST/0/public/Time" >/dev/null || fail "REST after the hostile clients"
stop_sim
pass "garbage, 40 bare connections, a huge body and a websocket client that never reads (cut at 16 MB queued): the sim serves on and exits 0"

# hostile REST requests, Kraken then Binance (tests/functional/sim_rest_hostile.py lists them): each
# refused in the venue's words naming the real problem, and the account still usable after
start_sim --data "$D/book-5pairs-2021-04-17.v2.txt" --instruments "$D/instrument-5pairs.v2.json" --pace full
python3 "$TH_HOME/tests/functional/sim_rest_hostile.py" kraken "$T/endpoints.json" >"$T/hostile.out" || { cat "$T/hostile.out"; fail "Kraken hostile REST probes"; }
stop_sim
B="$TH_HOME/tests/data/binance"
start_sim_venue binance --data "$B/spot-ws-2021-10-12.rec" --snapshots "$B/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$B/spot-exchangeInfo-2021-10-12.rec" --pace full
python3 "$TH_HOME/tests/functional/sim_rest_hostile.py" binance "$T/endpoints.json" >"$T/hostile.out" || { cat "$T/hostile.out"; fail "Binance hostile REST probes"; }
stop_sim
pass "hostile REST probes (over-long ids and queries, bytes a symbol cannot hold, numbers past int64): refused naming the parameter, never cut"
