#!/usr/bin/env bash
# Binance's order count limit (ORDERS: 100 new orders per 10 s per account, as the venue announces
# it) is honoured: the connector asks account.rateLimits.orders after subscribing, keeps the venue's
# counts (every order.place answer's rateLimits) and holds back a place that would pass the limit
# (it fails locally, never sent), so the venue never answers -1015. Real sockets, the sim enforcing
# the limit (--orders-per-10s 100): the probe places 120 resting post-only bids on NKNUSDT at once,
# the flow's own order bucket and anti-layering opened wide (so only the venue's limit can stop them).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/binance_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

start_bn_sim --speed 1 --paused --orders-per-10s 100
orders=$(python3 -c 'print(";".join("q%d buy 0.3400 40 post" % i for i in range(120)))')
LOG_LEVEL=debug bn_probe_config "$orders" "orders_per_s = 10000, orders_burst = 10000, anti_layering_pct = 0"
sim_post resume
start_session "$T/cfg.lua"
swait "probe placed.*tag=q119" 20
sleep 2
sent=$(grep -c 'method=order.place' "$T/session.log" || true)
[ "$sent" = 100 ] || sfail "order.place sent $sent times (want 100: the venue's limit per 10 s)"
! grep -q 'code=-1015' "$T/session.log" || sfail "the venue refused places with -1015: the limit was passed"
grep -q "binance private: order count limits.*limit_10s=100" "$T/session.log" || sfail "the account's order count limits were not asked"
grep -q 'a place held back: Binance.s order count limit is reached' "$T/session.log" || sfail "no place was held back"
sim_wait "len(a['open_orders']) == 100" 10
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
[ "$(sim_open_count)" = 0 ] || sfail "the sim still holds open orders after the stop"
pass "120 places at once: 100 sent (the venue's 10 s limit), 20 held back locally, no -1015; all cancelled at the stop"
stop_sim
