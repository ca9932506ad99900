#!/usr/bin/env bash
# test_redis_leases.sh — several hosts on one account (issue 17; docs/ops.md "Running several
# hosts"): a real redis-server on its own port, `tradehost sim --venue kraken` with ONE account,
# and two real hosts (the market maker on XMR/USD, WAVES/EUR, SC/EUR, client id prefixes "ha"
# and "hb") with storage.redis.leases and shared_budget. A monitor polls the sim's state
# (GET /_sim/state) every 50 ms for the whole test and checks, in every sample:
#   - each pair's open orders are one host's (one client id prefix per pair);
#   - the sum of both hosts' open notional (USD, EUR at the configured 1.2) is at most the shared
#     limit, risk.max_exposure_pct x risk.budget = 80% x 2000 = 1600, while either host alone
#     would quote more than that (the shared budget refuses orders: counted in /health);
# and the test then checks: both hosts quote (the pairs are shared, 2 + 1); Redis frozen
# (SIGSTOP) makes both pull their quotes within one renewal period of the first renewal it did
# not answer; thawed, they quote again; kill -9 of one host: the other takes its pairs once their
# leases expired, cancels the dead host's leftover orders there, and quotes all three; Redis
# killed: the survivor pulls its quotes at once; SIGTERM then exits 0 with nothing open.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim_lib.sh"
source "$(dirname "$0")/kraken_live_lib.sh"
command -v redis-server >/dev/null || fail "redis-server is not installed (tools/install-deps.sh installs it)"
RP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REDIS_PID="" A_PID="" B_PID="" MON_PID=""
reap() { if [ -n "$1" ]; then kill -9 "$1" 2>/dev/null || :; wait "$1" 2>/dev/null || :; fi; }
# cleanup, not checks: what this test started is killed and reaped whatever its status
trap '[ -z "$REDIS_PID" ] || kill -CONT "$REDIS_PID" 2>/dev/null || :; reap "$MON_PID"; reap "$A_PID"; reap "$B_PID"; reap "$REDIS_PID"; cleanup' EXIT
redis_start() {
  redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" >>"$T/redis.log" 2>&1 &
  REDIS_PID=$!
  for i in $(seq 50); do [ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.1; done
  fail "redis-server did not start on port $RP: $(tail -5 "$T/redis.log")"
}
hfail() { for h in a b; do echo "--- host $h ---" >&2; tail -30 "$T/$h.log" >&2; done; fail "$*"; }

# --- 0. bad settings stop the start (exit 2) with a message naming the key ---
bad_config() { # bad_config NAME EXPECTED REDIS_FIELDS [EXTRA]
  paper_mm_config "$1" "${4:-}"
  sed -i "s|fsync = \"turn\" }|fsync = \"turn\", redis = { host = \"127.0.0.1\", port = $RP, $3 } }|" "$T/cfg.lua"
  set +e; "$TH_BIN" run "$T/cfg.lua" --duration 5 2>"$T/bad-$1.err"; local rc=$?; set -e
  [ "$rc" = 2 ] || { cat "$T/bad-$1.err"; fail "$1: exit $rc, want 2"; }
  grep -qF -- "$2" "$T/bad-$1.err" || { cat "$T/bad-$1.err"; fail "$1: the message lacks: $2"; }
  pass "$1 -> $(grep -oF -- "$2" "$T/bad-$1.err")"
}
bad_config no_prefix 'storage.redis.leases: session.id_prefix must be set, and differ on every host' 'leases = { host_id = "h1" }'
bad_config budget_alone 'storage.redis.shared_budget: needs storage.redis.leases' 'shared_budget = true' 'session = { id_prefix = "ha" },'
bad_config budget_no_budget 'storage.redis.shared_budget: risk.budget must be set (> 0)' 'leases = { host_id = "h1" }, shared_budget = true' 'session = { id_prefix = "ha" },'
bad_config host_id 'storage.redis.leases.host_id: 1 to 63 letters, digits' 'leases = { host_id = "h 1" }' 'session = { id_prefix = "ha" },'
bad_config ttl 'storage.redis.leases.ttl_ms' 'leases = { host_id = "h1", ttl_ms = 100 }' 'session = { id_prefix = "ha" },'

merge_kraken_recording "$T/rec.txt"
python3 - "$T/accounts.json" <<'PY'
import base64, json, os, sys
acc = {"key": "key-shared", "secret": base64.b64encode(os.urandom(64)).decode(),
       "balances": {"USD": "100000", "XMR": "100", "EUR": "100000", "WAVES": "5000", "SC": "10000000"},
       "fees": {"maker_bps": 16, "taker_bps": 26}, "tier": "pro"}
json.dump({"accounts": [acc]}, open(sys.argv[1], "w"))
open(sys.argv[1] + ".env", "w").write("export KRAKEN_KEY=%s KRAKEN_SECRET=%s\n" % (acc["key"], acc["secret"]))
PY
source "$T/accounts.json.env"
redis_start
start_sim --data "$T/rec.txt" --instruments "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" --accounts "$T/accounts.json" --speed 1
TTL_MS=1500 # renewed every 500 ms
# host_config NAME PREFIX: both hosts configure all three pairs; the leases decide who quotes what
host_config() {
  cat >"$T/$1.lua" <<CFG
return {
  venue = { name = "kraken", instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_public)", ws_private = "$(ep ws_private)" },
            credentials = { key_env = "KRAKEN_KEY", secret_env = "KRAKEN_SECRET" },
            tier = "pro", dead_man_s = 20, stale_ms = 3600000 },
  strategy = { name = "market_maker", tick_ms = 100,
               params = { levels = 2, spread_bps = 4, step_bps = 12, skew_bps = 1, report_every_s = 1000, requote_on = "tick" } },
  pairs = { { symbol = "XMR/USD", size = 0.5 }, { symbol = "WAVES/EUR", size = 15 }, { symbol = "SC/EUR", size = 5000 } },
  risk = { price_band_pct = 5, pending_timeout_s = 2, budget = 2000, max_exposure_pct = 80, max_pair_pct = 60,
           max_position_pct = 60, rates = { EUR = 1.2 } },
  storage = { journal_dir = "$T/j$1",
              redis = { host = "127.0.0.1", port = $RP, connect_timeout_ms = 300,
                        leases = { host_id = "host-$1", ttl_ms = $TTL_MS }, shared_budget = true } },
  session = { id_prefix = "$2" },
  api = { listen = "127.0.0.1:0" },
  log = { level = "info" },
}
CFG
}
host_config a ha
host_config b hb

