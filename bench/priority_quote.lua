-- priority_quote.lua — the strategy bench/priority_bench.sh runs: on every on_book it reads the top
-- of the book and sets two quotes (as bench/dispatch_quote.lua), then burns params.cost_us of CPU
-- (a heavier strategy: what makes the loop fall behind). At the stop it logs the host's dispatch
-- delay per priority (dispatch_delay_ns{priority="N"}: from the turn a pair's book changed to its
-- on_book) and th.dispatch()'s counts, for the bench to print.
local th = require("th")
local M = {}
M.defaults = { cost_us = 0 }
local targets = { { side = "buy", price = 0, size = 0.01, tag = "b" }, { side = "sell", price = 0, size = 0.01, tag = "a" } }
function M.on_start(state) state.books = 0 end
function M.on_book(state, ctx, symbol)
  state.books = state.books + 1
  local b = th.book(symbol)
  local bid, _, ask = b:best()
  if bid and ask and bid < ask then
    targets[1].price, targets[2].price = bid, ask
    th.quotes.set(symbol, targets)
  end
  if ctx.params.cost_us > 0 then
    local t = os.clock() + ctx.params.cost_us / 1e6
    while os.clock() < t do end
  end
end
function M.on_stop(state)
  local d = th.dispatch()
  for l = 1, 4 do
    local h = th.metrics.register(('dispatch_delay_ns{priority="%d"}'):format(l), "histogram"):read()
    local p = d and d.priorities[l]
    if p and p.changed > 0 then
      th.log.info("priority bench", { priority = l, on_book = p.dispatched, deferred = p.deferred, skipped = p.skipped,
                                      p50_us = h.p50 / 1e3, p99_us = h.p99 / 1e3, max_us = h.max / 1e3 })
    end
  end
  if d then
    th.log.info("priority bench overload", { enters = d.overload_enters, exits = d.overload_exits, forced = d.forced,
                                             turns = d.turns, over_budget_turns = d.over_budget_turns, books = state.books })
  end
end
return M
