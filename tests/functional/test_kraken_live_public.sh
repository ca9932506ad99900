#!/usr/bin/env bash
# Live Kraken public market data over real sockets: a session (venue "kraken", endpoints pointed at
# `tradehost sim`) subscribes book/trade/ticker/instrument for its pairs, every frame goes through
# the same feed code as a recording (checksums verified), and its books equal the sim's own
# (GET /_sim/state) once the replay has ended. A `disconnect` fault mid-replay is recovered: the
# books go resyncing (quoting would pause), the host reconnects after the back-off, resubscribes,
# and ends equal to the sim's again. Then the config checks: plain ws:// to a non-loopback host is
# refused with a message naming it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

start_sim --data "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt" \
  --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --speed 6 --paused
cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "kraken", paper = true, instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_public)", ws_private = "$(ep ws_private)" },
            stale_ms = 3600000 },
  strategy = { name = "live_books", module = "$TH_HOME/tests/functional/live_books.lua", tick_ms = 100, budget_ms = 200,
               params = { out = "$T/books.json" } },
  pairs = { { symbol = "XMR/USD" }, { symbol = "WAVES/EUR" }, { symbol = "SC/EUR" } },
  storage = { journal_dir = "$T/j" },
}
CFG
start_session "$T/cfg.lua"
swait "websocket connected.*kraken-public" 10
sleep 0.3 # the subscriptions reach the sim before the replay starts
sim_post resume
sleep 1.5
sim_post fault '{"kind":"disconnect","scope":"public"}'
swait "websocket lost.*kraken-public" 5
swait "health=resyncing.*disconnected" 5
swait "websocket connected.*connects=2" 5
pass "a disconnect fault: books resyncing, reconnected after the back-off"
sim_post fault '{"kind":"bad_checksum","scope":"public","count":1}'
swait "resubscribing a broken book for a new snapshot" 5
pass "a book update with a bad checksum: that book is resubscribed for a new snapshot"
wait_data_ended
wait_books_equal "$T/books.json" 10
pass "after the replay (with a reconnect in it) the session's books equal the sim's (top 10 of XMR/USD, WAVES/EUR, SC/EUR)"
refused=$(grep -c "frame refused by the feed" "$T/session.log" || true)
[ "$refused" = 1 ] && grep -q 'frame refused by the feed" error="[A-Z/]*: checksum mismatch' "$T/session.log" ||
  sfail "the feed refused $refused live frames (expected only the one with the injected bad checksum): $(grep 'frame refused' "$T/session.log" | head -3)"
pass "every other frame passed the feed's checks (checksums verified)"

# A second disconnect after the data ended: the resubscription's snapshots are the books again.
sim_post fault '{"kind":"disconnect","scope":"public"}'
swait "websocket connected.*connects=3" 5
sleep 0.5
wait_books_equal "$T/books.json" 10
pass "a reconnect after the end resyncs to the sim's books"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "session exit status $SESSION_RC"
pass "the session stops cleanly (exit 0)"

# Plain text only to loopback.
sed -i 's|ws_public = "ws://127.0.0.1|ws_public = "ws://10.1.2.3|' "$T/cfg.lua"
cp "$T/session.log" "$T/session1.log"
set +e; "$TH_BIN" run "$T/cfg.lua" 2>"$T/refused.log"; rc=$?; set -e
[ "$rc" = 2 ] || fail "a ws:// endpoint to 10.1.2.3 started (exit $rc): $(cat "$T/refused.log")"
grep -q "venue.endpoints.ws_public: ws://10.1.2.3:[0-9]*/v2: plain-text ws:// is only allowed to a loopback host" "$T/refused.log" ||
  fail "the refusal does not name the key and the rule: $(cat "$T/refused.log")"
pass "ws:// to a non-loopback host is refused, naming the rule"
stop_sim