# The monitor: every sample of the sim's open orders, for the whole test.
python3 - "$EP_CONTROL/state" "$T/mon.json" "$T/mon.stop" <<'PY' &
import json, os, sys, time, urllib.request
url, out, stop = sys.argv[1:4]
RATE = {"USD": 1.0, "EUR": 1.2}; LIMIT = 1600.0
samples = 0; max_sum = 0.0; mixed = []; over = []; trail = []
while not os.path.exists(stop):
    try: s = json.load(urllib.request.urlopen(url, timeout=5))
    except Exception: time.sleep(0.05); continue
    a = s["accounts"][0]; per = {}; total = 0.0
    for o in a["open_orders"]:
        per.setdefault(o["symbol"], set()).add(o["cl_ord_id"][:2])
        total += float(o["price"]) * (float(o["qty"]) - float(o["filled"])) * RATE[o["symbol"].split("/")[1]]
    samples += 1; max_sum = max(max_sum, total)
    trail = (trail + [[round(time.time(), 3), len(a["open_orders"]), round(total, 2)]])[-600:]
    for sym, p in per.items():
        if len(p) > 1 and len(mixed) < 20: mixed.append({"t": time.time(), "symbol": sym, "prefixes": sorted(p)})
    if total > LIMIT + 1e-6 and len(over) < 20: over.append({"t": time.time(), "sum": total})
    json.dump({"samples": samples, "max_sum": max_sum, "mixed": mixed, "over": over, "trail": trail}, open(out + ".tmp", "w"))
    os.replace(out + ".tmp", out)
    time.sleep(0.05)
PY
MON_PID=$!

