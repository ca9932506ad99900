-- book_watch_spec.lua — strategies/book_watch.lua under th.testing over the bundled Kraken
-- recording (a replay) and over a scripted book: it counts book events and places nothing.
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local testing = require("th.testing")

local REC = "tests/data/kraken/book-5pairs-2021-04-17.v2.txt"

describe("book_watch under th.testing", function()
  it("over 10 s of the recorded Kraken books: counts every on_book, sends no order", function()
    local run = testing.replay{ strategy = "strategies/book_watch.lua", data = { REC }, to = "+10",
                                pairs = { "XMR/USD", "WAVES/EUR" }, params = { print_every_s = 1 } }
    assert.equal(0, #run.intents)
    assert.equal(0, #run.fills)
    for _, sym in ipairs({ "XMR/USD", "WAVES/EUR" }) do
      local calls = run.calls.on_book[sym]
      assert.is_true(calls > 10, sym .. " book events: " .. tostring(calls))
      assert.equal(calls, run.state.events[sym]) -- its own count is the host's
    end
    -- each pair's book came up once from its snapshot
    assert.equal(2, run.state.health_changes)
    local health = run:select{ kind = "health" }
    assert.equal("ok", health[1].health)
  end)

  it("sees a scripted book going stale and recovering", function()
    local m = testing.market{ strategy = "strategies/book_watch.lua", pairs = { "SC/EUR" },
                              venue = { stale_ms = 500 }, tick_ms = 100 }
    local book = { bids = { { 0.04302, 20270.49268141 } }, asks = { { 0.04310, 1500 } } }
    m:book("SC/EUR", book):step(2)
    m:book("SC/EUR", book):step(0.2)
    local run = m:run()
    local seen = {}
    for _, h in ipairs(run:select{ kind = "health", symbol = "SC/EUR" }) do seen[#seen + 1] = h.health end
    assert.same({ "ok", "stale", "ok" }, seen)
    assert.is_true(run.calls.on_book["SC/EUR"] >= 2)
    assert.equal(run.calls.on_book["SC/EUR"], run.state.events["SC/EUR"])
    assert.equal(3, run.state.health_changes)
    assert.equal(0, #run.intents)
  end)
end)
