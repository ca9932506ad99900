#!/usr/bin/env bash
# End to end over real sockets on loopback: the market maker (strategies/market_maker.lua) trades
# on `tradehost sim --venue kraken` through the Kraken connectors (public books, WS v2 private
# orders and executions, REST token and recovery) on the bundled recording with its trades.
#   1. quoting: orders placed (several of a pair in one turn: batch_add), amended, filled and cancelled at the sim; no request refused for the
#      rate (our side models Kraken's per-pair counter); SIGTERM cancels every open order at the
#      sim before exit; the host's positions, fill counts and fees equal the sim's own account;
#   2. kill -9 while quoting: the sim's dead man's switch (armed and renewed by the host) cancels
#      every order; a restart reconciles to the sim's truth: no orphan, no duplicate, no fill
#      counted twice.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

merge_kraken_recording "$T/rec.txt"
kraken_accounts "$T/accounts.json"
source "$T/accounts.json.env"
start_sim --data "$T/rec.txt" --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --accounts "$T/accounts.json" --speed 3 --paused
# The sim's clock is the recording's while it plays (3x wall time here): a dead man's switch of 20 s
# of its time is renewed every 5 s of ours. Later (the data has ended) its clock is the wall's.
DEAD_MAN_S=20 LOG_LEVEL=debug live_mm_config "$T/cfg.lua" "$T/j"

# --- 1. quoting, then SIGTERM ---
start_session "$T/cfg.lua"
swait "kraken private: executions subscribed" 10
swait "kraken public: market data live" 10
sleep 0.5
sim_post resume # the replay starts once the host is subscribed: its quotes meet the recorded trades
wait_sim_open -gt 0 10
pass "quoting: the host's orders rest at the sim"
sim_wait "a['fills'] >= 2 and a['orders_cancelled'] >= 2" 30
grep -q '"method":"amend_order"' "$T/session.log" || sfail "no amend_order was sent"
# the first quotes of a pair (2 levels a side) go out together: one batch_add, each order acked
grep -q '"method":"batch_add"' "$T/session.log" || sfail "no batch_add was sent (the places of one pair in one turn)"
grep -q '"method":"cancel_order"' "$T/session.log" || sfail "no cancel_order was sent"
! grep -q "order rejected" "$T/session.log" || sfail "the sim refused an order: $(grep -m3 'order rejected' "$T/session.log")"
# an amend may race a fill that completes the order (the venue no longer knows it): nothing else
! grep "amend refused" "$T/session.log" | grep -vq 'reason="EOrder:Unknown order"' || sfail "the sim refused an amend: $(grep -m3 'amend refused' "$T/session.log")"
! grep -q "Rate limit exceeded" "$T/session.log" || sfail "the sim refused a request for the rate: our counter let it through"
pass "orders placed (batch_add), amended, filled (2+) and cancelled; nothing refused, none for the rate"
wait_sim_open -gt 0 10
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
# with orders live at the stop, the drain confirms every cancel (a stop that found none has none to confirm)
! grep -q "cancelling every open order before exit" "$T/session.log" || grep -q "every order is cancelled" "$T/session.log" ||
  sfail "the stop did not confirm every cancel"
[ "$(sim_open_count)" = 0 ] || fail "the sim still holds $(sim_open_count) open orders after the host stopped"
pass "SIGTERM: every open order cancelled at the sim before exit"
fills_match "$T/j" || fail "the host's positions differ from the sim's account"
pass "positions, fill counts and fees equal the sim's account"
cp "$T/session.log" "$T/session1.log"

# --- 2. kill -9 while quoting: the dead man's switch, then a restart reconciles ---
DEAD_MAN_S=2 LOG_LEVEL=info live_mm_config "$T/cfg.lua" "$T/j"
start_session "$T/cfg.lua"
swait "kraken private: executions subscribed" 10
wait_sim_open -gt 0 10
sleep 1
before=$(sim_open_count)
kill -9 "$SESSION_PID"; wait "$SESSION_PID" 2>/dev/null || true; SESSION_PID=""
cp "$T/session.log" "$T/session2.log"
wait_sim_open -eq 0 10
pass "kill -9 with $before orders resting: the sim's dead man's switch cancelled them all"
start_session "$T/cfg.lua"
swait "reconciled with the venue" 10
grep -q "reconciled with the venue.* adopted=0" "$T/session.log" || sfail "the restart adopted orders it did not know: $(grep reconciled "$T/session.log")"
wait_sim_open -gt 0 20
sleep 1
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
# The sim's rate counter still holds the previous session's charges (the dead man's switch
# cancelled every order young): per-order cancels at the stop would be refused for the rate. The
# drain's first move is cancel_all (not refused for the rate), then every cancel is confirmed.
[ "$(sim_open_count)" = 0 ] || sfail "the sim still holds $(sim_open_count) open orders after the restarted host stopped"
grep -q "stop: the venue cancelled every open order; reconciling what remains" "$T/session.log" || sfail "the stop did not start with cancel_all"
grep -q "every order is cancelled" "$T/session.log" || sfail "the restarted host's stop did not confirm every cancel"
! grep -q "stopped with orders still live" "$T/session.log" || sfail "the restarted host stopped with orders live"
fills_match "$T/j" || fail "after kill -9 and a restart the host's positions differ from the sim's account"
pass "restart after kill -9: reconciled (no orphan, nothing adopted), positions and fills equal the sim's, none twice"
stop_sim
