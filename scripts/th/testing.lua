-- th/testing.lua — the strategy author's test kit (usable from busted): a scripted market or a
-- replayed recording, time stepped by the spec, the strategy run in the real host, and what it asked
-- for (quotes, orders, cancels) and got (fills) returned as plain tables to assert on.
--
--   local testing = require("th.testing")
--   local m = testing.market{ strategy = "strategies/market_maker.lua", params = { levels = 1 },
--                             pairs = { { symbol = "XMR/USD", size = 0.5 } } }
--   m:book("XMR/USD", { bids = { { 250.00, 10 } }, asks = { { 250.50, 10 } } })
--   m:step(1)                                    -- one second of host time
--   m:trade("XMR/USD", { side = "sell", price = 249.0, qty = 2 })
--   m:step(1)
--   local run = m:run()                          -- tradehost backtest over the script so far
--   run:last_quotes("XMR/USD")                   -- the strategy's last th.quotes.set targets
--   run.fills                                    -- fills from the sim's matching engine
--
-- Why it drives `tradehost backtest` rather than a model in Lua: there is one matching model, the
-- sim engine the paper venue uses (docs/sim.md), and one path to it (risk gates, quote executor,
-- order tracker, latency model, journal). The kit writes the scripted market as a Kraken v2
-- recording (book snapshots with their CRC32 checksum, trades), runs the backtest with a probe
-- strategy (th/testing_probe.lua) that forwards every callback to the strategy under test and
-- records its intents and the host's answers, then reads that record back. A backtest is
-- deterministic for the same inputs and seed, so run() after more steps replays the whole script
-- and the earlier part comes out the same: a spec may step, run, assert, step again, run again.
local ok_cjson, cjson = pcall(require, "cjson")

local M = {}

local function home()
  return os.getenv("TH_HOME") or "."
end

local function shell_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function abs(path)
  if path:sub(1, 1) == "/" then return path end
  local base = os.getenv("PWD") or io.popen("pwd"):read("*l")
  return base .. "/" .. path
end

local function binary()
  local bin = os.getenv("TH_BIN") or (home() .. "/build/tradehost")
  local f = io.open(bin, "r")
  if not f then error("th.testing: tradehost binary not found at " .. bin .. " (set TH_BIN)", 3) end
  f:close()
  return abs(bin)
end

