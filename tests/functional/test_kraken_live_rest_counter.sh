#!/usr/bin/env bash
# Kraken's REST API counter (issue 14; docs/connectors.md): the connector models the key's counter
# (venue.tier; starter: 15 at -0.33/s; BalanceEx, OpenOrders, QueryOrders, GetWebSocketsToken +1,
# TradesHistory +2, order calls not at all) and sends a private REST call only when it fits, so
# the venue never answers `EAPI:Rate limit exceeded`. Real sockets against `tradehost sim --venue
# kraken --rest-counter` (the sim enforces the same counter per account): the market maker quotes
# two pairs on a starter account asking BalanceEx after order events every 0.1 s (10/s wanted,
# 0.33/s allowed), and the private connection is cut three times (each reconnect reconciles:
# OpenOrders, TradesHistory, BalanceEx). Counted: zero refusals at the sim, the connector's calls
# held back for the counter (it did pace), balances still known, quoting on, nothing open after the stop.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
trap 'session_cleanup; cleanup' EXIT

merge_kraken_recording "$T/rec.txt"
python3 - "$T/accounts.json" <<'PY'
import base64, json, os, sys
acc = {"key": "key-live-R", "secret": base64.b64encode(os.urandom(64)).decode(),
       "balances": {"USD": "100000", "XMR": "100", "EUR": "100000", "WAVES": "5000"},
       "fees": {"maker_bps": 16, "taker_bps": 26}, "tier": "starter"}
json.dump({"accounts": [acc]}, open(sys.argv[1], "w"))
open(sys.argv[1] + ".env", "w").write("export KRAKEN_KEY=%s KRAKEN_SECRET=%s\n" % (acc["key"], acc["secret"]))
PY
source "$T/accounts.json.env"
start_sim --data "$T/rec.txt" --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --accounts "$T/accounts.json" --speed 2 --rest-counter
SOCK="$T/repl.sock"
DEAD_MAN_S=20 live_mm_config "$T/cfg.lua" "$T/j" "repl = { socket = \"$SOCK\" },"
sed -i 's/tier = "pro", dead_man_s = 20,/tier = "starter", dead_man_s = 20, balance_refresh_s = 0.1,/' "$T/cfg.lua"
grep -q 'tier = "starter", dead_man_s = 20, balance_refresh_s = 0.1' "$T/cfg.lua" || fail "the config did not take the tier and balance_refresh_s"
refused() { sim_state | python3 -c 'import json,sys; print(json.load(sys.stdin)["rest_refused"])'; }

start_session "$T/cfg.lua"
swait "kraken private: executions subscribed" 10
wait_sim_open -gt 0 10
for i in 1 2 3; do
  sleep 4
  sim_post fault '{"kind":"disconnect","scope":"private"}'
  swait "kraken private: executions subscribed" 15 $((i + 1))
done
sleep 4
[ "$(refused)" = 0 ] || sfail "the sim refused $(refused) private REST calls for the counter (EAPI:Rate limit exceeded)"
! grep -q 'EAPI:Rate limit exceeded' "$T/session.log" || sfail "the session heard EAPI:Rate limit exceeded"
grep -q "a REST call waits for Kraken's REST counter" "$T/session.log" || sfail "no REST call waited for the counter: the test did not load it"
bal=$(echo 'local b = th.balance("USD") return b and b.total or "unknown"' | "$TH_BIN" repl "$SOCK")
[ "$bal" != '"unknown"' ] && [ -n "$bal" ] || sfail "balances unknown: $bal"
pass "3 reconnects and BalanceEx asked every 0.1 s on a starter key: 0 refusals at the sim, calls paced (USD total $bal)"
stop_session TERM
[ "$SESSION_RC" = 0 ] || sfail "exit status $SESSION_RC after SIGTERM"
[ "$(sim_open_count)" = 0 ] || sfail "the sim still holds open orders after the stop"
grep -o 'rest_calls=[0-9]* rest_errors=[0-9]* rest_waits=[0-9]* rest_rate_refused=[0-9]*' "$T/session.log" | head -1
[ "$(refused)" = 0 ] || sfail "refusals during the stop: $(refused)"
pass "graceful stop: exit 0, nothing open, still 0 refusals"
stop_sim
