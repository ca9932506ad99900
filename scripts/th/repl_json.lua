-- th/repl_json.lua — Lua values as JSON for the REPL's machine mode (`tradehost repl --json`,
-- docs/ops.md "Machine mode"). One answer is one JSON object on one line.
--
-- Mapping: nil -> null; booleans; finite numbers as the shortest text that reads back as the same
-- double (th/repl_show.lua), nan and +-inf as the strings "nan", "inf", "-inf" (JSON has no such
-- numbers); int64/uint64 cdata as numbers; strings as JSON strings (control bytes escaped; bytes
-- that are not UTF-8 become U+FFFD, so the line is always valid JSON); a table whose keys are
-- exactly 1..n as an array, any other table as an object (non-string keys as their text); a book
-- view as its top levels (symbol, health, bids, asks, mid, spread); functions, userdata and other
-- cdata as "<function>" etc. Tables nested deeper than M.depth are "{...}", a table inside itself
-- "<cycle>", and the read-only REPL's hidden functions keep their marker text.
local show = require("th.repl_show")

local M = { depth = 16 }

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ["\b"] = "\\b",
              ["\f"] = "\\f" }

-- Valid UTF-8 sequences kept; any other byte >= 0x80 becomes U+FFFD.
local function utf8_clean(s)
  if not s:find("[\128-\255]") then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local c = s:byte(i)
    local len = c < 0x80 and 1 or (c >= 0xC2 and c <= 0xDF) and 2 or (c >= 0xE0 and c <= 0xEF) and 3
      or (c >= 0xF0 and c <= 0xF4) and 4 or 0
    local ok = len > 0 and i + len - 1 <= n
    for j = i + 1, ok and i + len - 1 or i do
      local b = s:byte(j)
      if b < 0x80 or b > 0xBF then ok = false end
    end
    if ok and len == 3 then -- no overlongs, no surrogates
      local b = s:byte(i + 1)
      if (c == 0xE0 and b < 0xA0) or (c == 0xED and b > 0x9F) then ok = false end
    elseif ok and len == 4 then
      local b = s:byte(i + 1)
      if (c == 0xF0 and b < 0x90) or (c == 0xF4 and b > 0x8F) then ok = false end
    end
    if ok then out[#out + 1] = s:sub(i, i + len - 1); i = i + len
    else out[#out + 1] = "\239\191\189"; i = i + 1 end
  end
  return table.concat(out)
end

function M.string(s)
  return '"' .. utf8_clean(s):gsub('[%c"\\]', function(c) return ESC[c] or ("\\u%04x"):format(c:byte()) end) .. '"'
end

local function is_array(t)
  local n = #t
  local count = 0
  for k in next, t do
    if type(k) ~= "number" or k < 1 or k > n or k % 1 ~= 0 then return false end
    count = count + 1
  end
  return count == n
end

-- opts.real as in th/repl_show.lua (the read-only REPL's proxies), opts.hidden its marker.
function M.encode(v, opts)
  opts = opts or {}
  local real = opts.real or function() return nil end
  local hidden = opts.hidden or "<function>"
  local open = {}
  local out = {}
  local function put(s) out[#out + 1] = s end
  local function enc(x, depth)
    local r, hide = real(x)
    if r ~= nil then x = r end
    local t = type(x)
    if t == "nil" then return put("null") end
    if t == "boolean" then return put(x and "true" or "false") end
    if t == "number" then
      if x ~= x or x == math.huge or x == -math.huge then return put(M.string(show.number(x))) end
      return put(show.number(x))
    end
    if t == "string" then return put(M.string(x)) end
    if t == "cdata" then
      local s = tostring(x)
      local digits = s:match("^(%-?%d+)U?LL$")
      if digits then return put(digits) end
      return put(M.string("<" .. s .. ">"))
    end
    if t ~= "table" then return put(M.string("<" .. t .. ">")) end
    local b = show.book_top(x)
    if b then x = b end
    if open[x] then return put('"<cycle>"') end
    if depth >= M.depth then return put('"{...}"') end
    open[x] = true
    if next(x) == nil then
      put("{}")
    elseif is_array(x) then
      put("[")
      for i = 1, #x do
        if i > 1 then put(",") end
        local val = rawget(x, i)
        if hide and type(val) == "function" then val = hidden end
        enc(val, depth + 1)
      end
      put("]")
    else
      local keys = {}
      for k in next, x do keys[#keys + 1] = k end
      table.sort(keys, function(a, c)
        local ta, tc = type(a), type(c)
        if ta ~= tc then return ta < tc end
        if ta == "number" or ta == "string" then return a < c end
        return tostring(a) < tostring(c)
      end)
      put("{")
      for i, k in ipairs(keys) do
        if i > 1 then put(",") end
        put(M.string(type(k) == "string" and k or type(k) == "number" and show.number(k) or tostring(k)))
        put(":")
        local val = rawget(x, k)
        if hide and type(val) == "function" then val = hidden end
        enc(val, depth + 1)
      end
      put("}")
    end
    open[x] = nil
  end
  enc(v, 0)
  return table.concat(out)
end

return M