local function read_file(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- A Lua literal of a config value (tables, strings, numbers, booleans), keys sorted.
local function lua_literal(v, indent)
  indent = indent or ""
  local t = type(v)
  if t == "string" then return ("%q"):format(v) end
  if t == "number" then return ("%.17g"):format(v) end
  if t == "boolean" then return tostring(v) end
  if t ~= "table" then error("th.testing: config value of type " .. t, 3) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  local parts = {}
  for _, k in ipairs(keys) do
    local key = type(k) == "number" and ("[" .. k .. "]") or (k:match("^[%a_][%w_]*$") and k or ("[%q]"):format(k))
    parts[#parts + 1] = indent .. "  " .. key .. " = " .. lua_literal(v[k], indent .. "  ")
  end
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
end

local function merge(into, from)
  for k, v in pairs(from or {}) do
    if type(v) == "table" and type(into[k]) == "table" and #v == 0 then merge(into[k], v) else into[k] = v end
  end
  return into
end

-- CRC-32 (IEEE), the Kraken v2 book checksum's.
local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if bit.band(c, 1) ~= 0 then c = bit.bxor(bit.rshift(c, 1), 0xEDB88320) else c = bit.rshift(c, 1) end
  end
  crc_table[i] = c
end
local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do c = bit.bxor(crc_table[bit.band(bit.bxor(c, s:byte(i)), 0xFF)], bit.rshift(c, 8)) end
  c = bit.bnot(c)
  if c < 0 then c = c + 4294967296 end
  return c
end
M._crc32 = crc32

-- The wire text of a number at a pair's precision, and its checksum form ('.' removed, leading zeros stripped).
local function fixed(v, decimals) return ("%." .. decimals .. "f"):format(v) end
local function check_text(s) return (s:gsub("%.", ""):gsub("^0+", "")) end

-- The Kraken v2 checksum of a book side pair (levels already sorted and formatted as text).
function M.book_checksum(bids, asks)
  local parts = {}
  for i = 1, math.min(10, #asks) do parts[#parts + 1] = check_text(asks[i][1]) .. check_text(asks[i][2]) end
  for i = 1, math.min(10, #bids) do parts[#parts + 1] = check_text(bids[i][1]) .. check_text(bids[i][2]) end
  return crc32(table.concat(parts))
end

local DEFAULT_INSTRUMENTS = "tests/data/kraken/instrument-5pairs.v2.json"

local function load_instruments(spec)
  if spec.instruments ~= nil and type(spec.instruments) == "table" then return spec.instruments, nil end
  local path = spec.instruments or (home() .. "/" .. DEFAULT_INSTRUMENTS)
  if not ok_cjson then error("th.testing: reading " .. path .. " needs lua-cjson", 3) end
  local text = read_file(path)
  if not text then error("th.testing: instruments file not found: " .. path, 3) end
  return cjson.decode(text).data.pairs, abs(path)
end

-- ---------------------------------------------------------------- the scripted market
local Market = {}
Market.__index = Market

local START_S = 1700000000 -- 2023-11-14T22:13:20Z: any fixed time keeps runs byte-identical

-- testing.market{strategy=, params=, pairs=, risk=, quotes=, venue=, tick_ms=, instruments=, seed=,
-- config=} -> a market script. instruments: a path to a v2 instrument snapshot (default: the
-- bundled 5 Kraken pairs) or a list of v2 pair tables ({symbol, base, quote, status,
-- price_precision, price_increment, qty_precision, qty_increment, qty_min, cost_min}).
function M.market(spec)
  if type(spec) ~= "table" or type(spec.strategy) ~= "string" then
    error("th.testing.market: expects a table with strategy = path of the strategy file", 2)
  end
  local pairs_list, ins_path = load_instruments(spec)
  local self = setmetatable({ spec = spec, now = 0, lines = {}, instruments = {}, ins_list = pairs_list,
                              ins_path = ins_path, trade_id = 0, start_s = spec.start or START_S }, Market)
  for _, p in ipairs(pairs_list) do self.instruments[p.symbol] = p end
  return self
end

function Market:_ns(t)
  local total = math.floor(t * 1e9 + 0.5) -- ns since the script's start (exact below 2^53 ns, 104 days)
  return ("%d%09d"):format(self.start_s + math.floor(total / 1e9), total % 1e9)
end

function Market:_instrument(symbol)
  local ins = self.instruments[symbol]
  if not ins then error("th.testing: no instrument " .. tostring(symbol) .. " in the instrument data", 3) end
  return ins
end

-- m:step(seconds): host time moves on; ticks and timers due meanwhile fire in the run.
function Market:step(seconds)
  if type(seconds) ~= "number" or seconds < 0 then error("th.testing: step(seconds) needs a number >= 0", 2) end
  self.now = self.now + seconds
  return self
end

local function levels(list, ins, side, symbol)
  if type(list) ~= "table" then error(("th.testing: book %s: %s must be a list of {price, qty}"):format(symbol, side), 4) end
  local out = {}
  for i, l in ipairs(list) do
    local px, qty = l[1] or l.price, l[2] or l.qty
    if type(px) ~= "number" or type(qty) ~= "number" or px <= 0 or qty <= 0 then
      error(("th.testing: book %s: %s level %d needs a positive price and qty"):format(symbol, side, i), 4)
    end
    out[#out + 1] = { fixed(px, ins.price_precision), fixed(qty, ins.qty_precision), px }
  end
  table.sort(out, function(a, b) if side == "bids" then return a[3] > b[3] end return a[3] < b[3] end)
  return out
end

-- m:book(symbol, {bids = {{price, qty}, ...}, asks = {...}}): the whole book at the current time
-- (a snapshot: it replaces what was there).
function Market:book(symbol, book)
  local ins = self:_instrument(symbol)
  if type(book) ~= "table" then error("th.testing: book(symbol, {bids=, asks=}) expects a table", 2) end
  local bids, asks = levels(book.bids or {}, ins, "bids", symbol), levels(book.asks or {}, ins, "asks", symbol)
  local function json_side(l)
    local parts = {}
    for i, x in ipairs(l) do parts[i] = ('{"price":%s,"qty":%s}'):format(x[1], x[2]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  self.lines[#self.lines + 1] = self:_ns(self.now) .. (' {"channel":"book","type":"snapshot","data":[{"symbol":%q,'
    .. '"bids":%s,"asks":%s,"checksum":%d}]}'):format(symbol, json_side(bids), json_side(asks),
      M.book_checksum(bids, asks))
  return self
end

-- m:trade(symbol, {side = "buy"|"sell" (the taker's), price =, qty =}): a trade on the venue at the
-- current time (what fills resting orders at or through its price in the sim).
function Market:trade(symbol, tr)
  local ins = self:_instrument(symbol)
  if type(tr) ~= "table" or (tr.side ~= "buy" and tr.side ~= "sell") or type(tr.price) ~= "number"
     or type(tr.qty) ~= "number" then
    error("th.testing: trade(symbol, {side = \"buy\"|\"sell\", price = n, qty = n})", 2)
  end
  self.trade_id = self.trade_id + 1
  self.lines[#self.lines + 1] = self:_ns(self.now) .. (' {"channel":"trade","type":"update","data":[{"symbol":%q,'
    .. '"side":%q,"price":%s,"qty":%s,"ord_type":"limit","trade_id":%d}]}'):format(symbol, tr.side,
      fixed(tr.price, ins.price_precision), fixed(tr.qty, ins.qty_precision), self.trade_id)
  return self
end

-- A v2 instrument snapshot of the spec's pairs (written by hand: symbols keep their '/' unescaped).
local function instrument_json(list)
  local out = {}
  for i, p in ipairs(list) do
    if type(p.symbol) ~= "string" or type(p.price_precision) ~= "number" or type(p.qty_precision) ~= "number" then
      error("th.testing: instruments[" .. i .. "] needs symbol, price_precision and qty_precision", 4)
    end
    local base, quote = p.symbol:match("^([^/]+)/(.+)$")
    out[i] = ('{"symbol":%q,"base":%q,"quote":%q,"status":%q,"qty_precision":%d,"qty_increment":%.17g,'
      .. '"price_precision":%d,"price_increment":%.17g,"qty_min":%.17g,"cost_min":%.17g}'):format(p.symbol,
      p.base or base or p.symbol, p.quote or quote or "USD", p.status or "online", p.qty_precision,
      p.qty_increment or 10 ^ -p.qty_precision, p.price_precision, p.price_increment or 10 ^ -p.price_precision,
      p.qty_min or 0, p.cost_min or 0)
  end
  return '{"channel":"instrument","type":"snapshot","data":{"pairs":[' .. table.concat(out, ",") .. "]}}"
end

-- ---------------------------------------------------------------- running it
local Run = {}
Run.__index = Run

local function config_for(spec, ins_file, recording)
  local pairs_cfg = {}
  for i, p in ipairs(spec.pairs or {}) do
    pairs_cfg[i] = type(p) == "string" and { symbol = p } or p
  end
  if #pairs_cfg == 0 then error("th.testing: pairs = { {symbol = ...}, ... } is required", 4) end
  local cfg = {
    venue = merge({ name = "sim", paper = true, feed = "kraken", fee_bps = 16, instruments = ins_file,
                    recording = recording, stale_ms = 3600000 }, spec.venue),
    strategy = { name = spec.name or "under_test", module = home() .. "/scripts/th/testing_probe.lua",
                 tick_ms = spec.tick_ms or 1000, params = spec.params or {},
                 -- the probe's writes and a cold JIT would count as over budget: only counted, but noisy
                 budget_ms = 100 },
    pairs = pairs_cfg,
    risk = merge({ budget = 1e9, currency = "USD", rates = { EUR = 1.2, BTC = 50000, ETH = 3000 } }, spec.risk),
    quotes = spec.quotes or {},
  }
  return merge(cfg, spec.config)
end

local function run_backtest(spec, dir, cfg, data, extra)
  write_file(dir .. "/config.lua", "return " .. lua_literal(cfg) .. "\n")
  local out = dir .. "/intents.lua"
  local args = { "backtest", dir .. "/config.lua", "--report", dir .. "/report", "--seed", tostring(spec.seed or 1),
                 "--log-level", spec.log_level or "warn" }
  for _, d in ipairs(data) do args[#args + 1] = "--data"; args[#args + 1] = d end
  for _, a in ipairs(extra or {}) do args[#args + 1] = a end
  local cmd = {}
  for i, a in ipairs(args) do cmd[i] = shell_quote(a) end
  local line = ("TH_TESTING_STRATEGY=%s TH_TESTING_OUT=%s %s %s >%s 2>&1; echo $?"):format(
    shell_quote(abs(spec.strategy)), shell_quote(out), shell_quote(binary()), table.concat(cmd, " "),
    shell_quote(dir .. "/backtest.log"))
  local p = io.popen(line)
  local status = tonumber(p:read("*l"))
  p:close()
  -- 3: the session ran and ended with the strategy faulted (docs/ops.md "Exit status"): a result
  -- a test asserts on (run.errors, run.faulted), not a failure of the kit
  local run = setmetatable({ status = status, ok = status == 0 or status == 3, faulted = status == 3, log = read_file(dir .. "/backtest.log") or "",
                             events = {}, intents = {}, fills = {}, errors = {}, orders = {}, positions = {},
                             open_orders = {}, calls = {}, dir = dir }, Run)
  -- the backtest's own summary (docs/guide.md "Backtests"): fills, volume, fees, PnL per pair, orders, refusals
  local summary = read_file(dir .. "/report/summary.json")
  if summary and ok_cjson then run.summary = cjson.decode(summary) end
  local text = read_file(out) or ""
  for l in text:gmatch("[^\n]+") do
    local chunk = loadstring("return " .. l)
    if chunk then
      setfenv(chunk, {})
      local ev = chunk()
      run.events[#run.events + 1] = ev
    end
  end
  return run
end

local function finish(run, t0_ns)
  for _, ev in ipairs(run.events) do
    if t0_ns == nil then t0_ns = ev.ns end
    ev.t = (ev.ns - t0_ns) / 1e9
    local k = ev.kind
    if k == "quotes" or k == "place" or k == "cancel" or k == "cancel_all" then run.intents[#run.intents + 1] = ev
    elseif k == "fill" then run.fills[#run.fills + 1] = ev
    elseif k == "error" then run.errors[#run.errors + 1] = ev
    elseif k == "order" then run.orders[#run.orders + 1] = ev
    elseif k == "position" then run.positions[ev.symbol] = ev.position
    elseif k == "open_orders" then run.open_orders = ev.orders
    elseif k == "calls" then run.calls = ev.counts
    elseif k == "state" then run.state = ev.state end
  end
  if not run.ok then
    error(("th.testing: tradehost backtest exited %s:\n%s"):format(tostring(run.status), run.log), 3)
  end
  return run
end

local function make_dir()
  local p = io.popen("mktemp -d \"${TMPDIR:-/tmp}/th-testing.XXXXXX\"")
  local dir = p:read("*l")
  p:close()
  if not dir or dir == "" then error("th.testing: mktemp -d failed", 3) end
  return dir
end

local function remove_dir(dir)
  -- only the kit's own mktemp directory
  if dir:match("/th%-testing%.[%w]+$") then os.execute("rm -rf " .. shell_quote(dir)) end
end

-- m:run() -> run: the backtest of the script from its start to the current time. With keep = true
-- in the spec the run's directory (config, recording, journal, report, log) stays for a look.
function Market:run()
  local dir = make_dir()
  local lines = { unpack(self.lines) }
  -- a frame the feed ignores at the current time, so that the virtual clock reaches it
  lines[#lines + 1] = self:_ns(self.now) .. ' {"channel":"heartbeat"}'
  write_file(dir .. "/market.txt", table.concat(lines, "\n") .. "\n")
  local ins_file = self.ins_path
  if not ins_file then
    ins_file = dir .. "/instruments.json"
    write_file(ins_file, instrument_json(self.ins_list))
  end
  local cfg = config_for(self.spec, ins_file, dir .. "/market.txt")
  local ok, run = pcall(run_backtest, self.spec, dir, cfg, { dir .. "/market.txt" })
  if not ok then remove_dir(dir); error(run, 2) end
  if not self.spec.keep then remove_dir(dir) end
  return finish(run, tonumber(self:_ns(0)))
end

-- testing.replay{strategy=, data = {recording, ...}, from=, to=, instruments=, ... as market{}}:
-- the strategy over recorded market data (--data, --from, --to of `tradehost backtest`); times in
-- the run are seconds from the strategy's start.
function M.replay(spec)
  if type(spec) ~= "table" or type(spec.strategy) ~= "string" or type(spec.data) ~= "table" or #spec.data == 0 then
    error("th.testing.replay: expects strategy = path and data = { recording, ... }", 2)
  end
  local _, ins_path = load_instruments(spec)
  local data = {}
  for i, d in ipairs(spec.data) do data[i] = abs(d) end
  local extra = {}
  if spec.from then extra[#extra + 1] = "--from"; extra[#extra + 1] = tostring(spec.from) end
  if spec.to then extra[#extra + 1] = "--to"; extra[#extra + 1] = tostring(spec.to) end
  local dir = make_dir()
  local cfg = config_for(spec, ins_path, data[1])
  local ok, run = pcall(run_backtest, spec, dir, cfg, data, extra)
  if not spec.keep then remove_dir(dir) end
  if not ok then error(run, 2) end
  return finish(run, nil)
end

-- run:select{kind=, symbol=, from=, to=} -> the events matching (kind: a name or a list of names;
-- from/to: seconds, inclusive).
function Run:select(filter)
  local f = filter or {}
  local kinds = f.kind
  if type(kinds) == "string" then kinds = { [kinds] = true }
  elseif type(kinds) == "table" then local s = {}; for _, k in ipairs(kinds) do s[k] = true end; kinds = s end
  local out = {}
  for _, ev in ipairs(self.events) do
    if (not kinds or kinds[ev.kind]) and (not f.symbol or ev.symbol == f.symbol)
       and (not f.from or ev.t >= f.from - 1e-9) and (not f.to or ev.t <= f.to + 1e-9) then
      out[#out + 1] = ev
    end
  end
  return out
end

-- run:last_quotes(symbol [, before_t]) -> the targets of the last th.quotes.set for symbol, and its
-- event (with .result: kept, placed, cancelled, replaced, refused, refusal).
function Run:last_quotes(symbol, before)
  for i = #self.events, 1, -1 do
    local ev = self.events[i]
    if ev.kind == "quotes" and ev.symbol == symbol and (not before or ev.t <= before + 1e-9) then
      return ev.targets, ev
    end
  end
  return nil
end

-- The classes, for tools/check_annotations.lua (types/th_testing.lua must annotate their methods).
M._classes = { Market = Market, Run = Run }

return M
