#!/usr/bin/env bash
# Live Binance spot public market data over real sockets: a session (venue "binance", endpoints
# pointed at `tradehost sim --venue binance` on the bundled recording) opens one combined stream
# (depth@100ms, trade, bookTicker for its pairs), fetches REST depth snapshots, and every frame and
# snapshot goes through the feed's one Binance sync (buffer, snapshot, drop u <= lastUpdateId,
# chain U == u + 1); its books equal the sim's own (GET /_sim/state) once the replay has ended.
# A `disconnect` fault mid-replay: books resyncing, reconnect after the back-off, new snapshots,
# equal again. A `gap` fault: the feed sees U != u + 1, the book alone refetches its snapshot. A
# `rate_limit` fault on the snapshot request: 429 + Retry-After honoured by the back-off (no
# request before it ends). Server pings at 200 ms are answered (the connection is never cut).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT
# NKNUSDT's book turning ok is logged (debug): ok_count, then ok_again N waits for the (N+1)th, so
# each step waits for a synchronisation after its own fault, not an earlier one.
OK_PAT="book health.*symbol=NKNUSDT health=ok"
ok_count() { grep -cE -- "$OK_PAT" "$T/session.log" || true; }
ok_again() { swait "$OK_PAT" 20 $(($1 + 1)); }
D="$TH_HOME/tests/data/binance"
INS="$D/spot-exchangeInfo-2021-10-12.rec"

start_sim_venue binance --data "$D/spot-ws-2021-10-12.rec" --snapshots "$D/spot-depth-snapshots-2021-10-12.rec" \
  --instruments "$INS" --speed 1 --paused --ws-ping-ms 200
cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "binance", paper = true, instruments = "$INS",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_streams)", ws_private = "$(ep ws_api)" },
            stale_ms = 3600000 },
  strategy = { name = "live_books", module = "$TH_HOME/tests/functional/live_books.lua", tick_ms = 100, budget_ms = 200,
               params = { out = "$T/books.json" } },
  pairs = { { symbol = "NKNUSDT" }, { symbol = "LRCBTC" }, { symbol = "BLZETH" } },
  storage = { journal_dir = "$T/j" },
  log = { level = "debug" },
}
CFG
start_session "$T/cfg.lua"
swait "websocket connected.*binance-public" 10
sleep 0.5 # the stream is open before the replay starts
sim_post resume
ok_again 0
pass "depth snapshot + diffs: NKNUSDT synchronised"
sleep 1
n=$(ok_count)
sim_post fault '{"kind":"disconnect","scope":"public"}'
swait "websocket lost.*binance-public" 5
swait "health=resyncing.*disconnected" 5
swait "websocket connected.*connects=2" 10
ok_again "$n"
pass "a disconnect fault: books resyncing, reconnected after the back-off, synchronised again"
n=$(ok_count)
sim_post fault '{"kind":"gap","scope":"NKNUSDT","count":1}'
swait "U != previous u \\+ 1" 20
ok_again "$n"
pass "a gap in the diff chain: that book refetched its snapshot and is synchronised again"
wait_data_ended
wait_books_equal "$T/books.json" 15
pass "after the replay (with a reconnect and a gap in it) the session's books equal the sim's (top 10 of NKNUSDT, LRCBTC, BLZETH)"
refused=$(grep -c "frame refused by the feed" "$T/session.log" || true)
[ "$refused" = 1 ] || sfail "the feed refused $refused live frames (expected only the one after the injected gap): $(grep 'frame refused' "$T/session.log" | head -3)"
pass "every other frame passed the feed's chain checks"

# 429 with Retry-After on the snapshot request after a reconnect: nothing is asked before it ends.
sim_post fault '{"kind":"rate_limit","scope":"public","count":1}'
sim_post fault '{"kind":"disconnect","scope":"public"}'
swait "binance: rate limited, every request waits for the back-off.*status=429" 10
python3 - "$T/session.log" <<'PY' || sfail "the 429's Retry-After was not honoured"
import re, sys
log = open(sys.argv[1]).read()
m = re.search(r'rate limited.*status=429.*retry_after_ms=(\d+) wait_ms=(\d+)', log)
ra, wait = int(m.group(1)), int(m.group(2))
assert ra > 0 and wait >= ra, (ra, wait)
print("retry_after_ms=%d wait_ms=%d" % (ra, wait))
PY
pass "a 429 on the depth snapshot: Retry-After honoured by the back-off"
grep -q "binance-public.*no pong\|dropping the connection.*binance-public" "$T/session.log" && sfail "the session did not answer the server's pings"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "session exit status $SESSION_RC"
pass "the session stops cleanly (exit 0); the 200 ms server pings were answered throughout"
stop_sim
