-- book_watch on the bundled real Kraken recording (2021-04-17, 5 pairs, depth 1000, every checksum
-- verified), at 4x the recorded pace: what the strategy sees of the books (docs/lua-api.md).
return {
  venue = {
    name = "sim", paper = true, feed = "kraken",
    recording = "../tests/data/kraken/book-5pairs-2021-04-17.v2.txt",
    instruments = "../tests/data/kraken/instrument-5pairs.v2.json",
    pace = "recorded", speed = 4,
    stale_ms = 10000, -- a book with no update for 10 s of recorded time is marked stale
  },
  strategy = { name = "book_watch", tick_ms = 1000, params = { print_every_s = 2.0 } },
  pairs = {
    { symbol = "XMR/USD", vwap_qty = 5.0 },
    { symbol = "WAVES/EUR", vwap_qty = 100.0 },
    { symbol = "KSM/BTC" },
    { symbol = "SC/EUR", vwap_qty = 50000.0 },
    { symbol = "GRT/ETH", vwap_qty = 500.0 },
  },
  session = { duration_s = 8 },
}
