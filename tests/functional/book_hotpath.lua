-- book_hotpath.lua — a strategy that checks th.book's promise: on the hot path every view method
-- allocates nothing and compiles (no trace aborts). test_market.sh runs it in a backtest over the
-- Kraken recording and reads the figures it logs at the end.
--
-- Allocation: after a warm-up (traces compile, which itself allocates), each on_book runs every
-- method 200 times with the GC stopped and adds up what collectgarbage("count") grew by. One
-- allocation per call would be at least 16 bytes per round; the test allows 8 bytes per round over
-- the whole run for the occasional side trace that still compiles later.
-- Traces: jit.attach reports every trace abort with its source line and LuaJIT's reason. An NYI
-- (something the JIT cannot compile, so the code stays interpreted) anywhere is a failure; other
-- aborts ("leaving loop in root trace" and the like) are LuaJIT retrying elsewhere, and are only
-- logged.
local th = require("th")
local jutil = require("jit.util")
local vmdef = require("jit.vmdef")

local M = {}
local aborts = {}
jit.attach(function(what, _, func, pc, otr, oex)
  if what ~= "abort" then return end
  local info = jutil.funcinfo(func, pc)
  local msg = vmdef.traceerr[otr] or tostring(otr)
  if type(oex) == "number" and msg:find("%%d") then msg = msg:format(oex) end
  if msg:find("^NYI: bytecode") then msg = msg .. " (" .. vmdef.bcnames:sub(oex * 6 + 1, oex * 6 + 6):gsub(" ", "") .. ")" end
  aborts[#aborts + 1] = tostring(info.source) .. ":" .. tostring(info.currentline) .. " " .. msg
end, "trace")

local out, sink = {}, 0
local function round(symbol)
  local b = th.book(symbol)
  local bid, _, ask = b:best()
  local mid, spread, bps = b:mid(), b:spread(), b:spread_bps()
  local micro, imb = b:microprice(), b:imbalance(5)
  local vw = b:vwap("buy", 0.5)
  local near = b:depth("bid", 10)
  local health = b:health()
  local ok = b:ok()
  local age = b:age()
  b:levels("ask", 5, out)
  sink = sink + bid + ask + mid + spread + bps + micro + imb + vw + near + #health + age + out[5][1] + (ok and 1 or 0)
end

function M.on_start(state) state.events, state.rounds, state.bytes = 0, 0, 0 end

function M.on_book(state, ctx, symbol)
  local b = th.book(symbol)
  if not b:ok() or not b:mid() or #b:levels("ask", 5, out) < 5 or not b:vwap("buy", 0.5) then return end
  state.events = state.events + 1
  if state.events <= 30 then
    for _ = 1, 200 do round(symbol) end
    return
  end
  collectgarbage("stop")
  local before = collectgarbage("count")
  for _ = 1, 200 do round(symbol) end
  local after = collectgarbage("count")
  collectgarbage("restart")
  state.rounds = state.rounds + 200
  state.bytes = state.bytes + (after - before) * 1024
end

function M.on_stop(state)
  local nyi = 0
  for _, a in ipairs(aborts) do
    if a:find(" NYI", 1, true) then nyi = nyi + 1 end
    th.log.warn("trace abort", { where = a })
  end
  th.log.info("hotpath", { rounds = state.rounds, bytes = ("%.0f"):format(state.bytes),
    bytes_per_round = ("%.3f"):format(state.bytes / math.max(state.rounds, 1)),
    nyi_aborts = nyi, aborts = #aborts, jit = tostring((jit.status())) })
end

return M
