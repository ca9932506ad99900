#!/usr/bin/env bash
# test_paper_paths.sh — paper runs, paper mode and config paths, as a new user meets them.
#  1. A second paper run starts fresh: not with the first run's orders, positions, fees or kill
#     switch (before: silently halted). --resume continues the account and says what it resumed;
#     it is refused for a backtest and when there is nothing to resume.
#  2. One rule for paper mode: venue.paper = true fills on paper whatever the market data venue
#     (before: name = "kraken" logged mode=paper and refused every order with no_venue), the sim
#     venue is paper too (before: mode=run), and the start line says mode, venue and fills.
#  3. Relative paths resolve beside the config file whatever the working directory (before: the
#     REPL socket and log file from the working directory, the journal beside the config); the
#     directories the host writes into are created (before: a missing socket directory was
#     "permission denied"); a missing input directory is "no such directory"; README's
#     `tradehost journal` example works as written.
source "$(dirname "$0")/lib.sh"

config() { # config FILE VENUE_FIELDS [EXTRA]
  mkdir -p "$(dirname "$1")"
  cat >"$1" <<CFG
return {
  venue = { $2, fee_bps = 16,
            recording = "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt",
            instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            pace = "recorded", speed = 20, stale_ms = 60000 },
  strategy = { name = "market_maker", tick_ms = 50,
               params = { levels = 3, spread_bps = 2, step_bps = 11, skew_bps = 1, report_every_s = 1000, requote_on = "tick" } },
  pairs = { { symbol = "XMR/USD", size = 0.5 }, { symbol = "WAVES/EUR", size = 20 }, { symbol = "SC/EUR", size = 2000 } },
  risk = { price_band_pct = 5, anti_layering_pct = 0.1 },
  quotes = { price_tolerance_bps = 0.5, size_tolerance_pct = 1 },
  ${3:-}
}
CFG
}

# --- 1. fresh paper runs by default, --resume on request ---
config "$T/p/cfg.lua" 'name = "sim", paper = true, feed = "kraken"'
start_host run "$T/p/cfg.lua" --duration 3
wait_for 'msg="pnl".*open_orders=[1-9]' 10
kill -USR1 "$HOST_PID"
wait_for 'kill switch pulled' 5
wait_exit 20
[ "$HOST_RC" = 0 ] || fail "first paper run exited $HOST_RC"
grep -q 'halted=true' "$T/host.log" || fail "first paper run did not end halted"

start_host run "$T/p/cfg.lua" --duration 2
wait_exit 20
[ "$HOST_RC" = 0 ] || fail "second paper run exited $HOST_RC"
grep -q 'msg="fresh paper account' "$T/host.log" || fail "second paper run: no 'fresh paper account' line"
! grep -q 'recovered from the journal' "$T/host.log" || fail "second paper run recovered the first run's account"
grep -q 'summary" fills=[0-9]* halted=false' "$T/host.log" || fail "second paper run started halted (the first run's kill switch)"
! grep -Eq 'refusals="[^"]*halted=' "$T/host.log" || fail "second paper run refused orders as halted"
grep -Eq 'msg="pnl".*open_orders=[1-9]' "$T/host.log" || fail "second paper run placed no orders"
pass "a second paper run starts fresh (not halted by the first run's kill switch)"

# the second run ended clean; resume the first run's halted account from a journal of its own
mkdir -p "$T/r/var/journal/market_maker"
cp "$(ls "$T/p/var/journal/market_maker"/*.thj | sort | head -1)" "$T/r/var/journal/market_maker/"
config "$T/r/cfg.lua" 'name = "sim", paper = true, feed = "kraken"'
start_host run "$T/r/cfg.lua" --duration 1 --resume
wait_exit 20
[ "$HOST_RC" = 0 ] || fail "--resume run exited $HOST_RC"
grep -q 'recovered from the journal.*halted=yes account=paper (resumed: --resume)' "$T/host.log" ||
  fail "--resume: the start does not say it resumed the halted paper account"
grep -q 'resumed a halted paper account' "$T/host.log" || fail "--resume: the kill switch is not reported at start"
grep -q 'summary" fills=[0-9]* halted=true' "$T/host.log" || fail "--resume: the account's kill switch was not carried"
pass "--resume continues the paper account and says so (halted, with the reason)"

set +e; "$TH_BIN" backtest "$T/p/cfg.lua" --resume 2>"$T/e"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'never inherits a previous run' "$T/e" || fail "backtest --resume: rc $rc, $(cat "$T/e")"
config "$T/empty/cfg.lua" 'name = "sim", paper = true, feed = "kraken"'
set +e; "$TH_BIN" run "$T/empty/cfg.lua" --duration 1 --resume 2>"$T/e"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'no paper journal to resume in' "$T/e" || fail "--resume with nothing to resume: rc $rc, $(cat "$T/e")"
pass "--resume is refused for a backtest and when there is nothing to resume"