"$TH_BIN" run "$T/a.lua" 2>"$T/a.log" &
A_PID=$!
"$TH_BIN" run "$T/b.lua" 2>"$T/b.log" &
B_PID=$!
# pairs_by_prefix: "SYMBOL=PREFIXES ..." of the sim's open orders, sorted
pairs_by_prefix() {
  sim_state | python3 -c '
import json, sys
per = {}
for o in json.load(sys.stdin)["accounts"][0]["open_orders"]: per.setdefault(o["symbol"], set()).add(o["cl_ord_id"][:2])
print(" ".join("%s=%s" % (k, ",".join(sorted(v))) for k, v in sorted(per.items())))'
}
# wait_quoted EXPR TIMEOUT_S: until the sim's per-pair prefixes satisfy a python expression over `per`
wait_quoted() {
  python3 - "$EP_CONTROL/state" "$1" "$2" <<'PY' || hfail "never: $1 (last: $(pairs_by_prefix))"
import json, sys, time, urllib.request
url, expr, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.time() + timeout
while True:
    per = {}
    for o in json.load(urllib.request.urlopen(url, timeout=5))["accounts"][0]["open_orders"]:
        per.setdefault(o["symbol"], set()).add(o["cl_ord_id"][:2])
    if eval(expr): sys.exit(0)
    if time.time() > end: sys.exit(1)
    time.sleep(0.05)
PY
}
# pulled_ms T0: ms from T0 (epoch s) to the monitor's first sample with no open order after it
pulled_ms() {
  python3 - "$T/mon.json" "$1" <<'PY'
import json, sys
t0 = float(sys.argv[2])
print(next((int((t - t0) * 1000) for t, n, _ in json.load(open(sys.argv[1]))["trail"] if t >= t0 and n == 0), 999999))
PY
}
# lost_ms HOST T0: ms from T0 (epoch s) to the host's first 'lease: lost' log line after it
lost_ms() {
  python3 - "$T/$1.log" "$2" <<'PY'
import datetime, re, sys
t0 = float(sys.argv[2])
for l in open(sys.argv[1]):
    m = re.match(r"ts=(\S+)Z level=warn msg=\"lease: lost", l)
    if m:
        t = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp()
        if t >= t0: print(int((t - t0) * 1000)); sys.exit(0)
print(999999)
PY
}
api_port() { grep -o 'msg="api: listening".*port=[0-9]*' "$T/$1.log" | sed 's/.*port=//'; }
lease_health() { curl -s "http://127.0.0.1:$(api_port "$1")/health" | python3 -c 'import json,sys; print(json.dumps([x for x in json.load(sys.stdin)["stores"] if x["name"] == "leases"][0]))'; }

# --- 1. two hosts share the pairs: each pair quoted by exactly one host, both quoting ---
# (the budget binds: a pair may be left without quotes for a while; every pair quoted is one host's)
wait_quoted 'all(len(p) == 1 for p in per.values()) and set().union(*per.values()) == {"ha", "hb"}' 30
sleep 3 # a few seconds of quoting, both hosts asking for budget
for h in a b; do kill -0 "$(eval echo \$${h^^}_PID)" 2>/dev/null || hfail "host $h exited"; done
grep -q 'lease: acquired' "$T/a.log" && grep -q 'lease: acquired' "$T/b.log" || hfail "a host acquired no lease"
ha=$(lease_health a) hb=$(lease_health b)
python3 -c '
import json, sys
a, b = (set(json.loads(x)["held"]) for x in sys.argv[1:])
sys.exit(0 if not (a & b) and a | b == {"XMR/USD", "WAVES/EUR", "SC/EUR"} and a and b else 1)' "$ha" "$hb" ||
  hfail "the leases are not split between the hosts: $ha $hb"

refused=$(python3 -c 'import json,sys; print(sum(json.loads(x)["budget"]["refusals"] for x in sys.argv[1:]))' "$ha" "$hb")
[ "$refused" -gt 0 ] || hfail "the shared budget refused nothing: the test does not reach the limit ($ha $hb)"
pass "two hosts, one account: $(pairs_by_prefix); shared budget refusals=$refused; a: $ha; b: $hb"

# --- 2. Redis frozen: both pull their quotes within one renewal period of the renewal it did not answer ---
t0=$(date +%s.%N)
kill -STOP "$REDIS_PID"
wait_quoted 'len(per) == 0' 10
sleep 0.2 # the monitor's next sample
ms=$(pulled_ms "$t0")
la=$(lost_ms a "$t0")
lb=$(lost_ms b "$t0")
# The first renewal after the freeze goes out within a renewal period (500 ms) and is given up
# half a period later: each host pulls its quotes (cancels every order of the pairs) by 750 ms,
# plus what a loaded machine (an ASan build beside other tests) adds: up to 500 ms allowed.
# When the venue has them all cancelled depends on the venue too (a cancel refused for the
# rate is sent again after the back-off): reported, and bounded loosely.
[ "$la" -le 1250 ] && [ "$lb" -le 1250 ] || hfail "a host pulled its quotes late after Redis froze: a after ${la} ms, b after ${lb} ms (renewal period 500 ms)"
[ "$ms" -le 5000 ] || hfail "the sim still held orders ${ms} ms after Redis froze"
grep -q 'lease: lost: quotes on the pair pulled.*unanswered' "$T/a.log" && grep -q 'lease: lost: quotes on the pair pulled.*unanswered' "$T/b.log" ||
  hfail "a host did not say it pulled its quotes for an unanswered renewal"
