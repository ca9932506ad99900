#!/usr/bin/env bash
# A Binance -1015 (the account's order count limit: new orders only) never holds back cancels
# (issue 14): Binance counts new orders against ORDERS, not cancels, so after a place refused -1015
# (429, retryAfter up to a minute) a cancel still goes at once; only new orders wait. Real sockets
# against the sim: the probe rests one bid on NKNUSDT; the sim's rate_limit fault answers the next
# order request (a place from the REPL) 429 -1015; the REPL then cancels the resting bid, which
# must reach the sim at once (before the fix the connector held every request back for the minute),
# while a second place is still held back locally.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
source "$(dirname "$0")/binance_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

start_bn_sim --speed 1
bn_probe_config "rest buy 0.3400 40 post"
sed -i "s|^  log = {|  repl = { socket = \"$T/th.sock\" },\n  log = {|" "$T/cfg.lua"
grep -q 'repl = {' "$T/cfg.lua" || fail "could not add the REPL to the config"
start_session "$T/cfg.lua"
swait 'probe order.*state=open.*tag=rest' 20
repl() { echo "$1" | "$TH_BIN" repl "$T/th.sock"; }
sim_wait "len(a['open_orders']) == 1" 10
sim_post fault '{"kind":"rate_limit","scope":"private","count":1}'
out=$(repl 'local id, err = th.orders.place{ symbol = "NKNUSDT", side = "buy", price = 0.3390, size = 40, post_only = true, tag = "second" } return tostring(id) .. " " .. tostring(err)')
swait 'code=-1015' 5
pass "a place refused by the venue with -1015 ($out)"
rest=$(repl 'for _, o in ipairs(th.orders.open()) do if o.tag == "rest" then return o.id end end return "none"')
[[ "$rest" == \"* && "$rest" != '"none"' ]] || sfail "the resting bid is not open: $rest"
repl "return th.orders.cancel(${rest})" >/dev/null
sim_wait "len(a['open_orders']) == 0" 3 # within 3 s of the -1015 (before the fix: held back for the minute)
swait 'probe order.*state=done.*tag=rest' 5
pass "a cancel right after the -1015 reaches the sim at once"
out=$(repl 'local id, err = th.orders.place{ symbol = "NKNUSDT", side = "buy", price = 0.3380, size = 40, post_only = true, tag = "third" } return tostring(id) .. " " .. tostring(err)')
sleep 1
[ "$(grep -c 'code=-1015' "$T/session.log")" = 1 ] || sfail "a new order went to the venue during its -1015 back-off (another -1015)"
pass "new orders still wait for the -1015's retryAfter ($out)"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
[ "$(sim_open_count)" = 0 ] || sfail "the sim still holds open orders after the stop"
stop_sim
