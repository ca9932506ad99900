-- market_maker_spec.lua — strategies/market_maker.lua under th.testing: a scripted market, fills from
-- the sim's matching engine (the paper venue's), and the quotes, fills and cancels it produced.
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local testing = require("th.testing")

local function mm(params, extra)
  local spec = { strategy = "strategies/market_maker.lua",
                 params = params or { levels = 1, spread_bps = 20, skew_bps = 5, max_inventory = 5 },
                 pairs = { { symbol = "XMR/USD", size = 0.5 } } }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return testing.market(spec)
end

local BOOK = { bids = { { 250.00, 10 }, { 249.90, 5 } }, asks = { { 250.50, 10 }, { 250.60, 5 } } }

local function side(targets, s)
  for _, q in ipairs(targets) do if q.side == s then return q end end
end

describe("market_maker under th.testing", function()
  it("quotes one level a side spread_bps apart around the mid", function()
    local m = mm()
    m:book("XMR/USD", BOOK):step(0.5)
    local run = m:run()
    local targets, ev = run:last_quotes("XMR/USD")
    assert.equal(2, #targets)
    local mid = 250.25
    assert.near(mid * (1 - 10 / 1e4), side(targets, "buy").price, 1e-9)
    assert.near(mid * (1 + 10 / 1e4), side(targets, "sell").price, 1e-9)
    assert.equal(0.5, side(targets, "buy").size)
    assert.equal(2, ev.result.placed)
    assert.equal(0, #run.fills)
    -- the host rounded to the pair's tick (0.01) away from the touch: the orders it placed
    local prices = {}
    for _, o in ipairs(run:select{ kind = "order" }) do prices[o.side] = o.price end
    assert.equal(249.99, prices.buy)
    assert.equal(250.51, prices.sell)
  end)

  it("gets filled by a trade through its bid (the sim's fill: our price, the maker fee) and skews", function()
    local m = mm()
    m:book("XMR/USD", BOOK):step(1)
    m:trade("XMR/USD", { side = "sell", price = 249.00, qty = 2 }):step(0.5)
    m:book("XMR/USD", BOOK):step(0.5)
    local run = m:run()
    assert.equal(1, #run.fills)
    local f = run.fills[1]
    assert.equal("buy", f.side)
    assert.equal(249.99, f.price)
    assert.equal(0.5, f.size)
    assert.near(249.99 * 0.5 * 16 / 1e4, f.fee, 1e-9) -- venue.fee_bps = 16, maker
    assert.equal(0.5, run.positions["XMR/USD"].qty)
    -- long one size: skew_bps = 5 moves both quotes 5 bps down
    local targets = run:last_quotes("XMR/USD")
    local mid = 250.25
    assert.near(mid * (1 - 15 / 1e4), side(targets, "buy").price, 1e-9)
    assert.near(mid * (1 + 5 / 1e4), side(targets, "sell").price, 1e-9)
  end)

  it("stops bidding at max_inventory and keeps offering", function()
    local m = mm({ levels = 1, spread_bps = 20, skew_bps = 0, max_inventory = 1 })
    m:book("XMR/USD", BOOK):step(1)
    m:trade("XMR/USD", { side = "sell", price = 249.00, qty = 2 }):step(0.5)
    m:book("XMR/USD", BOOK):step(0.5)
    local run = m:run()
    assert.equal(1, #run.fills)
    local targets = run:last_quotes("XMR/USD")
    assert.equal(1, #targets)
    assert.equal("sell", targets[1].side)
    -- the resting bid is gone: the only open order is the offer
    assert.equal(1, #run.open_orders)
    assert.equal("sell", run.open_orders[1].side)
  end)

  it("cancels everything when its book goes stale", function()
    local m = mm(nil, { venue = { stale_ms = 1000 }, tick_ms = 200 })
    m:book("XMR/USD", BOOK):step(3)
    local run = m:run()
    local cancels = run:select{ kind = "cancel_all", symbol = "XMR/USD" }
    assert.equal(1, #cancels)
    assert.is_true(cancels[1].t >= 1.0 and cancels[1].t <= 1.5, "stale after stale_ms: " .. cancels[1].t)
    assert.equal(2, cancels[1].n)
    assert.equal(0, #run.open_orders)
    local health = run:select{ kind = "health", symbol = "XMR/USD" }
    assert.equal("stale", health[#health].health)
  end)

  it("a later run replays the same script and extends it (step, run, assert, step, run)", function()
    local m = mm()
    m:book("XMR/USD", BOOK):step(1)
    local first = m:run()
    m:trade("XMR/USD", { side = "sell", price = 249.00, qty = 2 }):step(1)
    local second = m:run()
    assert.equal(0, #first.fills)
    assert.equal(1, #second.fills)
    local before = second:select{ to = 0.999 }
    assert.equal(#first:select{ to = 0.999 }, #before)
    for i, ev in ipairs(first:select{ to = 0.999 }) do
      assert.same(ev, before[i])
    end
  end)

  it("quotes a BTC/USD book at 100,000 with 8-decimal sizes (instruments given by the spec)", function()
    local m = testing.market{
      strategy = "strategies/market_maker.lua", params = { levels = 2, spread_bps = 4, step_bps = 2 },
      pairs = { { symbol = "BTC/USD", size = 0.00012345 } },
      instruments = { { symbol = "BTC/USD", base = "BTC", quote = "USD", price_precision = 1, price_increment = 0.1,
                        qty_precision = 8, qty_increment = 1e-8, qty_min = 0.0001 } },
    }
    m:book("BTC/USD", { bids = { { 99999.9, 1.5 }, { 99999.0, 2.12345678 } }, asks = { { 100000.1, 0.5 } } }):step(1)
    local run = m:run()
    local targets, ev = run:last_quotes("BTC/USD")
    assert.equal(4, #targets)
    -- the risk gates' anti-layering refuses the second level of each side: two orders reach the venue
    assert.equal(2, ev.result.placed)
    assert.equal(2, ev.result.refused)
    assert.equal("layering", ev.result.refusal)
    local seen = {}
    for _, o in ipairs(run:select{ kind = "order" }) do
      seen[#seen + 1] = o.side .. " " .. ("%.1f"):format(o.price)
      assert.equal(0.00012345, o.size)
    end
    table.sort(seen)
    -- mid 100000.0, 2 bps each side, on the 0.1 tick
    assert.same({ "buy 99980.0", "sell 100020.0" }, seen)
  end)
end)

describe("market_maker replayed under th.testing", function()
  it("fills exactly as a plain `tradehost backtest` of config/paper_mm.lua (the probe changes nothing)", function()
    local BOOK = "tests/data/kraken/book-5pairs-2021-04-17.v2.txt"
    local TRADES = "tests/data/kraken/trades-ws-v1-2021-04-17.rec"
    local paper = dofile("config/paper_mm.lua")
    local run = testing.replay{
      strategy = "strategies/market_maker.lua", name = "market_maker", data = { BOOK, TRADES }, seed = 1,
      params = paper.strategy.params, tick_ms = paper.strategy.tick_ms, pairs = paper.pairs,
      risk = paper.risk, quotes = paper.quotes,
      venue = { fee_bps = paper.venue.fee_bps, stale_ms = paper.venue.stale_ms },
      config = { session = paper.session, strategy = { budget_ms = 5 } },
    }
    assert.is_true(#run.fills > 0, "the replay should fill: " .. run.log)
    -- every quote the strategy asked for kept its bid under its offer
    for _, q in ipairs(run:select{ kind = "quotes" }) do
      local bid, ask = -math.huge, math.huge
      for _, t in ipairs(q.targets) do
        if t.side == "buy" then bid = math.max(bid, t.price) else ask = math.min(ask, t.price) end
      end
      assert.is_true(bid < ask)
    end
    -- the same session without the kit
    local dir = io.popen("mktemp -d \"${TMPDIR:-/tmp}/th-mmspec.XXXXXX\""):read("*l")
    local bin = os.getenv("TH_BIN") or "build/tradehost"
    local st = os.execute(("%s backtest config/paper_mm.lua --data %s --data %s --seed 1 --report %s >%s/log 2>&1")
      :format(bin, BOOK, TRADES, dir, dir))
    local f = assert(io.open(dir .. "/summary.json"))
    local summary = require("cjson").decode(f:read("*a"))
    f:close()
    os.execute("rm -rf '" .. dir .. "'")
    assert.equal(0, st)
    -- the run's figures are the plain run's: fills, volume, fees and PnL per pair, orders, refusals
    assert.same(summary.pairs, run.summary.pairs)
    assert.same(summary.orders, run.summary.orders)
    assert.same(summary.refusals, run.summary.refusals)
    -- and the fills the kit saw add up to them
    local n, volume, fees = 0, 0, 0
    for _, x in ipairs(run.fills) do n, volume, fees = n + 1, volume + x.price * x.size, fees + x.fee end
    assert.equal(summary.total.fills, n)
    assert.near(summary.total.volume, volume, 1e-6)
    assert.near(summary.total.fees, fees, 1e-9)
  end)
end)
