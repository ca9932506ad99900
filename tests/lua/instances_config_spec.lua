-- instances_config_spec.lua — config `strategies` (several strategy instances): how it becomes
-- cfg._instances and cfg.pairs, and the messages for what it refuses, each naming the key.
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local config = require("th.config")

local function load(body)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write("return { venue = { name = \"sim\" }, " .. body .. " }")
  f:close()
  local cfg, err = config.load(path)
  os.remove(path)
  return cfg, err and err:gsub("^[^:]+: ", "")
end

describe("config strategies", function()
  it("makes one instance of the single form, trading every pair with share 1", function()
    local cfg = assert(load([[strategy = { name = "s" }, pairs = { { symbol = "A/B" }, { symbol = "C/D" } }]]))
    assert.equal(1, #cfg._instances)
    local i = cfg._instances[1]
    assert.equal("s", i.id)
    assert.equal(1, i.risk_share)
    assert.equal(2, #i.pairs)
  end)

  it("makes cfg.pairs from every instance's pairs and reads; ids default to names; an unset share is an even part of the rest", function()
    local cfg = assert(load([[strategies = {
      { name = "mm", id = "a", pairs = { "A/B", { symbol = "C/D", size = 2 } }, risk_share = 0.6 },
      { name = "mm", id = "b", pairs = { "E/F" } },
      { name = "watch", reads = { "A/B", "G/H" } } }]]))
    assert.equal(3, #cfg._instances)
    assert.same({ "a", "b", "watch" }, { cfg._instances[1].id, cfg._instances[2].id, cfg._instances[3].id })
    assert.equal(0.6, cfg._instances[1].risk_share)
    assert.near(0.2, cfg._instances[2].risk_share, 1e-12) -- what a leaves, split between b and watch
    assert.near(0.2, cfg._instances[3].risk_share, 1e-12)
    local syms = {}
    for _, p in ipairs(cfg.pairs) do syms[#syms + 1] = p.symbol end
    assert.same({ "A/B", "C/D", "E/F", "G/H" }, syms)
    assert.equal("a", cfg._owner["A/B"])
    assert.is_false(cfg._owner["G/H"])
    assert.equal("a", cfg.strategy.name) -- what reads the single form reads the first instance
  end)

  it("loads the same config twice (a reload) when it has no strategy table (schema defaults are copies)", function()
    local body = [[strategies = { { name = "x", pairs = { "A/B" } }, { name = "y", pairs = { "C/D" } } }]]
    assert(load(body))
    local cfg, err = load(body)
    assert.is_nil(err)
    assert.equal("x", cfg.strategy.name)
  end)

  local refusals = {
    { "a pair traded by two instances",
      [[strategies = { { name = "x", pairs = { "A/B" } }, { name = "y", pairs = { "A/B" } } }]],
      "strategies[2].pairs[1]: A/B is traded by x already: a pair is traded by one instance (list it in reads to read it)" },
    { "an id used twice",
      [[strategies = { { name = "x", pairs = { "A/B" } }, { name = "x", pairs = { "C/D" } } }]],
      "strategies[2].id: x is used twice (first at strategies[1]); give each instance its own id" },
    { "shares adding up past 1",
      [[strategies = { { name = "x", pairs = { "A/B" }, risk_share = 0.7 }, { name = "y", pairs = { "C/D" }, risk_share = 0.4 } }]],
      "strategies: the risk_share values add up to 1.1, more than 1" },
    { "pairs beside strategies",
      [[pairs = { { symbol = "A/B" } }, strategies = { { name = "x", pairs = { "C/D" } } }]],
      "pairs: with strategies, each instance lists its pairs (strategies[i].pairs)" },
    { "strategy.name beside strategies",
      [[strategy = { name = "s" }, strategies = { { name = "x", pairs = { "C/D" } } }]],
      "strategy: with strategies, strategy holds only tick_ms, budget_ms, stuck_s and on_fault" },
    { "an instance that would see nothing",
      [[strategies = { { name = "x", pairs = { "A/B" } }, { name = "y" } }]],
      "strategies[2]: no pairs and no reads: it would see nothing" },
    { "a share out of range",
      [[strategies = { { name = "x", pairs = { "A/B" }, risk_share = 1.5 } }]],
      "strategies[1].risk_share" },
    { "neither form",
      [[log = {}]],
      "strategy: required value is missing" },
  }
  for _, r in ipairs(refusals) do
    it("refuses " .. r[1] .. ", naming the key", function()
      local cfg, err = load(r[2])
      assert.is_nil(cfg)
      assert.is_truthy(err:find(r[3], 1, true), err)
    end)
  end
end)
