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
local budget = require("th.budget")

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

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
  return "[" .. M.show(k, 0) .. "]"
end

-- A readable, bounded rendering of a value: tables to depth 2, at most 40 entries each, keys sorted.
function M.show(v, depth)
  depth = depth or 2
  local t = type(v)
  if t == "string" then return ("%q"):format(v) end
  if t ~= "table" then return tostring(v) end
  local hide = kind_of[v] == "data"
  v = real_of[v] or v
  if depth <= 0 then return "{...}" end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  local parts, n = {}, #v
  for i, k in ipairs(keys) do
    if i > 40 then parts[#parts + 1] = ("... (%d more)"):format(#keys - 40); break end
    local x = v[k]
    if hide and type(x) == "function" then x = HIDDEN end
    if type(k) == "number" and k >= 1 and k <= n and k % 1 == 0 then
      parts[#parts + 1] = M.show(x, depth - 1)
    else
      parts[#parts + 1] = key_text(k) .. " = " .. M.show(x, depth - 1)
    end
  end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

-- A full client's environment: globals readable, its own assignments kept between chunks.
local function full_env(state, ctx)
  return setmetatable({ state = state, ctx = ctx, th = require("th") }, { __index = _G })
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
    risk = { status = th.risk.status },
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

local function readonly_env(state, ctx)
  local env = {
    assert = assert, error = error, ipairs = ro_ipairs, next = ro_next, pairs = ro_pairs, pcall = pcall,
    xpcall = xpcall, select = select, tonumber = tonumber, tostring = tostring, type = type, unpack = unpack,
    rawequal = rawequal, rawget = rawget, setmetatable = setmetatable, _VERSION = _VERSION,
    -- # does not see through a proxy (5.1): len() does.
    len = function(t) return #(real_of[t] or t) end,
    -- metatables of strings and of host objects are shared with the strategy: not handed out.
    getmetatable = function(v) if type(v) ~= "table" then return nil end return getmetatable(v) end,
    string = proxy(string, "object"), table = proxy(table, "object"), math = proxy(math, "object"),
    coroutine = proxy(coroutine, "object"), bit = proxy(bit, "object"),
    th = readonly_th(),
    state = state ~= nil and proxy(state, "data") or nil,
    ctx = ctx ~= nil and proxy(ctx, "data") or nil,
  }
  -- Text only (a bytecode string could do anything), and always into this sandbox.
  env.load = function(chunk, name, _, e)
    if type(chunk) == "string" and chunk:byte(1) == 27 then return nil, "read-only REPL: bytecode is refused" end
    return load(chunk, name, "t", e or env)
  end
  env.loadstring = function(s, name) return env.load(s, name) end
  env._G = env
  return env
end

function M.env(state, ctx, readonly)
  if readonly then return readonly_env(state, ctx) end
  return full_env(state, ctx)
end

local function compile(chunk, env)
  local fn = load("return " .. chunk, "=repl", "t", env)
  if fn then return fn end
  local err
  fn, err = load(chunk, "=repl", "t", env)
  if fn then return fn end
  if err:match("'<eof>'$") then return nil, err, true end -- as lua.c: cut off mid-statement
  return nil, err
end

local function pack(...) return { n = select("#", ...), ... } end

-- Returns text (print output, then the results or the error) and whether the chunk is incomplete.
function M.eval(env, chunk)
  local fn, err, incomplete = compile(chunk, env)
  if not fn then
    if incomplete then return "", true end
    return "error: " .. err .. "\n", false
  end
  local out = {}
  rawset(env, "print", function(...)
    local n = select("#", ...)
    local p = {}
    for i = 1, n do p[i] = tostring((select(i, ...))) end
    out[#out + 1] = table.concat(p, "\t") .. "\n"
  end)
  -- Runs the chunk and renders what it gave, all under the budget.
  local function body()
    local res = pack(pcall(fn))
    if not res[1] then return "error: " .. tostring(res[2]) .. "\n" end
    local shown = {}
    for i = 2, res.n do shown[#shown + 1] = M.show(res[i]) end
    if #shown > 0 then return table.concat(shown, "\t") .. "\n" end
    return ""
  end
  local ok, text = budget.run(body, M.limits)
  if ok == nil or ok == false then text = "error: " .. text .. "\n" end
  if type(text) ~= "string" then text = "" end
  -- print only ever stores strings; anything else (a chunk that reached into `out`) is skipped.
  local parts = {}
  for i = 1, #out do if type(out[i]) == "string" then parts[#parts + 1] = out[i] end end
  parts[#parts + 1] = text
  return table.concat(parts), false
end

return M
