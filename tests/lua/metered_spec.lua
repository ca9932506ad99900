-- metered_spec.lua — the metered stand-ins of budgeted runs (host/lua/lua_metered.c over the
-- pattern engine host/lua/lua_pattern.c) against LuaJIT's own string.find/match/gmatch/gsub and
-- table.sort: the same results and the same error messages on thousands of random patterns and
-- subjects (a fixed seed, then a seed from the clock, printed when a case differs), and runaway
-- matches and sorts stopped inside a budgeted run.
local lib = assert(os.getenv("TH_METERED_LIB"), "TH_METERED_LIB: path of th_metered_spec.so (ctest sets it)")
local M = assert(package.loadlib(lib, "luaopen_th_metered_spec"))()
local F = M.functions
local NATIVE = { find = string.find, match = string.match, gmatch = string.gmatch, gsub = string.gsub }
local METERED = { find = F["string.find"], match = F["string.match"], gmatch = F["string.gmatch"],
                  gsub = F["string.gsub"] }

local function pack(...) return { n = select("#", ...), ... } end

-- Both kinds are called from this one line, so an error's "file:line:" prefix is the same.
local function call(f, ...) local r = pack(f(...)) return r end

local function show(v)
  if type(v) == "string" then return ("%q"):format(v) end
  if type(v) == "table" and v.n then
    local t = {}
    for i = 1, v.n do t[i] = show(v[i]) end
    return "(" .. table.concat(t, ", ") .. ")"
  end
  return tostring(v)
end

-- gmatch: every step's results, at most 60 steps.
local function iterate(gmatch, s, p)
  local it = gmatch(s, p)
  local steps = {}
  for i = 1, 60 do
    local r = pack(it())
    steps[i] = r
    if r[1] == nil then break end
  end
  return steps
