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

# paper_mm_config [NAME] [EXTRA]: writes $T/cfg.lua, a paper market-making host on the bundled
# Kraken recording (two pairs, quotes every 100 ms) with its journal in $T/jNAME and its REPL on
# $T/thNAME.sock; EXTRA adds table fields (e.g. 'api = { ... },'). The recording lasts ~7 s at
# speed 4; stale_ms is an hour of recorded time so that tests running longer still quote (once
# books go stale the market maker pulls its quotes: test_stale.sh tests exactly that).
paper_mm_config() {
  cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", fee_bps = 16,
            recording = "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt",
            instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            pace = "recorded", speed = 4, stale_ms = 3600000 },
  strategy = { name = "market_maker", tick_ms = 100,
               params = { levels = 2, spread_bps = 4, step_bps = 12, skew_bps = 1, report_every_s = 1000, requote_on = "tick" } },
  pairs = { { symbol = "XMR/USD", size = 0.5 }, { symbol = "WAVES/EUR", size = 20 } },
  risk = { price_band_pct = 5 },
  storage = { journal_dir = "$T/j${1:-}", fsync = "turn" },
  repl = { socket = "$T/th${1:-}.sock" },
  ${2:-}
}
CFG
}
