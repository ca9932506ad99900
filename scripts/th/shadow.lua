-- th/shadow.lua — shadow reload: the new version of a strategy runs beside the live one on the
-- same events, and what each intended to do with orders is compared; the shadow sends nothing.
--
-- The host (host/lua/lua_shadow.c) starts the shadow, runs every callback and timer of the live
-- strategy on it too, and after each event calls compare(). The order entry points of th
-- (th/orders.lua) ask record() first while a shadow exists (M.on): for the shadow they record the
-- intent and answer as if it went out (a place gets an id "shadow-N"); for the live strategy they
-- record it and go on. The C entry points refuse a shadow's orders all the same
-- (th_shadow_role), so nothing it does can reach the venue even past this file.
--
-- An intent is a line of text per pair ("quotes buy 352.1x0.5 sell 352.4x0.5", "place buy
-- 352.1x0.5 post_only", "cancel sell 352.4", "cancel_all"); an event's intents of one pair are
-- joined in call order, so "differs" means another quote, size, order of calls or a missing call.
-- Host-wide ones (th.risk.kill, rearm, set_reference) are filed under the pair "*".
--
-- The shadow's state starts as a deep copy of the live state, then its migrate(copy) runs: it is
-- the state the new code would have after a plain reload. It diverges from there (its orders never
-- existed), which is why promote() does not keep it: promote is the reload itself, migrate(state)
-- on the live state (th/runtime.lua), with the shadow's already compiled module and loaded config.
-- th.store in the shadow reads the live strategy's store; its writes stay in memory, in the shadow.
local ffi = require("ffi")
local base = require("th.ffi")
local C = base.C

local M = { on = false, MAX_DIFFS = 20 }

local run = nil -- the running shadow: see start()
local fake_seq = 0

local function num(v) return ("%.10g"):format(v) end

-- ---- recording (th/orders.lua, th/store.lua) ----

-- 0: no shadow involved (the REPL, a strategy without a shadow); 1: the live strategy that has a
-- shadow; 2: the shadow.
function M.role()
  if not M.on then return 0 end
  return tonumber(C.th_shadow_role())
end

local function add(role, symbol, text)
  local side = role == 2 and run.shadow_intents or run.live_intents
  local list = side[symbol]
  if not list then list = {} side[symbol] = list end
  list[#list + 1] = text
  if role == 2 then run.shadow_total = run.shadow_total + 1 else run.live_total = run.live_total + 1 end
end

-- th.orders.place: returns the id the shadow gets (role 2), nil for the live strategy.
function M.place(role, symbol, side, price, size, post_only)
  add(role, symbol, ("place %s %sx%s%s"):format(side, num(price), num(size), post_only and " post_only" or ""))
  if role ~= 2 then return nil end
  fake_seq = fake_seq + 1
  local id = "shadow-" .. fake_seq
  run.fake[id] = { symbol = symbol, side = side, price = price }
  return id
end

-- th.orders.cancel: what the order was (side and price), so that the live strategy's cancel of its
-- real order and the shadow's cancel of its pretend one read alike. `view` is the live order's view
-- (th.orders.get) when it has one.
function M.cancel(role, id, view)
  local o = run.fake[id] or view
  if o then
    add(role, o.symbol, ("cancel %s %s"):format(o.side, num(o.price)))
  else
    add(role, "*", "cancel " .. tostring(id))
  end
end

function M.cancel_all(role, symbol) add(role, symbol or "*", "cancel_all") end

local function quote_text(q)
  local side = (q.side == "bid" and "buy") or (q.side == "ask" and "sell") or q.side
  return ("%s %sx%s"):format(side, num(q.price), num(q.size))
end

function M.quotes(role, symbol, list)
  local parts = {}
  for i = 1, #list do parts[i] = quote_text(list[i]) end
  table.sort(parts)
  add(role, symbol, "quotes " .. table.concat(parts, " "))
end

function M.risk(role, what) add(role, "*", what) end

-- What a shadow's th.quotes.set answers: nothing was sent, so nothing was kept, placed or refused.
function M.quotes_result()
  return { kept = 0, placed = 0, cancelled = 0, replaced = 0, refused = 0, waiting = 0, shadow = true }
end

-- th.store inside the shadow: the live strategy's store to read, a memory overlay to write.
-- overlay[key] = encoded bytes, or false for a deletion.
function M.store_owner(name) if run and name == run.name then return run.live_name end return name end
function M.store_overlay() return run and run.store end

-- ---- comparing ----

-- After each event both ran (the host calls it): each pair either intended something for,
-- compared as the joined lines; the first max_diffs differences of each pair are kept.
function M.compare(callback)
  if not run then return end
  local live, shadow = run.live_intents, run.shadow_intents
  if next(live) == nil and next(shadow) == nil then return end
  local seen = {}
  local function one(symbol)
    if seen[symbol] then return end
    seen[symbol] = true
    local a = live[symbol] and table.concat(live[symbol], "; ") or ""
    local b = shadow[symbol] and table.concat(shadow[symbol], "; ") or ""
    local p = run.pairs[symbol]
    if not p then
      p = { compared = 0, differing = 0, diffs = {} }
      run.pairs[symbol] = p
    end
    p.compared = p.compared + 1
    if a ~= b then
      p.differing = p.differing + 1
      if #p.diffs < run.max_diffs then
        C.th_clock_now(base.i64, base.i32)
        p.diffs[#p.diffs + 1] = { callback = callback, time_ns = tonumber(base.i64[0]),
                                  live = a ~= "" and a or "(nothing)", shadow = b ~= "" and b or "(nothing)" }
      end
    end
  end
  for symbol in pairs(live) do one(symbol) end
  for symbol in pairs(shadow) do one(symbol) end
  run.events = run.events + 1
  run.live_intents, run.shadow_intents = {}, {}
end

-- ---- the shadow's life (called by the host) ----

local function deep_copy(v, seen)
  if type(v) ~= "table" then return v end
  if seen[v] then return seen[v] end
  local c = {}
  seen[v] = c
  for k, x in pairs(v) do c[deep_copy(k, seen)] = deep_copy(x, seen) end
  return setmetatable(c, getmetatable(v))
end

-- start(path, live_state, live_ctx, cfg_path, cfg_dir, max_diffs, shadow_name, live_name):
-- mod, state, ctx; or nil, err (nothing started). The host runs it as the shadow's code, so
-- timers migrate arms are the shadow's, and its intents are recorded, never sent.
local start
function M.start(path, live_state, live_ctx, cfg_path, cfg_dir, max_diffs, shadow_name, live_name)
  if run then return nil, "a shadow is already running" end
  -- whatever raises on the way (a state deep_copy cannot walk, a fill_ctx on a strange config)
  -- leaves no half-started shadow behind
  local ok, mod, state, ctx, diff = xpcall(start, debug.traceback, path, live_state, live_ctx, cfg_path, cfg_dir,
                                           max_diffs, shadow_name, live_name)
  if ok and mod then return mod, state, ctx, diff end
  if run then
    require("th.timers").reload_abort(shadow_name)
    run, M.on = nil, false
  end
  if not ok then return nil, "shadow start raised: " .. tostring(mod) end
  return nil, state
end

function start(path, live_state, live_ctx, cfg_path, cfg_dir, max_diffs, shadow_name, live_name)
  local config = require("th.config")
  local runtime = require("th.runtime")
  local timers = require("th.timers")
  local cfg, err = config.load(cfg_path, cfg_dir)
  if not cfg then return nil, "config " .. err end
  local mod, cerr = runtime.compile(path)
  if not mod then return nil, cerr end
  local ok, perr = config.check_params(cfg, mod.defaults)
  if not ok then return nil, "config " .. perr end
  run = { name = shadow_name, live_name = live_name, mod = mod, cfg = cfg, path = path,
          max_diffs = max_diffs and max_diffs > 0 and max_diffs or M.MAX_DIFFS,
          live_intents = {}, shadow_intents = {}, pairs = {}, fake = {}, store = {},
          events = 0, live_total = 0, shadow_total = 0, started_ns = nil,
          diff = runtime.summary(config.diff(live_ctx.config, cfg)) }
  C.th_clock_now(base.i64, base.i32)
  run.started_ns = tonumber(base.i64[0])
  M.on = true
  local state = deep_copy(live_state, {})
  local ctx = {}
  runtime.fill_ctx(ctx, mod, cfg)
  timers.reload_begin(shadow_name)
  local mok, res = true, nil
  if mod.migrate then mok, res = xpcall(mod.migrate, runtime.traceback, state) end
  if not mok or res == false then
    timers.reload_abort(shadow_name)
    run, M.on = nil, false
    return nil, ("%s: migrate(copy of the state) %s"):format(path, mok and "returned false" or ("raised: " .. tostring(res)))
  end
  timers.reload_commit(shadow_name)
  run.live_intents, run.shadow_intents = {}, {} -- what migrate intended is no event's
  return mod, state, ctx, run.diff
end

-- promote(path, live_state, live_ctx): the reload, with the shadow's module and config. mod, cfg,
-- summary; or nil, err (nothing changed, the shadow runs on).
function M.promote(path, live_state, live_ctx)
  if not run then return nil, "no shadow to promote" end
  local runtime = require("th.runtime")
  local mod, cfg, summary = runtime.apply(path, live_state, live_ctx, run.cfg, run.mod, run.cfg._path or "config")
  if not mod then return nil, cfg end
  return mod, cfg, summary
end

-- The report: what shadow() in the REPL shows. fault: the shadow's own, while faulted (the host
-- passes it in).
function M.report(fault)
  if not run then return nil, "no shadow is running (reload{shadow = true} starts one)" end
  local pairs_out, differing = {}, 0
  for symbol, p in pairs(run.pairs) do
    local d = {}
    for i, x in ipairs(p.diffs) do
      d[i] = { callback = x.callback, time_ns = x.time_ns, live = x.live, shadow = x.shadow }
    end
    pairs_out[symbol] = { compared = p.compared, differing = p.differing, diffs = d }
    differing = differing + p.differing
  end
  C.th_clock_now(base.i64, base.i32)
  return { strategy = run.live_name, path = run.path, config = run.diff, events = run.events,
           differing = differing, intents = { live = run.live_total, shadow = run.shadow_total },
           age_s = (tonumber(base.i64[0]) - run.started_ns) / 1e9, faulted = fault ~= nil, fault = fault,
           max_diffs = run.max_diffs, pairs = pairs_out }
end

local function log_fields(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do
    local v = tostring(t[k])
    if v:find("[%s\"=]") then v = ('"%s"'):format(v:gsub('"', '\\"')) end
    out[i] = k .. "=" .. v
  end
  return table.concat(out, " ")
end

-- stop(why, fault): the shadow ends (promoted, discarded, the session ended). Logs its differences
-- (a line per pair, a line per kept difference), drops its timers, returns the report and a
-- one-line summary.
function M.stop(why, fault)
  if not run then return nil, "no shadow" end
  local r = M.report(fault)
  local symbols = {}
  for symbol in pairs(r.pairs) do symbols[#symbols + 1] = symbol end
  table.sort(symbols)
  local parts = {}
  for _, symbol in ipairs(symbols) do
    local p = r.pairs[symbol]
    parts[#parts + 1] = ("%s %d/%d"):format(symbol, p.differing, p.compared)
    C.th_log_emit(C.TH_LOG_INFO, "shadow pair", log_fields({ strategy = r.strategy, pair = symbol, compared = p.compared,
                                                            differing = p.differing, outcome = why }))
    for i, d in ipairs(p.diffs) do
      C.th_log_emit(C.TH_LOG_INFO, "shadow difference", log_fields({ strategy = r.strategy, pair = symbol, n = i,
                                                                    callback = d.callback, live = d.live, shadow = d.shadow }))
    end
  end
  local summary = ("%s after %d events: differing/compared per pair: %s%s"):format(why, r.events,
    #parts > 0 and table.concat(parts, ", ") or "no intents", fault and ("; the shadow faulted: " .. fault.error) or "")
  require("th.timers").drop(run.name)
  run, M.on = nil, false
  return r, summary
end

return M
