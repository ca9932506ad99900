-- th/repl.lua — evaluates one REPL chunk inside the running host (the socket side is C:
-- host/app/repl.c). A chunk runs in the host's own Lua state, so it sees what the strategy sees.
--
-- Two kinds of client (docs/ops.md):
--   * full: an operator console with the host's powers: every global (ffi, os, io, debug
--     included), `th` with order and kill functions, `state` and `ctx` themselves. os.exit is the
--     host's graceful stop (th.budget routes it), never a bare exit.
--   * read-only: a sandbox the host builds for the connection (it cannot be upgraded): no ffi, os,
--     io, debug, jit, require, loading of bytecode or files, collectgarbage or newproxy; `th` has
--     only the reading functions; `state`, `ctx` and every table reached through them are
--     read-only proxies (functions in them are shown, never called), and so are the shared library
--     tables, so nothing a read-only chunk does changes the host.
--
-- Every chunk, with its printing and the rendering of its results and errors (which may run
-- __tostring or __index metamethods it made), runs inside th.budget.run: instructions, wall time
-- and Lua memory are bounded, whatever the chunk does (pcall, coroutines, error handlers).
--
-- What a chunk's results look like: th/repl_show.lua (pretty-printed, depth-limited, cycles
-- marked, book views as their top levels); in the machine mode (M.eval_json) one JSON object per
-- chunk: th/repl_json.lua. Tab completion: th/repl_complete.lua (M.complete).
local budget = require("th.budget")
local show = require("th.repl_show")
local json = require("th.repl_json")
local completion = require("th.repl_complete")

local M = {}

M.limits = {
  instructions = 10000000,   -- VM instructions per chunk (about 10-50 ms of plain Lua)
  seconds = 0.25,            -- wall time per chunk: C functions the chunk calls count too
  memory = 64 * 1024 * 1024, -- Lua heap growth per chunk
  heap = 1024 * 1024 * 1024, -- the whole Lua heap: chunks cannot pile memory up across calls
}

-- Read-only proxies. proxy -> real table, and the kind: "data" hides functions (calling one could
-- change state), "object" passes methods (book views, library tables).
local real_of = setmetatable({}, { __mode = "k" })
local kind_of = setmetatable({}, { __mode = "k" })
local cache = { data = setmetatable({}, { __mode = "kv" }), object = setmetatable({}, { __mode = "kv" }) }

local HIDDEN = "<function: not callable from a read-only REPL>"
local proxy

local function wrap(v, kind)
  local t = type(v)
  if t == "table" then return proxy(v, kind) end
  if t == "function" and kind == "data" then return HIDDEN end
  return v
end

local function refuse_write() error("read-only REPL: this table cannot be changed", 2) end

function proxy(real, kind)
  if real_of[real] then return real end
  local p = cache[kind][real]
  if p then return p end
  p = setmetatable({}, {
    __index = function(_, k) return wrap(real[k], kind) end,
    __newindex = refuse_write,
    __metatable = false,
    __tostring = function() return "read-only " .. tostring(real) end,
  })
  real_of[p], kind_of[p] = real, kind
  cache[kind][real] = p
  return p
end

-- What the show/json renderers need to see through a read-only proxy: the real table, and whether
-- its functions are hidden.
local function see_through(v)
  local r = real_of[v]
  if r == nil then return nil end
  return r, kind_of[v] == "data"
end
local function real_only(v) return real_of[v] end

-- A readable rendering of a value (th/repl_show.lua); depth: levels shown below the value.
function M.show(v, depth)
  return show.show(v, { depth = depth, real = see_through, hidden = HIDDEN })
end

-- A full client's environment: globals readable, its own assignments kept between chunks.
-- show(v [, depth]) in both environments: prints v deeper (or shallower) than the default.
local function show_fn(env)
  return function(v, depth)
    if depth ~= nil and (type(depth) ~= "number" or depth < 0) then error("show: depth must be a number >= 0", 2) end
    env.print(M.show(v, depth))
  end
end

