-- check_restart.lua CRASHED_HOST_JSON AFTER_REFERENCE_JSON: a restart carried every position of the
-- crashed session into its new journal, and ended (after a clean stop) with no order left live.
local cjson = require("cjson")
local function load(p) local f = assert(io.open(p)) local s = f:read("*a") f:close() return cjson.decode(s) end
local crashed, after = load(arg[1]), load(arg[2])
local bad = 0
for sym, p in pairs(crashed.positions) do
  local carried = after.carried[sym] or 0
  if carried ~= p.qty then bad = bad + 1 io.stderr:write(("%s: carried %s, crashed with %s\n"):format(sym, carried, p.qty)) end
end
for id, o in pairs(after.orders) do
  if o.state ~= "done" then bad = bad + 1 io.stderr:write(("order %s still %s after a clean stop\n"):format(id, o.state)) end
end
os.exit(bad == 0 and 0 or 1)
