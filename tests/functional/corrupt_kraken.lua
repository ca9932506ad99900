-- corrupt_kraken.lua SYMBOL AFTER_LINE < recording > corrupted
-- Copies a Kraken v2 book recording, changing the qty of one level that an update of SYMBOL (after
-- line AFTER_LINE) sets inside the top 10 — the levels the checksum covers — so the checksum of that
-- very frame must fail. Tracks the book with plain Lua numbers, which is enough to know the top 10.
local cjson = require("cjson")
local symbol, after = arg[1], tonumber(arg[2])
local book = { bids = {}, asks = {} }
local done = false
local n = 0
local function in_top10(side, price)
  local prices = {}
  for p in pairs(book[side]) do prices[#prices + 1] = p end
  table.sort(prices, side == "bids" and function(a, b) return a > b end or function(a, b) return a < b end)
  return #prices < 10 or (side == "bids" and price >= prices[10]) or (side == "asks" and price <= prices[10])
end
for line in io.lines() do
  n = n + 1
  local ts, js = line:match("^(%d+) (.*)$")
  local msg = cjson.decode(js)
  local d = msg.data[1]
  if d.symbol == symbol then
    if msg.type == "snapshot" then book = { bids = {}, asks = {} } end
    for _, side in ipairs({ "bids", "asks" }) do
      for _, l in ipairs(d[side] or {}) do
        if not done and n > after and msg.type == "update" and l.qty > 0 and in_top10(side, l.price) then
          -- rewrite this level's qty text in the raw line (first occurrence after its price text)
          local ptext = js:match('"price":(' .. tostring(l.price):gsub("%.", "%%.") .. '0*),')
          local s, e = js:find('"qty":[0-9.]+', (js:find('"price":' .. (ptext or ""), 1, true) or 1))
          if ptext and s then
            js = js:sub(1, s - 1) .. '"qty":777.00000000' .. js:sub(e + 1)
            done = true
            io.stderr:write(("corrupted line %d: %s %s at %s\n"):format(n, symbol, side, ptext))
          end
        end
        if l.qty == 0 then book[side][l.price] = nil else book[side][l.price] = l.qty end
      end
    end
  end
  io.write(ts, " ", js, "\n")
end
if not done then io.stderr:write("no level corrupted\n") os.exit(1) end
