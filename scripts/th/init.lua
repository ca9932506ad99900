-- th — the strategy author's library over the C host (FFI). See docs/lua-api.md.
--
-- Conventions (as in lua-resty-core): a failure the caller can act on returns `nil, err`; misuse
-- (wrong argument types) raises `error(msg, 2)` so the traceback points at the caller's line.
local ffi = require("ffi")
local base = require("th.ffi")
local C = base.C

local th = {}

local LEVELS = { debug = C.TH_LOG_DEBUG, info = C.TH_LOG_INFO, warn = C.TH_LOG_WARN, error = C.TH_LOG_ERROR }

-- key=value fields, sorted so log lines are stable and diffable.
local function format_fields(fields)
  if fields == nil then return "" end
  if type(fields) ~= "table" then error("th.log: fields must be a table", 3) end
  local keys = {}
  for k in pairs(fields) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do
    local v = fields[k]
    if v == nil then v = fields[tonumber(k)] end
    v = tostring(v)
    if v:find("[%s\"=]") then v = ('"%s"'):format(v:gsub('"', '\\"')) end
    out[i] = k .. "=" .. v
  end
  return table.concat(out, " ")
end

th.log = {}
for name, level in pairs(LEVELS) do
  th.log[name] = function(msg, fields)
    if type(msg) ~= "string" then error("th.log." .. name .. ": msg must be a string", 2) end
    C.th_log_emit(level, msg, format_fields(fields))
  end
end

th.clock = {}
-- Host time in ns: wall time live, virtual time in replays and backtests.
function th.clock.now_ns()
  C.th_clock_now(base.i64, base.i32)
  return base.i64[0]
end
function th.clock.now()
  C.th_clock_now(base.i64, base.i32)
  return tonumber(base.i64[0]) / 1e9
end
function th.clock.is_virtual()
  C.th_clock_now(base.i64, base.i32)
  return base.i32[0] ~= 0
end

th.metrics = {}
local KINDS = { counter = C.TH_METRIC_COUNTER, gauge = C.TH_METRIC_GAUGE, histogram = C.TH_METRIC_HISTOGRAM }
local metric_mt = {}
metric_mt.__index = metric_mt
function metric_mt:add(v)
  if C.th_metric_add(self.id, v or 1) ~= 0 then error("metric " .. self.name .. ": add needs a counter and v >= 0", 2) end
end
function metric_mt:set(v)
  if C.th_metric_set(self.id, v) ~= 0 then error("metric " .. self.name .. ": set needs a gauge", 2) end
end
function metric_mt:observe(v)
  if C.th_metric_observe(self.id, v) ~= 0 then error("metric " .. self.name .. ": observe needs a histogram", 2) end
end
function metric_mt:read()
  local view = ffi.new("th_metric_view")
  if C.th_metric_read(self.id, view, base.err) ~= 0 then return nil, base.errstr() end
  return { value = view.value, count = view.count, sum = view.sum, p50 = view.p50, p90 = view.p90,
           p99 = view.p99, max = view.max }
end

-- Register (or find again, after a reload) a metric by name. kind: counter|gauge|histogram.
function th.metrics.register(name, kind)
  if type(name) ~= "string" then error("th.metrics.register: name must be a string", 2) end
  local k = KINDS[kind or "counter"]
  if not k then error("th.metrics.register: kind must be counter, gauge or histogram", 2) end
  if C.th_metric_register(name, k, base.i32, base.err) ~= 0 then return nil, base.errstr() end
  return setmetatable({ id = base.i32[0], name = name }, metric_mt)
end

-- th.book(symbol): read-only view of the host's book for a symbol (see th/book.lua).
th.book = require("th.book").get

-- Orders, quotes, positions, PnL and the risk switch (see th/orders.lua).
local orders = require("th.orders")
th.orders = orders.orders
th.quotes = orders.quotes
th.position = orders.position
th.pnl = orders.pnl
th.risk = orders.risk
th.strategies = orders.strategies

-- The account's balances at the venue (see th/balances.lua).
local balances = require("th.balances")
th.balance = balances.balance
th.balances = balances.balances

-- Timers on the host clock (see th/timers.lua): th.every(seconds, fn), th.after(seconds, fn);
-- fn(state, ctx) runs between events; the handle's :cancel() stops it.
local timers = require("th.timers")

-- th.store: the strategy's persistent key-value state (see th/store.lua).
local store = require("th.store")
th.store = { set = store.set, get = store.get, delete = store.delete, keys = store.keys, usage = store.usage }
th.every = timers.every
th.after = timers.after

-- th.instrument(symbol): the venue's description of an instrument, read from the host at each call
-- (an instrument update mid-session shows at the next call). Increments and minimums are numbers in
-- human units (tick, lot, min_size; min_cost in the quote currency), each the double nearest to
-- the venue's exact decimal, and the same values as exact decimal text in `.text` (tick "0.00000001"):
-- tonumber(ins.text.tick) == ins.tick and ("%." .. ins.price_decimals .. "f"):format(ins.tick) == ins.text.tick.
-- nil, err for a symbol the instrument data does not have.
local ins_view = ffi.new("th_instrument_view")
function th.instrument(symbol)
  if type(symbol) ~= "string" then error("th.instrument: symbol must be a string", 2) end
  if C.th_instrument_get(symbol, ins_view, base.err) ~= 0 then return nil, base.errstr() .. ": " .. symbol end
  local v = ins_view
  local text = { tick = ffi.string(v.tick), lot = ffi.string(v.lot), min_size = ffi.string(v.min_size),
                 min_cost = ffi.string(v.min_cost) }
  return { symbol = ffi.string(v.symbol), base = ffi.string(v.base), quote = ffi.string(v.quote),
           status = ffi.string(v.status), tick = tonumber(text.tick), lot = tonumber(text.lot),
           min_size = tonumber(text.min_size), min_cost = tonumber(text.min_cost),
           price_decimals = v.price_decimals, qty_decimals = v.qty_decimals,
           contract_size = v.contract_size, text = text }
end

-- One table per pair: book health, best levels, our quotes, position, PnL, last fill, faults.
th.status = require("th.status").status
-- Overload mode and the dispatch counts per priority.
th.dispatch = require("th.status").dispatch

function th.host_info()
  local info = ffi.new("th_host_info")
  C.th_host_info_get(info)
  return { version = ffi.string(info.version), mode = ffi.string(info.mode),
           virtual_clock = info.virtual_clock ~= 0, pid = info.pid, started_ns = info.started_ns }
end

return th
