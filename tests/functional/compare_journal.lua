-- compare_journal.lua HOST_JSON REF_JSON: the host's rebuild equals the independent reference.
local cjson = require("cjson")
local function load(p) local f = assert(io.open(p)) local s = f:read("*a") f:close() return cjson.decode(s) end
local host, ref = load(arg[1]), load(arg[2])
local bad = 0
local function err(...) bad = bad + 1 io.stderr:write(string.format(...) .. "\n") end
if ref.duplicate_intents ~= 0 then err("%d duplicate intents in the journal", ref.duplicate_intents) end
if host.records ~= ref.records then err("records: host %d, reference %d", host.records, ref.records) end
if host.torn_tail ~= ref.torn_tail then err("torn_tail differs") end
if host.halted ~= ref.halted then err("halted differs") end
local n = 0
for id, r in pairs(ref.orders) do
  n = n + 1
  local h = host.orders[id]
  if not h then err("order %s missing from the rebuild", id)
  else
    for _, k in ipairs({ "state", "reason", "filled", "qty", "price", "symbol" }) do
      if h[k] ~= r[k] then err("order %s: %s host=%s reference=%s", id, k, tostring(h[k]), tostring(r[k])) end
    end
  end
end
for id in pairs(host.orders) do if not ref.orders[id] then err("order %s only in the rebuild", id) end end
for sym, q in pairs(ref.positions) do
  local h = host.positions[sym]
  if not h or h.qty ~= q then err("position %s: host=%s reference=%s", sym, h and tostring(h.qty) or "none", tostring(q)) end
end
if bad > 0 then os.exit(1) end
print(("same state: %d orders, %d intents, %d records%s"):format(n, ref.intents, ref.records, ref.torn_tail and ", torn tail ignored" or ""))
