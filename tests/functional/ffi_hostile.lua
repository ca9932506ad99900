-- ffi_hostile.lua — a strategy that calls every function of host/include/tradehost.h through the
-- raw FFI with hostile arguments (bad sides, out-of-range ids and counts, NULL pointers, NaN and
-- huge values) once the books are live, and checks that each returns an error code. A crash ends
-- the host, so test_ffi_hostile.sh sees it; the case about to run is written to TH_FFI_CASE_FILE
-- first, so the test can say which one it was. Coverage is checked against the header itself: a
-- function added to tradehost.h without a case here fails the run.
local ffi = require("ffi")
local th = require("th")
local C = require("th.ffi").C

local M = {}

local SYM = "XMR/USD"
local NaN, INF, HUGE = 0 / 0, math.huge, 1e300

local function header_functions()
  local path = os.getenv("TH_HOME") .. "/host/include/tradehost.h"
  local text = assert(io.open(path)):read("*a")
  text = text:match("th:ffi%-begin(.-)th:ffi%-end")
  local names = {}
  for name in text:gmatch("\nint%s+([%w_]+)%s*%(") do names[#names + 1] = name end
  return names
end

local function run(ctx)
  local case_file = assert(io.open(os.getenv("TH_FFI_CASE_FILE"), "w"))
  local err = ffi.new("const char *[1]")
  local i32, i32b = ffi.new("int32_t[1]"), ffi.new("int32_t[1]")
  local dbl, dblb = ffi.new("double[1]"), ffi.new("double[1]")
  local top, view = ffi.new("th_book_top"), ffi.new("th_metric_view")
  local lv = ffi.new("th_level[8]")
  local counts = ffi.new("double[64]")
  local ov = ffi.new("th_order_view[4]")
  local qres = ffi.new("th_quote_result")
  local pos, pnl, risk = ffi.new("th_position_view"), ffi.new("th_pnl_view"), ffi.new("th_risk_view")
  local clid = ffi.new("char[64]")
  local targets = ffi.new("th_quote_target[2]")
  local book_id = ffi.new("int32_t[1]")
  assert(C.th_book_find(SYM, book_id, err) == 0, "no book for " .. SYM)
  local id = book_id[0]
  local counter = ffi.new("int32_t[1]")
  assert(C.th_metric_register("ffi_hostile_counter", C.TH_METRIC_COUNTER, counter, err) == 0)
  local long = ("x"):rep(2 ^ 20)

  local function req(t)
    local r = ffi.new("th_order_req")
    r.symbol, r.tag = t.symbol, t.tag
    r.side, r.price, r.qty, r.flags = t.side or 0, t.price or 300, t.qty or 0.5, t.flags or 0
    return r, t -- t keeps the strings alive
  end

  -- name -> list of { label, function returning the C status }; every one must be non-zero.
  local cases = {
    th_version = { { "NULL out", function() return C.th_version(nil) end } },
    th_host_info_get = { { "NULL out", function() return C.th_host_info_get(nil) end } },
    th_log_emit = {
      { "level 99", function() return C.th_log_emit(99, "x", "") end },
      { "level -1", function() return C.th_log_emit(-1, "x", "") end },
      { "NULL msg", function() return C.th_log_emit(C.TH_LOG_ERROR, nil, nil) end },
    },
    th_clock_now = {
      { "NULL ns", function() return C.th_clock_now(nil, i32) end },
      { "NULL is_virtual", function() local n = ffi.new("int64_t[1]") return C.th_clock_now(n, nil) end },
    },
    th_metric_register = {
      { "NULL name", function() return C.th_metric_register(nil, 0, i32, err) end },
      { "kind 7", function() return C.th_metric_register("ffi_h_k", 7, i32, err) end },
      { "kind -1, NULL err", function() return C.th_metric_register("ffi_h_k", -1, i32, nil) end },
      { "NULL id_out", function() return C.th_metric_register("ffi_h_new", 0, nil, err) end },
      { "1 MB name", function() return C.th_metric_register(long, 0, i32, err) end },
    },
    th_metric_add = {
      { "id -1", function() return C.th_metric_add(-1, 1) end },
      { "id 2^31-1", function() return C.th_metric_add(0x7fffffff, 1) end },
      { "negative", function() return C.th_metric_add(counter[0], -1) end },
      { "NaN", function() return C.th_metric_add(counter[0], NaN) end },
    },
    th_metric_set = {
      { "id -5", function() return C.th_metric_set(-5, 1) end },
      { "counter is not a gauge", function() return C.th_metric_set(counter[0], 1) end },
    },
    th_metric_observe = { { "id 1e9", function() return C.th_metric_observe(1000000000, 1) end } },
    th_metric_read = {
      { "id -1", function() return C.th_metric_read(-1, view, err) end },
      { "NULL out", function() return C.th_metric_read(counter[0], nil, err) end },
      { "id -1, NULL err", function() return C.th_metric_read(-1, view, nil) end },
    },
    th_book_find = {
      { "NULL symbol", function() return C.th_book_find(nil, i32, err) end },
      { "NULL id_out", function() return C.th_book_find(SYM, nil, err) end },
      { "unknown, NULL err", function() return C.th_book_find("NOPE/NOPE", i32, nil) end },
      { "1 MB symbol", function() return C.th_book_find(long, i32, err) end },
    },
    th_book_top_get = {
      { "id -1", function() return C.th_book_top_get(-1, top, err) end },
      { "id 2^31-1", function() return C.th_book_top_get(0x7fffffff, top, err) end },
      { "NULL out", function() return C.th_book_top_get(id, nil, err) end },
    },
    th_book_levels_get = {
      { "side 2", function() return C.th_book_levels_get(id, 2, 5, lv, i32, err) end },
      { "n -1", function() return C.th_book_levels_get(id, 0, -1, lv, i32, err) end },
      { "NULL out", function() return C.th_book_levels_get(id, 0, 5, nil, i32, err) end },
      { "NULL n_out", function() return C.th_book_levels_get(id, 0, 5, lv, nil, err) end },
    },
    th_book_vwap_get = {
      { "side 2", function() return C.th_book_vwap_get(id, 2, 1, dbl, dblb, err) end },
      { "side -1", function() return C.th_book_vwap_get(id, -1, 1, dbl, dblb, err) end },
      { "side 2^31-1", function() return C.th_book_vwap_get(id, 0x7fffffff, 1, dbl, dblb, err) end },
      { "qty NaN", function() return C.th_book_vwap_get(id, 0, NaN, dbl, dblb, err) end },
      { "qty 1e300", function() return C.th_book_vwap_get(id, 0, HUGE, dbl, dblb, err) end },
      { "NULL vwap", function() return C.th_book_vwap_get(id, 0, 1, nil, dblb, err) end },
      { "NULL filled", function() return C.th_book_vwap_get(id, 0, 1, dbl, nil, err) end },
    },
    th_book_depth_get = {
      { "side 2", function() return C.th_book_depth_get(id, 2, 10, dbl, err) end },
      { "side -7", function() return C.th_book_depth_get(id, -7, 10, dbl, err) end },
      { "bps NaN", function() return C.th_book_depth_get(id, 0, NaN, dbl, err) end },
      { "bps -1", function() return C.th_book_depth_get(id, 1, -1, dbl, err) end },
      { "NULL qty", function() return C.th_book_depth_get(id, 0, 10, nil, err) end },
    },
    th_book_microprice_get = {
      { "id -1", function() return C.th_book_microprice_get(-1, dbl, err) end },
      { "NULL out", function() return C.th_book_microprice_get(id, nil, err) end },
    },
    th_book_imbalance_get = {
      { "levels -1", function() return C.th_book_imbalance_get(id, -1, dbl, err) end },
      { "NULL out", function() return C.th_book_imbalance_get(id, 5, nil, err) end },
    },
    th_book_health_get = {
      { "NULL health", function() local r = ffi.new("const char *[1]") return C.th_book_health_get(id, nil, r, err) end },
      { "NULL reason", function() return C.th_book_health_get(id, i32, nil, err) end },
      { "id 1<<24, NULL err", function() local r = ffi.new("const char *[1]") return C.th_book_health_get(1 * 2 ^ 24, i32, r, nil) end },
    },
    th_book_seq_get = {
      { "id -1", function() return C.th_book_seq_get(-1, ffi.new("int64_t[1]"), err) end },
      { "NULL seq", function() return C.th_book_seq_get(id, nil, err) end },
      { "id 1<<24, NULL err", function() return C.th_book_seq_get(1 * 2 ^ 24, ffi.new("int64_t[1]"), nil) end },
    },
    th_instrument_get = {
      { "NULL symbol", function() return C.th_instrument_get(nil, ffi.new("th_instrument_view"), err) end },
      { "NULL out", function() return C.th_instrument_get(SYM, nil, err) end },
      { "unknown, NULL err", function() return C.th_instrument_get("NOPE/NOPE", ffi.new("th_instrument_view"), nil) end },
      { "1 MB symbol", function() return C.th_instrument_get(long, ffi.new("th_instrument_view"), err) end },
    },
    th_risk_reason_name = {
      { "reason -1", function() return C.th_risk_reason_name(-1, err) end },
      { "reason 2^31-1", function() return C.th_risk_reason_name(0x7fffffff, err) end },
      { "NULL name", function() return C.th_risk_reason_name(1, nil) end },
    },
    th_risk_refusals_get = {
      { "NULL counts", function() return C.th_risk_refusals_get(nil, 30) end },
      { "n -1", function() return C.th_risk_refusals_get(counts, -1) end },
    },
    th_risk_status_get = { { "NULL out", function() return C.th_risk_status_get(nil) end } },
    th_risk_kill = {}, -- any reason is a reason (NULL or 1 MB): checked separately below
    th_risk_rearm = {}, -- takes only err, and succeeds: called with NULL err below
    th_risk_set_oracle = {
      { "NULL symbol", function() return C.th_risk_set_oracle(nil, 300, err) end },
      { "price NaN", function() return C.th_risk_set_oracle(SYM, NaN, err) end },
      { "price inf", function() return C.th_risk_set_oracle(SYM, INF, err) end },
      { "price 1e300", function() return C.th_risk_set_oracle(SYM, HUGE, err) end },
      { "unknown, NULL err", function() return C.th_risk_set_oracle("NOPE", 300, nil) end },
    },
    th_order_place = {
      { "NULL req", function() return C.th_order_place(nil, clid, i32, err) end },
      { "side 2", function() local r, k = req{ symbol = SYM, tag = "", side = 2 } return C.th_order_place(r, clid, i32, err), k end },
      { "side -1", function() local r, k = req{ symbol = SYM, tag = "", side = -1 } return C.th_order_place(r, clid, i32, err), k end },
      { "NULL symbol", function() local r, k = req{ tag = "" } return C.th_order_place(r, clid, i32, err), k end },
      { "price NaN", function() local r, k = req{ symbol = SYM, tag = "", price = NaN } return C.th_order_place(r, clid, i32, err), k end },
      { "qty -1", function() local r, k = req{ symbol = SYM, tag = "", qty = -1 } return C.th_order_place(r, clid, i32, err), k end },
      { "qty 1e300", function() local r, k = req{ symbol = SYM, tag = "", qty = HUGE } return C.th_order_place(r, clid, i32, err), k end },
      { "NULL cl_id_out", function() local r, k = req{ symbol = SYM, tag = "" } return C.th_order_place(r, nil, i32, err), k end },
      { "NULL reason_out", function() local r, k = req{ symbol = SYM, tag = "" } return C.th_order_place(r, clid, nil, err), k end },
      { "bad side, NULL err", function() local r, k = req{ symbol = SYM, tag = "", side = 9 } return C.th_order_place(r, clid, i32, nil), k end },
    },
    th_order_cancel = {
      { "NULL id", function() return C.th_order_cancel(nil, err) end },
      { "unknown, NULL err", function() return C.th_order_cancel("nope", nil) end },
      { "1 MB id", function() return C.th_order_cancel(long, err) end },
    },
    th_order_cancel_all = {
      { "unknown symbol", function() return C.th_order_cancel_all("NOPE", i32, err) end },
      { "NULL n_out", function() return C.th_order_cancel_all("NOPE", nil, err) end },
    },
    th_order_get = {
      { "NULL id", function() return C.th_order_get(nil, ov, err) end },
      { "NULL out", function() return C.th_order_get("nope", nil, err) end },
    },
    th_orders_open = {
      { "max -1", function() return C.th_orders_open(nil, ov, -1, i32, err) end },
      { "NULL out", function() return C.th_orders_open(nil, nil, 4, i32, err) end },
      { "NULL n_out", function() return C.th_orders_open(nil, ov, 4, nil, err) end },
    },
    th_quotes_set = {
      { "NULL targets, n 2", function() return C.th_quotes_set(SYM, nil, 2, qres, err) end },
      { "n -1", function() return C.th_quotes_set(SYM, targets, -1, qres, err) end },
      { "n 2^31-1", function() return C.th_quotes_set(SYM, targets, 0x7fffffff, qres, err) end },
      { "NULL out", function() return C.th_quotes_set(SYM, targets, 0, nil, err) end },
      { "NULL symbol", function() return C.th_quotes_set(nil, targets, 0, qres, err) end },
      { "side 5", function()
          targets[0].side, targets[0].price, targets[0].qty = 5, 300, 0.5
          return C.th_quotes_set(SYM, targets, 1, qres, err)
        end },
      { "price NaN", function()
          targets[0].side, targets[0].price, targets[0].qty = 0, NaN, 0.5
          return C.th_quotes_set(SYM, targets, 1, qres, err)
        end },
      { "size 1e300", function()
          targets[0].side, targets[0].price, targets[0].qty = 0, 300, HUGE
          return C.th_quotes_set(SYM, targets, 1, qres, err)
        end },
    },
    th_dispatch_status_get = {
      { "NULL out", function() return C.th_dispatch_status_get(nil) end },
    },
    th_dispatch_pair_get = {
      { "NULL symbol", function() return C.th_dispatch_pair_get(nil, ffi.new("int32_t[1]"), ffi.new("int32_t[1]")) end },
      { "NULL priority", function() return C.th_dispatch_pair_get(SYM, nil, ffi.new("int32_t[1]")) end },
      { "NULL paused", function() return C.th_dispatch_pair_get(SYM, ffi.new("int32_t[1]"), nil) end },
      { "unknown symbol", function() return C.th_dispatch_pair_get("NOPE/USD", ffi.new("int32_t[1]"), ffi.new("int32_t[1]")) end },
      { "1 MB symbol", function() return C.th_dispatch_pair_get(long, ffi.new("int32_t[1]"), ffi.new("int32_t[1]")) end },
    },
    th_balance_get = {
      { "NULL asset", function() return C.th_balance_get(nil, ffi.new("th_balance_view"), err) end },
      { "NULL out", function() return C.th_balance_get("BTC", nil, err) end },
      { "empty asset, NULL err", function() return C.th_balance_get("", ffi.new("th_balance_view"), nil) end },
      { "1 MB asset", function() return C.th_balance_get(long, ffi.new("th_balance_view"), err) end },
    },
    th_balance_at = {
      { "NULL out", function() return C.th_balance_at(0, nil, err) end },
      { "negative index", function() return C.th_balance_at(-1, ffi.new("th_balance_view"), err) end },
      { "huge index", function() return C.th_balance_at(2147483647, ffi.new("th_balance_view"), nil) end },
    },
    th_position_get = {
      { "NULL symbol", function() return C.th_position_get(nil, pos, err) end },
      { "NULL out", function() return C.th_position_get(SYM, nil, err) end },
    },
    th_pnl_get = { { "NULL out", function() return C.th_pnl_get(nil, err) end } },
    th_strategy_fault_get = {
      { "index -1", function() return C.th_strategy_fault_get(-1, ffi.new("th_strategy_fault"), err) end },
      { "index 2^31-1", function() return C.th_strategy_fault_get(0x7fffffff, ffi.new("th_strategy_fault"), err) end },
      { "NULL out", function() return C.th_strategy_fault_get(0, nil, err) end },
      { "no fault, NULL err", function() return C.th_strategy_fault_get(0, ffi.new("th_strategy_fault"), nil) end },
    },
    th_strategy_info_get = {
      { "index -1", function() return C.th_strategy_info_get(-1, ffi.new("th_strategy_info"), err) end },
      { "index 2^31-1", function() return C.th_strategy_info_get(0x7fffffff, ffi.new("th_strategy_info"), err) end },
      { "NULL out", function() return C.th_strategy_info_get(0, nil, err) end },
      { "index 99, NULL err", function() return C.th_strategy_info_get(99, ffi.new("th_strategy_info"), nil) end },
    },
    th_store_set = {
      { "NULL strategy", function() return C.th_store_set(nil, "k", "v", 1, err) end },
      { "NULL key", function() return C.th_store_set("ffi_hostile", nil, "v", 1, err) end },
      { "NULL value, len 5", function() return C.th_store_set("ffi_hostile", "k", nil, 5, err) end },
      { "len -1", function() return C.th_store_set("ffi_hostile", "k", "v", -1, err) end },
      { "len 2^31-1, NULL err", function() return C.th_store_set("ffi_hostile", "k", "v", 0x7fffffff, nil) end },
      { "1 MB key", function() return C.th_store_set("ffi_hostile", long, "v", 1, err) end },
      { "1 MB strategy", function() return C.th_store_set(long, "k", "v", 1, err) end },
    },
    th_store_get = {
      { "NULL strategy", function() return C.th_store_get(nil, "k", ffi.new("const char *[1]"), i32, err) end },
      { "NULL key", function() return C.th_store_get("ffi_hostile", nil, ffi.new("const char *[1]"), i32, err) end },
      { "NULL value", function() return C.th_store_get("ffi_hostile", "k", nil, i32, err) end },
      { "NULL len, NULL err", function() return C.th_store_get("ffi_hostile", "k", ffi.new("const char *[1]"), nil, nil) end },
    },
    th_store_delete = {
      { "NULL strategy", function() return C.th_store_delete(nil, "k", err) end },
      { "NULL key, NULL err", function() return C.th_store_delete("ffi_hostile", nil, nil) end },
    },
    th_store_key_at = {
      { "index -1", function() return C.th_store_key_at("ffi_hostile", -1, ffi.new("const char *[1]"), err) end },
      { "index 2^31-1", function() return C.th_store_key_at("ffi_hostile", 0x7fffffff, ffi.new("const char *[1]"), err) end },
      { "NULL key", function() return C.th_store_key_at("ffi_hostile", 0, nil, err) end },
      { "NULL strategy, NULL err", function() return C.th_store_key_at(nil, 0, ffi.new("const char *[1]"), nil) end },
    },
    th_strategy_running = {
      { "NULL name", function() return C.th_strategy_running(nil, err) end },
    },
    th_strategy_timer_due = {
      { "NULL strategy", function() return C.th_strategy_timer_due(nil, 0, 1, err) end },
      { "count -1", function() return C.th_strategy_timer_due("ffi_hostile", 0, -1, err) end },
      { "unknown, NULL err", function() return C.th_strategy_timer_due("nope", 0, 1, nil) end },
      { "1 MB name", function() return C.th_strategy_timer_due(long, 0, 1, err) end },
    },
  }

  local total, missing = 0, {}
  for _, name in ipairs(header_functions()) do
    if cases[name] == nil then missing[#missing + 1] = name end
  end
  if #missing > 0 then
    th.log.error("ffi hostile: functions in tradehost.h with no case", { missing = table.concat(missing, ",") })
    return false
  end
  local names = {}
  for name in pairs(cases) do names[#names + 1] = name end
  table.sort(names)
  local accepted = {}
  for _, name in ipairs(names) do
    for _, c in ipairs(cases[name]) do
      case_file:seek("set")
      case_file:write(name, ": ", c[1], "\n")
      case_file:flush()
      local rc = c[2]()
      total = total + 1
      if rc == 0 then accepted[#accepted + 1] = name .. " (" .. c[1] .. ")" end
    end
  end
  -- The calls that are allowed to succeed still must not crash.
  case_file:seek("set") case_file:write("th_risk_rearm: NULL err\n") case_file:flush()
  C.th_risk_rearm(nil)
  case_file:seek("set") case_file:write("th_risk_kill: 1 MB reason, then NULL\n") case_file:flush()
  C.th_risk_kill(long)
  C.th_risk_kill(nil)
  C.th_risk_status_get(risk)
  if risk.halted == 0 then accepted[#accepted + 1] = "th_risk_kill did not halt" end
  C.th_risk_rearm(err)
  C.th_pnl_get(pnl, err)
  case_file:seek("set") case_file:write("done\n") case_file:close()
  if #accepted > 0 then
    th.log.error("ffi hostile: calls accepted that must be refused", { calls = table.concat(accepted, "; ") })
    return false
  end
  th.log.info("ffi hostile: every call refused", { calls = total, functions = #names })
  return true
end

function M.on_start(state) state.done = false end

function M.on_tick(state, ctx)
  if state.done or not th.book(SYM):ok() then return end
  state.done = true
  run(ctx)
end

return M
