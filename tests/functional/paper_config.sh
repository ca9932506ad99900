# paper_config.sh — the one paper market-making config the functional tests and bench/ run: a
# paper host on the bundled Kraken recording (XMR/USD and WAVES/EUR). Sourced, no side effects.
# One writer, so a config key that changes is changed once for every test and benchmark.
#
# paper_mm_lua JOURNAL_DIR [EXTRA]: prints the config; EXTRA adds table fields. Knobs (set them
# for the call: `SPEED=16 TICK_MS=50 paper_mm_lua ...`): SPEED (recorded pace multiple, 4),
# TICK_MS (requote period, 100), LEVELS (2), SPREAD_BPS (4), STEP_BPS (12), STALE_MS (3600000: an
# hour of recorded time, so that long tests still quote; test_stale.sh tests the pull).
# Needs TH_HOME (the source tree).
paper_mm_lua() {
  cat <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", fee_bps = 16,
            recording = "${TH_HOME:?}/tests/data/kraken/book-5pairs-2021-04-17.v2.txt",
            instruments = "$TH_HOME/tests/data/kraken/instrument-5pairs.v2.json",
            pace = "recorded", speed = ${SPEED:-4}, stale_ms = ${STALE_MS:-3600000} },
  strategy = { name = "market_maker", tick_ms = ${TICK_MS:-100},
               params = { levels = ${LEVELS:-2}, spread_bps = ${SPREAD_BPS:-4}, step_bps = ${STEP_BPS:-12}, skew_bps = 1, report_every_s = 1000, requote_on = "tick" } },
  pairs = { { symbol = "XMR/USD", size = 0.5 }, { symbol = "WAVES/EUR", size = 20 } },
  risk = { price_band_pct = 5 },
  storage = { journal_dir = "$1", fsync = "turn" },
  ${2:-}
}
CFG
}