end

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b or (a ~= a and b ~= b) end
  if (a.n or #a) ~= (b.n or #b) then return false end
  for i = 1, a.n or #a do if not same(a[i], b[i]) then return false end end
  return true
end

-- One call through both: status, results or error message.
local function both(name, ...)
  local n = pack(pcall(call, NATIVE[name], ...))
  local m = pack(pcall(call, METERED[name], ...))
  return n, m
end

local function outcome(name, ...)
  if name == "gmatch" then
    local s, p = ...
    return pack(pcall(iterate, NATIVE.gmatch, s, p)), pack(pcall(iterate, METERED.gmatch, s, p))
  end
  return both(name, ...)
end

local function flatten(r)
  if r[1] and type(r[2]) == "table" and r[2].n then return { true, r[2] } end
  if r[1] and type(r[2]) == "table" then -- gmatch steps
    local t = { n = #r[2] }
    for i, step in ipairs(r[2]) do t[i] = step end
    return { true, t }
  end
  return r
end

-- Compares one call; returns nil or a description of the difference.
local function differs(name, ...)
  local n, m = outcome(name, ...)
  n, m = flatten(n), flatten(m)
  if same(n[1], m[1]) and same(n[2], m[2]) then return nil end
  local args = pack(...)
  return ("%s%s\n  LuaJIT:  %s\n  metered: %s"):format(name, show(args), show(n[2]), show(m[2]))
end

-- Random patterns and subjects -----------------------------------------------------------------

local CLASSES = { "%a", "%d", "%s", "%w", "%p", "%l", "%u", "%c", "%x", "%z", "%g", "%A", "%D", "%S", "%W",
                  "%P", "%L", "%U", "%C", "%X", "%Z", "%G", "%%", "%.", "%]", "%-", "%(", "%q", "%B", "%F" }
local LITERALS = { "a", "b", "c", "a", "b", "1", " ", "x", "A", "(", ")", "-", "]", "^", "$", "*", "?", ".", "\0" }
local QUANT = { "*", "+", "-", "?" }
local SET_PARTS = { "a", "b", "a-c", "0-9", "%d", "%a", "%s", "%w", "%z", "%]", "%%", "-", "]", "^", "x-z", "c-a", "%",
                    "(", "\0", "%x" }

local function pick(t) return t[math.random(#t)] end

local function random_set()
  local parts = { "[" }
  if math.random() < 0.3 then parts[#parts + 1] = "^" end
  for _ = 1, math.random(0, 3) do parts[#parts + 1] = pick(SET_PARTS) end
  if math.random() < 0.93 then parts[#parts + 1] = "]" end
  return table.concat(parts)
end

local function random_single()
  local r = math.random()
  if r < 0.35 then return pick(LITERALS) end
  if r < 0.5 then return "." end
  if r < 0.75 then return pick(CLASSES) end
  return random_set()
end

local function random_pattern()
  local parts = {}
  if math.random() < 0.2 then parts[1] = "^" end
  local quantified, open = 0, 0
  for _ = 1, math.random(0, 6) do
    local r = math.random()
    if r < 0.55 then
      local item = random_single()
      if quantified < 3 and math.random() < 0.4 then
        item = item .. pick(QUANT)
        quantified = quantified + 1
      end
      parts[#parts + 1] = item
    elseif r < 0.65 then
      parts[#parts + 1] = "("
      open = open + 1
    elseif r < 0.75 then
      if open > 0 or math.random() < 0.2 then parts[#parts + 1] = ")" open = open - 1 end
    elseif r < 0.8 then
      parts[#parts + 1] = "()"
    elseif r < 0.85 then
      parts[#parts + 1] = pick({ "%b()", "%bab", "%b", "%ba", "%b((" })
    elseif r < 0.9 then
      parts[#parts + 1] = pick({ "%f[%w]", "%f[^%s]", "%f[%z]", "%f[^%z]", "%f[a-c]", "%f", "%fa", "%f[a" })
    elseif r < 0.96 then
      parts[#parts + 1] = "%" .. math.random(0, 4)
    else
      parts[#parts + 1] = pick({ "%", "$", "^", "[", "[]", "[^]" })
    end
  end
  while open > 0 and math.random() < 0.8 do parts[#parts + 1] = ")" open = open - 1 end
  if math.random() < 0.15 then parts[#parts + 1] = "$" end
  return table.concat(parts)
end

local SUBJECT_BYTES = { "a", "b", "c", "a", "b", "1", "2", " ", "\t", "(", ")", "x", "A", "B", ".", "%", "-", "]",
                        "\0", "\200", "\n", "_", "!" }

local function random_subject()
  local t = {}
  for i = 1, math.random(0, 12) do t[i] = pick(SUBJECT_BYTES) end
  return table.concat(t)
end

local INITS = { 1, 1, 1, 0, -1, -3, 2, 5, 30, -30, 1.5, 2.9, -1.5, "2", 2 ^ 53, -1 / 0 }
local REPLS = { "x", "%0", "%1", "%2", "<%1|%0>", "%%", "%", "a%", "%a", "", 7,
                { a = "A", b = false, ["1"] = 1.5, [""] = "E", ["()"] = {} },
                function(c, d) if c == "a" then return nil end if c == "b" then return false end return (c or "") .. "!" .. tostring(d) end }
local COUNTS = { nil, nil, 0, 1, 2, -1, 1.5, "1" }

local function run_cases(count, seed)
  math.randomseed(seed)
  local failures = {}
  for _ = 1, count do
    local p, s = random_pattern(), random_subject()
    local init = math.random() < 0.3 and pick(INITS) or nil
    local cases = {
      { "find", s, p, init },
      { "find", s, p, init, math.random() < 0.5 },
      { "match", s, p, init },
      { "gmatch", s, p },
      { "gsub", s, p, pick(REPLS), COUNTS[math.random(#COUNTS)] },
    }
    for _, c in ipairs(cases) do
      local d = differs(unpack(c, 1, 5))
      if d then failures[#failures + 1] = d end
      if #failures >= 10 then break end
    end
    if #failures >= 10 then break end
  end
  return failures
end

-- Edge cases found while writing the engine, each with LuaJIT's answer checked by comparison.
local FIXED = {
  { "find", "a", "%" }, { "find", "b", "a%" }, { "find", "a", "a%" }, { "find", "a", "[a" }, { "find", "a", "[]" },
  { "find", "]", "[]]" }, { "find", "a", "[^]" }, { "find", "%", "[%]" }, { "find", "a", "%f" }, { "find", "a", "%fa" },
  { "find", "a", "(" }, { "find", "a", ")" }, { "find", "a", "%1" }, { "find", "a", "(a)%2" }, { "find", "a", "(a%1)" },
  { "find", "a", "%b" }, { "find", "a", "%ba" }, { "find", "a", "(a)%0" }, { "find", "a", "()%1" },
  { "find", "aa", "(a)%1" }, { "find", "xa\0(", "a\0(" }, { "find", "xa\0(", "a\0" }, { "match", "xa\0(", "a\0" },
  { "find", "a)", "a)" }, { "match", "a)", "a)" }, { "find", "a\0b", "[b\0]" }, { "find", "a\0b", "%z" },
  { "find", "a\0b", ".-\0" }, { "find", "b", "[a-%%]" }, { "find", "]", "[a-%%]" }, { "find", "%", "[!-%%]" },
  { "find", "aaa", "^(a-)a$" }, { "find", "b^a", "b^a" }, { "find", "a$b", "a$b" }, { "find", "ab", "^b", 2 },
  { "find", "abc", "", 10 }, { "find", "abc", "b", 0 }, { "find", "hello", "l", 2 ^ 53 }, { "find", "hello", "l", 0 / 0 },
  { "find", "hello", "h", 1.9 }, { "find", nil, "a" }, { "find", "a", nil }, { "find", "a", "a", "x" }, { "find", 123, 2 },
  { "find", ("a"):rep(300), ("a?"):rep(199) }, { "find", ("a"):rep(300), ("a?"):rep(200) },
  { "find", "aaaab", ("a?"):rep(200) .. "b" }, { "find", "", ("a*"):rep(199) }, { "find", "", ("a*"):rep(200) },
  { "find", "", ("()"):rep(32) .. ("a*"):rep(167) }, { "find", "", ("()"):rep(32) .. ("a*"):rep(168) },
  { "find", "", ("(a*)"):rep(32) }, { "find", "", ("a-"):rep(200) }, { "find", "a", "a?" .. ("b?"):rep(200) },
  { "find", "aaa", "a+" .. ("b*"):rep(198) }, { "find", "aaa", "a+" .. ("b*"):rep(199) },
  { "find", ("a"):rep(300), ("(a)"):rep(33) }, { "find", "a", ("%b()"):rep(300) }, { "find", "x", "%f[%z]" },
  { "find", "", "%f[^%z]" }, { "find", "(a(b)c", "%b()" }, { "find", "((", "%b((" }, { "find", "aa*", "(a)%1*" },
  { "match", "hello", "(h)(e)(l)(l)(o)()" }, { "match", "  x", "^%s*()" }, { "match", "THE (quick) fox", "%f[%a]%a+" },
  { "match", "abc", "()", 5 }, { "gmatch", "^a^a", "^a" }, { "gmatch", "abc", "b*" }, { "gmatch", "abc", "()(.)" },
  { "gmatch", "a" }, { "gsub", "abc", "b", "%" }, { "gsub", "abc", "b", "x%" }, { "gsub", "abc", "b", "%1" },
  { "gsub", "abc", "b", "%2" }, { "gsub", "abc", "(b)", "%0%1" }, { "gsub", "abc", "b", { b = true } },
  { "gsub", "abc", "b", true }, { "gsub", "abc", "b" }, { "gsub", "abc", "()", "%1" }, { "gsub", "abc", "", "-" },
  { "gsub", "abc", "b*", "-", 2.7 }, { "gsub", "hello", "(l", "x" }, { "gsub", "hello", "(l", "%1" },
  { "gsub", "hello", "(l", {} }, { "gsub", "hello", "l", "x", {} }, { "gsub", "hello", "l", "x", -1 / 0 },
  { "gsub", "hello", "l", "x", 1 / 0 }, { "gsub", "hello world", "^h", "H" }, { "gsub", "a", "a", true, {} },
  { "gsub", "abc", ".", setmetatable({}, { __index = function(_, k) return k:upper() end }) },
  { "gsub", "abc", "%w", function() error("from the replacement") end },
  { "gsub", "abc", "%w", function() error({}) end },
}

describe("metered string functions", function()
  it("give LuaJIT's results and errors on the edge cases", function()
    local failures = {}
    for _, c in ipairs(FIXED) do
      local d = differs(unpack(c, 1, 5))
      if d then failures[#failures + 1] = d end
    end
    assert(#failures == 0, table.concat(failures, "\n"))
  end)

  it("give LuaJIT's results and errors on random patterns (fixed seed)", function()
    local failures = run_cases(4000, 20261127)
    assert(#failures == 0, "seed 20261127:\n" .. table.concat(failures, "\n"))
  end)

  it("give LuaJIT's results and errors on random patterns (seed from the clock)", function()
    local seed = os.time()
    local failures = run_cases(2000, seed)
    assert(#failures == 0, ("seed %d (run_cases(2000, %d) repeats it):\n"):format(seed, seed) .. table.concat(failures, "\n"))
  end)

  it("compare bytes above 127, classes and long subjects as LuaJIT does", function()
    local all = {}
    for i = 0, 255 do all[#all + 1] = string.char(i) end
    all = table.concat(all)
    local failures = {}
    for _, cl in ipairs(CLASSES) do
      for _, name in ipairs({ "gsub" }) do
        local d = differs(name, all, cl, "<%0>")
        if d then failures[#failures + 1] = d end
        d = differs(name, all, "[" .. cl .. "]+", "<%0>")
        if d then failures[#failures + 1] = d end
      end
    end
    local long = ("abc def (ghi) 123\0"):rep(2000)
    for _, p in ipairs({ "%w+", "%b()", "%f[%w]%w+", "(%w+) (%w+)", "[^%s]+$", "d.-f", "%s*$", "1-2" }) do
      local d = differs("gsub", long, p, "[%0]")
      if d then failures[#failures + 1] = d:sub(1, 300) end
    end
    assert(#failures == 0, table.concat(failures, "\n"))
  end)
end)

describe("metered table.sort", function()
  local metered_sort = F["table.sort"]

  local function sorted(t, less)
    less = less or function(a, b) return a < b end
    for i = 2, #t do if less(t[i], t[i - 1]) then return false end end
    return true
  end

  local function multiset(t)
    local m = {}
    for _, v in ipairs(t) do m[v] = (m[v] or 0) + 1 end
    return m
  end

  local function same_multiset(a, b)
    local ma, mb = multiset(a), multiset(b)
    for k, v in pairs(ma) do if mb[k] ~= v then return false end end
    for k, v in pairs(mb) do if ma[k] ~= v then return false end end
    return true
  end

  it("sorts as LuaJIT's sort does, with and without a comparator", function()
    math.randomseed(7)
    local comparators = { false, function(a, b) return a > b end, function(a, b) return a % 7 < b % 7 end }
    for round = 1, 300 do
      local n = math.random(0, round < 250 and 40 or 3000)
      local a = {}
      for i = 1, n do a[i] = math.random(1, math.random() < 0.5 and 10 or 1e6) end
      local b, c = { unpack(a) }, { unpack(a) }
      local less = comparators[math.random(#comparators)] or nil
      table.sort(b, less)
      metered_sort(c, less)
      assert(sorted(c, less), "metered sort left the array unsorted (round " .. round .. ")")
      assert(same_multiset(b, c), "metered sort changed the values (round " .. round .. ")")
      assert(same(b, c), "metered sort ordered equal keys unlike LuaJIT's (round " .. round .. ")")
    end
    local words = { "pear", "apple", "fig", "kiwi", "apple", "banana" }
    local w2 = { unpack(words) }
    table.sort(words)
    metered_sort(w2)
    assert.same(words, w2)
  end)

  it("raises what LuaJIT's sort raises", function()
    local cases = {
      { { 1, "x", 3 } }, { nil }, { { 3, 2, 1 }, 3 }, { { 3, 2, 1 }, function() error("from the comparator") end },
      { { 3, 2, 1 }, function() error({}) end },
      { { 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9 }, function() return true end },
      { { {}, {} } },
    }
    for _, c in ipairs(cases) do
      local n = pack(pcall(call, table.sort, c[1] and { unpack(c[1]) } or nil, c[2]))
      local m = pack(pcall(call, metered_sort, c[1] and { unpack(c[1]) } or nil, c[2]))
      assert(n[1] == m[1] and (type(n[2]) == "table" or n[2] == m[2]), show(n) .. " vs " .. show(m))
    end
  end)
end)

describe("budgeted runs", function()
  -- The REPL's budget: 1e7 instructions, 1 s.
  local STOP = "^stopped after %d+ instructions"
  local attacks = {
    { 'return ("a"):rep(3000):find(".-.-.-.-b")', STOP .. ", in a pattern match or sort" },
    { 'return string.gsub(("a"):rep(3000), "a-a-a-a-b", "")', STOP .. ", in a pattern match or sort" },
    { 'for w in ("a"):rep(3000):gmatch("a*a*a*a*b") do end', STOP .. ", in a pattern match or sort" },
    { 'return ("a"):rep(3000):match("(.-)(.-)(.-)(.-)b")', STOP .. ", in a pattern match or sort" },
    { 'return #("x"):rep(1e7):gsub("", function() return "y" end)', STOP },
    { 'local ok = 0 for i = 1, 1e9 do pcall(string.find, ("a"):rep(3000), ".-.-.-b") ok = ok + 1 end return ok', STOP },
    { 'local t = {} for i = 1, 2000000 do t[i] = (i * 7919) % 1000003 end table.sort(t)', STOP },
    { 'local t = {} for i = 1, 300000 do t[i] = (i * 7919) % 1000003 end table.sort(t, function(a, b) return a > b end)', STOP },
    { 'local t = {} for i = 1, 300000 do t[i] = (i * 7919) % 1000003 end pcall(table.sort, t, rawequal) return 1', STOP },
  }
  for _, a in ipairs(attacks) do
    it("stops " .. a[1], function()
      local status, text, ms = M.budgeted(a[1], 1e7, 10)
      assert.equal("stopped", status)
      assert.matches(a[2], text)
      assert(ms < 2000, ("took %.0f ms of CPU to stop"):format(ms))
    end)
  end

  it("gives ordinary calls their results", function()
    local status, text = M.budgeted([[
      local t = { 3, 1, 2 } table.sort(t) table.sort(t, function(a, b) return a > b end)
      local s = ("key=value; k2=v2"):gsub("(%w+)=(%w+)", "%2=%1")
      local words = {} for w in s:gmatch("%a+") do words[#words + 1] = w end
      return table.concat(t, ",") .. " " .. s .. " " .. #words .. " " .. select(2, ("hello"):find("l+"))
    ]])
    assert.equal("ok", status)
    assert.equal("3,2,1 value=key; v2=k2 4 4", text)
  end)
end)
