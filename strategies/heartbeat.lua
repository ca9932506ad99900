-- heartbeat.lua — the smallest useful strategy: counts ticks in its state and logs them.
-- It shows the shape every strategy has: a module of functions over a state table the host keeps,
-- so that SIGHUP can swap this code while `state` (and its counters) lives on.
local th = require("th")

local M = {}

M.defaults = { greeting = "tick", log_every = 1 }

function M.on_start(state, ctx)
  state.ticks = state.ticks or 0
  state.started_at = th.clock.now()
  th.log.info("heartbeat started", { strategy = ctx.name, pairs = #ctx.pairs })
end

function M.on_tick(state, ctx, now_ns)
  state.ticks = state.ticks + 1
  if state.ticks % ctx.params.log_every == 0 then
    th.log.info(ctx.params.greeting, { n = state.ticks, version = 1 })
  end
end

function M.on_stop(state, ctx)
  th.log.info("heartbeat stopped", { strategy = ctx.name, ticks = state.ticks })
end

return M
