-- config_spec.lua — the config schema and validator (the messages users see).
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local config = require("th.config")
local schema = require("th.schema")

local function write(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

describe("th.config", function()
  it("fills defaults and keeps given values", function()
    local p = write([[return { venue = { name = "sim" }, strategy = { name = "s" }, pairs = { { symbol = "A/B" } } }]])
    local cfg = assert(config.load(p))
    assert.equal(1000, cfg.strategy.tick_ms)
    assert.equal("info", cfg.log.level)
    assert.is_true(cfg.pairs[1].enabled)
    assert.equal("recorded", cfg.venue.pace)
    os.remove(p)
  end)

  it("names the file and key path of an unknown key", function()
    local p = write([[return { venue = { name = "sim", colour = 1 }, strategy = { name = "s" }, pairs = { { symbol = "A/B" } } }]])
    local cfg, err = config.load(p)
    assert.is_nil(cfg)
    assert.equal(p .. ": venue.colour: unknown key", err)
    os.remove(p)
  end)

  it("reads secrets' names from the environment, never values", function()
    local p = write([[return { venue = { name = "kraken", credentials = { key_env = "KRAKEN_KEY" } },
      strategy = { name = "s" }, pairs = { { symbol = "A/B" } } }]])
    assert.truthy(config.load(p))
    os.remove(p)
  end)

  it("config files cannot reach io or os.execute", function()
    local p = write([[io.open("/tmp/x", "w") return {}]])
    local cfg, err = config.load(p)
    assert.is_nil(cfg)
    assert.matches("attempt to index global 'io'", err)
    os.remove(p)
  end)

  it("takes the trading day's start as HH:MM UTC and refuses anything else", function()
    local base = [[return { venue = { name = "sim" }, strategy = { name = "s" }, pairs = { { symbol = "A/B" } }, risk = { %s } }]]
    local p = write(base:format(""))
    assert.equal("00:00", assert(config.load(p)).risk.day_start_utc)
    os.remove(p)
    p = write(base:format('day_start_utc = "22:30"'))
    assert.equal("22:30", assert(config.load(p)).risk.day_start_utc)
    os.remove(p)
    for _, bad in ipairs({ '"24:00"', '"7:00"', '"07:60"', '"noon"', "7" }) do
      p = write(base:format("day_start_utc = " .. bad))
      local cfg, err = config.load(p)
      assert.is_nil(cfg)
      assert.matches("risk.day_start_utc: expected", err, 1, true)
      os.remove(p)
    end
  end)

  it("takes the paper account's balances as exact decimal text, at real magnitudes", function()
    local base = [[return { venue = { name = "sim", balances = { %s } }, strategy = { name = "s" }, pairs = { { symbol = "A/B" } } }]]
    local p = write(base:format('USD = 100000, BTC = 0.00000123, PEPE = 1e9, EUR = "1000.50", XMR = 0'))
    local b = assert(config.load(p)).venue.balances
    assert.same({ USD = "100000", BTC = "0.00000123", PEPE = "1000000000", EUR = "1000.50", XMR = "0" }, b)
    os.remove(p)
    for _, bad in ipairs({ "USD = -1", 'USD = "1e5"', 'USD = "ten"', "USD = 1e18", '["U S"] = 1', "USD = true" }) do
      p = write(base:format(bad))
      local cfg, err = config.load(p)
      assert.is_nil(cfg, bad)
      assert.matches("venue.balances", err, 1, true)
      os.remove(p)
    end
  end)

  it("resolves venue.data and venue.lead paths beside the config", function()
    local p = write([[return { venue = { name = "sim", recording = "r.txt", data = { "t.rec", "/abs/u.rec" },
      lead = { feed = "kraken-futures", recording = "f.rec", instruments = "i.rec", align = "start" } },
      strategy = { name = "s" }, pairs = { { symbol = "A/B" } } }]])
    local cfg = assert(config.load(p, "/cfgdir"))
    assert.same({ "/cfgdir/t.rec", "/abs/u.rec" }, cfg.venue.data)
    assert.equal("/cfgdir/f.rec", cfg.venue.lead.recording)
    assert.equal("/cfgdir/i.rec", cfg.venue.lead.instruments)
    assert.equal(0, cfg.venue.lead.shift_s)
    os.remove(p)
    p = write([[return { venue = { name = "sim", lead = { feed = "kraken-futures", recording = "f.rec" } },
      strategy = { name = "s" }, pairs = { { symbol = "A/B" } } }]])
    local cfg2, err = config.load(p)
    assert.is_nil(cfg2)
    assert.matches("venue.lead.instruments", err, 1, true)
    os.remove(p)
  end)

  it("checks strategy params and pair overrides against the strategy's defaults", function()
    local cfg = { _path = "c.lua", strategy = { name = "mm", params = { spread_bps = 5 } },
                  pairs = { { symbol = "A" }, { symbol = "B", spread_bps = "wide" } } }
    local ok, err = config.check_params(cfg, { spread_bps = 10, levels = 3 })
    assert.is_nil(ok)
    assert.equal("c.lua: pairs[2].spread_bps: expected number, got string", err)
    cfg.pairs[2].spread_bps = 7
    assert.is_true(config.check_params(cfg, { spread_bps = 10, levels = 3 }))
  end)
end)

describe("th.schema", function()
  it("reports array items with their index", function()
    local s = { type = "array", items = { type = "table", fields = { x = { type = "number", min = 0 } } } }
    local ok, err = schema.validate(s, { { x = 1 }, { x = -2 } }, "xs")
    assert.is_nil(ok)
    assert.equal("xs[2].x: -2 is below the minimum 0", err)
  end)
  it("rejects a map where a list is expected", function()
    local ok, err = schema.validate({ type = "array" }, { a = 1 }, "pairs")
    assert.is_nil(ok)
    assert.matches("expected a list", err)
  end)
  it("distinguishes integer from number", function()
    assert.is_nil((schema.validate({ type = "integer" }, 1.5, "n")))
    assert.is_true(schema.validate({ type = "integer" }, 2, "n"))
  end)
end)

describe("th.config reload", function()
  local function cfg_text(extra, pairs_expr)
    return ([[return { venue = { name = "sim", speed = 1 }, strategy = { name = "s", params = { k = 1 } },
      pairs = %s, risk = { price_band_pct = 5 %s } }]]):format(pairs_expr or '{ { symbol = "A/B" }, { symbol = "C/D" } }', extra or "")
  end

  it("diff: live keys, pairs added and removed (by symbol, not position), restart keys kept as running", function()
    local old = assert(config.load(write(cfg_text())))
    local p = write(cfg_text(", max_order_notional = 9", '{ { symbol = "E/F" }, { symbol = "A/B", enabled = true } }')
      :gsub("speed = 1", "speed = 2"):gsub("k = 1", "k = 2"))
    local new = assert(config.load(p))
    local d = config.diff(old, new)
    assert.same({ "risk.max_order_notional", "strategy.params.k" }, d.live)
    assert.same({ "venue.speed" }, d.restart)
    assert.same({ "E/F" }, d.added)
    assert.same({ "C/D" }, d.removed)
    assert.same({}, d.pairs_changed)
    assert.equal(1, new.venue.speed) -- put back: it needs a restart
  end)

  it("diff: a pair disabled is a pair removed; a pair's own setting is a change", function()
    local old = assert(config.load(write(cfg_text())))
    local new = assert(config.load(write(cfg_text(nil, '{ { symbol = "A/B", max_position = 3 }, { symbol = "C/D", enabled = false } }'))))
    local d = config.diff(old, new)
    assert.same({ "C/D" }, d.removed)
    assert.same({ "A/B" }, d.pairs_changed)
    assert.same({}, d.live)
  end)

  it("th.pairs_file: relative to the config's directory, symbols or tables", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir .. "/pairs") == 0)
    local f = assert(io.open(dir .. "/pairs/top.lua", "w"))
    f:write('return { "A/B", { symbol = "C/D", max_position = 2 } }\n')
    f:close()
    f = assert(io.open(dir .. "/cfg.lua", "w"))
    f:write(cfg_text(nil, 'th.pairs_file("pairs/top.lua")'))
    f:close()
    local cfg = assert(config.load(dir .. "/cfg.lua", dir))
    assert.equal("A/B", cfg.pairs[1].symbol)
    assert.equal(2, cfg.pairs[2].max_position)
    assert.equal(dir .. "/pairs/top.lua", cfg._pairs_file)
    f = assert(io.open(dir .. "/pairs/top.lua", "w"))
    f:write('return { "A/B", 7 }\n')
    f:close()
    local bad, err = config.load(dir .. "/cfg.lua", dir)
    assert.is_nil(bad)
    assert.matches("pairs/top.lua: item 2: expected a symbol or a pair table, got number", err, 1, true)
    os.execute("rm -rf " .. dir)
  end)
end)
