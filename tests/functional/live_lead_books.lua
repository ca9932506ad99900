-- live_lead_books.lua — a strategy for the live lead test. In on_lead it reads the lead book that
-- changed (th.book): its health and the venue's seq (b:seq()), and keeps per product the calls,
-- the healths seen, the first and last seq, and whether the seq ever went back (it must not: a
-- resync's new snapshot carries the venue's current seq). On every tick it writes that and the top
-- 10 levels of each lead product (ctx.params.lead) to params.out (JSON, the shape live_books.lua
-- writes) for the test to compare with the lead sim's own books. It places no orders.
local th = require("th")
local M = {}
M.defaults = { out = "", lead = {} }

local function fmt(v) return ("%.12g"):format(v) end

local function side(b, s)
  local parts = {}
  for _, l in ipairs(b:levels(s, 10)) do parts[#parts + 1] = "[" .. fmt(l[1]) .. "," .. fmt(l[2]) .. "]" end
  return "[" .. table.concat(parts, ",") .. "]"
end

function M.on_start(state, ctx)
  state.on_lead = 0
  state.seen = {}
end

function M.on_lead(state, ctx, symbol)
  state.on_lead = state.on_lead + 1
  local b = assert(th.book(symbol))
  local s = state.seen[symbol:upper()]
  if not s then
    s = { calls = 0, healths = {}, first_seq = 0, last_seq = 0, seq_back = 0, resync_seq = 0 }
    state.seen[symbol:upper()] = s
  end
  s.calls = s.calls + 1
  local h = b:health()
  s.healths[h] = (s.healths[h] or 0) + 1
  local seq = b:seq()
  if h == "ok" then
    if s.first_seq == 0 then s.first_seq = seq end
    if seq < s.last_seq then s.seq_back = s.seq_back + 1 end
    if s.was_bad then s.resync_seq = seq end -- the first ok seq after a resync
    s.last_seq = seq
    s.was_bad = false
  else
    s.was_bad = true
  end
end

function M.on_tick(state, ctx)
  local out = {}
  for _, sym in ipairs(ctx.params.lead) do
    local b = th.book(sym)
    local s = state.seen[sym:upper()] or { calls = 0, healths = {}, first_seq = 0, last_seq = 0, seq_back = 0, resync_seq = 0 }
    local hs = {}
    for h, n in pairs(s.healths) do hs[#hs + 1] = ('"%s":%d'):format(h, n) end
    out[#out + 1] = ('"%s":{"health":"%s","seq":%d,"bids":%s,"asks":%s,"on_lead":{"calls":%d,"healths":{%s},"first_seq":%d,"last_seq":%d,"seq_back":%d,"resync_seq":%d}}'):format(
      sym:upper(), b:health(), b:seq(), side(b, "buy"), side(b, "sell"), s.calls, table.concat(hs, ","), s.first_seq, s.last_seq,
      s.seq_back, s.resync_seq)
  end
  out[#out + 1] = ('"_on_lead":%d'):format(state.on_lead)
  local path = ctx.params.out
  local f = io.open(path .. ".tmp", "w")
  f:write("{" .. table.concat(out, ",") .. "}\n")
  f:close()
  os.rename(path .. ".tmp", path)
end

return M
