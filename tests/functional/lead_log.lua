-- lead_log.lua — a test strategy that logs every market event with the host clock and the
-- changed book's last update (msg="ev" kind=book|lead symbol= now= upd=), and on each pair's
-- on_book the lead book it reads (lead_bid=, lead_ask=, from ctx.params.lead). Used by
-- test_backtest_lead.sh: the traded and the lead recordings' events in receive-time order.
local th = require("th")
local M = {}
M.defaults = { lead = "fi_xbtusd_210924" }

local function ns(v) return (tostring(v):gsub("[UL]+$", "")) end

function M.on_book(state, ctx, symbol)
  local lead = th.book(ctx.params.lead)
  local lb, _, la = lead:best()
  th.log.info("ev", { kind = "book", symbol = symbol, now = ns(th.clock.now_ns()), upd = ns(th.book(symbol):last_update_ns()),
                      lead_bid = ("%.1f"):format(lb or 0), lead_ask = ("%.1f"):format(la or 0), lead_health = (lead:health()) })
end

function M.on_lead(state, ctx, symbol)
  th.log.info("ev", { kind = "lead", symbol = symbol, now = ns(th.clock.now_ns()), upd = ns(th.book(symbol):last_update_ns()) })
end

return M