kill -CONT "$REDIS_PID"
wait_quoted 'len(per) >= 1 and all(len(p) == 1 for p in per.values())' 20
pass "Redis frozen (SIGSTOP): host a pulled its quotes after ${la} ms, host b after ${lb} ms, none open at the sim after ${ms} ms; thawed: quoting again ($(pairs_by_prefix))"

# --- 3. kill -9 one host: the other takes its pairs after the leases expire ---
# The victim is the host with more leases. The shared budget is the limit for the survivor alone
# too: it may not afford quotes on all three pairs, so what is checked is that it holds all three
# leases, quotes at least one of the victim's pairs, and that none of the victim's orders is left.
held() { lease_health "$1" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["held"]))'; }
victim=a survivor=b vp=ha sp=hb
[ "$(held b | wc -w)" -ge 2 ] && { victim=b survivor=a vp=hb sp=ha; }
vpairs=$(held $victim)
[ -n "$vpairs" ] || hfail "host $victim holds no lease before the kill"
vlist=$(python3 -c 'import sys; print(repr(sys.argv[1].split()))' "$vpairs")
vpid=$(eval echo \$${victim^^}_PID)
kill -9 "$vpid"; wait "$vpid" 2>/dev/null || :
eval "${victim^^}_PID=''"
t0=$(date +%s%N)
wait_quoted "all(p == {'$sp'} for p in per.values()) and any(k in per for k in $vlist)" 20
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -ge 900 ] || hfail "the survivor quoted the dead host's pairs after ${ms} ms: before their leases (ttl ${TTL_MS} ms) could expire"
for i in $(seq 50); do [ "$(held $survivor | wc -w)" = 3 ] && break; sleep 0.1; done
[ "$(held $survivor | wc -w)" = 3 ] || hfail "host $survivor holds $(held $survivor), not all three leases"
grep -q 'swept other hosts.* cancelled=[1-9]' "$T/$survivor.log" || hfail "the survivor did not cancel the dead host's leftovers"
pass "kill -9 host $victim (leases: $vpairs): host $survivor holds all three leases and quotes ${ms} ms later ($(pairs_by_prefix)); $(grep -o 'swept other hosts.*cancelled=[1-9]*' "$T/$survivor.log" | tail -1)"

# --- 4. Redis killed: the survivor pulls its quotes at once (the connection's loss) ---
t0=$(date +%s.%N)
kill -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || :; REDIS_PID=""
wait_quoted 'len(per) == 0' 10
sleep 0.2
ms=$(pulled_ms "$t0")
ls=$(lost_ms $survivor "$t0")
[ "$ls" -le 500 ] || hfail "host $survivor pulled its quotes ${ls} ms after Redis died"
[ "$ms" -le 5000 ] || hfail "the sim still held orders ${ms} ms after Redis died"
pass "Redis killed: host $survivor pulled its quotes after ${ls} ms, none open at the sim after ${ms} ms"

spid=$(eval echo \$${survivor^^}_PID)
kill -TERM "$spid"
set +e; wait "$spid"; rc=$?; set -e
eval "${survivor^^}_PID=''"
[ "$rc" = 0 ] || hfail "host $survivor exited $rc after SIGTERM"
[ "$(sim_open_count)" = 0 ] || fail "the sim still holds $(sim_open_count) open orders"
touch "$T/mon.stop"; wait "$MON_PID" || fail "the monitor failed"; MON_PID=""
python3 - "$T/mon.json" <<'PY' || fail "the monitor saw a pair quoted by two hosts, or the shared limit passed: $(cat "$T/mon.json")"
import json, sys
m = json.load(open(sys.argv[1]))
print("ok - monitor: %d samples of the sim's state; max open notional of both hosts together %.2f USD (limit 1600)" % (m["samples"], m["max_sum"]))
sys.exit(0 if m["samples"] > 100 and not m["mixed"] and not m["over"] and m["max_sum"] > 800 else 1)
PY
! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$T/a.log" "$T/b.log" || fail "sanitizer report in a host log"
stop_sim
