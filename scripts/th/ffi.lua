-- th/ffi.lua — loads the generated cdef once and finds the C symbols.
--
-- Inside the host the symbols are exported by the tradehost binary itself (ffi.C). Outside it (busted
-- unit specs, tools) they come from the libthcore shared library named by TH_CORE_LIB, built from the
-- same objects, so specs exercise the real C code, not a copy.
local ffi = require("ffi")
local gen = require("th.cdef")

local M = {}

if not rawget(_G, "__th_cdef_loaded") then
  ffi.cdef(gen.cdef)
  rawset(_G, "__th_cdef_loaded", true)
end

local function has_symbol(lib, name)
  return (pcall(function() return lib[name] end))
end

if has_symbol(ffi.C, "th_version") then
  M.C = ffi.C
else
  local path = os.getenv("TH_CORE_LIB")
  if not path then
    error("th: C symbols not found: run inside tradehost, or set TH_CORE_LIB to build/libthcore.so", 2)
  end
  M.C = ffi.load(path)
end

M.layout = gen.layout

-- One out-parameter cell of each kind per process, reused by every wrapper (no per-call allocation;
-- the hot path runs single-threaded so sharing them is safe).
M.err = ffi.new("const char *[1]")
M.i32 = ffi.new("int32_t[1]")
M.i32b = ffi.new("int32_t[1]")
M.i64 = ffi.new("int64_t[1]")
M.dbl = ffi.new("double[1]")
M.dblb = ffi.new("double[1]")

function M.errstr()
  local e = M.err[0]
  if e == nil then return "unknown error" end
  return ffi.string(e)
end

return M
