-- th/status.lua — th.status(): what an operator asks first about a running host, one table per
-- pair, built from the same reading functions a strategy has (book views, orders, positions, the
-- strategy fault list). Every value is a fresh plain table, so the read-only REPL may call it.
--
--   th.status()            --> { ["XMR/USD"] = {...}, ["WAVES/EUR"] = {...} }  every pair of every
--                              strategy started in this host (its ctx.pairs, read at each call)
--   th.status("XMR/USD")   --> that pair's table (nil, err if the host knows no such symbol)
--
-- A pair's table (docs/lua-api.md "th.status"):
--   symbol, strategy                 the pair and the strategy trading it
--   faulted, fault                   whether that strategy is faulted; { callback, error, time_ns }
--   book = { health, reason, age_s } the book's health (reason when not ok; age_s nil before data)
--   bid, bid_size, ask, ask_size     the best levels (nil for an empty side)
--   quotes = { bid = {...}, ask = {...} }  our open orders, best first: { price, size, filled, id, state }
--   open_orders                      how many orders are live on the pair
--   position, avg_entry              signed quantity and average entry price
--   pnl = { realised, unrealised, fees, total }   the pair's PnL in its quote currency
--   last_fill = { side, price, size, time_ns, age_s }   the newest fill (nil before any)
--   balances = { [base] = {...}, [quote] = {...} }  the pair's two assets at the venue: { total,
--                                    available, held } (nil while the venue has not given them)
--   halted                           the kill switch (host-wide)
--   priority, paused                 the pair's dispatch priority (1..4) and whether overload mode
--                                    paused it (no on_book, quotes pulled); nil without market data
local book = require("th.book")
local balances = require("th.balances")
local orders = require("th.orders")
local base = require("th.ffi")

local M = {}
local ffi = require("ffi")
local bit = require("bit")
local ins_view = ffi.new("th_instrument_view")
local dv = ffi.new("th_dispatch_view")

-- ctx tables of the strategies started in this host (weak: a dropped ctx goes away).
local contexts = setmetatable({}, { __mode = "k" })
local order_of = 0

-- runtime.start tells us each strategy's ctx; its pairs are read when th.status() is called.
function M.watch(ctx)
  order_of = order_of + 1
  contexts[ctx] = order_of
end
-- An instance a reload removed (th/runtime.lua retire): its pairs are no longer its.
function M.unwatch(ctx) contexts[ctx] = nil end

local function now_s()
  base.C.th_clock_now(base.i64, base.i32)
  return tonumber(base.i64[0]) / 1e9
end

local function pair_status(symbol, strategy, faults, halted)
  local s = { symbol = symbol, strategy = strategy, halted = halted, faulted = false }
  if base.C.th_dispatch_pair_get(symbol, base.i32, base.i32b) == 0 then
    s.priority, s.paused = base.i32[0], base.i32b[0] ~= 0
  end
  local f = strategy and faults[strategy]
  if f then s.faulted, s.fault = true, { callback = f.callback, error = f.error, time_ns = f.time_ns } end
  local b, berr = book.get(symbol)
  if b then
    local health, reason = b:health()
    local age = b:age()
    s.book = { health = health, reason = reason ~= "" and reason or nil, age_s = age ~= math.huge and age or nil }
    local bid, bq, ask, aq = b:best()
    if bq > 0 then s.bid, s.bid_size = bid, bq end
    if aq > 0 then s.ask, s.ask_size = ask, aq end
  else
    s.book = { health = "none", reason = berr }
  end
  local open = orders.orders.open(symbol) or {}
  s.open_orders = #open
  local q = { bid = {}, ask = {} }
  for _, o in ipairs(open) do
    local side = o.side == "buy" and q.bid or q.ask
    side[#side + 1] = { price = o.price, size = o.size, filled = o.filled, id = o.id, state = o.state }
  end
  table.sort(q.bid, function(x, y) return x.price > y.price end)
  table.sort(q.ask, function(x, y) return x.price < y.price end)
  s.quotes = q
  local ins = base.C.th_instrument_get(symbol, ins_view, base.err) == 0 and ins_view or nil
  if ins then
    for _, asset in ipairs({ ffi.string(ins.base), ffi.string(ins.quote) }) do
      local bal = asset ~= "" and balances.balance(asset)
      if bal then
        s.balances = s.balances or {}
        s.balances[asset] = { total = bal.total, available = bal.available, held = bal.held }
      end
    end
  end
  local p = orders.position(symbol)
  if p then
    s.position, s.avg_entry = p.qty, p.avg_entry
    s.pnl = { realised = p.realised, unrealised = p.unrealised, fees = p.fees,
              total = p.realised + p.unrealised - p.fees }
    if p.last_fill then
      local lf = p.last_fill
      s.last_fill = { side = lf.side, price = lf.price, size = lf.size, time_ns = lf.time_ns,
                      age_s = now_s() - tonumber(lf.time_ns) / 1e9 }
    end
  end
  return s
end

local function strategy_of(symbol)
  local best, name = nil, nil
  for ctx, n in pairs(contexts) do
    if type(ctx.symbols) == "table" and ctx.symbols[symbol] ~= nil and (best == nil or n > best) then
      best, name = n, ctx.name
    end
  end
  return name
end

function M.status(symbol)
  if symbol ~= nil and type(symbol) ~= "string" then error("th.status: symbol must be a string or nil", 2) end
  local risk = orders.risk.status()
  local faults, halted = {}, nil
  if risk then
    halted = risk.halted
    for _, f in ipairs(risk.faults) do faults[f.strategy] = f end
  end
  if symbol then
    if not book.get(symbol) and not orders.position(symbol) then return nil, "unknown symbol " .. symbol end
    return pair_status(symbol, strategy_of(symbol), faults, halted)
  end
  local out = {}
  local list = {}
  for ctx, n in pairs(contexts) do list[#list + 1] = { ctx = ctx, n = n } end
  table.sort(list, function(a, b) return a.n < b.n end)
  for _, e in ipairs(list) do
    for _, pair in ipairs(type(e.ctx.pairs) == "table" and e.ctx.pairs or {}) do
      if type(pair.symbol) == "string" then
        out[pair.symbol] = pair_status(pair.symbol, strategy_of(pair.symbol), faults, halted)
      end
    end
  end
  return out
end

-- th.dispatch(): overload mode and the on_book counts per priority (docs/lua-api.md "th.dispatch");
-- nil without market data.
function M.dispatch()
  if base.C.th_dispatch_status_get(dv) ~= 0 then return nil, "no market data in this session" end
  local paused, per = {}, {}
  for l = 1, 4 do
    if bit.band(dv.paused_levels, bit.lshift(1, l)) ~= 0 then paused[#paused + 1] = l end
    per[l] = { changed = tonumber(dv.changed[l]), dispatched = tonumber(dv.dispatched[l]),
               deferred = tonumber(dv.deferred[l]), skipped = tonumber(dv.skipped[l]) }
  end
  return { overload = dv.overload ~= 0, paused_priorities = paused, paused_pairs = dv.paused_pairs,
           turn_budget_us = dv.turn_budget_us, overload_enters = tonumber(dv.enters), overload_exits = tonumber(dv.exits),
           turns = tonumber(dv.turns), over_budget_turns = tonumber(dv.over_budget_turns), forced = tonumber(dv.forced),
           priorities = per }
end

return M
