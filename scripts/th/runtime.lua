-- th/runtime.lua — compiles strategy modules and makes reloads transactional.
--
-- A strategy is a module of functions over a state table the host keeps (design.md). The host's C
-- side owns dispatch (one protected call per callback); this file owns the parts that are easier
-- to get right in Lua: compiling a module and checking its shape, merging per-pair parameters, and
-- the reload transaction. A reload compiles the new file, runs its check(), then its migrate(state)
-- against the live state with a deep backup: if migrate raises or returns false, the state is put
-- back field by field (the same table object, so references the host or the strategy hold stay
-- valid) and the old module keeps running.
local config = require("th.config")
local timers = require("th.timers")

local M = {}

-- on_lead (the lead market's books, docs/lua-api.md) is called like these but not listed yet: the
-- LuaLS annotations (types/th.lua, another branch) check this list against th.Strategy, and both
-- must gain it together; a non-function on_lead is refused below all the same (a module field
-- that is no function).
M.CALLBACKS = { "on_start", "on_tick", "on_stop", "on_book", "on_trade", "on_book_health", "on_fill",
                "on_order", "on_halt", "on_fault" }
local MODULE_KEYS = { check = true, migrate = true, defaults = true, name = true, description = true }
for _, k in ipairs(M.CALLBACKS) do MODULE_KEYS[k] = true end

local function traceback(e) return debug.traceback(tostring(e), 2) end

function M.compile(path)
  local chunk, err = loadfile(path)
  if not chunk then return nil, err end
  local ok, mod = xpcall(chunk, traceback)
  if not ok then return nil, mod end
  if type(mod) ~= "table" then
    return nil, ("%s: a strategy must return a table of functions, got %s"):format(path, type(mod))
  end
  for k, v in pairs(mod) do
    if MODULE_KEYS[k] == nil and type(v) ~= "function" then
      return nil, ("%s: module field %s is a %s; a strategy keeps data in its state table, not its module")
        :format(path, tostring(k), type(v))
    end
  end
  for _, name in ipairs(M.CALLBACKS) do
    if mod[name] ~= nil and type(mod[name]) ~= "function" then
      return nil, ("%s: %s must be a function, got %s"):format(path, name, type(mod[name]))
    end
  end
  if mod.defaults ~= nil and type(mod.defaults) ~= "table" then
    return nil, ("%s: defaults must be a table"):format(path)
  end
  if mod.check then
    local cok, res, msg = xpcall(mod.check, traceback)
    if not cok then return nil, ("%s: check() raised: %s"):format(path, res) end
    if res == false then return nil, ("%s: check() refused: %s"):format(path, tostring(msg)) end
  end
  return mod
end

local function merged_params(defaults, params, pair)
  local p = {}
  for k, v in pairs(defaults or {}) do p[k] = v end
  for k, v in pairs(params or {}) do p[k] = v end
  for k, v in pairs(pair) do if k ~= "symbol" and k ~= "enabled" then p[k] = v end end
  return p
end

-- Builds what a strategy sees besides its state: its name, params, and enabled pairs with their
-- merged parameters. Returns mod, state, ctx or nil, err.
-- cfg._instances (th/config.lua instances), made here for a config table built by hand (specs).
local function instances(cfg)
  if not cfg._instances then config.instances(cfg) end
  return cfg._instances
end

-- index: the instance (cfg._instances), 1 for the single form.
function M.start(path, cfg, index)
  index = index or 1
  local mod, err = M.compile(path)
  if not mod then
    local inst = instances(cfg)[index]
    local key = cfg.strategies and ("strategies[%d]."):format(index) or "strategy."
    return nil, ("%s: strategy %s (from %s): %s"):format(cfg._path or "config", inst.id,
      key .. (inst.module and "module" or "name"), err)
  end
  local ok, perr = config.check_params(cfg, mod.defaults, index)
  if not ok then return nil, perr end
  local ctx = {}
  M.fill_ctx(ctx, mod, cfg, index)
  require("th.status").watch(ctx) -- th.status() lists this strategy's pairs
  return mod, {}, ctx
end

-- ctx's fields from a config (at start, and again in place after a config reload: the ctx table
-- itself stays the one the strategy and the REPL hold).
function M.fill_ctx(ctx, mod, cfg, index)
  local inst = instances(cfg)[index or 1]
  ctx.name = inst.id
  ctx.instance = { id = inst.id, name = inst.name, risk_share = inst.risk_share }
  ctx.params = merged_params(mod.defaults, inst.params, {})
  ctx.pairs, ctx.symbols, ctx.config, ctx.reads = {}, {}, cfg, {}
  for i, sym in ipairs(inst.reads) do ctx.reads[i] = sym end
  for _, pair in ipairs(inst.pairs) do
    if pair.enabled then
      local entry = { symbol = pair.symbol, params = merged_params(mod.defaults, inst.params, pair) }
      ctx.pairs[#ctx.pairs + 1] = entry
      ctx.symbols[pair.symbol] = entry
    end
  end
end

-- The migrate backup: a deep copy of every table reachable from the state (cycles kept), recording
-- original -> copy. Restoring writes each copy back into its *original* table, so every table keeps
-- its identity (the state itself, nested tables, self-references). Non-table values (numbers,
-- strings, functions, cdata handles owned by C) are kept by reference.
local function snapshot(root)
  local copies, metatables = {}, {}
  local function copy(v)
    if type(v) ~= "table" then return v end
    if copies[v] then return copies[v] end
    local c = {}
    copies[v] = c
    metatables[v] = getmetatable(v)
    for k, x in pairs(v) do c[copy(k)] = copy(x) end
    return c
  end
  copy(root)
  return { copies = copies, metatables = metatables }
end

local function restore(snap)
  local copies = snap.copies
  local original = {}
  for orig, c in pairs(copies) do original[c] = orig end
  local function back(v) return original[v] or v end
  for orig, c in pairs(copies) do
    for k in pairs(orig) do rawset(orig, k, nil) end
    for k, v in pairs(c) do rawset(orig, back(k), back(v)) end
    setmetatable(orig, snap.metatables[orig])
  end
end

-- Timers are part of the transaction: the new code's (armed while it compiles or in migrate) go
-- to a pending set that replaces the old code's only when the reload succeeds.
-- migrate(state) of a compiled module, with the state restored in place if it refuses.
local function migrate_into(path, mod, state)
  if mod.migrate then
    local backup = snapshot(state)
    local mok, res = xpcall(mod.migrate, traceback, state)
    if not mok or res == false then
      restore(backup)
      return nil, ("%s: migrate(state) %s; state restored"):format(path,
        mok and "returned false" or ("raised: " .. tostring(res)))
    end
  end
  return mod
end

local function reload(path, state, cfg, mod)
  if not mod then
    local err
    mod, err = M.compile(path)
    if not mod then return nil, err end
  end
  local ok, perr = config.check_params(cfg, mod.defaults)
  if not ok then return nil, perr end
  return migrate_into(path, mod, state)
end

M.migrate_into = migrate_into
M.traceback = traceback

-- mod: an already compiled module (a shadow's, promoted) instead of compiling path again.
function M.reload(path, state, cfg, mod)
  local name = cfg.strategy.name
  timers.reload_begin(name)
  local ok, mod, err = pcall(reload, path, state, cfg, mod)
  if not ok or not mod then
    timers.reload_abort(name)
    if not ok then error(mod, 0) end
    return nil, err
  end
  timers.reload_commit(name)
  return mod
end

-- One line saying what a reload changed, for the log and the caller (REPL, API).
local function summary(d)
  local parts = {}
  local function add(label, list)
    if #list > 0 then parts[#parts + 1] = label .. " " .. table.concat(list, ", ") end
  end
  add("changed", d.live)
  add("pairs added", d.added)
  add("pairs removed", d.removed)
  add("pair settings changed", d.pairs_changed)
  add("needs a restart (kept as running)", d.restart)
  if #parts == 0 then return "config unchanged" end
  return table.concat(parts, "; ")
end

-- SIGHUP, the REPL's reload(), POST /reload: the config file and the strategy's code, as one
-- transaction. The config is loaded and validated first, the new code's check() and the
-- parameters against its defaults next, migrate(state) last; any failure leaves config, code,
-- state and timers as they were. On success ctx is refilled in place (params, pairs, symbols,
-- config). Returns mod, new_cfg, summary, diff; or nil, err.
function M.reload_all(path, state, ctx, cfg_path, cfg_dir)
  local cfg, err = config.load(cfg_path, cfg_dir)
  if not cfg then return nil, "config " .. err end
  return M.apply(path, state, ctx, cfg, nil, cfg_path)
end

M.summary = summary

-- Several instances (config `strategies`): one reload of the config and every instance's code, as
-- one transaction. paths, states, ctxs: the running instances in order. The instances are matched
-- by id: one the new config keeps is recompiled and migrated, one it adds is compiled and checked
-- (its state and ctx made, its on_start left to the host once everything applied), one it leaves
-- out is dropped by the host (on_stop, its orders cancelled). Each kept instance's migrate runs as
-- that instance (th.host.as_instance, by its running index), so the timers it arms and the store
-- it writes are its own. Any failure restores every state and drops every new timer; with a shadow
-- running the instance list may not change. home: where strategies/<name>.lua are.
-- Returns mods (by new instance), cfg, summary, plan; or nil, err. plan[i] is the running index of
-- new instance i, or { state, ctx, path } for an added one.
function M.reload_instances(paths, states, ctxs, cfg_path, cfg_dir, home, shadow)
  local cfg, err = config.load(cfg_path, cfg_dir)
  if not cfg then return nil, "config " .. err end
  local running = {}
  for i, c in ipairs(ctxs) do running[c.name] = i end
  local plan, mods, added, kept = {}, {}, {}, {}
  for i, inst in ipairs(cfg._instances) do
    local was = running[inst.id]
    local path = was and paths[was] or inst.module or (home .. "/strategies/" .. tostring(inst.name) .. ".lua")
    local mod, cerr = M.compile(path)
    if not mod then
      if was then return nil, cerr end
      return nil, ("config %s: strategies[%d] (instance %s, added): %s"):format(cfg_path, i, inst.id, cerr)
    end
    local ok, perr = config.check_params(cfg, mod.defaults, i)
    if not ok then return nil, "config " .. perr end
    mods[i] = mod
    if was then plan[i], kept[was] = was, true else plan[i] = { path = path } added[#added + 1] = inst.id end
  end
  local removed = {}
  for i, c in ipairs(ctxs) do if not kept[i] then removed[#removed + 1] = c.name end end
  if shadow and (#added > 0 or #removed > 0) then
    return nil, ("config %s: strategies: instances added or removed while a shadow runs: promote or discard it first"):format(cfg_path)
  end
  local d = config.diff(ctxs[1].config, cfg)
  local ok_host, host = pcall(require, "th.host")
  local as = ok_host and host.as_instance or function(_, fn, ...) return fn(...) end
  for _, p in ipairs(plan) do if type(p) == "number" then timers.reload_begin(ctxs[p].name) end end
  local backups, failed = {}, nil
  for i, p in ipairs(plan) do
    if type(p) == "number" then
      backups[#backups + 1] = snapshot(states[p])
      if mods[i].migrate then
        local mok, res = xpcall(as, traceback, p, mods[i].migrate, states[p])
        if not mok or res == false then
          failed = ("%s (instance %s): migrate(state) %s; every state restored"):format(paths[p], ctxs[p].name,
            mok and "returned false" or ("raised: " .. tostring(res)))
          break
        end
      end
    end
  end
  if failed then
    for i = #backups, 1, -1 do restore(backups[i]) end
    for _, p in ipairs(plan) do if type(p) == "number" then timers.reload_abort(ctxs[p].name) end end
    return nil, failed
  end
  for _, p in ipairs(plan) do if type(p) == "number" then timers.reload_commit(ctxs[p].name) end end
  for i, p in ipairs(plan) do
    if type(p) == "number" then
      M.fill_ctx(ctxs[p], mods[i], cfg, i)
    else
      p.state, p.ctx = {}, {}
      M.fill_ctx(p.ctx, mods[i], cfg, i)
      require("th.status").watch(p.ctx)
    end
  end
  local s = summary(d)
  if #added > 0 or #removed > 0 then
    local parts = {}
    if #added > 0 then parts[#parts + 1] = "instances added " .. table.concat(added, ", ") end
    if #removed > 0 then parts[#parts + 1] = "instances removed " .. table.concat(removed, ", ") end
    s = table.concat(parts, "; ") .. "; " .. s
  end
  return mods, cfg, s, plan
end

-- A removed instance's leftovers, once the host has called its on_stop: its timers and its place in
-- th.status() go (its th.store keys stay in the journal and in the store: an instance added again
-- under the same id finds them).
function M.retire(ctx)
  timers.drop(ctx.name)
  require("th.status").unwatch(ctx)
end

-- The second half of reload_all, for a config already loaded (and a module already compiled: a
-- promoted shadow's, else nil to compile path).
function M.apply(path, state, ctx, cfg, mod, cfg_path)
  local d = config.diff(ctx.config, cfg)
  local rerr
  mod, rerr = M.reload(path, state, cfg, mod)
  if not mod then
    -- the parameters against the new code's defaults: a config error too
    if type(rerr) == "string" and rerr:sub(1, #cfg_path + 1) == cfg_path .. ":" then rerr = "config " .. rerr end
    return nil, rerr
  end
  M.fill_ctx(ctx, mod, cfg)
  return mod, cfg, summary(d), d
end

return M
