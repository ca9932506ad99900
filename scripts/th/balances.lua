-- th/balances.lua — the account's balances at the venue, for strategies (over FFI).
--
-- th.balance(asset) -> { asset, total, available, held, decimals, source, updated_ns, text = {...} }
-- or nil, err: "balances unknown ..." until the venue (or the paper account) has given them. An
-- asset the venue does not name holds 0 once balances are known. The numbers are doubles for
-- arithmetic; `text` carries the host's exact figures at the asset's decimals ("0.00123").
-- th.balances() -> { [asset] = balance, ... } for every asset the venue named, or nil, err.
local ffi = require("ffi")
local base = require("th.ffi")
local C = base.C

local M = {}
local view = ffi.new("th_balance_view")

local function table_of(v)
  local text = { total = ffi.string(v.total_text), available = ffi.string(v.available_text), held = ffi.string(v.held_text) }
  return { asset = ffi.string(v.asset), total = v.total, available = v.available, held = v.held,
           decimals = v.decimals, source = ffi.string(v.source), updated_ns = v.updated_ns, text = text }
end

function M.balance(asset)
  if type(asset) ~= "string" then error("th.balance: asset must be a string", 2) end
  if C.th_balance_get(asset, view, base.err) ~= 0 then return nil, base.errstr() end
  return table_of(view)
end

function M.balances()
  local out, i = {}, 0
  while true do
    if C.th_balance_at(i, view, base.err) ~= 0 then
      if i == 0 and base.errstr():find("unknown", 1, true) then return nil, base.errstr() end
      return out
    end
    local b = table_of(view)
    out[b.asset] = b
    i = i + 1
  end
end

return M
