-- dispatch_quote.lua — the strategy bench/dispatch_bench.sh times: on every on_book it reads the top
-- of the book and sets two quotes (the best bid and ask, one lot-sized order each) through
-- th.quotes.set: the risk gates, the quote executor's diff against the live orders, the intents.
local th = require("th")
local M = {}
local targets = { { side = "buy", price = 0, size = 0.01, tag = "b" }, { side = "sell", price = 0, size = 0.01, tag = "a" } }
function M.on_start(state) state.set, state.refused = 0, 0 end
function M.on_book(state, ctx, symbol)
  local b = th.book(symbol)
  local bid, _, ask = b:best()
  if not (bid and ask and bid < ask) then return end
  targets[1].price, targets[2].price = bid, ask
  local r = th.quotes.set(symbol, targets)
  if r then
    state.set = state.set + 1
    if r.refused > 0 then state.refused = state.refused + 1 end
  end
end
function M.on_stop(state)
  th.log.info("dispatch bench", { quotes_set = state.set, with_refusals = state.refused })
end
return M
