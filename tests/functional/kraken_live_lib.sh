# kraken_live_lib.sh — helpers for the tests of the live Kraken connectors against `tradehost sim`
# (sourced after lib.sh and sim_lib.sh): a session process beside the sim, its config pointed at
# the sim's endpoints, and the comparisons with the sim's own state.
SESSION_PID=""
# ep FIELD: a field of the sim's endpoints line
ep() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/endpoints.json" "$1"; }
sim_state() { curl -sf "$EP_CONTROL/state"; }
sim_post() { curl -sf -X POST "$EP_CONTROL/$1" ${2:+-d "$2"} >/dev/null; }
# start_session CONFIG: the session in the background, its log in $T/session.log
start_session() {
  "$TH_BIN" run "$1" 2>"$T/session.log" &
  SESSION_PID=$!
}
# swait PATTERN [TIMEOUT_S] [MIN]: wait until the session log has PATTERN MIN times
swait() {
  local pat=$1 timeout=${2:-10} min=${3:-1} i=0
  while [ $i -lt $((timeout * 20)) ]; do
    if [ "$(grep -cE -- "$pat" "$T/session.log" 2>/dev/null || true)" -ge "$min" ]; then return 0; fi
    kill -0 "$SESSION_PID" 2>/dev/null || sfail "session exited while waiting for: $pat"
    sleep 0.05; i=$((i + 1))
  done
  sfail "timed out after ${timeout}s waiting for: $pat"
}
sfail() { echo "--- session log ---" >&2; tail -60 "$T/session.log" >&2; fail "$*"; }
# stop_session [SIGNAL] [TIMEOUT_S]: signal the session and wait for it, 20 s by default (sets SESSION_RC)
stop_session() {
  kill -"${1:-TERM}" "$SESSION_PID" 2>/dev/null || true
  local i=0 t=${2:-20}
  while kill -0 "$SESSION_PID" 2>/dev/null; do sleep 0.05; i=$((i + 1)); [ $i -lt $((t * 20)) ] || sfail "session did not exit in $t s"; done
  set +e; wait "$SESSION_PID"; SESSION_RC=$?; set -e
  SESSION_PID=""
  ! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$T/session.log" || sfail "sanitizer report in the session log"
}
session_cleanup() { if [ -n "$SESSION_PID" ]; then kill -9 "$SESSION_PID" 2>/dev/null || true; fi; }
wait_data_ended() {
  local i=0
  until sim_state | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["data_ended"] else 1)'; do
    sleep 0.1; i=$((i + 1)); [ $i -lt 600 ] || fail "the sim's data did not end within 60 s"
  done
}
# books_equal DUMP: the session's dumped books equal the sim's top 10 (exit 0), else print the first difference
books_equal() {
  sim_state >"$T/state.json" || return 1
  python3 - "$1" "$T/state.json" <<'PY'
import json, sys
mine = json.load(open(sys.argv[1])); sim = json.load(open(sys.argv[2]))["books"]
for sym, b in mine.items():
    s = sim.get(sym)
    if s is None: print("sim has no book", sym); sys.exit(1)
    if b["health"] != "ok": print(sym, "health", b["health"]); sys.exit(1)
    for side in ("bids", "asks"):
        a = [(float(p), float(q)) for p, q in b[side]]; e = [(float(p), float(q)) for p, q in s[side]]
        if len(a) != len(e) or any(abs(x[0] - y[0]) > 1e-12 * max(1, abs(y[0])) or abs(x[1] - y[1]) > 1e-9 * max(1, abs(y[1])) for x, y in zip(a, e)):
            print(sym, side, "differs: session", a[:3], "sim", e[:3]); sys.exit(1)
sys.exit(0)
PY
}
# wait_books_equal DUMP [TIMEOUT_S]
wait_books_equal() {
  local i=0
  until [ -s "$1" ] && books_equal "$1" >"$T/books.diff" 2>&1; do
    sleep 0.1; i=$((i + 1)); [ $i -lt $((${2:-10} * 10)) ] || sfail "books differ from the sim's: $(cat "$T/books.diff")"
  done
}
# kraken_accounts FILE: one account on the pro tier (the quoting tests requote on every tick)
kraken_accounts() {
  python3 - "$1" <<'PY'
import base64, json, os, sys
acc = {"key": "key-live-A", "secret": base64.b64encode(os.urandom(64)).decode(),
       "balances": {"USD": "100000", "XMR": "100", "EUR": "100000", "WAVES": "5000"},
       "fees": {"maker_bps": 16, "taker_bps": 26}, "tier": "pro"}
json.dump({"accounts": [acc]}, open(sys.argv[1], "w"))
open(sys.argv[1] + ".env", "w").write("export KRAKEN_KEY=%s KRAKEN_SECRET=%s\n" % (acc["key"], acc["secret"]))
PY
}
# live_mm_config OUT JOURNAL_DIR [EXTRA]: the market maker trading on the sim through the Kraken connectors
live_mm_config() {
  cat >"$1" <<CFG
return {
  venue = { name = "kraken", instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_public)", ws_private = "$(ep ws_private)" },
            credentials = { key_env = "KRAKEN_KEY", secret_env = "KRAKEN_SECRET" },
            tier = "pro", dead_man_s = ${DEAD_MAN_S:-2}, stale_ms = 3600000 },
  strategy = { name = "market_maker", tick_ms = ${TICK_MS:-100},
               params = { levels = 2, spread_bps = 4, step_bps = 12, skew_bps = 1, report_every_s = 1000, requote_on = "${REQUOTE_ON:-tick}" } },
  pairs = { { symbol = "XMR/USD", size = 0.5 }, { symbol = "WAVES/EUR", size = 20 } },
  risk = { price_band_pct = 5, pending_timeout_s = ${PENDING_TIMEOUT_S:-2} },
  storage = { journal_dir = "$2" },
  log = { level = "${LOG_LEVEL:-info}" },
  ${3:-}
}
CFG
}
sim_open_count() { sim_state | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["accounts"][0]["open_orders"]))'; }
# sim_wait PY_EXPR [TIMEOUT_S]: poll the sim's state (one python process) until PY_EXPR, over the
# account `a` and the state `s`, is true; fails naming the expression and its last state
sim_wait() {
  python3 - "$EP_CONTROL/state" "$1" "${2:-10}" <<'PY' || sfail "the sim's state never satisfied: $1"
import json, sys, time, urllib.request
url, expr, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.time() + timeout
while True:
    s = json.load(urllib.request.urlopen(url, timeout=5)); a = s["accounts"][0]
    if eval(expr): sys.exit(0)
    if time.time() > end:
        print("last: open_orders=%d fills=%d placed=%d cancelled=%d" % (len(a["open_orders"]), a["fills"], a["orders_placed"], a["orders_cancelled"]), file=sys.stderr)
        sys.exit(1)
    time.sleep(0.1)
PY
}
wait_sim_open() { # CMP N [TIMEOUT_S]
  case $1 in -gt) sim_wait "len(a['open_orders']) > $2" "${3:-10}" ;; -eq) sim_wait "len(a['open_orders']) == $2" "${3:-10}" ;; esac
}
# fills_match JOURNAL_DIR: the journal's positions (quantity, fills, fees per symbol, exact) equal the
# sim's own account trades; prints the comparison
fills_match() {
  "$TH_BIN" journal "$1" --json >"$T/journal.json" || return 1
  sim_state >"$T/state.json" || return 1
  python3 - "$T/journal.json" "$T/state.json" <<'PY'
import json, sys
from decimal import Decimal
j = json.load(open(sys.argv[1]))["positions"]; a = json.load(open(sys.argv[2]))["accounts"][0]
sim = {}
for t in a["trades"]:
    s = sim.setdefault(t["symbol"], {"qty": Decimal(0), "fills": 0, "fees": Decimal(0)})
    q = Decimal(t["qty"]); s["qty"] += q if t["side"] == "buy" else -q; s["fills"] += 1; s["fees"] += Decimal(t["fee"])
ok = True
for sym in set(j) | set(sim):
    p = j.get(sym, {"qty": 0, "fills": 0, "fees": 0, "price_dec": 0, "qty_dec": 0})
    mine = {"qty": Decimal(p["qty"]).scaleb(-p["qty_dec"]), "fills": p["fills"], "fees": Decimal(p["fees"]).scaleb(-(p["price_dec"] + p["qty_dec"]))}
    theirs = sim.get(sym, {"qty": Decimal(0), "fills": 0, "fees": Decimal(0)})
    same = mine["qty"] == theirs["qty"] and mine["fills"] == theirs["fills"] and mine["fees"] == theirs["fees"]
    print("%-10s host qty=%s fills=%d fees=%s | sim qty=%s fills=%d fees=%s %s" % (sym, mine["qty"], mine["fills"], mine["fees"], theirs["qty"], theirs["fills"], theirs["fees"], "ok" if same else "DIFFERENT"))
    ok = ok and same
print("total sim fills:", len(a["trades"]))
sys.exit(0 if ok else 1)
PY
}
