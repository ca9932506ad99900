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
# stop_session [SIGNAL]: signal the session and wait for it (sets SESSION_RC)
stop_session() {
  kill -"${1:-TERM}" "$SESSION_PID" 2>/dev/null || true
  local i=0
  while kill -0 "$SESSION_PID" 2>/dev/null; do sleep 0.05; i=$((i + 1)); [ $i -lt 400 ] || sfail "session did not exit in 20 s"; done
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
