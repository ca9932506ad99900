-- th/store.lua — th.store: a strategy's persistent key-value state, written through the journal.
--
-- Values are strings, numbers (finite), booleans and tables of those (nested, string or number
-- keys, no cycles, no shared subtables). A value is serialized here and handed to the host, which
-- keeps it, journals it with the turn's other records (durable at the end of the loop turn, like
-- an order intent), carries it into each new journal, and gives it back after a restart before
-- on_start runs. Reads decode a fresh copy: changing a table you got does not change the store
-- until you set it again. The format (one letter a type) is private to this file:
--   T / F   booleans     n<%.17g>;   numbers     s<len>:<bytes>   strings     { k v k v ... }  tables
local ffi = require("ffi")
local base = require("th.ffi")
local C = base.C

local M = {}
M.MAX_DEPTH = 32

local name_cell = ffi.new("const char *[1]")
local val_cell = ffi.new("const char *[1]")
local len_cell = ffi.new("int32_t[1]")
local sinfo = ffi.new("th_strategy_info")
local shadow = require("th.shadow")

-- Whose store: the strategy whose code runs now; from the REPL (no strategy code running), the
-- host's only strategy.
local function owner(api)
  if C.th_strategy_running(name_cell, base.err) == 0 then return shadow.store_owner(ffi.string(name_cell[0])) end
  if C.th_strategy_info_get(0, sinfo, base.err) == 0 and C.th_strategy_info_get(1, sinfo, base.err) ~= 0 then
    C.th_strategy_info_get(0, sinfo, base.err)
    return ffi.string(sinfo.name)
  end
  error(api .. ": no strategy callback is running and the host has no single strategy to choose", 3)
end

local function encode(v, out, seen, depth, api, path)
  local t = type(v)
  if t == "boolean" then out[#out + 1] = v and "T" or "F"
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      error(("%s: %s is %s: only finite numbers are stored"):format(api, path, tostring(v)), 4 + depth)
    end
    out[#out + 1] = ("n%.17g;"):format(v)
  elseif t == "string" then out[#out + 1] = "s" .. #v .. ":" .. v
  elseif t == "table" then
    if seen[v] then error(("%s: %s appears twice (cycles and shared tables are not stored)"):format(api, path), 4 + depth) end
    if depth >= M.MAX_DEPTH then error(("%s: %s is nested deeper than %d tables"):format(api, path, M.MAX_DEPTH), 4 + depth) end
    seen[v] = true
    local keys = {}
    for k in pairs(v) do
      local kt = type(k)
      if kt ~= "string" and kt ~= "number" then
        error(("%s: %s has a %s key: keys are strings or numbers"):format(api, path, kt), 4 + depth)
      end
      keys[#keys + 1] = k
    end
    -- sorted (numbers before strings) so that equal tables serialize alike
    table.sort(keys, function(a, b)
      local ta, tb = type(a), type(b)
      if ta ~= tb then return ta == "number" end
      return a < b
    end)
    out[#out + 1] = "{"
    for _, k in ipairs(keys) do
      encode(k, out, seen, depth + 1, api, path)
      encode(v[k], out, seen, depth + 1, api, path .. "." .. tostring(k))
    end
    out[#out + 1] = "}"
    seen[v] = nil
  else
    error(("%s: %s is a %s: th.store keeps strings, numbers, booleans and tables of them"):format(api, path, t), 4 + depth)
  end
end

function M.encode(v, api, key)
  local out = {}
  encode(v, out, {}, 0, api or "th.store.set", key and ("value of " .. key) or "value")
  return table.concat(out)
end

local function decode(s, i, depth)
  local c = s:sub(i, i)
  if c == "T" then return true, i + 1
  elseif c == "F" then return false, i + 1
  elseif c == "n" then
    local j = s:find(";", i, true)
    return tonumber(s:sub(i + 1, j - 1)), j + 1
  elseif c == "s" then
    local j = s:find(":", i, true)
    local n = tonumber(s:sub(i + 1, j - 1))
    return s:sub(j + 1, j + n), j + n + 1
  elseif c == "{" then
    local t = {}
    i = i + 1
    while s:sub(i, i) ~= "}" do
      local k, v
      k, i = decode(s, i, depth + 1)
      v, i = decode(s, i, depth + 1)
      t[k] = v
    end
    return t, i + 1
  end
  error("th.store: a stored value does not decode at byte " .. i)
end

function M.decode(s)
  local v, i = decode(s, 1, 0)
  if i ~= #s + 1 then error("th.store: a stored value has trailing bytes") end
  return v
end

local function check_key(key, api)
  if type(key) ~= "string" then error(api .. ": key must be a string, got " .. type(key), 3) end
end

-- set(key, value): value nil deletes. Raises on a value the store cannot keep or a bound exceeded
-- (the message names the key and the limit); true once the host has it (durable at the turn's end).
function M.set(key, value)
  check_key(key, "th.store.set")
  local who = owner("th.store.set")
  if value == nil then
    if shadow.role() == 2 then shadow.store_overlay()[key] = false return true end
    if C.th_store_delete(who, key, base.err) ~= 0 then error("th.store.set(" .. key .. ", nil): " .. base.errstr(), 2) end
    return true
  end
  local bytes = M.encode(value, "th.store.set", key)
  if shadow.role() == 2 then shadow.store_overlay()[key] = bytes return true end -- never journalled
  if C.th_store_set(who, key, bytes, #bytes, base.err) ~= 0 then
    error(("th.store.set(%s): %s (%d bytes serialized)"):format(key, base.errstr(), #bytes), 2)
  end
  return true
end

function M.get(key)
  check_key(key, "th.store.get")
  local who = owner("th.store.get")
  if shadow.role() == 2 then
    local v = shadow.store_overlay()[key]
    if v == false then return nil end
    if v ~= nil then return M.decode(v) end
  end
  if C.th_store_get(who, key, val_cell, len_cell, base.err) ~= 0 then error("th.store.get(" .. key .. "): " .. base.errstr(), 2) end
  if len_cell[0] < 0 then return nil end
  return M.decode(ffi.string(val_cell[0], len_cell[0]))
end

function M.delete(key) return M.set(key, nil) end

-- The keys, in the order first written; and the bytes used against the 256 KiB limit.
function M.keys()
  local who = owner("th.store.keys")
  local out = {}
  while C.th_store_key_at(who, #out, val_cell, base.err) == 0 do out[#out + 1] = ffi.string(val_cell[0]) end
  if shadow.role() == 2 then -- the live strategy's keys as the shadow changed them
    local overlay, kept, seen = shadow.store_overlay(), {}, {}
    for _, k in ipairs(out) do
      if overlay[k] ~= false then kept[#kept + 1] = k end
      seen[k] = true
    end
    for k, v in pairs(overlay) do if v and not seen[k] then kept[#kept + 1] = k end end
    out = kept
  end
  return out
end

function M.usage()
  local who = owner("th.store.usage")
  local bytes, n = 0, 0
  for _, k in ipairs(M.keys()) do
    local overlay = shadow.role() == 2 and shadow.store_overlay()[k]
    if overlay then bytes = bytes + #k + #overlay
    else
      C.th_store_get(who, k, val_cell, len_cell, base.err)
      bytes = bytes + #k + math.max(len_cell[0], 0)
    end
    n = n + 1
  end
  return { keys = n, bytes = bytes, limit = 256 * 1024 }
end

return M
