-- th/repl_show.lua — how the REPL shows a value to a person (th/repl.lua; the machine mode's JSON
-- is th/repl_json.lua).
--
--   * Nested tables are pretty-printed: a table whose entries fit on one line (M.defaults.width)
--     stays on one line, a longer one gets one entry per line, indented two spaces a level (a long
--     list of short values: as many a line as fit).
--   * Depth is limited (M.defaults.depth levels below the value; `show(v, depth)` in the REPL
--     asks for more): a deeper table is shown as `{...}`. Each table shows at most
--     M.defaults.entries entries, then `... (N more)`.
--   * A table that contains itself (or an enclosing table) is shown once; the back reference is
--     `<cycle: top.a>`, naming where the enclosing table was shown (`top` is the value itself).
--   * A book view (th.book(symbol)) is shown as its top levels: a ladder of the best
--     M.defaults.levels asks and bids with the spread, its health and its age; inside a table,
--     on one line as `<book SYMBOL health bid QTY@PRICE ask QTY@PRICE>`.
--   * Numbers print as the shortest text that reads back as the same double (BTC at
--     100000.12345678 keeps its eight decimals), integral values without an exponent below 1e21, and in
--     fixed point when up to 12 decimals say it exactly (0.00000123, not 1.23e-06).
--
-- Nothing here calls a metamethod of the value shown: entries are read with next/rawget, and
-- tostring (which runs __tostring) is used only for values that are not tables. Every call runs
-- inside the REPL's budget anyway (th/repl.lua), since a book view's methods call into C.
local book = require("th.book")

local M = {}

M.defaults = { depth = 4, width = 100, entries = 40, levels = 5 }

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or repeat return then
  true until while]]):gmatch("%a+") do KEYWORDS[w] = true end
M.KEYWORDS = KEYWORDS

function M.number(x)
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
  if x == math.floor(x) and x > -1e21 and x < 1e21 then return ("%.0f"):format(x) end
  -- fixed-point when a few decimals say it exactly (a meme coin's 0.00000123, not 1.23e-06)
  if x > -1e15 and x < 1e15 then
    for d = 1, 12 do
      local s = ("%." .. d .. "f"):format(x)
      if tonumber(s) == x then return s end
    end
  end
  for p = 14, 17 do
    local s = ("%." .. p .. "g"):format(x)
    if tonumber(s) == x then return s end
  end
  return ("%.17g"):format(x)
end

local ESC = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ['"'] = '\\"', ["\\"] = "\\\\" }
function M.string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return ESC[c] or ("\\%03d"):format(c:byte()) end) .. '"'
end

local function scalar(v)
  local t = type(v)
  if t == "string" then return M.string(v) end
  if t == "number" then return M.number(v) end
  return tostring(v)
end

local function is_name(k) return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil and not KEYWORDS[k] end

local function key_text(k)
  if is_name(k) then return k end
  return "[" .. scalar(k) .. "]"
end

local function path_of(path, k)
  if is_name(k) then return path .. "." .. k end
  return path .. "[" .. scalar(k) .. "]"
end

-- Keys in a stable order: numbers first (ascending), then strings, then the rest by type.
local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

-- The book: its top levels as plain data (the machine mode uses this too). nil for other values.
function M.book_top(v, levels)
  if not book.is_view(v) then return nil end
  levels = levels or M.defaults.levels
  local health, reason = v:health()
  local age = v:age()
  local top = { symbol = v.symbol, health = health, reason = reason ~= "" and reason or nil,
                age_s = age ~= math.huge and age or nil, bids = v:levels("bid", levels), asks = v:levels("ask", levels) }
  local mid = v:mid()
  if mid then top.mid, top.spread = mid, v:spread() end
  return top
end

local function level_text(l) return l and (M.number(l[2]) .. "@" .. M.number(l[1])) or "-" end

local function book_inline(b)
  return ("<book %s %s bid %s ask %s>"):format(b.symbol, b.health, level_text(b.bids[1]), level_text(b.asks[1]))
end

