-- The README demo: paper market making on the five pairs of the bundled real Kraken recording
-- (2021-04-17, depth 1000, every checksum verified) at 3x the recorded pace (its 30 s in about
-- 10 s), with a live status view, then the session's summary and its HTML report. Orders pass the risk gates and the
-- journal (config/var/journal/demo) exactly as they would live; fills come from the local paper
-- venue. Quotes are re-set every 1.5 s (4.5 s of recorded time), so they rest long enough for the
-- recorded market to reach them: a paper fill needs the recorded book to trade through the quote,
-- so the quotes sit at the mid (spread_bps = 0) to show fills in 30 s of data. The Kraken Futures
-- recording is the lead market: the ETH perpetual's moves widen the quotes (lead_widen). It is
-- from another day (2021-07-22) and covers none of the five pairs' coins, so it is ALIGNED to the
-- spot recording (its first record shifted to the spot one's, venue.lead.align), not simultaneous:
-- it shows the mechanism, not a real lead-lag relation.
return {
  venue = {
    name = "sim", paper = true, feed = "kraken", fee_bps = 16,
    recording = "../tests/data/kraken/book-5pairs-2021-04-17.v2.txt",
    instruments = "../tests/data/kraken/instrument-5pairs.v2.json",
    pace = "recorded", speed = 3,
    stale_ms = 30000, -- a book with no update for 30 s of recorded time is marked stale
    lead = { feed = "kraken-futures", recording = "../tests/data/kraken-futures/futures-ws-v1-2021-07-22.rec",
             instruments = "../tests/data/kraken-futures/instruments-2021-07-22.rec", align = "start" },
  },
  strategy = { name = "market_maker", tick_ms = 1500,
               params = { levels = 1, spread_bps = 0, step_bps = 15, skew_bps = 1, max_inventory = 4,
                          report_every_s = 1000, requote_on = "tick",
                          lead = "pi_ethusd", lead_widen = 1 } },
  pairs = {
    { symbol = "XMR/USD", size = 0.5 },
    { symbol = "WAVES/EUR", size = 20 },
    { symbol = "KSM/BTC", size = 1 },
    { symbol = "SC/EUR", size = 5000 },
    { symbol = "GRT/ETH", size = 200 },
  },
  risk = {
    currency = "USD", rates = { EUR = 1.20, BTC = 61000, ETH = 2400 },
    max_order_notional = 2000, price_band_pct = 2, daily_loss_cap = 200, max_open_orders = 20,
  },
  quotes = { price_tolerance_bps = 1 },
  storage = { journal_dir = "var/journal/demo" },
  log = { level = "warn" },
  status = { mode = "auto", every_ms = 200 },
  report = { sample_ms = 500 },
  session = { duration_s = 11 },
}
