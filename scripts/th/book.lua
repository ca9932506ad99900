-- th/book.lua — read-only views of the host's L2 books for strategies.
--
--   local b = th.book("XMR/USD")          -- nil, err if the host has no data for the symbol
--   local bid, bid_qty, ask, ask_qty = b:best()
--   b:mid(), b:spread(), b:microprice(), b:imbalance(5), b:vwap("buy", 2.5), b:depth("bid", 10)
--   b:health()  --> "ok" | "empty" | "stale" | "gapped" | "checksum_failed" | "resyncing", reason
--   b:ok()      --> true only when the book is trustworthy (quote only then)
--   b:age()     --> seconds since the last update (host clock)
--   b:levels("bid", 5 [, out])  --> array of {price, qty} (reuses `out` when given)
--
-- Views are cached per symbol, and every method uses out-parameter cells allocated once, so calls
-- on the hot path allocate nothing (levels() allocates only when no `out` table is passed;
-- last_update_ns() returns a boxed int64). tests/functional/book_hotpath.lua checks this, and that
-- the JIT compiles every method without aborting a trace.
local ffi = require("ffi")
local base = require("th.ffi")
local C = base.C

local M = {}

local HEALTH = { [0] = "empty", "ok", "stale", "gapped", "checksum_failed", "resyncing" }
local SIDES = { bid = 0, bids = 0, buy = 0, ask = 1, asks = 1, sell = 1 }
local top = ffi.new("th_book_top")
local levels_buf = ffi.new("th_level[?]", 1000)
local reason_cell = ffi.new("const char *[1]")

local view = {}
view.__index = view

local function side_of(s)
  local v = SIDES[s]
  if v == nil then error("side must be 'bid' or 'ask' (or buy/sell), got " .. tostring(s), 3) end
  return v
end

function view:best()
  C.th_book_top_get(self.id, top, base.err)
  return top.bid, top.bid_qty, top.ask, top.ask_qty
end

function view:mid()
  C.th_book_top_get(self.id, top, base.err)
  if top.mid == 0 then return nil, "one side is empty" end
  return top.mid
end

function view:spread()
  C.th_book_top_get(self.id, top, base.err)
  if top.mid == 0 then return nil, "one side is empty" end
  return top.spread
end

function view:spread_bps()
  C.th_book_top_get(self.id, top, base.err)
  if top.mid == 0 then return nil, "one side is empty" end
  return top.spread / top.mid * 1e4
end

-- Host time of the last update, as an int64 cdata (exact ns; a boxed value, so it may allocate:
-- on the hot path use age()).
function view:last_update_ns()
  C.th_book_top_get(self.id, top, base.err)
  return top.last_update_ns
end

-- Seconds since the last update on the host clock (virtual in backtests); math.huge before any.
function view:age()
  C.th_book_top_get(self.id, top, base.err)
  if top.last_update_ns == 0 then return math.huge end
  C.th_clock_now(base.i64, base.i32)
  return tonumber(base.i64[0] - top.last_update_ns) / 1e9
end

-- The venue's sequence number of the last frame applied to the book (Kraken Futures `seq`,
-- Binance `u`; 0 for Kraken spot, which has none), as a number: a lead book advancing, or taking a
-- new snapshot after a gap, shows here.
function view:seq()
  C.th_book_seq_get(self.id, base.i64, base.err)
  return tonumber(base.i64[0])
end

function view:health()
  C.th_book_health_get(self.id, base.i32, reason_cell, base.err)
  return HEALTH[base.i32[0]], ffi.string(reason_cell[0])
end

function view:ok()
  C.th_book_health_get(self.id, base.i32, reason_cell, base.err)
  return base.i32[0] == C.TH_BOOK_OK
end

function view:microprice()
  if C.th_book_microprice_get(self.id, base.dbl, base.err) ~= 0 then return nil, base.errstr() end
  return base.dbl[0]
end

function view:imbalance(levels)
  if C.th_book_imbalance_get(self.id, levels or 1, base.dbl, base.err) ~= 0 then return nil, base.errstr() end
  return base.dbl[0]
end

-- Volume-weighted price to take `qty` from `side` ("buy" walks the asks); returns vwap, filled.
function view:vwap(side, qty)
  local s = side_of(side)
  if side == "buy" then s = 1 elseif side == "sell" then s = 0 end
  if type(qty) ~= "number" or qty <= 0 then error("vwap: qty must be a positive number", 2) end
  if C.th_book_vwap_get(self.id, s, qty, base.dbl, base.dblb, base.err) ~= 0 then return nil, base.errstr() end
  return base.dbl[0], base.dblb[0]
end

-- Quantity resting on `side` within `bps` basis points of that side's best price.
function view:depth(side, bps)
  if C.th_book_depth_get(self.id, side_of(side), bps, base.dbl, base.err) ~= 0 then return nil, base.errstr() end
  return base.dbl[0]
end

function view:levels(side, n, out)
  n = math.min(n or 10, 1000)
  C.th_book_levels_get(self.id, side_of(side), n, levels_buf, base.i32, base.err)
  out = out or {}
  local k = base.i32[0]
  for i = 1, k do
    local l = out[i]
    if l then l[1], l[2] = levels_buf[i - 1].price, levels_buf[i - 1].qty
    else out[i] = { levels_buf[i - 1].price, levels_buf[i - 1].qty } end
  end
  for i = k + 1, #out do out[i] = nil end
  return out
end

local cache = {}

-- Whether v is a book view (the REPL shows views as their top levels: th/repl_show.lua).
function M.is_view(v) return type(v) == "table" and rawequal(getmetatable(v), view) end

function M.get(symbol)
  local v = cache[symbol]
  if v then return v end
  if type(symbol) ~= "string" then error("th.book: symbol must be a string", 2) end
  if C.th_book_find(symbol, base.i32, base.err) ~= 0 then return nil, base.errstr() end
  v = setmetatable({ id = base.i32[0], symbol = symbol }, view)
  cache[symbol] = v
  return v
end

return M
