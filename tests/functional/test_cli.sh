#!/usr/bin/env bash
# Every subcommand has help that describes it; unknown commands and bad options exit 2.
. "$(dirname "$0")/lib.sh"
for cmd in run backtest replay record repl version; do
  out=$("$TH_BIN" "$cmd" --help) || fail "$cmd --help exit $?"
  echo "$out" | grep -q "^usage: tradehost $cmd" || fail "$cmd --help has no usage line"
  [ "$(echo "$out" | wc -l)" -ge 3 ] || fail "$cmd --help is too thin"
  pass "$cmd --help"
done
"$TH_BIN" --help | grep -q "replay" || fail "top-level help lists no commands"
"$TH_BIN" version | grep -qE '^tradehost [0-9]+\.[0-9]+\.[0-9]+$' || fail "version output"
set +e
"$TH_BIN" frobnicate 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "unknown command 'frobnicate'" "$T/e" || fail "unknown command: rc=$rc"
"$TH_BIN" run 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "expected exactly one CONFIG" "$T/e" || fail "run without config: rc=$rc"
"$TH_BIN" run x.lua --duration abc 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--duration: not a number" "$T/e" || fail "bad --duration: rc=$rc"
"$TH_BIN" record 2>"$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "tradehost record: --venue:" "$T/e" || fail "record without --venue: rc=$rc: $(cat "$T/e")"
set -e
pass "bad commands and options exit 2 with a message"
