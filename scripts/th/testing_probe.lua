-- th/testing_probe.lua — the strategy th.testing runs inside `tradehost backtest`: it loads the
-- strategy under test (TH_TESTING_STRATEGY), forwards every callback to it unchanged, and writes
-- what the strategy asked for (th.quotes.set, th.orders.place/cancel/cancel_all, with the host's
-- answers) and what it was told (fills, order updates, book health, faults) to TH_TESTING_OUT, one
-- Lua table literal per line, stamped with the host clock (virtual in a backtest).
--
-- Why a wrapper inside the real host rather than a Lua model of it: the intents still go through
-- the live risk gates, quote executor and order tracker, and the orders fill on the sim's matching
-- engine through the paper venue, exactly as in paper trading and backtests. The probe only
-- watches; a strategy that raises still faults the way it would without it.
local th = require("th")

local strategy_path = assert(os.getenv("TH_TESTING_STRATEGY"), "th.testing probe: TH_TESTING_STRATEGY is not set")
local out_path = assert(os.getenv("TH_TESTING_OUT"), "th.testing probe: TH_TESTING_OUT is not set")

-- One output file per process (a reload compiles this file again: keep the same handle).
local out = rawget(_G, "__th_testing_out")
if not out then
  out = assert(io.open(out_path, "w"))
  out:setvbuf("line") -- a process that ends abruptly still leaves every line written so far
  rawset(_G, "__th_testing_out", out)
end

local function lit(v, depth)
  local t = type(v)
  if t == "number" then
    if v ~= v then return "0/0" elseif v == math.huge then return "1/0" elseif v == -math.huge then return "-1/0" end
    return ("%.17g"):format(v)
  elseif t == "string" then return ("%q"):format(v):gsub("\n", "n")
  elseif t == "boolean" then return tostring(v)
  elseif t == "cdata" then return ("%q"):format(tostring(v))
  elseif t == "table" and depth < 6 then
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = "[" .. lit(k, depth + 1) .. "]=" .. lit(x, depth + 1) end
    table.sort(parts)
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "nil"
end

local function record(ev)
  ev.ns = tonumber(th.clock.now_ns())
  out:write(lit(ev, 0), "\n")
end

-- Wrap the intent calls once per process (th is one table for the whole Lua state).
if not rawget(_G, "__th_testing_wrapped") then
  rawset(_G, "__th_testing_wrapped", true)
  local quotes_set, place, cancel, cancel_all = th.quotes.set, th.orders.place, th.orders.cancel, th.orders.cancel_all
  th.quotes.set = function(symbol, list)
    local r, err = quotes_set(symbol, list)
    local targets = {}
    if type(list) == "table" then
      for i, q in ipairs(list) do targets[i] = { side = q.side, price = q.price, size = q.size, tag = q.tag } end
    end
    record({ kind = "quotes", symbol = symbol, targets = targets, result = r, error = err })
    return r, err
  end
  th.orders.place = function(o)
    local id, err = place(o)
    local intent = { kind = "place", id = id, error = err }
    if type(o) == "table" then
      intent.symbol, intent.side, intent.price, intent.size, intent.tag, intent.post_only =
        o.symbol, o.side, o.price, o.size, o.tag, o.post_only
    end
    record(intent)
    return id, err
  end
  th.orders.cancel = function(id)
    local ok, err = cancel(id)
    record({ kind = "cancel", id = id, ok = ok, error = err })
    return ok, err
  end
  th.orders.cancel_all = function(symbol)
    local n, err = cancel_all(symbol)
    record({ kind = "cancel_all", symbol = symbol, n = n, error = err })
    return n, err
  end
end

local inner = assert(loadfile(strategy_path))()
assert(type(inner) == "table", "th.testing probe: " .. strategy_path .. " did not return a module table")

local M = { defaults = inner.defaults, check = inner.check, migrate = inner.migrate }

local function traceback(e) return debug.traceback(tostring(e), 2) end

-- Calls the strategy's callback; a raise is recorded and raised again, so the host faults it as usual.
local function forward(name, ...)
  local fn = inner[name]
  if not fn then return end
  -- the handler records the error with its traceback and hands the error on unchanged, so the host
  -- logs and faults it as it would without the probe
  local res = { xpcall(fn, function(e)
    record({ kind = "error", callback = name, error = tostring(e), traceback = traceback(e) })
    return e
  end, ...) }
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2, table.maxn(res))
end

-- Callbacks made, by name and pair (calls.on_book["XMR/USD"]) or by name (calls.on_tick), reported at on_stop.
local calls = {}

local WATCHED = {
  on_fill = function(_, _, fill)
    record({ kind = "fill", symbol = fill.symbol, side = fill.side, price = fill.price, size = fill.size,
             fee = fill.fee, tag = fill.tag, id = fill.id, liquidity = fill.liquidity })
  end,
  on_order = function(_, _, o)
    if type(o) == "table" then
      record({ kind = "order", id = o.id, symbol = o.symbol, side = o.side, price = o.price, size = o.size,
               state = o.state, reason = o.reason, filled = o.filled, tag = o.tag })
    end
  end,
  on_book_health = function(_, _, symbol, health, reason)
    record({ kind = "health", symbol = symbol, health = health, reason = reason })
  end,
  on_stop = function(state, ctx)
    record({ kind = "calls", counts = calls })
    record({ kind = "state", state = state })
    for _, pair in ipairs(ctx.pairs) do
      local pos = th.position(pair.symbol)
      if pos then record({ kind = "position", symbol = pair.symbol, position = pos }) end
    end
    local open = th.orders.open()
    record({ kind = "open_orders", orders = open or {} })
  end,
}

for _, name in ipairs(require("th.runtime").CALLBACKS) do
  local watch = WATCHED[name]
  if inner[name] or watch then
    M[name] = function(state, ctx, arg, ...)
      if type(arg) == "string" then
        local per = calls[name] or {}
        calls[name] = per
        per[arg] = (per[arg] or 0) + 1
      else
        calls[name] = (calls[name] or 0) + 1
      end
      if watch then watch(state, ctx, arg, ...) end
      local r = { forward(name, state, ctx, arg, ...) }
      if name == "on_stop" then out:flush() end
      return unpack(r, 1, table.maxn(r))
    end
  end
end

return M
