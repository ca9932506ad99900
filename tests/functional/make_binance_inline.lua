-- make_binance_inline.lua WS.rec SNAPSHOTS.rec SYMBOL — writes to stdout a one-symbol recording in
-- tradehost's own `<receive_ts_ns> <frame>` format, built from the bundled cryptofeed recordings:
-- SYMBOL's combined-stream frames (@depth@100ms, @bookTicker, @kline_1m, @aggTrade, and each
-- aggTrade once more as a raw @trade event) and, on its own line at its recorded receive time, the
-- REST depth snapshot as the bare response body (`<ts> {"lastUpdateId":...}`, no URL beside it).
-- This is the shape of a real two-day BTCUSDT recording that used to replay to an empty book.
-- With --all-frames, every symbol's frames are kept (and still only SYMBOL's snapshot): the shape
-- whose bare snapshot cannot be attributed.
local ws, snaps, symbol, all = arg[1], arg[2], arg[3], arg[4] == "--all-frames"
assert(ws and snaps and symbol, "usage: make_binance_inline.lua WS.rec SNAPSHOTS.rec SYMBOL [--all-frames]")
local prefix = '"stream":"' .. (all and "" or symbol:lower() .. "@")

-- "1633998512.0633569" -> "1633998512063356900", exactly (text, no doubles)
local function ns(epoch)
  local s, f = epoch:match("^(%d+)%.?(%d*)$")
  assert(s, "bad epoch " .. epoch)
  return s .. (f .. "000000000"):sub(1, 9)
end

local out = {}
local function add(ts, body) out[#out + 1] = { ts = ts, body = body, n = #out } end

for line in io.lines(ws) do
  local ts, body = line:match("^([%d.]+): (.*)$")
  if ts and body:find(prefix, 1, true) then
    add(ns(ts), body)
    if body:find('"e":"aggTrade"', 1, true) then
      -- the same print as a raw trade event ({"e":"trade", "t": trade id, "b"/"a": order ids})
      local t = body:gsub("@aggTrade", "@trade"):gsub('"e":"aggTrade"', '"e":"trade"')
                    :gsub('"a":(%d+),"p"', '"t":%1,"p"'):gsub('"f":%d+,"l":%d+,', '"b":1,"a":2,')
      add(ns(ts), t)
    end
  end
end
for line in io.lines(snaps) do
  local url, ts, body = line:match("^(%S+) %-> ([%d.]+): (.*)$")
  if url and url:find("symbol=" .. symbol .. "&", 1, true) then add(ns(ts), body) end
end
-- receive-time order (stable: equal times keep the order they were read in)
table.sort(out, function(a, b)
  if #a.ts ~= #b.ts then return #a.ts < #b.ts end
  if a.ts ~= b.ts then return a.ts < b.ts end
  return a.n < b.n
end)
for _, r in ipairs(out) do io.write(r.ts, " ", r.body, "\n") end
