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
