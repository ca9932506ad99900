# lib.sh — helpers for functional tests that drive the real tradehost binary.
# Each test gets a private temp dir; the host runs in the background with its stderr in a file.
set -euo pipefail
: "${TH_BIN:?TH_BIN must point at the tradehost binary}"
: "${TH_HOME:?TH_HOME must point at the source tree}"
export TH_HOME
T=$(mktemp -d "${TMPDIR:-/tmp}/th-func.XXXXXX")
HOST_PID=""
cleanup() {
  if [ -n "$HOST_PID" ] && kill -0 "$HOST_PID" 2>/dev/null; then kill -9 "$HOST_PID" 2>/dev/null || true; fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$T/host.log" ] && { echo "--- host log ---" >&2; tail -40 "$T/host.log" >&2; }; exit 1; }
pass() { echo "ok - $*"; }

start_host() { # start_host ARGS... ; log in $T/host.log
  "$TH_BIN" "$@" 2>"$T/host.log" &
  HOST_PID=$!
}

# wait_for PATTERN [TIMEOUT_S] [MIN_COUNT]: wait until the host log has PATTERN (grep -E) MIN_COUNT times.
wait_for() {
  local pat=$1 timeout=${2:-10} min=${3:-1} i=0
  while [ $i -lt $((timeout * 20)) ]; do
    if [ "$(grep -cE -- "$pat" "$T/host.log" 2>/dev/null || true)" -ge "$min" ]; then return 0; fi
    kill -0 "$HOST_PID" 2>/dev/null || fail "host exited while waiting for: $pat"
    sleep 0.05; i=$((i + 1))
  done
  fail "timed out after ${timeout}s waiting for: $pat"
}

# wait_exit: wait for the host to exit; sets HOST_RC.
wait_exit() {
  local timeout=${1:-10} i=0
  while kill -0 "$HOST_PID" 2>/dev/null; do
    sleep 0.05; i=$((i + 1))
    [ $i -lt $((timeout * 20)) ] || fail "host did not exit within ${timeout}s"
  done
  set +e; wait "$HOST_PID"; HOST_RC=$?; set -e
  HOST_PID=""
}

# paper_mm_config [NAME] [EXTRA]: writes $T/cfg.lua, the paper market maker of paper_config.sh (the
# recording lasts ~7 s at speed 4) with its journal in $T/jNAME and its REPL on $T/thNAME.sock;
# EXTRA adds table fields (e.g. 'api = { ... },'); paper_config.sh's knobs apply.
source "$(dirname "${BASH_SOURCE[0]}")/paper_config.sh"
paper_mm_config() {
  paper_mm_lua "$T/j${1:-}" "repl = { socket = \"$T/th${1:-}.sock\" },
  ${2:-}" >"$T/cfg.lua"
}

# fill_once PAIR SIDE SIZE: through the REPL at $SOCK, a marketable order 2% through the book (0.2%
# could miss when the book moved before it arrived), its price on the pair's tick (a buy rounded up,
# a sell down: docs/lua-api.md), which must fill in full: a strategy quoting the same pair with
# th.quotes.set manages only the orders it placed, so it never cancels this one. A failure is told
# through ${FILL_FAIL:-fail} (a live test passes sfail, which adds the session log).
fill_once() {
  local out id st i f=${FILL_FAIL:-fail}
  out=$(echo "local ins = th.instrument(\"$1\") local b, _, a = th.book(\"$1\"):best() local buy = \"$2\" == \"buy\" local t = (buy and a * 1.02 or b * 0.98) / ins.tick local n = buy and math.ceil(t - 1e-9) or math.floor(t + 1e-9) local p = (\"%.\" .. ins.price_decimals .. \"f\"):format(n * ins.tick) return th.orders.place{ symbol = \"$1\", side = \"$2\", price = tonumber(p), size = $3, tag = \"t\" }" | "$TH_BIN" repl "$SOCK")
  [[ "$out" == \"th* ]] || "$f" "a marketable $2 on $1 was refused: $out"
  id=${out//\"/}
  for i in $(seq 100); do
    st=$(echo "local o = th.orders.get(\"$id\") return o.state .. ' ' .. o.filled .. ' ' .. o.reason" | "$TH_BIN" repl "$SOCK")
    [[ "$st" == \"done* ]] && break
    sleep 0.1
  done
  [[ "$st" == "\"done $3 filled\"" ]] || "$f" "the marketable $2 on $1 ended: $st"
}
