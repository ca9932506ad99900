-- dispatch_gen.lua — the market for bench/dispatch_bench.sh: PAIRS synthetic USD pairs (P001/USD...,
-- tick 0.01, lot 1e-8), BATCHES batches 100 ms apart in which every pair's book changes (a Kraken v2
-- snapshot of 10 levels a side with its checksum, all of a batch at one receive time, so the
-- backtest delivers them as one turn: one on_book per pair). The mid walks one tick up or down, or
-- stays, at random (seeded), so the two quotes the strategy sets are sometimes kept, sometimes moved.
--   luajit bench/dispatch_gen.lua PAIRS BATCHES OUT_DIR     (writes instruments.json and market.txt)
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local testing = require("th.testing")
local pairs_n, batches, out = tonumber(arg[1]), tonumber(arg[2]), arg[3]
assert(pairs_n and batches and out, "usage: dispatch_gen.lua PAIRS BATCHES OUT_DIR")

local ins = {}
for i = 1, pairs_n do
  ins[i] = ('{"symbol":"P%03d/USD","base":"P%03d","quote":"USD","status":"online","qty_precision":8,'
    .. '"qty_increment":1e-08,"price_precision":2,"price_increment":0.01,"qty_min":0.0001,"cost_min":0}'):format(i, i)
end
local f = assert(io.open(out .. "/instruments.json", "w"))
f:write('{"channel":"instrument","type":"snapshot","data":{"pairs":[', table.concat(ins, ","), "]}}\n")
f:close()

math.randomseed(42)
local mid = {}
for i = 1, pairs_n do mid[i] = 10000 + i * 100 end -- in ticks: 100.01 .. for P001
local m = assert(io.open(out .. "/market.txt", "w"))
local start = 1700000000
for b = 0, batches - 1 do
  local ts = ("%d%09d"):format(start + math.floor(b / 10), (b % 10) * 100000000)
  for i = 1, pairs_n do
    mid[i] = mid[i] + math.random(-1, 1)
    local bids, asks, jb, ja = {}, {}, {}, {}
    for l = 1, 10 do
      local qty = ("%.8f"):format(1 + ((b + l + i) % 7) * 0.25)
      bids[l] = { ("%.2f"):format((mid[i] - l) / 100), qty }
      asks[l] = { ("%.2f"):format((mid[i] + l) / 100), qty }
      jb[l] = ('{"price":%s,"qty":%s}'):format(bids[l][1], qty)
      ja[l] = ('{"price":%s,"qty":%s}'):format(asks[l][1], qty)
    end
    m:write(ts, (' {"channel":"book","type":"snapshot","data":[{"symbol":"P%03d/USD","bids":[%s],"asks":[%s],"checksum":%d}]}\n')
      :format(i, table.concat(jb, ","), table.concat(ja, ","), testing.book_checksum(bids, asks)))
  end
end
m:close()
