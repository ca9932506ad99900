-- th/orders.lua — orders, quotes, positions, PnL and the risk switch for strategies (over FFI).
--
-- Every order goes through the host's risk gates and journal in C; a refusal comes back as
-- `nil, reason` where reason is one of the documented codes (docs/lua-api.md), never an error.
-- Prices and sizes are human units; the host converts them to ticks and lots exactly. Scratch
-- structs are allocated once per module, not per call.
local ffi = require("ffi")
local base = require("th.ffi")
local C = base.C
-- While a shadow runs (reload{shadow = true}), each order entry point records its intent first;
-- the shadow's go no further (th/shadow.lua). One table read when there is no shadow.
local shadow = require("th.shadow")

local M = { orders = {}, quotes = {}, risk = {} }

local SIDES = { buy = C.TH_BID, sell = C.TH_ASK, bid = C.TH_BID, ask = C.TH_ASK }
local SIDE_NAMES = { [tonumber(C.TH_BID)] = "buy", [tonumber(C.TH_ASK)] = "sell" }
local STATES = { [0] = "pending_create", "open", "pending_cancel", "done" }
local REASONS = { [0] = "none", "filled", "cancelled", "rejected", "expired", "failed" }

local req = ffi.new("th_order_req")
local clid = ffi.new("char[40]")
local reason = ffi.new("int32_t[1]")
local QMAX = 32
local targets = ffi.new("th_quote_target[?]", QMAX)
local qres = ffi.new("th_quote_result")
local pos = ffi.new("th_position_view")
local pnl = ffi.new("th_pnl_view")
local rview = ffi.new("th_risk_view")
local OPEN_MAX = 256
local views = ffi.new("th_order_view[?]", OPEN_MAX)
local counts = ffi.new("double[?]", C.TH_RISK_REASON_COUNT)
local fault = ffi.new("th_strategy_fault")
local sinfo = ffi.new("th_strategy_info")

