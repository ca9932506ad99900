-- th/schema.lua — validates a Lua table against a declarative schema, naming the exact key path.
--
-- A schema node: { type = "string"|"number"|"integer"|"boolean"|"table"|"array"|"any",
--   required = bool, enum = {...}, min = n, max = n, fields = { name = node } (tables; unknown
--   keys are errors unless open = true), items = node (arrays), check = function(v) -> ok, msg,
--   default = value }.
-- Errors read like `pairs[3].spread_bps: expected number, got string`. validate() fills defaults in
-- place so the host reads one normalised table.
local M = {}

local function type_of(v)
  local t = type(v)
  if t == "number" and v == math.floor(v) then return "integer", t end
  return t, t
end

local function is_array(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k ~= math.floor(k) then return false end
    n = n + 1
  end
  return n == #t
end

local function join(path, key)
  if type(key) == "number" then return ("%s[%d]"):format(path, key) end
  if path == "" then return tostring(key) end
  return path .. "." .. tostring(key)
end

local function copy_default(d)
  if type(d) ~= "table" then return d end
  local c = {}
  for k, x in pairs(d) do c[k] = copy_default(x) end
  return c
end

local function check_node(node, v, path)
  local want = node.type or "any"
  local got, raw = type_of(v)
  if want ~= "any" then
    local ok = (want == raw) or (want == "integer" and got == "integer") or (want == "array" and raw == "table")
    if not ok then
      return ("%s: expected %s, got %s"):format(path, want, raw)
    end
  end
  if node.enum then
    local found = false
    for _, e in ipairs(node.enum) do if e == v then found = true break end end
    if not found then
      local names = {}
      for i, e in ipairs(node.enum) do names[i] = tostring(e) end
      return ("%s: %s is not one of %s"):format(path, tostring(v), table.concat(names, ", "))
    end
  end
  if raw == "number" then
    if v ~= v then return path .. ": NaN is not a valid value" end
    if node.min and v < node.min then return ("%s: %s is below the minimum %s"):format(path, v, node.min) end
    if node.max and v > node.max then return ("%s: %s is above the maximum %s"):format(path, v, node.max) end
  end
  if want == "array" then
    if not is_array(v) then return path .. ": expected a list (array), got a table with non-index keys" end
    if node.min_items and #v < node.min_items then
      return ("%s: needs at least %d item(s), got %d"):format(path, node.min_items, #v)
    end
    if node.items then
      for i = 1, #v do
        local err = check_node(node.items, v[i], join(path, i))
        if err then return err end
      end
    end
  elseif want == "table" and node.fields then
    -- unknown keys first, sorted, so the message is deterministic
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      if not node.fields[k] and not node.open then
        local hint = node.unknown_hint and (" (" .. node.unknown_hint .. ")") or ""
        return ("%s: unknown key%s"):format(join(path, k), hint)
      end
    end
    local names = {}
    for k in pairs(node.fields) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do
      local sub = node.fields[k]
      if v[k] == nil then
        if sub.required then return join(path, k) .. ": required value is missing" end
        -- a table default is copied: the config is changed later (th/config.lua instances), and a
        -- shared default would carry one load's changes into the next (a reload's)
        if sub.default ~= nil then v[k] = copy_default(sub.default) end
      end
      if v[k] ~= nil then
        local err = check_node(sub, v[k], join(path, k))
        if err then return err end
      end
    end
  end
  if node.check then
    local ok, msg = node.check(v)
    if not ok then return path .. ": " .. msg end
  end
  return nil
end

-- Returns true, or nil and "path: message".
function M.validate(schema, value, root_name)
  local err = check_node(schema, value, root_name or "")
  if err then return nil, err end
  return true
end

return M
