-- reference_books.lua VENUE RECORDING [SNAPSHOTS] — a deliberately simple second implementation of
-- each venue's book rules over a different JSON parser (lua-cjson, numbers as doubles, books as
-- price->qty hashes), printing the final top 5 per symbol as JSON. test_crosscheck.sh compares it
-- with `tradehost replay --json`: two parsers, two book implementations, one answer. Binance
-- without SNAPSHOTS: the snapshot is inline, a bare {"lastUpdateId":...} line that belongs to the
-- recording's one symbol.
local cjson = require("cjson")
local venue, rec, snaps = arg[1], arg[2], arg[3]
local books = {}

local function book(sym)
  books[sym] = books[sym] or { bids = {}, asks = {}, n = { bids = 0, asks = 0 } }
  return books[sym]
end
local function set(b, side, px, qty)
  px, qty = tonumber(px), tonumber(qty)
  local had = b[side][px] ~= nil
  if qty == 0 then
    if had then b[side][px] = nil; b.n[side] = b.n[side] - 1 end
  else
    if not had then b.n[side] = b.n[side] + 1 end
    b[side][px] = qty
  end
end
local function sorted(b, side)
  local ps = {}
  for p in pairs(b[side]) do ps[#ps + 1] = p end
  table.sort(ps, side == "bids" and function(x, y) return x > y end or function(x, y) return x < y end)
  return ps
end
local function truncate(b, depth)
  for _, side in ipairs({ "bids", "asks" }) do
    if b.n[side] > depth then
      local ps = sorted(b, side)
      for i = depth + 1, #ps do b[side][ps[i]] = nil end
      b.n[side] = depth
    end
  end
end
local function frames(path)
  local out = {}
  for line in io.lines(path) do
    local body = line:match("^%d+ (.*)$") or line:match("^[%d.]+: (.*)$") or line:match("^%S+ %-> [%d.]+: (.*)$")
    if body then out[#out + 1] = { body = body, url = line:match("^(%S+) %->") } end
  end
  return out
end

if venue == "kraken" then
  for _, f in ipairs(frames(rec)) do
    local m = cjson.decode(f.body)
    if m.channel == "book" then
      for _, d in ipairs(m.data) do
        if m.type == "snapshot" then books[d.symbol] = nil end
        local b = book(d.symbol)
        for _, l in ipairs(d.bids or {}) do set(b, "bids", l.price, l.qty) end
        for _, l in ipairs(d.asks or {}) do set(b, "asks", l.price, l.qty) end
        truncate(b, 1000)
      end
    end
  end
elseif venue == "kraken-futures" then
  for _, f in ipairs(frames(rec)) do
    local m = cjson.decode(f.body)
    if m.feed == "book_snapshot" then
      books[m.product_id] = nil
      local b = book(m.product_id)
      for _, l in ipairs(m.bids) do set(b, "bids", l.price, l.qty) end
      for _, l in ipairs(m.asks) do set(b, "asks", l.price, l.qty) end
    elseif m.feed == "book" and books[m.product_id] then
      set(book(m.product_id), m.side == "buy" and "bids" or "asks", m.price, m.qty)
    end
  end
else -- binance, binance-usdm: snapshot, then every diff newer than it, in order
  local last = {}
  local snapshots = {}
  if snaps then
    snapshots = frames(snaps)
  else -- inline: the one symbol the stream frames name owns every bare snapshot line
    local syms, one = {}, nil
    for _, f in ipairs(frames(rec)) do
      local m = cjson.decode(f.body)
      local e = m.data or m
      if e.s then syms[e.s] = true one = e.s end
      if m.lastUpdateId then snapshots[#snapshots + 1] = f end
    end
    assert(one and next(syms, next(syms)) == nil, "inline snapshots need a one-symbol recording")
    for _, f in ipairs(snapshots) do f.url = "symbol=" .. one end
  end
  for _, f in ipairs(snapshots) do
    local m = cjson.decode(f.body)
    local sym = f.url:match("symbol=(%w+)")
    local b = book(sym)
    for _, l in ipairs(m.bids) do set(b, "bids", l[1], l[2]) end
    for _, l in ipairs(m.asks) do set(b, "asks", l[1], l[2]) end
    last[sym] = m.lastUpdateId
  end
  for _, f in ipairs(frames(rec)) do
    local m = cjson.decode(f.body)
    local e = m.data or m
    if e and e.e == "depthUpdate" and last[e.s] and e.u > last[e.s] then
      local b = book(e.s)
      for _, l in ipairs(e.b) do set(b, "bids", l[1], l[2]) end
      for _, l in ipairs(e.a) do set(b, "asks", l[1], l[2]) end
    end
  end
end

local out = {}
for sym, b in pairs(books) do
  local r = { bids = {}, asks = {} }
  for _, side in ipairs({ "bids", "asks" }) do
    local ps = sorted(b, side)
    for i = 1, math.min(5, #ps) do r[side][i] = { ps[i], b[side][ps[i]] } end
  end
  out[sym] = r
end
print(cjson.encode(out))
