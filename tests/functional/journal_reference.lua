-- journal_reference.lua — an independent reader of the order journal, for the crash tests.
--
-- It shares no code with the host: it decodes the framing (u32 length, u32 CRC-32 of the body),
-- checks the CRC with its own table, and replays the records by the documented rules
-- (docs/architecture.md, "Journal") into orders and positions. The crash test compares its result
-- with `tradehost journal --json`, which rebuilds with the recovery code itself.
--   luajit journal_reference.lua FILE   -> JSON on stdout
local cjson = require("cjson")
local bit = require("bit")

local path = assert(arg[1], "usage: journal_reference.lua FILE")
local f = assert(io.open(path, "rb"))
local data = f:read("*a")
f:close()

local CRC = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if bit.band(c, 1) ~= 0 then c = bit.bxor(bit.rshift(c, 1), 0xEDB88320) else c = bit.rshift(c, 1) end
  end
  CRC[i] = c
end
local function crc32(s, i, j)
  local c = 0xFFFFFFFF
  for k = i, j do c = bit.bxor(CRC[bit.band(bit.bxor(c, s:byte(k)), 0xFF)], bit.rshift(c, 8)) end
  return bit.tobit(bit.bxor(c, 0xFFFFFFFF))
end

local function u32(s, i)
  local a, b, c, d = s:byte(i, i + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end
local function i64(s, i)
  local lo, hi = u32(s, i), u32(s, i + 4)
  if hi >= 2 ^ 31 then return (hi - 2 ^ 32) * 2 ^ 32 + lo end
  return hi * 2 ^ 32 + lo
end

local TYPES = { "session", "intent", "ack", "reject", "cancel_req", "cancelled", "expired", "fill", "missing", "adopt",
                "amend_req", "amended", "kill", "rearm", "order", "position", "close", "seen",
                "store" }
local INTS = { [1] = "side", [2] = "code", [3] = "reason", [4] = "price", [5] = "qty", [6] = "filled", [7] = "fee",
               [8] = "cost", [9] = "realised", [10] = "notional", [11] = "created", [12] = "seq", [13] = "amend_price",
               [14] = "amend_qty" }
local STRS = { [32] = "cl", [33] = "ex", [34] = "symbol", [35] = "trade", [36] = "tag", [37] = "text" }

-- A whole record at off (1-based) whose length is in range and whose CRC matches.
local function valid_at(off)
  if #data - off + 1 < 8 then return false end
  local len = u32(data, off)
  if len < 9 or len > 1024 or off + 8 + len - 1 > #data then return false end
  local t = data:byte(off + 8)
  return t >= 1 and t <= #TYPES and crc32(data, off + 8, off + 7 + len) == bit.tobit(u32(data, off + 4))
end

-- A bad record is a torn tail only when no valid record follows it anywhere (its own length may be
-- the damaged field, so every later offset is tried); otherwise it is corruption.
local records, torn, off = {}, false, 1
while off <= #data do
  if not valid_at(off) then
    for k = off + 1, #data do
      if valid_at(k) then
        io.stderr:write(("corrupt record at byte %d (valid records again from byte %d)\n"):format(off - 1, k - 1))
        os.exit(1)
      end
    end
    torn = true
    break
  end
  local len = u32(data, off)
  local r = { type = TYPES[data:byte(off + 8)] }
  local i, stop = off + 17, off + 7 + len
  for k, v in pairs(INTS) do r[v] = 0 end
  while i <= stop do
    local id, n = data:byte(i, i + 1)
    if id >= 48 then n = n + 256 * data:byte(i + 2) i = i + 1 end -- version 4: a 2-byte length (th.store's chunk)
    if INTS[id] then r[INTS[id]] = i64(data, i + 2)
    elseif STRS[id] then r[STRS[id]] = data:sub(i + 2, i + 1 + n) end
    i = i + 2 + n
  end
  records[#records + 1] = r
  off = off + 8 + len
end

-- Replay by the documented rules.
local orders, positions, trades, carried = {}, {}, {}, {}
local halted, intents, dup_intents = false, 0, 0
local function pos(sym) positions[sym] = positions[sym] or 0 return positions[sym] end
local function done(o, reason) o.state = "done" o.reason = reason end
for _, r in ipairs(records) do
  local o = r.cl and orders[r.cl]
  local t = r.type
  if t == "intent" then
    intents = intents + 1
    if orders[r.cl] then dup_intents = dup_intents + 1 end
    orders[r.cl] = { symbol = r.symbol, side = r.side, price = r.price, qty = r.qty, filled = 0, state = "pending_create", reason = "none" }
  elseif t == "order" then
    local states = { [0] = "pending_create", "open", "pending_cancel", "done" }
    local reasons = { [0] = "none", "filled", "cancelled", "rejected", "expired", "failed" }
    orders[r.cl] = { symbol = r.symbol, side = r.side, price = r.price, qty = r.qty, filled = r.filled,
                     state = states[r.code], reason = reasons[r.reason],
                     amend = r.amend_qty ~= 0 and { r.amend_price, r.amend_qty } or nil }
  elseif t == "adopt" then
    orders[r.cl] = { symbol = r.symbol, side = r.side, price = r.price, qty = r.qty, filled = r.filled,
                     state = r.filled == r.qty and "done" or "open", reason = r.filled == r.qty and "filled" or "none" }
  elseif t == "position" then
    positions[r.symbol] = r.qty
    carried[r.symbol] = r.qty
  elseif t == "seen" then trades[r.text] = true -- a trade counted in an earlier session
  elseif t == "kill" then halted = true
  elseif t == "rearm" then halted = false
  elseif o then
    if t == "ack" then
      if o.state == "pending_create" then o.state = "open" end
    elseif t == "reject" then
      if o.state == "pending_create" and o.filled == 0 then done(o, "rejected") end
    elseif t == "cancel_req" then
      if o.state == "open" then o.state = "pending_cancel" end
    elseif t == "cancelled" or t == "expired" then
      if o.state ~= "done" then done(o, o.filled == o.qty and "filled" or t) end
    elseif t == "missing" then
      if o.state ~= "done" then
        done(o, (o.state == "pending_create" and o.filled == 0) and "failed" or "cancelled")
        if o.filled == o.qty then o.reason = "filled" end
      end
    elseif t == "amend_req" then
      o.amend = { r.price, r.qty }
    elseif t == "amended" then
      if o.amend and r.code ~= 0 and o.state ~= "done" then
        o.price, o.qty = o.amend[1], o.amend[2]
        if o.qty <= o.filled then o.qty = o.filled done(o, o.filled > 0 and "filled" or "cancelled") end
      end
      o.amend = nil
    elseif t == "fill" then
      local key = r.cl .. "|" .. r.trade -- fills are idempotent per (order, trade id)
      if not trades[key] then
        trades[key] = true
        if o.state == "pending_create" then o.state = "open" end
        -- past the size while an amend up is in flight: the venue applied that amend
        if o.filled + r.qty > o.qty and o.amend and o.amend[2] > o.qty then o.price, o.qty = o.amend[1], o.amend[2] end
        local q = math.min(r.qty, o.qty - o.filled)
        if q > 0 then
          o.filled = o.filled + q
          positions[o.symbol] = pos(o.symbol) + (o.side == 0 and q or -q)
        end
        if o.filled == o.qty then done(o, "filled") end
      end
    end
  end
end
for _, o in pairs(orders) do o.amend = nil end

print(cjson.encode({ records = #records, torn_tail = torn, halted = halted, intents = intents,
                     duplicate_intents = dup_intents, orders = orders, positions = positions, carried = carried }))
