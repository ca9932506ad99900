-- th/repl_complete.lua — tab completion for the REPL: the names a word being typed can become.
--
-- The client sends the word before the cursor (letters, digits, `_`, `.` and `:`: `th.risk.st`,
-- `state.fi`, `b:mi`, `pri`); the host answers with every completion (host/app/repl.c, request
-- "complete"). A word is resolved in the client's own environment, the way the chunk would see it:
-- `th.risk.st` lists the keys of the table `th.risk` that start with `st`. Resolving never runs
-- code: tables are read with rawget and next, an `__index` is followed only when it is a table
-- (as the environment's fallback to _G, a module's methods, or a string's library), and a read-only
-- REPL's proxies are seen through to the table they guard (a name is not a value; its functions
-- stay uncallable). A word with anything else in its path (a call, an index by expression) gets no
-- completions. Functions complete with a `(`.
local show = require("th.repl_show")

local M = { max = 200 }

local dgetmetatable = debug.getmetatable

-- The tables a lookup in v reads, in order: v itself, then its __index tables (a chain, bounded).
local function sources(v, real)
  local out = {}
  for _ = 1, 8 do
    local r = real(v)
    if r ~= nil then v = r end
    if type(v) == "table" then out[#out + 1] = v end
    local mt = dgetmetatable(v)
    local idx = type(mt) == "table" and rawget(mt, "__index") or nil
    if type(idx) ~= "table" then break end
    v = idx
  end
  return out
end

local function lookup(v, k, real)
  for _, t in ipairs(sources(v, real)) do
    local x = rawget(t, k)
    if x ~= nil then return x end
  end
  return nil
end

-- word -> list of completions (full words, sorted). env: the client's environment; real(v) -> the
-- table behind a read-only proxy, or nil.
function M.complete(env, word, real)
  real = real or function() return nil end
  if type(word) ~= "string" or not word:match("^[%w_.:]*$") then return {} end
  local base, sep, partial = word:match("^(.*)([.:])([%w_]*)$")
  local target, keywords
  if base then
    if base == "" or base:find("..", 1, true) or base:find(":", 1, true) or base:sub(-1) == "." then return {} end
    target = env
    for name in base:gmatch("[^.]+") do
      if not name:match("^[%a_][%w_]*$") then return {} end
      target = lookup(target, name, real)
      if target == nil then return {} end
    end
  else
    partial, sep, target, keywords = word, "", env, true
    if not partial:match("^[%a_]?[%w_]*$") then return {} end
    base = ""
  end
  local seen, out = {}, {}
  local function add(name, v)
    if seen[name] or #out >= M.max then return end
    seen[name] = true
    out[#out + 1] = base .. sep .. name .. (type(v) == "function" and "(" or "")
  end
  for _, t in ipairs(sources(target, real)) do
    for k in next, t do
      if type(k) == "string" and k:sub(1, #partial) == partial and k:match("^[%a_][%w_]*$") and not show.KEYWORDS[k] then
        local v = rawget(t, k)
        if sep ~= ":" or type(v) == "function" then add(k, v) end
      end
    end
  end
  if keywords then
    for k in pairs(show.KEYWORDS) do if k:sub(1, #partial) == partial then add(k, nil) end end
  end
  table.sort(out)
  return out
end

return M
