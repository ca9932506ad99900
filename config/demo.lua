-- The README demo: a paper session of the sample strategy. Runs without any service.
return {
  venue = { name = "sim", paper = true },
  strategy = { name = "heartbeat", tick_ms = 250 },
  pairs = { { symbol = "XMR/USD" }, { symbol = "WAVES/EUR" } },
  session = { duration_s = 2 },
}
