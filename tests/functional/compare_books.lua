-- compare_books.lua REFERENCE.json REPLAY.json — level-by-level comparison (see test_crosscheck.sh).
local c = require("cjson")
local ref = c.decode(io.open(arg[1]):read("*a"))
local got = c.decode(io.open(arg[2]):read("*a")).symbols
local n, bad = 0, 0
for sym, r in pairs(ref) do
  local g = got[sym] or got[sym:lower()]
  if not g then print("missing symbol " .. sym) bad = bad + 1 else
  for _, side in ipairs({ "bids", "asks" }) do
    for i = 1, 5 do
      local a, b = r[side][i], g[side][i]
      if (a == nil) ~= (b == nil) then print(sym, side, i, "level count differs") bad = bad + 1
      elseif a then
        n = n + 1
        for k = 1, 2 do
          local x, y = a[k], tonumber(b[k])
          if math.abs(x - y) > 1e-9 * math.max(1, math.abs(x)) then print(sym, side, i, x, y) bad = bad + 1 end
        end
      end
    end
  end end
end
print(("%d levels compared, %d differences"):format(n, bad))
os.exit(bad == 0 and n > 0 and 0 or 1)
