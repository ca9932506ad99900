-- bench_metered.lua — LuaJIT's string functions and table.sort against the metered stand-ins of
-- budgeted runs (host/lua/lua_metered.c), on the same data, medians of N runs.
--   luajit bench/bench_metered.lua build/th_metered_spec.so [runs]
-- Both run with the JIT off, as budgeted runs do, so the figures compare the library calls.
local M = assert(package.loadlib(assert(arg[1], "path of th_metered_spec.so"), "luaopen_th_metered_spec"))()
local runs = tonumber(arg[2]) or 5
jit.off()
local F = M.functions
local native = { find = string.find, match = string.match, gmatch = string.gmatch, gsub = string.gsub, sort = table.sort }
local metered = { find = F["string.find"], match = F["string.match"], gmatch = F["string.gmatch"],
                  gsub = F["string.gsub"], sort = F["table.sort"] }

local MB = ("hello world 123, (foo) bar=baz; "):rep(32768) -- 1 MiB
local numbers = {}
for i = 1, 200000 do numbers[i] = (i * 7919) % 1000003 end

local function copy(t) local c = {} for i = 1, #t do c[i] = t[i] end return c end

local CASES = {
  { "gsub 1 MiB %w+ -> <%0>", function(f) return select(2, f.gsub(MB, "%w+", "<%0>")) end },
  { "gsub 1 MiB %s+ -> ' '", function(f) return select(2, f.gsub(MB, "%s+", " ")) end },
  { "gsub 1 MiB (%w+)=(%w+) -> %2=%1", function(f) return select(2, f.gsub(MB, "(%w+)=(%w+)", "%2=%1")) end },
  { "gsub 1 MiB %b() -> function", function(f) return select(2, f.gsub(MB, "%b()", function(s) return #s end)) end },
  { "gmatch 1 MiB %a+ (count)", function(f) local n = 0 for _ in f.gmatch(MB, "%a+") do n = n + 1 end return n end },
  { "find 1 MiB, no match: 'zzz' (plain)", function(f) return f.find(MB, "zzz") end },
  { "find 1 MiB, no match: '[xyz]+q'", function(f) return f.find(MB, "[xyz]+q") end },
  { "match 100k x short '(%w+)=(%w+)'", function(f)
      local m, s = f.match, "key=value; other"
      for _ = 1, 100000 do m(s, "(%w+)=(%w+)") end
      return 0
    end },
  { "sort 200k numbers", function(f) local t = copy(numbers) f.sort(t) return t[1] end },
  { "sort 200k numbers, a > b", function(f) local t = copy(numbers) f.sort(t, function(a, b) return a > b end) return t[1] end },
}

local function median(t) table.sort(t) return t[math.ceil(#t / 2)] end

print(("%-40s %10s %10s %7s"):format("case", "LuaJIT ms", "metered ms", "ratio"))
for _, c in ipairs(CASES) do
  local tn, tm = {}, {}
  for r = 1, runs do
    collectgarbage()
    local a = os.clock() local rn = c[2](native) local b = os.clock()
    collectgarbage()
    local rm = c[2](metered) local d = os.clock()
    assert(rn == rm, c[1] .. ": results differ: " .. tostring(rn) .. " vs " .. tostring(rm))
    tn[r], tm[r] = (b - a) * 1e3, (d - b) * 1e3
  end
  local n, m = median(tn), median(tm)
  print(("%-40s %10.1f %10.1f %6.2fx"):format(c[1], n, m, m / n))
end
-- Inside a real budgeted run (fresh state, budget installed, hook on, JIT off).
local status, text, ms = M.budgeted([[
  local s = ("hello world 123, (foo) bar=baz; "):rep(32768)
  return select(2, s:gsub("%w+", "<%0>"))
]], 1e12, 60)
print(("budgeted run: 1 MiB gsub %%w+ -> <%%0>: %s %s replacements, %.1f ms (string build included)"):format(status, text, ms))
