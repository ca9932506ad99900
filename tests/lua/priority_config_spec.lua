-- priority_config_spec.lua — the dispatch priorities in the config (docs/config.md "Priorities and
-- overload"): a pair's own priority wins over its instance's (strategies[i].priority or
-- strategy.priority), the default is 2, and what is refused names the key.
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

local function prio(cfg)
  local t = {}
  for _, p in ipairs(cfg.pairs) do t[p.symbol] = p.priority end
  return t
end

describe("config priorities", function()
  it("single form: the pair's own, else strategy.priority, else 2", function()
    local cfg = assert(load([[strategy = { name = "s" }, pairs = { { symbol = "A/B", priority = 1 }, { symbol = "C/D" } }]]))
    assert.same({ ["A/B"] = 1, ["C/D"] = 2 }, prio(cfg))
    cfg = assert(load([[strategy = { name = "s", priority = 4 }, pairs = { { symbol = "A/B", priority = 1 }, { symbol = "C/D" } }]]))
    assert.same({ ["A/B"] = 1, ["C/D"] = 4 }, prio(cfg))
  end)

  it("instances: the pair's own, else the instance's, else 2; a read-only pair takes its reader's", function()
    local cfg = assert(load([[strategies = {
      { name = "mm", id = "fast", priority = 1, pairs = { "A/B", { symbol = "C/D", priority = 3 } } },
      { name = "mm", id = "slow", pairs = { "E/F" } },
      { name = "watch", priority = 4, reads = { "G/H" } } }]]))
    assert.same({ ["A/B"] = 1, ["C/D"] = 3, ["E/F"] = 2, ["G/H"] = 4 }, prio(cfg))
  end)

  it("refuses a priority outside 1..4 or not an integer, naming the key", function()
    local _, err = load([[strategy = { name = "s" }, pairs = { { symbol = "A/B", priority = 5 } }]])
    assert.truthy(err and err:find("pairs[1].priority", 1, true), err)
    _, err = load([[strategy = { name = "s" }, pairs = { { symbol = "A/B", priority = 0 } }]])
    assert.truthy(err and err:find("pairs[1].priority", 1, true), err)
    _, err = load([[strategy = { name = "s" }, pairs = { { symbol = "A/B", priority = 1.5 } }]])
    assert.truthy(err and err:find("pairs[1].priority", 1, true), err)
    _, err = load([[strategies = { { name = "mm", priority = "high", pairs = { "A/B" } } }]])
    assert.truthy(err and err:find("strategies[1].priority", 1, true), err)
    _, err = load([[strategies = { { name = "mm", pairs = { { symbol = "A/B", priority = 9 } } } }]])
    assert.truthy(err and err:find("strategies[1].pairs[1].priority", 1, true), err)
    _, err = load([[strategy = { priority = 1 }, strategies = { { name = "mm", pairs = { "A/B" } } }]])
    assert.truthy(err and err:find("strategies[i]", 1, true), err)
  end)

  it("the session's dispatch settings: defaults, and a refused value names its key", function()
    local cfg = assert(load([[strategy = { name = "s" }, pairs = { "A/B" } ]]) or load([[strategy = { name = "s" }, pairs = { { symbol = "A/B" } }]]))
    assert.equal(5000, cfg.session.turn_budget_us)
    assert.equal(10, cfg.session.max_defer_turns)
    assert.equal(5, cfg.session.overload_turns)
    assert.equal(2000, cfg.session.overload_calm_ms)
    local _, err = load([[strategy = { name = "s" }, pairs = { { symbol = "A/B" } }, session = { turn_budget_us = -1 }]])
    assert.truthy(err and err:find("session.turn_budget_us", 1, true), err)
    _, err = load([[strategy = { name = "s" }, pairs = { { symbol = "A/B" } }, session = { max_defer_turns = 0 }]])
    assert.truthy(err and err:find("session.max_defer_turns", 1, true), err)
  end)
end)
