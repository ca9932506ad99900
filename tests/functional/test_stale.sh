#!/usr/bin/env bash
# test_stale.sh — a feed that goes silent while the strategy quotes (here: the recording ends; live,
# a connection about to drop): the stale timer marks the books stale, and that health transition
# reaches the strategy like any other event, so market_maker's on_book_health pulls its quotes
# while the host keeps running (before, the books were logged stale and the quotes stayed).
source "$(dirname "$0")/lib.sh"

head -600 "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt" > "$T/short.txt" # 7 s of recorded time
paper_mm_config
sed -i -e "s|recording = \"[^\"]*\"|recording = \"$T/short.txt\"|" -e 's|stale_ms = 3600000|stale_ms = 2000|' "$T/cfg.lua"
SOCK="$T/th.sock"
live_orders() { echo '#th.orders.open()' | "$TH_BIN" repl "$SOCK" 2>/dev/null | grep -E '^[0-9]+$' | tail -1; }

start_host run "$T/cfg.lua" --duration 30
wait_for 'repl: listening' 10
n=0
for i in $(seq 100); do n=$(live_orders); [ "${n:-0}" -gt 0 ] && break; sleep 0.05; done
[ "${n:-0}" -gt 0 ] || fail "market_maker never had live orders"
wait_for 'msg="recording finished"' 20
wait_for 'msg="book health" symbol=XMR/USD health=stale' 10
wait_for 'msg="book health" symbol=WAVES/EUR health=stale' 10
for i in $(seq 100); do n=$(live_orders); [ "$n" = 0 ] && break; sleep 0.05; done
[ "$n" = 0 ] || fail "quotes still live on stale books: $n orders"
kill -0 "$HOST_PID" || fail "host exited"
! grep -q 'msg="stopping"' "$T/host.log" || fail "the orders were cancelled by the stop, not by on_book_health"
pass "recording ended while quoting: books went stale, on_book_health pulled every quote (host still running)"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "exit $HOST_RC"
