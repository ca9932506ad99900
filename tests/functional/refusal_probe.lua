-- refusal_probe.lua — a test strategy: at the first book of each pair it places that pair's
-- orders (pair param `orders`: "tag side offset_bps size [post]" separated by ";", the price
-- offset_bps from the mid), logs what th.orders.place answered (msg="probe placed") and how each
-- order ended (msg="probe order"). Used by test_report_refusals.sh to provoke refusals of the
-- risk gates and of the venue on chosen pairs.
local th = require("th")
local M = {}
M.defaults = { orders = "" }

function M.on_start(state) state.placed = {} end

function M.on_book(state, ctx, symbol)
  if state.placed[symbol] then return end
  local b = th.book(symbol)
  if not b:ok() then return end
  state.placed[symbol] = true
  local mid = b:mid()
  for spec in ctx.symbols[symbol].params.orders:gmatch("[^;]+") do
    local tag, side, off, size, post = spec:match("^%s*(%S+)%s+(%S+)%s+(%S+)%s+(%S+)%s*(%S*)")
    local ins = th.instrument(symbol)
    local tick = tonumber(ins.tick)
    local price = math.floor(mid * (1 + tonumber(off) / 1e4) / tick + 0.5) * tick
    local id, err = th.orders.place { symbol = symbol, side = side, price = price, size = tonumber(size), tag = tag,
                                      post_only = post == "post" }
    th.log.info("probe placed", { symbol = symbol, tag = tag, id = tostring(id), err = tostring(err) })
  end
end

function M.on_order(state, ctx, o)
  th.log.info("probe order", { symbol = o.symbol, tag = o.tag, state = o.state, reason = o.reason, error = o.error })
end

return M
