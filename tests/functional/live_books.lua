-- live_books.lua — a strategy for the live market data tests: on every tick it writes the top 10
-- levels and the health of each configured book to params.out (JSON), for the test to compare with
-- the sim's own books (GET /_sim/state). It places no orders.
local th = require("th")
local M = {}
M.defaults = { out = "" }

local function fmt(v) return ("%.12g"):format(v) end

local function side(b, s)
  local parts = {}
  for _, l in ipairs(b:levels(s, 10)) do parts[#parts + 1] = "[" .. fmt(l[1]) .. "," .. fmt(l[2]) .. "]" end
  return "[" .. table.concat(parts, ",") .. "]"
end

function M.on_start(state, ctx) state.health = {} end

function M.on_book_health(state, ctx, symbol, health) state.health[symbol] = health end

function M.on_tick(state, ctx)
  local out = {}
  for _, p in ipairs(ctx.pairs) do
    local b = th.book(p.symbol)
    out[#out + 1] = ('"%s":{"health":"%s","bids":%s,"asks":%s}'):format(p.symbol, b:health(), side(b, "buy"), side(b, "sell"))
  end
  local path = ctx.params.out
  local f = io.open(path .. ".tmp", "w")
  f:write("{" .. table.concat(out, ",") .. "}\n")
  f:close()
  os.rename(path .. ".tmp", path)
end

return M
