-- market_maker.lua — pure market making: `levels` quotes per side around the mid, `spread_bps`
-- apart at the top and `step_bps` between levels, shifted against inventory (skew) so that a long
-- position quotes lower and sells off, a short one the other way; no bids past `max_inventory`.
-- The host does the rest: th.quotes.set keeps quotes that moved less than the tolerance, amends
-- or replaces the ones that moved more, and every order passes the risk gates and the journal.
-- With a lead market (venue.lead, e.g. a Kraken Futures perpetual beside spot) and `lead` naming
-- one of its books, the spread widens by `lead_widen` bps per bp the lead's mid moved since the
-- pair's previous quote: a fast move in the lead is when resting quotes get picked off.
local th = require("th")

local M = {}

M.defaults = {
  levels = 2, spread_bps = 20, step_bps = 10, size = 1.0,
  skew_bps = 5,          -- per unit of inventory (in sizes)
  max_inventory = 5.0,   -- in sizes: beyond it, only the reducing side is quoted
  report_every_s = 5.0,
  requote_on = "book",   -- "book" | "tick"
  lead = "",             -- a lead market's symbol (venue.lead); "" for none
  lead_widen = 0,        -- extra spread (bps) per bp of the lead's mid move since the last quote
}

function M.on_start(state, ctx)
  state.fills = state.fills or 0
  state.last_report = state.last_report or 0
  state.refusals = state.refusals or {}
  th.log.info("market_maker started", { pairs = #ctx.pairs })
end

local function targets(p, mid, inventory, widen)
  local out = {}
  local skew = -(inventory / p.size) * p.skew_bps
  for i = 0, p.levels - 1 do
    local off = (p.spread_bps + widen) / 2 + i * p.step_bps
    if inventory < p.max_inventory * p.size then
      out[#out + 1] = { side = "buy", price = mid * (1 - (off - skew) / 1e4), size = p.size, tag = "mm-b" .. i }
    end
    if inventory > -p.max_inventory * p.size then
      out[#out + 1] = { side = "sell", price = mid * (1 + (off + skew) / 1e4), size = p.size, tag = "mm-a" .. i }
    end
  end
  return out
end

-- The lead's mid move (bps) since this pair's previous quote, times lead_widen; 0 without a
-- healthy lead book.
local function lead_widen(state, p, symbol)
  if p.lead == "" or p.lead_widen == 0 then return 0 end
  local lb = th.book(p.lead)
  if not lb or not lb:ok() then return 0 end
  local mid = lb:mid()
  state.lead_ref = state.lead_ref or {}
  local ref = state.lead_ref[symbol]
  state.lead_ref[symbol] = mid
  if not ref or not mid then return 0 end
  return p.lead_widen * math.abs(mid - ref) / ref * 1e4
end

local function requote(state, ctx, symbol)
  local b = th.book(symbol)
  if not b:ok() then return end -- quoting pauses on any book state but ok (the gates refuse too)
  local p = ctx.symbols[symbol].params
  local position = th.position(symbol)
  local r, err = th.quotes.set(symbol, targets(p, b:mid(), position and position.qty or 0, lead_widen(state, p, symbol)))
  if not r then
    th.log.warn("quotes not set", { symbol = symbol, error = err })
  elseif r.refusal then
    state.refusals[r.refusal] = (state.refusals[r.refusal] or 0) + 1
  end
end

-- Requote on every book update, or only on ticks (requote_on = "tick": quotes rest longer, which is
-- how a slower strategy behaves and what lets paper fills happen on book data alone).
function M.on_book(state, ctx, symbol)
  if ctx.symbols[symbol].params.requote_on == "book" then requote(state, ctx, symbol) end
end

function M.on_book_health(state, ctx, symbol, health)
  if health ~= "ok" then th.orders.cancel_all(symbol) end -- do not leave quotes on a book we cannot trust
end

function M.on_fill(state, ctx, fill)
  state.fills = state.fills + 1
  th.log.info("fill", { symbol = fill.symbol, side = fill.side, price = fill.price, size = fill.size, fee = fill.fee,
                        tag = fill.tag })
end

function M.on_tick(state, ctx)
  for _, pair in ipairs(ctx.pairs) do
    if pair.params.requote_on == "tick" then requote(state, ctx, pair.symbol) end
  end
  local now = th.clock.now()
  if now - state.last_report < ctx.params.report_every_s then return end
  state.last_report = now
  local pnl = th.pnl()
  if pnl then
    th.log.info("pnl", { total = ("%.4f"):format(pnl.total), realised = ("%.4f"):format(pnl.realised),
                         fees = ("%.4f"):format(pnl.fees), exposure = ("%.2f"):format(pnl.exposure), fills = state.fills,
                         open_orders = #(th.orders.open() or {}) })
  end
end

function M.on_stop(state, ctx)
  local status = th.risk.status()
  local refusals = {}
  for k, v in pairs(status and status.refusals or {}) do refusals[#refusals + 1] = k .. "=" .. v end
  table.sort(refusals)
  th.log.info("market_maker summary", { fills = state.fills, refusals = table.concat(refusals, ","),
                                        halted = status and tostring(status.halted) })
  for _, pair in ipairs(ctx.pairs) do
    local pos = th.position(pair.symbol)
    if pos then
      th.log.info("position", { symbol = pair.symbol, qty = pos.qty, avg_entry = pos.avg_entry,
                                realised = ("%.6g"):format(pos.realised), fees = ("%.6g"):format(pos.fees), fills = pos.fills })
    end
  end
end

return M
