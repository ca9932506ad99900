-- check_replay.lua — asserts on `tradehost replay --json` output read from stdin.
--   luajit check_replay.lua 'EXPR' ...   each EXPR is Lua evaluated with `r` (the JSON) and `sym`
--   (r.symbols) in scope; all must be true.
local cjson = require("cjson")
local r = cjson.decode(io.read("*a"))
local failed = 0
for _, expr in ipairs(arg) do
  local f = assert(loadstring("return " .. expr))
  setfenv(f, setmetatable({ r = r, sym = r.symbols }, { __index = _G }))
  local ok, v = pcall(f)
  if not ok or not v then
    failed = failed + 1
    print("FAILED: " .. expr .. (ok and "" or (" (" .. tostring(v) .. ")")))
  end
end
-- Helpers available to expressions.
os.exit(failed == 0 and 0 or 1)
