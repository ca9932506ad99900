-- runtime_spec.lua — strategy compilation and the reload transaction, against real files.
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local runtime = require("th.runtime")

local function write(text)
  local path = os.tmpname() .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

local cfg = { _path = "cfg.lua", strategy = { name = "t", params = {} },
              pairs = { { symbol = "A/B", enabled = true }, { symbol = "C/D", enabled = false, n = 2 } } }

describe("th.runtime", function()
  it("builds ctx with enabled pairs and merged params", function()
    local p = write("return { defaults = { n = 1 }, on_tick = function() end }")
    local mod, state, ctx = runtime.start(p, cfg)
    assert.truthy(mod)
    assert.same({}, state)
    assert.equal(1, #ctx.pairs)
    assert.equal("A/B", ctx.pairs[1].symbol)
    assert.equal(1, ctx.pairs[1].params.n)
    os.remove(p)
  end)

  it("refuses data in the module table (state belongs in state)", function()
    local p = write("return { counter = 0 }")
    local mod, err = runtime.compile(p)
    assert.is_nil(mod)
    assert.matches("module field counter is a number", err)
    os.remove(p)
  end)

  it("restores the same state table when migrate fails half way", function()
    local p = write([[return { migrate = function(s) s.a = 99; s.nested.x = 5; s.new = true; error("half") end }]])
    local nested = { x = 1 }
    local state = { a = 1, nested = nested }
    state.self = state
    local mod, err = runtime.reload(p, state, cfg)
    assert.is_nil(mod)
    assert.matches("half", err)
    assert.equal(1, state.a)
    assert.equal(1, state.nested.x)
    assert.is_nil(state.new)
    assert.equal(state, state.self) -- cycles point at the live table again
    assert.equal(nested, state.nested) -- nested tables keep their identity
    os.remove(p)
  end)

  it("a successful migrate changes the live table", function()
    local p = write([[return { migrate = function(s) s.v = 2 end, on_tick = function() end }]])
    local state = { v = 1 }
    local mod = assert(runtime.reload(p, state, cfg))
    assert.equal(2, state.v)
    assert.is_function(mod.on_tick)
    os.remove(p)
  end)
end)
