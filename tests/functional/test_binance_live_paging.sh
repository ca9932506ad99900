#!/usr/bin/env bash
# Binance recovery after an absence reads every trade since the last known fill, however many
# myTrades pages it takes (1000 rows at most an answer: the next page from fromId = the last id + 1),
# and counts fills of orders the host never saw (placed by another client of the same account:
# adopted, never dropped). Real sockets, the sim on the bundled Binance recording:
#   session 1: the probe buys 40 NKNUSDT across the spread (one fill, so the journal has a last
#              fill time), then SIGTERM;
#   then 1100 MARKET orders on NKNUSDT through the sim's signed REST by another client (1100 fills);
#   session 2, same journal: its start reconciles myTrades since the last fill: 1000 + the rest.
# The host's positions, fill counts and fees must equal the sim's account: every fill counted once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/binance_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

start_bn_sim --speed 1 --paused
sim_post resume
bn_probe_config "q buy 0.3600 40"
start_session "$T/cfg.lua"
swait "binance private: user data subscribed" 10
swait "probe fill" 20
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "session 1: exit status $SESSION_RC after SIGTERM"
cp "$T/session.log" "$T/session1.log"
fills_match "$T/j" >/dev/null || fail "session 1: the journal's fills differ from the sim's"
N=1100
got=$(python3 "$TH_HOME/tests/functional/bn_place_many.py" "$(ep rest)" "$BINANCE_KEY" "$BINANCE_SECRET" NKNUSDT $N 40) ||
  fail "placing the other client's orders: $got"
[ "$got" = $N ] || fail "$got of the other client's $N MARKET orders filled"
sim_post pause || true # the market stands still: session 2 trades nothing itself
pass "session 1: one fill of ours; then $N fills of orders the host never saw, while it was gone"

bn_probe_config ""
start_session "$T/cfg.lua"
swait "reconciled with the venue" 60
fills_match "$T/j" >"$T/match.txt" || { cat "$T/match.txt"; sfail "after the restart the host's fills differ from the sim's (a page missed?)"; }
grep -q "binance private: myTrades page full, asking for the next.*from_id" "$T/session.log" || sfail "myTrades was not read in pages"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "session 2: exit status $SESSION_RC after SIGTERM"
fills_match "$T/j" >"$T/match.txt" || { cat "$T/match.txt"; fail "the journal's fills differ from the sim's after the stop"; }
pass "restart: myTrades in pages ($(grep -c 'myTrades page full' "$T/session.log") full), every fill counted once: $(head -1 "$T/match.txt")"
stop_sim
