-- book_watch.lua — the demo strategy: watches the books of its pairs and prints what it sees.
-- It places no orders. It shows the callbacks a strategy gets (on_start, on_book, on_book_health,
-- on_tick, on_stop) and the th.book view: best prices, spread, microprice, imbalance, VWAP.
local th = require("th")

local M = {}

M.defaults = { print_every_s = 2.0, vwap_qty = 1.0 }

function M.on_start(state, ctx)
  state.events = state.events or {}
  state.last_print = state.last_print or {}
  state.health_changes = state.health_changes or 0
  for _, p in ipairs(ctx.pairs) do state.events[p.symbol] = state.events[p.symbol] or 0 end
  th.log.info("book_watch started", { pairs = #ctx.pairs, mode = th.host_info().mode })
end

function M.on_book(state, ctx, symbol)
  state.events[symbol] = state.events[symbol] + 1
  local now = th.clock.now()
  local p = ctx.symbols[symbol].params
  if now - (state.last_print[symbol] or 0) < p.print_every_s then return end
  state.last_print[symbol] = now
  local b = th.book(symbol)
  if not b:ok() then return end
  local bid, bid_qty, ask, ask_qty = b:best()
  local vwap = b:vwap("buy", p.vwap_qty)
  th.log.info("book", {
    symbol = symbol, bid = bid, bid_qty = bid_qty, ask = ask, ask_qty = ask_qty,
    spread_bps = ("%.1f"):format(b:spread_bps()), micro = ("%.8g"):format(b:microprice()),
    imb5 = ("%+.2f"):format(b:imbalance(5)), ["vwap_buy_" .. p.vwap_qty] = vwap and ("%.8g"):format(vwap) or "n/a",
    events = state.events[symbol],
  })
end

function M.on_book_health(state, ctx, symbol, health, reason)
  state.health_changes = state.health_changes + 1
  th.log.info("book health", { symbol = symbol, health = health, reason = reason })
end

function M.on_stop(state, ctx)
  for _, pair in ipairs(ctx.pairs) do
    local b = th.book(pair.symbol)
    local health = b and b:health() or "no data"
    th.log.info("summary", { symbol = pair.symbol, book_events = state.events[pair.symbol], health = health,
                             mid = b and b:mid() or "n/a" })
  end
end

return M