-- reload(): the host's one reload (config and code, as SIGHUP). It cannot run inside the chunk
-- (that runs under the budget, and a reload must never be cut off half-way), so reload() asks for
-- it and it runs once the chunk has ended; its outcome is added to the answer. So do the shadow
-- reload's steps (th/shadow.lua): reload{shadow = true [, max_diffs = n]} starts one, promote()
-- swaps it in (a reload with the shadow's code and config), discard() drops it.
local reload_asked = nil -- nil, or { op = "reload" | "start" | "promote" | "discard", max_diffs = n }
local function reload_fn(opts)
  if opts == nil then reload_asked = { op = "reload" } return end
  if type(opts) ~= "table" then error("reload: expects nothing or a table ({ shadow = true }), got " .. type(opts), 2) end
  for k in pairs(opts) do
    if k ~= "shadow" and k ~= "max_diffs" then error("reload: unknown option " .. tostring(k) .. " (shadow, max_diffs)", 2) end
  end
  local n = opts.max_diffs
  if n ~= nil and (type(n) ~= "number" or n < 1 or n ~= math.floor(n) or n > 10000) then
    error("reload: max_diffs must be a whole number from 1 to 10000, got " .. tostring(n), 2)
  end
  if n ~= nil and not opts.shadow then error("reload: max_diffs is for a shadow reload (shadow = true)", 2) end
  reload_asked = opts.shadow and { op = "start", max_diffs = n } or { op = "reload" }
end
local function promote_fn() reload_asked = { op = "promote" } end
local function discard_fn() reload_asked = { op = "discard" } end

-- shadow(): how the running shadow's intents differ from the live strategy's (th/shadow.lua
-- report: per pair compared, differing and the first differences), or nil, why.
local function shadow_fn()
  local ok, host = pcall(require, "th.host")
  return require("th.shadow").report(ok and host.shadow_fault() or nil)
end
M.shadow_report = shadow_fn

local OP_LABEL = { reload = "reload", start = "shadow", promote = "promote", discard = "discard" }

local function run_reload()
  local asked = reload_asked
  if not asked then return nil end
  reload_asked = nil
  local ok, host = pcall(require, "th.host")
  if not ok then return { ok = false, op = OP_LABEL[asked.op], message = "this host has no session to reload" } end
  local good, msg
  if asked.op == "reload" then good, msg = host.reload()
  else good, msg = host.shadow(asked.op, asked.max_diffs or 0) end
  return { ok = good, op = OP_LABEL[asked.op], message = msg }
end

-- Several strategy instances (docs/config.md "Several strategies"): `state` and `ctx` are the
-- first's; instance(id) gives another's state, ctx (nil, err naming the ids when there is none).
local function instance_fn(id)
  if type(id) ~= "string" then error("instance(id): id must be a string (an instance's id)", 2) end
  local ok, host = pcall(require, "th.host")
  if not ok then return nil, "this host runs no strategy" end
  return host.instance(id)
end

local function full_env(state, ctx)
  local env = setmetatable({ state = state, ctx = ctx, th = require("th"), reload = reload_fn, promote = promote_fn,
                             discard = discard_fn, shadow = shadow_fn, instance = instance_fn }, { __index = _G })
  env.show = show_fn(env)
  return env
end

-- The reading half of th, each result a fresh table or a read-only view.
local function readonly_th()
  local th = require("th")
  local function objects(f) return function(...) return wrap(f(...), "object") end end
  return proxy({
    book = objects(th.book),
    clock = th.clock,
    orders = { get = th.orders.get, open = th.orders.open },
    position = th.position,
    pnl = th.pnl,
    balance = th.balance,
    balances = th.balances,
    risk = { status = th.risk.status },
    status = th.status,
    dispatch = th.dispatch,
    host_info = th.host_info,
  }, "object")
end

-- next/pairs/ipairs that walk a proxy's real table (5.1 has no __pairs), wrapping what they give.
local function ro_next(t, k)
  local real = real_of[t]
  if not real then return next(t, k) end
  local nk, nv = next(real, real_of[k] or k)
  return wrap(nk, kind_of[t]), wrap(nv, kind_of[t])
end
local function ro_pairs(t) return ro_next, t, nil end
local function ro_ipairs(t)
  local real, kind = real_of[t] or t, kind_of[t]
  return function(_, i)
    i = i + 1
    local v = real[i]
    if v == nil then return nil end
    return i, kind and wrap(v, kind) or v
  end, t, 0
end

-- table.insert, remove and sort write with rawset, past a proxy's __newindex: into the proxy
-- itself, where every read-only client would then see what one planted. Given a proxy they refuse.
local guarded_table = {}
for k, f in pairs(table) do guarded_table[k] = f end
for _, name in ipairs({ "insert", "remove", "sort", "foreach", "foreachi", "setn" }) do
  local f = table[name]
  if f then
    guarded_table[name] = function(t, ...)
      if real_of[t] then error("read-only REPL: this table cannot be changed", 2) end
      return f(t, ...)
    end
  end
end

local function readonly_env(state, ctx)
  local env = {
    assert = assert, error = error, ipairs = ro_ipairs, next = ro_next, pairs = ro_pairs, pcall = pcall,
    xpcall = xpcall, select = select, tonumber = tonumber, tostring = tostring, type = type, unpack = unpack,
    rawequal = rawequal, rawget = rawget, setmetatable = setmetatable, _VERSION = _VERSION,
    -- # does not see through a proxy (5.1): len() does.
    len = function(t) return #(real_of[t] or t) end,
    -- metatables of strings and of host objects are shared with the strategy: not handed out.
    getmetatable = function(v) if type(v) ~= "table" then return nil end return getmetatable(v) end,
    string = proxy(string, "object"), table = proxy(guarded_table, "object"), math = proxy(math, "object"),
    coroutine = proxy(coroutine, "object"), bit = proxy(bit, "object"),
    th = readonly_th(),
    shadow = function()
      local r, why = shadow_fn()
      if r == nil then return nil, why end
      return wrap(r, "data")
    end,
    state = state ~= nil and proxy(state, "data") or nil,
    ctx = ctx ~= nil and proxy(ctx, "data") or nil,
    instance = function(id)
      local st, c = instance_fn(id)
      if st == nil then return nil, c end
      return proxy(st, "data"), proxy(c, "data")
    end,
  }
  -- Text only (a bytecode string could do anything), and always into this sandbox.
  env.load = function(chunk, name, _, e)
    if type(chunk) == "string" and chunk:byte(1) == 27 then return nil, "read-only REPL: bytecode is refused" end
    return load(chunk, name, "t", e or env)
  end
  env.loadstring = function(s, name) return env.load(s, name) end
  env._G = env
  env.show = show_fn(env)
  return env
end

function M.env(state, ctx, readonly)
  if readonly then return readonly_env(state, ctx) end
  return full_env(state, ctx)
end

local function compile(chunk, env)
  -- A terminal's arrow or function key is an escape sequence; ESC is also the first byte of
  -- bytecode. Say what it is rather than hand it to load.
  if chunk:byte(1) == 27 then
    return nil, "the line starts with an escape byte (a terminal's arrow or function key?): not Lua, not run"
  end
  local fn = load("return " .. chunk, "=repl", "t", env)
  if fn then return fn end
  local err
  fn, err = load(chunk, "=repl", "t", env)
  if fn then return fn end
  if err:match("'<eof>'$") then return nil, err, true end -- as lua.c: cut off mid-statement
  return nil, err
end

local function pack(...) return { n = select("#", ...), ... } end

-- Runs a compiled chunk with print captured, and render(res) of its results, all under the
-- budget. Returns what it printed, and ok, the rendering or the error text.
local function run(env, fn, render)
  local out = {}
  rawset(env, "print", function(...)
    local n = select("#", ...)
    local p = {}
    for i = 1, n do p[i] = tostring((select(i, ...))) end
    out[#out + 1] = table.concat(p, "\t") .. "\n"
  end)
  local function body()
    local res = pack(pcall(fn))
    if not res[1] then return false, tostring(res[2]) end
    return true, render(res)
  end
  local ok, good, text = budget.run(body, M.limits)
  if ok == nil or ok == false then good, text = false, good end
  if type(text) ~= "string" then good, text = false, "the chunk's answer could not be rendered" end
  -- print only ever stores strings; anything else (a chunk that reached into `out`) is skipped.
  local parts = {}
  for i = 1, #out do if type(out[i]) == "string" then parts[#parts + 1] = out[i] end end
  return table.concat(parts), good, text
end

-- Returns text (print output, then the results or the error) and whether the chunk is incomplete.
function M.eval(env, chunk)
  local fn, err, incomplete = compile(chunk, env)
  if not fn then
    if incomplete then return "", true end
    return "error: " .. err .. "\n", false
  end
  local printed, ok, text = run(env, fn, function(res)
    local shown = {}
    for i = 2, res.n do shown[#shown + 1] = M.show(res[i]) end
    return #shown > 0 and table.concat(shown, "\t") .. "\n" or ""
  end)
  if not ok then text = "error: " .. text .. "\n" end
  local r = run_reload()
  if r then text = text .. r.op .. (r.ok and ": ok: " or " failed: ") .. tostring(r.message) .. "\n" end
  return printed .. text, false
end

-- A machine-mode answer is one JSON object or nothing: one longer than the client's limit (cap)
-- becomes an error object, never a cut (and so broken) line.
local function limited(text, cap)
  if cap and #text > cap then
    return json.encode({ ok = false, output = "",
                         error = ("the answer is %d bytes, longer than the answer limit (%d bytes)"):format(#text, cap) })
  end
  return text
end
local function answer(t, cap) return limited(json.encode(t), cap) end

-- The machine mode: one chunk, one JSON object {ok, value (the first result; values when there are
-- several), or error, and output (what it printed)}. An incomplete chunk is an error here
-- (incomplete = true): each line is a whole chunk.
function M.eval_json(env, chunk, cap)
  local fn, err, incomplete = compile(chunk, env)
  if not fn then
    return answer({ ok = false, error = err, incomplete = incomplete or nil, output = "" }, cap), false
  end
  local printed, ok, text = run(env, fn, function(res)
    local n = res.n - 1
    local opts = { real = see_through, hidden = HIDDEN }
    local fields = { '"ok":true', '"n":' .. n, '"value":' .. json.encode(res[2], opts) }
    if n > 1 then
      local all = {}
      for i = 2, res.n do all[#all + 1] = json.encode(res[i], opts) end
      fields[#fields + 1] = '"values":[' .. table.concat(all, ",") .. "]"
    end
    return table.concat(fields, ",")
  end)
  local r = run_reload()
  if not ok then return answer({ ok = false, error = text, output = printed, reload = r }, cap), false end
  if r then text = text .. ',"reload":' .. json.encode(r) end
  return limited("{" .. text .. ',"output":' .. json.string(printed) .. "}", cap), false
end

-- Tab completion: the completions of `word` in this client's environment, one per line (or, in the
-- machine mode, {"ok":true,"completions":[...]}). Bounded like a chunk: a huge table is cut.
local function completions(env, word)
  local ok, list = budget.run(function() return completion.complete(env, word, real_only) end, M.complete_limits)
  if ok == nil or ok == false or type(list) ~= "table" then list = {} end
  return list
end
function M.complete(env, word) return table.concat(completions(env, word), "\n"), false end
function M.complete_json(env, word)
  local list = completions(env, word)
  for i = 1, #list do list[i] = json.string(list[i]) end
  return '{"ok":true,"completions":[' .. table.concat(list, ",") .. "]}", false -- [] when empty, not {}
end

M.complete_limits = { instructions = 2000000, seconds = 0.05, memory = 16 * 1024 * 1024, heap = 1024 * 1024 * 1024 }

return M
