#!/usr/bin/env bash
# test_reload_orders.sh — 100 reloads (code and config, by SIGHUP) while the paper market maker
# quotes on every book update: no order is lost, duplicated or orphaned.
#  - each reload flips strategy.params.spread_bps (4 <-> 6), so every one moves the quotes;
#  - while it runs, no pair ever has more live orders than its 4 quotes plus the ones being
#    replaced (8), and never more than its 2 levels a side that are not being cancelled;
#  - after a graceful stop: every order is done (cancelled or filled, or failed with nothing filled:
#    a place whose cancel overtook its ack at the stop), none left live,
#    the journal rebuilds to the same state as the independent reference reader, with no
#    duplicate intent; 100 reloads, 0 failures.
source "$(dirname "$0")/lib.sh"
REF="luajit $TH_HOME/tests/functional/journal_reference.lua"
CMP="luajit $TH_HOME/tests/functional/compare_journal.lua"
SOCK="$T/th.sock"
SPEED=2 TICK_MS=50 paper_mm_config
sed -i 's/requote_on = "tick"/requote_on = "book"/' "$T/cfg.lua"
grep -q 'requote_on = "book"' "$T/cfg.lua" || fail "the test's edit did not apply"
repl() { timeout 20 "$TH_BIN" repl "$SOCK" 2>>"$T/repl.err"; }
# Per pair: live orders, and how many orders past the 2 levels a side are live and not being
# cancelled (a duplicate quote). (Tags say nothing here: an amended order keeps the tag it was
# placed with, so after a move two live bids can both carry mm-b1.)
CHECK='local out = {} for _, s in ipairs({ "XMR/USD", "WAVES/EUR" }) do local side, dup = { buy = 0, sell = 0 }, 0 local open = th.orders.open(s) for _, o in ipairs(open) do if o.state ~= "pending_cancel" then side[o.side] = side[o.side] + 1 end end for _, n in pairs(side) do if n > 2 then dup = dup + n - 2 end end out[#out + 1] = s .. "=" .. #open .. "/" .. dup end return table.concat(out, " ")'
start_host run "$T/cfg.lua"
wait_for 'order flow ready' 10
wait_for 'msg="market_maker started"' 10
sleep 0.5
worst=0
for i in $(seq 1 100); do
  if [ $((i % 2)) = 1 ]; then sed -i 's/spread_bps = [0-9]*,/spread_bps = 6,/' "$T/cfg.lua"; else sed -i 's/spread_bps = [0-9]*,/spread_bps = 4,/' "$T/cfg.lua"; fi
  kill -HUP "$HOST_PID"
  wait_for 'msg="reload applied".*spread_bps' 10 "$i"
  if [ $((i % 5)) = 0 ]; then
    out=$(echo "$CHECK" | repl)
    for kv in $(tr -d '"' <<<"$out"); do
      n=${kv#*=}; live=${n%/*}; dup=${n#*/}
      [ "$dup" = 0 ] || fail "reload $i: more than 2 live orders on a side: $out $(echo 'local t = {} for _, o in ipairs(th.orders.open()) do t[#t + 1] = table.concat({ o.symbol, o.id, o.tag, o.state, o.side, o.price, o.size, o.filled }, " ") end return table.concat(t, "; ")' | repl)"
      [ "$live" -le 8 ] || fail "reload $i: $live live orders on a pair: $out"
      [ "$live" -gt "$worst" ] && worst=$live
    done
  fi
done
! grep -q 'strategy reload failed\|strategy faulted' "$T/host.log" || fail "$(grep -m1 'reload failed\|faulted' "$T/host.log")"
kill -TERM "$HOST_PID"; wait_exit 30
[ "$HOST_RC" = 0 ] || fail "exit $HOST_RC"
grep -q 'msg="every order is cancelled"' "$T/host.log" || fail "the stop left orders live"
grep -q 'session stopped.*reloads=100 reload_failures=0' "$T/host.log" || fail "$(grep 'session stopped' "$T/host.log")"
pass "100 reloads during quoting (spread 4 <-> 6): at most $worst live orders on a pair, never more than 2 a side, a clean stop"

f=$(ls "$T/j"/*.thj | sort | tail -1)
"$TH_BIN" journal "$T/j" --json >"$T/host.json" || fail "tradehost journal"
$REF "$f" >"$T/ref.json" || fail "reference reader"
$CMP "$T/host.json" "$T/ref.json" >"$T/cmp.txt" 2>&1 || { cat "$T/cmp.txt" >&2; fail "the journal's rebuild differs from the reference"; }
python3 -c '
import json, sys, collections
j = json.load(open(sys.argv[1]))
c = collections.Counter((o["state"], o["reason"]) for o in j["orders"].values())
# failed: a place that never rested (a cancel that overtook its ack at the stop), with nothing filled
bad = [o for o in j["orders"].values() if o["state"] != "done" or o["reason"] not in ("cancelled", "filled", "failed")
       or (o["reason"] == "failed" and o["filled"] != 0)]
print(" ".join("%s/%s=%d" % (k[0], k[1], v) for k, v in sorted(c.items())))
sys.exit(1 if bad or sum(c.values()) < 8 else 0)' "$T/host.json" >"$T/states.txt" || fail "orders after the stop: $(cat "$T/states.txt")"
pass "journal: $(cat "$T/cmp.txt"); every order done: $(cat "$T/states.txt")"