-- Every loaded strategy: faulted or not, its successful and refused reloads, errors, halts seen
-- (on_halt calls), armed timers and timer calls.
function M.strategies()
  local out = {}
  while C.th_strategy_info_get(#out, sinfo, base.err) == 0 do
    out[#out + 1] = { name = ffi.string(sinfo.name), faulted = sinfo.faulted ~= 0, timers = sinfo.timers,
                      reloads = tonumber(sinfo.reloads), reload_failures = tonumber(sinfo.reload_failures),
                      errors = tonumber(sinfo.errors), halts = tonumber(sinfo.halts),
                      timers_fired = tonumber(sinfo.timers_fired) }
  end
  return out
end

-- Strategies whose callback raised (callbacks stopped until a reload): what the operator must see.
local function faults()
  local out = {}
  while C.th_strategy_fault_get(#out, fault, base.err) == 0 do
    out[#out + 1] = { strategy = ffi.string(fault.strategy), callback = ffi.string(fault.callback),
                      error = ffi.string(fault.error), time_ns = fault.ns, orders_cancelled = fault.orders_cancelled }
  end
  return out
end

local function side_of(s, fn)
  local v = SIDES[s]
  if v == nil then error(fn .. ": side must be \"buy\" or \"sell\", got " .. tostring(s), 3) end
  return v
end

local function num(v, what, fn)
  if type(v) ~= "number" then error(("%s: %s must be a number, got %s"):format(fn, what, type(v)), 3) end
  return v
end

-- th.orders.place{symbol=, side="buy"|"sell", price=, size=, tag=, post_only=} -> id | nil, reason
-- A Lua string stored in a `const char *` field is not kept alive by the cdata: the strings whose
-- pointers sit in `req` are held here until the next call replaces them, so a collection between
-- the assignment and the C call (a metatable's __index may run any Lua) cannot free them.
local anchors = {}

function M.orders.place(o)
  if type(o) ~= "table" then error("th.orders.place: expects a table", 2) end
  local symbol, tag = o.symbol, o.tag
  if type(symbol) ~= "string" then error("th.orders.place: symbol must be a string", 2) end
  tag = tag ~= nil and tostring(tag) or ""
  anchors.symbol, anchors.tag = symbol, tag
  req.symbol = symbol
  req.tag = tag
  req.side = side_of(o.side, "th.orders.place")
  req.price = num(o.price, "price", "th.orders.place")
  req.qty = num(o.size, "size", "th.orders.place")
  req.flags = o.post_only and C.TH_ORDER_POST_ONLY or 0
  if shadow.on then
    local role = shadow.role()
    if role ~= 0 then
      local fake = shadow.place(role, symbol, SIDE_NAMES[tonumber(req.side)], o.price, o.size, o.post_only)
      if role == 2 then return fake end
    end
  end
  if C.th_order_place(req, clid, reason, base.err) ~= 0 then return nil, base.errstr() end
  return ffi.string(clid)
end

function M.orders.cancel(id)
  if type(id) ~= "string" then error("th.orders.cancel: id must be a string", 2) end
  if shadow.on then
    local role = shadow.role()
    if role ~= 0 then
      shadow.cancel(role, id, M.orders.get(id))
      if role == 2 then return true end
    end
  end
  if C.th_order_cancel(id, base.err) ~= 0 then return nil, base.errstr() end
  return true
end

-- Cancels every live order (of one symbol); returns how many were asked to cancel.
function M.orders.cancel_all(symbol)
  if symbol ~= nil and type(symbol) ~= "string" then error("th.orders.cancel_all: symbol must be a string", 2) end
  if shadow.on then
    local role = shadow.role()
    if role ~= 0 then
      shadow.cancel_all(role, symbol)
      if role == 2 then return 0 end
    end
  end
  if C.th_order_cancel_all(symbol, base.i32, base.err) ~= 0 then return nil, base.errstr() end
  return base.i32[0]
end

local function view_table(v)
  return {
    id = ffi.string(v.cl_id), venue_id = ffi.string(v.ex_id), symbol = ffi.string(v.symbol), tag = ffi.string(v.tag),
    side = SIDE_NAMES[tonumber(v.side)], price = v.price, size = v.qty, filled = v.filled, avg_price = v.avg_fill_price,
    state = STATES[tonumber(v.state)], reason = REASONS[tonumber(v.done_reason)], adopted = bit.band(v.flags, 1) ~= 0,
    created_ns = v.created_ns,
  }
end

function M.orders.get(id)
  if type(id) ~= "string" then error("th.orders.get: id must be a string", 2) end
  if C.th_order_get(id, views, base.err) ~= 0 then return nil, base.errstr() end
  return view_table(views[0])
end

-- Live orders (not done), of one symbol or all, as a list of tables.
function M.orders.open(symbol)
  if symbol ~= nil and type(symbol) ~= "string" then error("th.orders.open: symbol must be a string", 2) end
  if C.th_orders_open(symbol, views, OPEN_MAX, base.i32, base.err) ~= 0 then return nil, base.errstr() end
  local out = {}
  for i = 0, base.i32[0] - 1 do out[#out + 1] = view_table(views[i]) end
  return out
end

-- th.quotes.set(symbol, { {side=, price=, size=, tag=}, ... }) -> summary | nil, reason
-- The host keeps what is within tolerance, cancels or amends what moved, places what is missing.
function M.quotes.set(symbol, list)
  if type(symbol) ~= "string" then error("th.quotes.set: symbol must be a string", 2) end
  if type(list) ~= "table" then error("th.quotes.set: targets must be a list", 2) end
  local n = #list
  if n > QMAX then return nil, "too many quote targets (max 32 per pair)" end
  for i = 1, n do
    local q = list[i]
    local t = targets[i - 1]
    t.side = side_of(q.side, "th.quotes.set")
    t.price = num(q.price, "price", "th.quotes.set")
    t.qty = num(q.size, "size", "th.quotes.set")
    ffi.copy(t.tag, tostring(q.tag or ""):sub(1, 15))
  end
  if shadow.on then
    local role = shadow.role()
    if role ~= 0 then
      shadow.quotes(role, symbol, list)
      if role == 2 then return shadow.quotes_result() end
    end
  end
  if C.th_quotes_set(symbol, targets, n, qres, base.err) ~= 0 then return nil, base.errstr() end
  local first = nil
  if qres.first_refusal ~= 0 then
    C.th_risk_reason_name(qres.first_refusal, base.err)
    first = base.errstr()
  end
  return { kept = qres.kept, placed = qres.placed, cancelled = qres.cancelled, replaced = qres.replaced,
           refused = qres.refused, waiting = qres.waiting, refusal = first }
end

function M.position(symbol)
  if type(symbol) ~= "string" then error("th.position: symbol must be a string", 2) end
  if C.th_position_get(symbol, pos, base.err) ~= 0 then return nil, base.errstr() end
  local last = nil
  if pos.last_fill_ns ~= 0 then
    last = { side = SIDE_NAMES[tonumber(pos.last_fill_side)], price = pos.last_fill_price, size = pos.last_fill_qty,
             time_ns = pos.last_fill_ns }
  end
  return { qty = pos.qty, avg_entry = pos.avg_entry, mark = pos.mark, realised = pos.realised,
           unrealised = pos.unrealised, fees = pos.fees, day_realised = pos.day_realised, day_fees = pos.day_fees,
           bought = pos.bought, sold = pos.sold, fills = tonumber(pos.fills), last_fill = last }
end

function M.pnl()
  if C.th_pnl_get(pnl, base.err) ~= 0 then return nil, base.errstr() end
  return { realised = pnl.realised, unrealised = pnl.unrealised, fees = pnl.fees, total = pnl.total, day = pnl.day,
           peak = pnl.peak, drawdown = pnl.drawdown, exposure = pnl.exposure, open_notional = pnl.open_notional,
           currency = ffi.string(pnl.currency) }
end

function M.risk.status()
  if C.th_risk_status_get(rview) ~= 0 then return nil, "no order flow in this session" end
  C.th_risk_refusals_get(counts, C.TH_RISK_REASON_COUNT)
  local refusals = {}
  for i = 1, C.TH_RISK_REASON_COUNT - 1 do
    if counts[i] > 0 then
      C.th_risk_reason_name(i, base.err)
      refusals[base.errstr()] = counts[i]
    end
  end
  local code = nil
  if rview.halted ~= 0 then
    C.th_risk_reason_name(rview.halt_code, base.err)
    code = base.errstr()
  end
  return { halted = rview.halted ~= 0, halt_code = code, halt_reason = ffi.string(rview.halt_reason),
           breaker_open = rview.breaker_open ~= 0, consecutive_errors = rview.consecutive_errors,
           backoff_until_ns = rview.backoff_until_ns, refusals = refusals, faults = faults(),
           strategies = M.strategies() }
end

-- Pull the kill switch: every open order is cancelled and new ones refused until th.risk.rearm().
function M.risk.kill(why)
  if shadow.on then
    local role = shadow.role()
    if role ~= 0 then shadow.risk(role, "kill") end
    if role == 2 then return true end
  end
  if C.th_risk_kill(why and tostring(why) or "kill switch from Lua") ~= 0 then return nil, "no order flow in this session" end
  return true
end

function M.risk.rearm()
  if shadow.on then
    local role = shadow.role()
    if role ~= 0 then shadow.risk(role, "rearm") end
    if role == 2 then return true end
  end
  if C.th_risk_rearm(base.err) ~= 0 then return nil, base.errstr() end
  return true
end

-- Reference price for the price band and the exposure gates (an oracle): a positive finite
-- number; nil goes back to the book's mid. Anything else is refused (nil, err).
function M.risk.set_reference(symbol, price)
  if price ~= nil and (type(price) ~= "number" or not (price > 0) or price == math.huge) then
    return nil, "reference price must be a positive finite number (nil clears it)"
  end
  if shadow.on then
    local role = shadow.role()
    if role ~= 0 then shadow.risk(role, ("reference %s %s"):format(tostring(symbol), tostring(price))) end
    if role == 2 then return true end
  end
  if C.th_risk_set_oracle(symbol, price or 0, base.err) ~= 0 then return nil, base.errstr() end
  return true
end

return M
