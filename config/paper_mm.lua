-- A paper market-making session on the bundled real Kraken recording: quotes on two pairs go to
-- the sim's matching engine in-process (queue positions, maker/taker fees: docs/sim.md). Orders pass the risk
-- gates and the journal (config/var/journal/market_maker: paths are relative to this file) exactly as
-- they would live. Each run is a fresh paper account; `--resume` continues the previous one.
return {
  venue = {
    name = "sim", paper = true, feed = "kraken", fee_bps = 16,
    recording = "../tests/data/kraken/book-5pairs-2021-04-17.v2.txt",
    instruments = "../tests/data/kraken/instrument-5pairs.v2.json",
    pace = "recorded", speed = 16, stale_ms = 10000,
  },
  strategy = { name = "market_maker", tick_ms = 500,
               params = { levels = 2, spread_bps = 4, step_bps = 12, skew_bps = 2, report_every_s = 4, requote_on = "tick" } },
  pairs = {
    { symbol = "XMR/USD", size = 0.5, max_position = 5 },
    { symbol = "WAVES/EUR", size = 20, max_position = 200 },
  },
  risk = {
    budget = 10000, currency = "USD", rates = { EUR = 1.20 },
    max_order_notional = 1000, price_band_pct = 2, daily_loss_cap = 200, max_open_orders = 8,
  },
  quotes = { price_tolerance_bps = 1 },
  session = { duration_s = 20 },
}
