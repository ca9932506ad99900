-- testing_spec.lua — the test kit itself (scripts/th/testing.lua): the Kraken checksum it writes,
-- its refusals of bad scripts, a strategy that raises, and the example docs/guide.md shows.
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local testing = require("th.testing")

local function read(path)
  local f = assert(io.open(path))
  local s = f:read("*a")
  f:close()
  return s
end

describe("th.testing", function()
  it("computes the Kraken v2 book checksum of the documented vector", function()
    local v = require("cjson").decode(read("tests/data/vectors/kraken-book-checksum.json"))
    assert.equal(v.expected, testing.book_checksum(v.bids, v.asks))
  end)

  it("refuses a bad script naming what is wrong", function()
    local m = testing.market{ strategy = "strategies/market_maker.lua", pairs = { "XMR/USD" } }
    assert.has_error(function() m:book("NOPE/USD", { bids = {}, asks = {} }) end,
      "th.testing: no instrument NOPE/USD in the instrument data")
    assert.has_error(function() m:book("XMR/USD", { bids = { { 250, -1 } } }) end,
      "th.testing: book XMR/USD: bids level 1 needs a positive price and qty")
    assert.has_error(function() m:trade("XMR/USD", { side = "up", price = 1, qty = 1 }) end)
    assert.has_error(function() m:step(-1) end, "th.testing: step(seconds) needs a number >= 0")
    assert.has_error(function() testing.market{} end)
  end)

  it("records a callback that raises, and the host faults the strategy as without the kit", function()
    local dir = os.tmpname()
    os.remove(dir)
    local path = dir .. "-raiser.lua"
    local f = assert(io.open(path, "w"))
    f:write([[
local th = require("th")
local M = {}
function M.on_book(state, ctx, symbol)
  state.n = (state.n or 0) + 1
  if state.n == 2 then error("second book") end
  th.quotes.set(symbol, { { side = "buy", price = 249.5, size = 0.1, tag = "b" } })
end
return M
]])
    f:close()
    local m = testing.market{ strategy = path, pairs = { "XMR/USD" } }
    local book = { bids = { { 250.00, 10 } }, asks = { { 250.50, 10 } } }
    m:book("XMR/USD", book):step(1)
    m:book("XMR/USD", book):step(1)
    m:book("XMR/USD", book):step(1)
    local run = m:run()
    os.remove(path)
    assert.equal(1, #run.errors)
    assert.equal("on_book", run.errors[1].callback)
    assert.matches("second book", run.errors[1].error)
    assert.equal(1, #run:select{ kind = "quotes" }) -- faulted: no third on_book
    assert.equal(0, #run.open_orders)               -- strategy.on_fault = "cancel"
    assert.is_true(run.faulted)
    assert.equal(3, run.status) -- the host's exit status for a session that ended faulted
  end)

  it("runs the example of docs/guide.md", function()
    local doc = read("docs/guide.md")
    local code = doc:match("<!%-%- example: testing %-%->\n```lua\n(.-)\n```")
    assert.is_string(code, "docs/guide.md has no example named testing")
    local chunk = assert(loadstring(code, "=docs/guide.md example"))
    local ran = 0
    local env = setmetatable({
      describe = function(_, fn) fn() end,
      it = function(_, fn) fn(); ran = ran + 1 end,
    }, { __index = getfenv(1) }) -- busted's assert, not Lua's
    setfenv(chunk, env)
    chunk()
    assert.equal(1, ran)
  end)
end)
