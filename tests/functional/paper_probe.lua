-- paper_probe.lua — a test strategy: at the first book of its pair it places the orders listed in
-- ctx.params.orders ("tag side price size [post]" separated by ";"), then logs every fill and order
-- change on one line each (msg="probe fill" / "probe order", with the recorded time in ms), for the
-- paper-matching and backtest tests to read.
local th = require("th")
local M = {}
M.defaults = { orders = "" }

function M.on_start(state) state.placed = false end

function M.on_book(state, ctx, symbol)
  if state.placed then return end
  state.placed = true
  for spec in ctx.params.orders:gmatch("[^;]+") do
    local tag, side, price, size, post = spec:match("^%s*(%S+)%s+(%S+)%s+(%S+)%s+(%S+)%s*(%S*)")
    local id, err = th.orders.place { symbol = symbol, side = side, price = tonumber(price), size = tonumber(size), tag = tag,
                                      post_only = post == "post" }
    th.log.info("probe placed", { tag = tag, id = tostring(id), err = tostring(err) })
    -- a live venue's first books can come while the start's reconciliation runs, or before its book is in
    -- sync: the next book tries again
    if err == "recovering" or err == "book_not_ok" then state.placed = false; return end
  end
end

local function ms() return math.floor(th.clock.now() * 1000 + 0.5) % 100000 end

function M.on_fill(state, ctx, f)
  th.log.info("probe fill", { tag = f.tag, price = ("%.2f"):format(f.price), size = ("%.8f"):format(f.size),
                              fee = ("%.6f"):format(f.fee), t_ms = ms() })
end

function M.on_order(state, ctx, o)
  th.log.info("probe order", { tag = o.tag, state = o.state, reason = o.reason, filled = ("%.8f"):format(o.filled), t_ms = ms() })
end

return M
