-- th/timers.lua — th.every and th.after: a strategy's timers on the host clock.
--
-- The host clock is wall time live and recorded time in replays, paper runs on a recording and
-- backtests, so a timer fires at the same recorded moment at any speed. Timers live here, per
-- strategy; the host knows only when the earliest is due (th_strategy_timer_due), so its loop can
-- wake for it without calling Lua. The host runs due timers between events, never inside a
-- callback, each in the strategy's error isolation: a raising timer faults the strategy like a
-- raising on_book. A timer armed while timers run waits for the next run (no loop can starve the
-- host), and an `every` that fell behind fires once and goes on from now (no burst of catch-up).
--
-- Reload: the old code's timers are dropped and the new code re-arms its own (in migrate, which
-- runs on every reload; on_start arms them at start-up). The swap is part of the reload
-- transaction: timers armed by a reload that fails are dropped and the old ones keep running.
local ffi = require("ffi")
local base = require("th.ffi")
local C = base.C

local M = {}
M.MAX = 64             -- per strategy: a leak (arming in on_book) shows up as an error, not a slow host
M.MIN_PERIOD_S = 0.001

local sets = {}        -- strategy name -> { live = {handle...}, pending = nil | {handle...} }
local seq = 0
local name_cell = ffi.new("const char *[1]")

local handle = {}
handle.__index = handle

local function set_of(name)
  local s = sets[name]
  if not s then s = { live = {} } sets[name] = s end
  return s
end

-- Outside the host (busted specs over libthcore) there is no strategy table to tell.
local host_has_strategies = pcall(function() return C.th_strategy_timer_due end)

-- Tell the host the earliest due time and the count of a strategy's live timers.
local function publish(name)
  if not host_has_strategies then return end
  local live = sets[name].live
  local due = -1
  for i = 1, #live do
    if due < 0 or live[i].due < due then due = live[i].due end
  end
  C.th_strategy_timer_due(name, due, #live, base.err)
end

local function remove(list, h)
  for i = 1, #list do if list[i] == h then table.remove(list, i) return true end end
  return false
end

-- Cancel: idempotent; true if the timer was still armed.
function handle:cancel()
  if not self.active then return false end
  self.active = false
  local s = sets[self.strategy]
  if s then
    if remove(s.live, self) then publish(self.strategy) end
    if s.pending then remove(s.pending, self) end
  end
  return true
end

function handle:__tostring()
  return ("timer(%s %gs, %s)"):format(self.period and "every" or "after", self.seconds, self.active and "armed" or "done")
end

local function now_ns() C.th_clock_now(base.i64, base.i32) return tonumber(base.i64[0]) end

local function arm(api, seconds, fn, every)
  if type(seconds) ~= "number" or seconds ~= seconds or seconds == math.huge or seconds < 0 then
    error(api .. ": seconds must be a finite number >= 0, got " .. tostring(seconds), 3)
  end
  if every and seconds < M.MIN_PERIOD_S then
    error(("%s: the period must be at least %g s, got %g"):format(api, M.MIN_PERIOD_S, seconds), 3)
  end
  if type(fn) ~= "function" then error(api .. ": fn must be a function, got " .. type(fn), 3) end
  if C.th_strategy_running(name_cell, base.err) ~= 0 then
    error(api .. ": no strategy callback is running: timers belong to a strategy (arm them in on_start, "
      .. "migrate or another callback)", 3)
  end
  local name = ffi.string(name_cell[0])
  local s = set_of(name)
  local target = s.pending or s.live
  if #target >= M.MAX then
    error(("%s: strategy %s already has %d timers (the limit); cancel one first"):format(api, name, M.MAX), 3)
  end
  seq = seq + 1
  local h = setmetatable({ strategy = name, fn = fn, seconds = seconds, period = every and seconds * 1e9 or nil,
                           due = now_ns() + seconds * 1e9, seq = seq, active = true }, handle)
  target[#target + 1] = h
  if target == s.live then publish(name) end
  return h
end

function M.every(seconds, fn) return arm("th.every", seconds, fn, true) end
function M.after(seconds, fn) return arm("th.after", seconds, fn, false) end

-- The host: the timers of `name` due at `now`, earliest first (ties in the order armed). An `every`
-- is rescheduled and an `after` removed before any runs, so what they do cannot disturb the list.
function M.due(name, now)
  local s = sets[name]
  if not s then return nil end
  local out = {}
  for _, h in ipairs(s.live) do if h.due <= now then out[#out + 1] = h end end
  table.sort(out, function(a, b) if a.due ~= b.due then return a.due < b.due end return a.seq < b.seq end)
  for _, h in ipairs(out) do
    if h.period then
      h.due = h.due + h.period
      if h.due <= now then h.due = now + h.period end
    else
      remove(s.live, h)
    end
  end
  publish(name)
  return out
end

-- The host, for each handle due() gave: fn(state, ctx) unless cancelled meanwhile.
function M.fire(state, ctx, h)
  if not h.active then return end
  if not h.period then h.active = false end
  return h.fn(state, ctx)
end

-- The reload transaction (th/runtime.lua): timers armed from here on go to a pending set.
function M.reload_begin(name) set_of(name).pending = {} end

function M.reload_commit(name)
  local s = set_of(name)
  for _, h in ipairs(s.live) do h.active = false end
  s.live, s.pending = s.pending or {}, nil
  publish(name)
end

function M.reload_abort(name)
  local s = set_of(name)
  for _, h in ipairs(s.pending or {}) do h.active = false end
  s.pending = nil
end

-- A shadow that ends (th/shadow.lua): all its timers go.
function M.drop(name)
  local s = sets[name]
  if not s then return end
  for _, h in ipairs(s.live) do h.active = false end
  for _, h in ipairs(s.pending or {}) do h.active = false end
  sets[name] = nil
  if host_has_strategies then C.th_strategy_timer_due(name, -1, 0, base.err) end
end

-- For the REPL and tests: the armed timers of a strategy.
function M.list(name)
  local s = sets[name]
  local out = {}
  for i, h in ipairs(s and s.live or {}) do out[i] = h end
  return out
end

return M