# --- 2. one paper rule, logged at start ---
config "$T/k/cfg.lua" 'name = "kraken", paper = true'
start_host run "$T/k/cfg.lua" --duration 2
wait_exit 20
[ "$HOST_RC" = 0 ] || fail "kraken paper run exited $HOST_RC"
grep -q 'session starting" mode=paper venue=kraken feed=kraken fills=paper' "$T/host.log" || fail "kraken paper: start line: $(grep 'session starting' "$T/host.log")"
! grep -q 'no_venue' "$T/host.log" || fail "kraken paper: orders refused with no_venue"
grep -Eq 'msg="pnl".*open_orders=[1-9]' "$T/host.log" || fail "kraken paper: no order rested at the paper venue"
config "$T/s/cfg.lua" 'name = "sim", feed = "kraken"'
start_host run "$T/s/cfg.lua" --duration 1
wait_exit 20
grep -q 'session starting" mode=paper venue=sim feed=kraken fills=paper' "$T/host.log" || fail "sim: start line: $(grep 'session starting' "$T/host.log")"
# live Kraken has an order connector: without credentials it refuses to start, naming the key
config "$T/l/cfg.lua" 'name = "kraken"'
set +e; "$TH_BIN" run "$T/l/cfg.lua" --duration 1 2>"$T/l.err"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'venue.credentials.key_env: not set' "$T/l.err" || fail "live kraken without credentials: rc $rc, $(cat "$T/l.err")"
# so has live Binance now (orders over its WebSocket API): the same refusal without credentials
config "$T/b/cfg.lua" 'name = "binance", feed = "kraken"'
set +e; "$TH_BIN" run "$T/b/cfg.lua" --duration 1 2>"$T/b.err"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'venue.credentials.key_env: not set' "$T/b.err" || fail "live binance without credentials: rc $rc, $(cat "$T/b.err")"
pass "paper = true fills on paper whatever the feed venue; sim is paper; the start line says mode, venue and fills; live kraken and binance need their credentials"

# --- 3. paths beside the config, directories created, clear messages ---
C="$T/deploy/conf"
mkdir -p "$C/data"
ln -s "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt" "$C/data/rec.txt"
cp "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json" "$C/data/ins.json"
cat >"$C/mm.lua" <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", recording = "data/rec.txt", instruments = "./data/ins.json",
            pace = "recorded", speed = 20, stale_ms = 60000 },
  strategy = { name = "market_maker", tick_ms = 100, params = { levels = 1, report_every_s = 1000 } },
  pairs = { { symbol = "XMR/USD", size = 0.5 } },
  repl = { socket = "run/th.sock" },
  log = { file = "logs/host.log" },
}
CFG
mkdir -p "$T/elsewhere"
(cd "$T/elsewhere" && "$TH_BIN" run ../deploy/conf/mm.lua --duration 1 2>"$T/host.log") || fail "relative-path config failed: $(cat "$T/host.log")"
[ -s "$C/logs/host.log" ] || fail "log.file not written beside the config"
grep -q "repl: listening\" socket=$C/run/th.sock" "$C/logs/host.log" || fail "repl.socket not beside the config: $(grep 'repl:' "$C/logs/host.log")"
ls "$C/var/journal/market_maker/"*.thj >/dev/null 2>&1 || fail "journal not in var/journal/<strategy> beside the config"
[ "$(stat -c %a "$C/run")" = 700 ] && [ "$(stat -c %a "$C/logs")" = 700 ] || fail "created directories are not 0700"
[ -z "$(ls -A "$T/elsewhere")" ] || fail "the host wrote into the working directory: $(ls -A "$T/elsewhere")"
pass "relative paths resolve beside the config from any working directory; socket and log directories created 0700"

sed -i 's|recording = "data/rec.txt"|recording = "nodata/rec.txt"|' "$C/mm.lua"
set +e; "$TH_BIN" run "$C/mm.lua" --duration 1 2>"$T/e"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q "venue.recording: no such directory: $C/nodata" "$T/e" || fail "missing recording dir: rc $rc, $(cat "$T/e")"
sed -i 's|recording = "nodata/rec.txt"|recording = "data/nothere.txt"|' "$C/mm.lua"
set +e; "$TH_BIN" run "$C/mm.lua" --duration 1 2>"$T/e"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q "venue.recording: no such file: $C/data/nothere.txt" "$T/e" || fail "missing recording: rc $rc, $(cat "$T/e")"
set +e; "$TH_BIN" journal "$T/nowhere/journal" 2>"$T/e"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "nowhere/journal: no such directory" "$T/e" || fail "journal of a missing dir: rc $rc, $(cat "$T/e")"
pass "a missing directory is 'no such directory', a missing file 'no such file'"

# README, as written: run the bundled paper config from the project root, then read its journal.
mkdir -p "$T/proj/config"
cp "$TH_HOME/config/paper_mm.lua" "$T/proj/config/"
ln -s "$TH_HOME/tests" "$T/proj/tests"
ln -s "$TH_HOME/strategies" "$T/proj/strategies"
readme_run=$(grep -o 'build/tradehost run config/paper_mm.lua' "$TH_HOME/README.md" | head -1)
readme_journal=$(grep -o 'build/tradehost journal [^ ]*' "$TH_HOME/README.md" | head -1 | sed 's|build/tradehost journal ||')
[ -n "$readme_run" ] && [ -n "$readme_journal" ] || fail "README has no paper_mm run / journal example"
(cd "$T/proj" && "$TH_BIN" run config/paper_mm.lua --duration 1 2>"$T/host.log") || fail "README paper_mm run failed"
(cd "$T/proj" && "$TH_BIN" journal "$readme_journal" >"$T/j.txt" 2>&1) || fail "README: tradehost journal $readme_journal: $(cat "$T/j.txt")"
pass "README: 'tradehost journal $readme_journal' reads the journal of 'tradehost run config/paper_mm.lua'"
