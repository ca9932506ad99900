-- event_log.lua — a test strategy that logs every market event it is given, one line each
-- (msg="ev" kind=book symbol= bid= ask=), and, when ctx.params.place_cancel is set, places an
-- order and cancels it in the same callback (its on_order says how it ended). Used by
-- test_backtest.sh to compare the event sequence of a backtest and a recorded-pace run.
local th = require("th")
local M = {}
M.defaults = { place_cancel = false }

function M.on_book(state, ctx, symbol)
  local bid, bid_qty, ask, ask_qty = th.book(symbol):best()
  th.log.info("ev", { kind = "book", symbol = symbol, bid = ("%.4f x %.8f"):format(bid or 0, bid_qty or 0),
                      ask = ("%.4f x %.8f"):format(ask or 0, ask_qty or 0) })
  if ctx.params.place_cancel and not state.done and bid and bid > 0 then
    state.done = true
    local id, err = th.orders.place { symbol = symbol, side = "buy", price = bid, size = 2, tag = "pc" }
    th.log.info("ev placed", { id = tostring(id), err = tostring(err) })
    if id then th.orders.cancel(id) end
  end
end

function M.on_order(state, ctx, o)
  th.log.info("ev order", { tag = o.tag, state = o.state, reason = o.reason })
end

return M