local function book_ladder(b)
  local pw, qw = 5, 3
  for _, side in ipairs({ b.asks, b.bids }) do
    for _, l in ipairs(side) do pw, qw = math.max(pw, #M.number(l[1])), math.max(qw, #M.number(l[2])) end
  end
  local fmt = "  %s  %" .. pw .. "s  %" .. qw .. "s"
  local lines = { ("book %s: %s%s, %s"):format(b.symbol, b.health, b.reason and (" (" .. b.reason .. ")") or "",
    b.age_s and ("updated %.3f s ago"):format(b.age_s) or "no update yet"), fmt:format("   ", "price", "qty") }
  for i = #b.asks, 1, -1 do lines[#lines + 1] = fmt:format("ask", M.number(b.asks[i][1]), M.number(b.asks[i][2])) end
  if b.mid then
    -- the spread of two doubles (0.6299999999999955) shown to the prices' own decimals
    local dec = 0
    for _, x in ipairs({ b.bids[1][1], b.asks[1][1] }) do
      local frac = M.number(x):match("^%-?%d+%.(%d+)$")
      if frac and #frac > dec then dec = #frac end
    end
    lines[#lines + 1] = ("  ---  spread %." .. dec .. "f, mid %s"):format(b.spread, M.number(b.mid))
  else
    lines[#lines + 1] = "  ---  one side is empty"
  end
  for i = 1, #b.bids do lines[#lines + 1] = fmt:format("bid", M.number(b.bids[i][1]), M.number(b.bids[i][2])) end
  return table.concat(lines, "\n")
end

-- opts: depth, width, entries (M.defaults for what is missing); real(v) -> the table to read and
-- whether its functions are hidden (the read-only REPL's proxies), or nil for a plain value.
function M.show(v, opts)
  opts = opts or {}
  local max_depth = opts.depth or M.defaults.depth
  local width = opts.width or M.defaults.width
  local max_entries = opts.entries or M.defaults.entries
  local real = opts.real or function() return nil end
  local hidden = opts.hidden or "<function: hidden>"
  local open = {} -- tables being shown (ancestors of the current one) -> their path

  local function render(x, depth, path, indent)
    local r, hide = real(x)
    if r ~= nil then x = r end
    if type(x) ~= "table" then return scalar(x) end
    local b = M.book_top(x)
    if b then return depth == 0 and book_ladder(b) or book_inline(b) end
    if open[x] then return "<cycle: " .. open[x] .. ">" end
    if next(x) == nil then return "{}" end
    if depth >= max_depth then return "{...}" end
    open[x] = path
    local keys = {}
    for k in next, x do keys[#keys + 1] = k end
    table.sort(keys, key_order)
    local n = #x
    local parts, multiline, inline_len = {}, false, 4
    for i, k in ipairs(keys) do
      if i > max_entries then parts[#parts + 1] = ("... (%d more)"):format(#keys - max_entries); break end
      local val = rawget(x, k)
      if hide and type(val) == "function" then val = hidden end
      local text = render(val, depth + 1, path_of(path, k), indent .. "  ")
      if not (type(k) == "number" and k >= 1 and k <= n and k % 1 == 0) then text = key_text(k) .. " = " .. text end
      if text:find("\n", 1, true) then multiline = true end
      inline_len = inline_len + #text + 2
      parts[#parts + 1] = text
    end
    open[x] = nil
    if not multiline and #indent + inline_len <= width then return "{ " .. table.concat(parts, ", ") .. " }" end
    local inner = indent .. "  "
    if not multiline and n == #keys then -- a long list of short values: as many a line as fit
      local lines, line = {}, inner
      for i, p in ipairs(parts) do
        local piece = p .. (i < #parts and "," or "")
        if #line > #inner and #line + 1 + #piece > width then lines[#lines + 1] = line; line = inner .. piece
        else line = line .. (#line > #inner and " " or "") .. piece end
      end
      lines[#lines + 1] = line
      return "{\n" .. table.concat(lines, "\n") .. "\n" .. indent .. "}"
    end
    return "{\n" .. inner .. table.concat(parts, ",\n" .. inner) .. "\n" .. indent .. "}"
  end

  return render(v, 0, "top", "")
end

return M
