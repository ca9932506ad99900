-- live_lead_books.lua — a strategy for the live lead test: counts on_lead calls and, on every tick,
-- writes the top 10 levels and health of each lead product (ctx.params.lead, the lead venue's
-- symbols) to params.out (JSON, the shape live_books.lua writes), for the test to compare with
-- the lead sim's own books. It places no orders.
local th = require("th")
local M = {}
M.defaults = { out = "", lead = {} }

local function fmt(v) return ("%.12g"):format(v) end

local function side(b, s)
  local parts = {}
  for _, l in ipairs(b:levels(s, 10)) do parts[#parts + 1] = "[" .. fmt(l[1]) .. "," .. fmt(l[2]) .. "]" end
  return "[" .. table.concat(parts, ",") .. "]"
end

function M.on_start(state, ctx) state.on_lead = 0 end

function M.on_lead(state, ctx, symbol) state.on_lead = state.on_lead + 1 end

function M.on_tick(state, ctx)
  local out = {}
  for _, sym in ipairs(ctx.params.lead) do
    local b = th.book(sym)
    out[#out + 1] = ('"%s":{"health":"%s","bids":%s,"asks":%s}'):format(sym:upper(), b:health(), side(b, "buy"), side(b, "sell"))
  end
  out[#out + 1] = ('"_on_lead":%d'):format(state.on_lead)
  local path = ctx.params.out
  local f = io.open(path .. ".tmp", "w")
  f:write("{" .. table.concat(out, ",") .. "}\n")
  f:close()
  os.rename(path .. ".tmp", path)
end

return M
