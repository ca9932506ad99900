-- A minimal config: the heartbeat strategy on the simulated venue, ticking every 100 ms.
return {
  venue = { name = "sim" },
  strategy = { name = "heartbeat", tick_ms = 100, params = { log_every = 1 } },
  pairs = { { symbol = "XMR/USD" }, { symbol = "WAVES/EUR", log_every = 2 } },
  log = { level = "info" },
}
