# binance_live_lib.sh — helpers for the live Binance connector tests (sourced after lib.sh,
# sim_lib.sh and kraken_live_lib.sh): the sim on the bundled Binance recording, and the market
# maker's config — the Kraken tests' strategy, risk and storage blocks unchanged, only the venue
# (name, endpoints, instruments) and the pairs (Binance's names and sizes above its minimums).
BN_DATA="$TH_HOME/tests/data/binance"
BN_INS="$BN_DATA/spot-exchangeInfo-2021-10-12.rec"
# start_bn_sim ARGS...: the sim with its default account (key and secret on the endpoints line, exported)
start_bn_sim() {
  start_sim_venue binance --data "$BN_DATA/spot-ws-2021-10-12.rec" --snapshots "$BN_DATA/spot-depth-snapshots-2021-10-12.rec" \
    --instruments "$BN_INS" "$@"
  export BINANCE_KEY BINANCE_SECRET
  BINANCE_KEY=$(ep key)
  BINANCE_SECRET=$(ep secret)
}
# bn_mm_config OUT JOURNAL_DIR [EXTRA]
bn_mm_config() {
  cat >"$1" <<CFG
return {
  venue = { name = "binance", instruments = "$BN_INS",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_streams)", ws_private = "$(ep ws_api)" },
            credentials = { key_env = "BINANCE_KEY", secret_env = "BINANCE_SECRET" },
            stale_ms = 3600000 },
  strategy = { name = "market_maker", tick_ms = ${TICK_MS:-100},
               params = { levels = 2, spread_bps = 4, step_bps = 12, skew_bps = 1, report_every_s = 1000, requote_on = "${REQUOTE_ON:-tick}" } },
  pairs = { { symbol = "NKNUSDT", size = 40 }, { symbol = "LRCBTC", size = 20 }, { symbol = "BLZETH", size = 200 } },
  risk = { price_band_pct = 5, pending_timeout_s = ${PENDING_TIMEOUT_S:-2} },
  storage = { journal_dir = "$2" },
  log = { level = "${LOG_LEVEL:-info}" },
  ${3:-}
}
CFG
}
# bn_probe_config ORDERS [RISK_EXTRA]: $T/cfg.lua, the probe strategy (paper_probe.lua) placing ORDERS
# ("tag side price size [post]; ...") on NKNUSDT through the live connector, journal in $T/j;
# RISK_EXTRA adds risk fields, LOG_LEVEL (default info) the log level
bn_probe_config() {
  cat >"$T/cfg.lua" <<CFG
return {
  venue = { name = "binance", instruments = "$BN_INS",
            endpoints = { rest = "$(ep rest)", ws_public = "$(ep ws_streams)", ws_private = "$(ep ws_api)" },
            credentials = { key_env = "BINANCE_KEY", secret_env = "BINANCE_SECRET" }, stale_ms = 3600000 },
  strategy = { name = "probe", module = "$TH_HOME/tests/functional/paper_probe.lua", tick_ms = 100,
               params = { orders = "$1" } },
  pairs = { { symbol = "NKNUSDT" } },
  risk = { price_band_pct = 5, pending_timeout_s = 2${2:+, $2} },
  storage = { journal_dir = "$T/j" },
  log = { level = "${LOG_LEVEL:-info}" },
}
CFG
}
