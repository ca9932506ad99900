# sim_lib.sh — helpers for the `tradehost sim` tests (sourced after lib.sh).
SIM_PID=""
need_ccxt() { # the ccxt tests need node and tests/ccxt/node_modules (npm ci; tools/install-deps.sh)
  command -v node >/dev/null || fail "node is not installed (tools/install-deps.sh)"
  # npm ci is the only network use, once; tests running in parallel take turns
  (flock 8; [ -d "$TH_HOME/tests/ccxt/node_modules/ccxt" ] || (cd "$TH_HOME/tests/ccxt" && npm ci --no-audit --no-fund --silent)) \
    8>"$TH_HOME/tests/ccxt/.npm.lock" || fail "cannot install ccxt (cd tests/ccxt && npm ci)"
}
# merge_kraken_recording OUT: the bundled book recording and its trades (v1) in one file, by time
merge_kraken_recording() {
  python3 - "$TH_HOME/tests/data/kraken" "$1" <<'PY'
import re, sys
d, out = sys.argv[1], sys.argv[2]
rows = []
for l in open(d + "/book-5pairs-2021-04-17.v2.txt"):
    rows.append((int(l.split(" ", 1)[0]), l.rstrip("\n")))
for l in open(d + "/trades-ws-v1-2021-04-17.rec"):
    m = re.match(r"^(\d+\.\d+): (.*)$", l.rstrip("\n"))
    if m:
        ts = int(round(float(m.group(1)) * 1e9))
        rows.append((ts, "%d %s" % (ts, m.group(2))))
rows.sort(key=lambda r: r[0])
open(out, "w").write("\n".join(r[1] for r in rows) + "\n")
PY
}
# start_sim ARGS...: tradehost sim --venue kraken ARGS; the endpoints line in $T/endpoints.json,
# $EP_REST, $EP_CONTROL ...; log in $T/host.log
start_sim() { start_sim_venue kraken "$@"; }
# start_sim_venue VENUE ARGS...: the same for any venue
start_sim_venue() {
  local venue=$1; shift
  "$TH_BIN" sim --venue "$venue" "$@" >"$T/endpoints.json" 2>"$T/host.log" &
  SIM_PID=$!
  HOST_PID=$SIM_PID
  local i=0
  until [ -s "$T/endpoints.json" ] && grep -q '}' "$T/endpoints.json"; do
    kill -0 "$SIM_PID" 2>/dev/null || fail "sim exited before listening"
    sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "no endpoints line within 10 s"
  done
  EP_REST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rest"])' "$T/endpoints.json")
  EP_CONTROL="$EP_REST/_sim"
  export SIM_ENDPOINTS
  SIM_ENDPOINTS=$(cat "$T/endpoints.json")
}
stop_sim() { # SIGTERM; the sim must exit 0 with no sanitizer report
  kill -TERM "$SIM_PID"
  wait_exit 10
  [ "$HOST_RC" = 0 ] || fail "sim exit status $HOST_RC after SIGTERM"
  ! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$T/host.log" || fail "sanitizer report in the sim log"
  SIM_PID=""
}
