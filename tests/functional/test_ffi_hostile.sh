#!/usr/bin/env bash
# test_ffi_hostile.sh — a strategy calls every function of tradehost.h through the raw FFI with
# hostile arguments (tests/functional/ffi_hostile.lua) inside the real host, on live books and a
# live order flow: every call must return an error code, and the host must neither crash nor stop
# trading. Run by both ctest suites, so the ASan/UBSan build checks the same calls.
source "$(dirname "$0")/lib.sh"

cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", fee_bps = 16,
            recording = "$TH_HOME/tests/data/kraken/book-5pairs-2021-04-17.v2.txt",
            instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            pace = "recorded", speed = 20, stale_ms = 60000 },
  strategy = { name = "ffi_hostile", module = "$TH_HOME/tests/functional/ffi_hostile.lua", tick_ms = 50, budget_ms = 10000 },
  pairs = { { symbol = "XMR/USD" }, { symbol = "WAVES/EUR" } },
  storage = { journal_dir = "$T/j", fsync = "never" },
}
CFG
export TH_FFI_CASE_FILE="$T/case.txt"
start_host run "$T/cfg.lua" --duration 4
wait_exit 60
[ "$HOST_RC" = 0 ] || fail "host exited $HOST_RC during the hostile FFI calls; last case: $(cat "$T/case.txt" 2>/dev/null)"
grep -q 'msg="ffi hostile: every call refused"' "$T/host.log" \
  || fail "not every hostile call was refused: $(grep 'ffi hostile' "$T/host.log")"
! grep -q 'strategy faulted' "$T/host.log" || fail "the hostile strategy faulted: $(grep 'strategy faulted' "$T/host.log")"
pass "$(grep -o 'calls=[0-9]* functions=[0-9]*' "$T/host.log"): every hostile call refused, no crash"
