#!/usr/bin/env bash
# The Kraken connectors under the sim's faults, while the market maker quotes (real sockets on
# loopback, the bundled recording with its trades): execution events dropped and duplicated,
# order requests unanswered (executed or not), rate-limit refusals (of a whole batch_add too), REST 5xx, the private
# websocket disconnected. After each the host goes on quoting; at the end, after SIGTERM:
#   - no orphan: the sim holds no open order (every order it held was known and cancelled);
#   - no duplicate: every order the journal knows was placed once (no order adopted, no client id
#     twice at the sim);
#   - no fill counted twice (nor missed): positions, fill counts and fees equal the sim's account;
#   - a lost ack was resolved by a query, never by placing again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

merge_kraken_recording "$T/rec.txt"
kraken_accounts "$T/accounts.json"
source "$T/accounts.json.env"
start_sim --data "$T/rec.txt" --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --accounts "$T/accounts.json" --speed 1.5 --paused
# the sim's clock runs 1.5x ours while the data plays: a 20 s switch renewed every 5 s of ours
DEAD_MAN_S=20 PENDING_TIMEOUT_S=1 LOG_LEVEL=debug live_mm_config "$T/cfg.lua" "$T/j"
start_session "$T/cfg.lua"
swait "kraken private: executions subscribed" 10
swait "kraken public: market data live" 10
sleep 0.5
fault() { sim_post fault "$1" || fail "the sim refused the fault $1"; }
# the first order request is the first quotes of a pair (4 places in one turn: one batch_add),
# refused as a whole: each of its orders is asked about, none placed twice (checked at the end)
fault '{"kind":"rate_limit","scope":"private","count":1}'
sim_post resume
# (a loaded machine may let a pair's first quotes out one by one: then the refusal meets an add_order)
swait "batch of orders refused: each order's status is asked|order rejected.*Rate limit" 10
wait_sim_open -gt 0 10
if grep -q "batch of orders refused" "$T/session.log"; then
  pass "a batch_add refused as a whole: its orders queried one by one, quoting goes on"
else
  pass "the first order request (an add_order this time, not a batch) refused for the rate; quoting goes on"
fi

fault '{"kind":"rate_limit","scope":"private","count":2}'
swait "venue rate limit: backing off" 10
fault '{"kind":"drop","scope":"private","count":3}'
fault '{"kind":"duplicate","scope":"private","count":6}'
sleep 2
fault '{"kind":"no_answer","scope":"private","count":4}'
sleep 1
fault '{"kind":"http_5xx","scope":"private","count":2}'
sleep 2
pass "rate_limit, drop, duplicate, no_answer and http_5xx faults while quoting"
fault '{"kind":"disconnect","scope":"private"}'
swait "websocket lost.*kraken-private" 5
swait "executions subscribed\" reconnect=yes" 10
swait "venue reconnected: reconciling" 5
swait "reconciled with the venue" 10 2
wait_sim_open -gt 0 10
pass "private disconnect: reconnected, resubscribed, reconciled, quoting again"
sleep 2
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
[ "$(sim_open_count)" = 0 ] || sfail "orphans: the sim still holds $(sim_open_count) open orders after the host stopped"
pass "no orphan: nothing left open at the sim after the stop"
"$TH_BIN" journal "$T/j" --json >"$T/journal.json"
sim_state >"$T/state.json"
python3 - "$T/journal.json" "$T/state.json" "$T/session.log" <<'PY' || sfail "duplicates or adopted orders"
import json, re, sys
from collections import Counter
j = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
adopted = [k for k, o in j["orders"].items() if o["adopted"]]
if adopted: print("adopted:", adopted); sys.exit(1)
log = open(sys.argv[3]).read()
sent = Counter(re.findall(r'"method":"add_order".*?"cl_ord_id":"([^"]+)"', log))
for line in re.findall(r'request=\{"method":"batch_add".*', log): # several orders of one pair in one request
    sent.update(re.findall(r'"cl_ord_id":"([^"]+)"', line))
twice = [c for c, n in sent.items() if n > 1]
if twice: print("placed more than once:", twice); sys.exit(1)
failed = [k for k, o in j["orders"].items() if o["reason"] == "failed"]
placed = s["accounts"][0]["orders_placed"]
print("orders in the journal:", len(j["orders"]), "placed (add_order, batch_add) sent:", len(sent), "placed at the sim:", placed, "failed (unknown at the sim):", len(failed))
# the sim placed no more orders than we sent (an unanswered place not executed, or refused, is
# simply not there): nothing was placed twice
if placed > len(sent): sys.exit(1)
PY
grep -q "method=QueryOrders\|method=OpenOrders\|method=ClosedOrders" "$T/session.log" || sfail "no status query was made for the unanswered requests"
pass "no duplicate: no order adopted, each client id placed once (unanswered requests resolved by query)"
fills_match "$T/j" || sfail "fills differ from the sim's account (counted twice or missed)"
pass "no fill counted twice or missed: positions, fills and fees equal the sim's account"

stop_sim
