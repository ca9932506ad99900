-- repl_spec.lua — the REPL's renderers and completion in plain LuaJIT (the host runs them inside
-- th.budget; here they run bare): exact numbers, cycles, the depth limit, JSON that is always
-- valid UTF-8, completion that never runs an __index function.
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local show = require("th.repl_show")
local json = require("th.repl_json")
local complete = require("th.repl_complete")

describe("th.repl_show", function()
  it("prints numbers exactly at real magnitudes", function()
    assert.equal("100000.12345678", show.number(100000.12345678))
    assert.equal("0.00000123", show.number(0.00000123))
    assert.equal("1000000000", show.number(1e9))
    assert.equal("0.30000000000000004", show.number(0.1 + 0.2))
    assert.equal("9007199254740992", show.number(2^53))
    assert.equal("nan", show.number(0/0))
    assert.equal("-inf", show.number(-1/0))
  end)

  it("marks cycles with where the table was shown and stops at the depth limit", function()
    local t = { a = { n = 1 } }
    t.a.back, t.a.root = t.a, t
    assert.equal("{ a = { back = <cycle: top.a>, n = 1, root = <cycle: top> } }", show.show(t))
    assert.equal("{ a = {...} }", show.show(t, { depth = 1 }))
  end)
end)

describe("th.repl_json", function()
  it("always writes valid UTF-8 and escapes control bytes", function()
    assert.equal('"\\u0001\\n\239\191\189ok\226\130\172"', json.string("\1\n\255ok\226\130\172"))
    assert.equal('"' .. ("\239\191\189"):rep(3) .. '"', json.string("\237\160\128")) -- a surrogate is not UTF-8
  end)

  it("encodes arrays, objects, cycles and specials", function()
    local t = { 1, 2, { k = "v" } }
    assert.equal('[1,2,{"k":"v"}]', json.encode(t))
    local c = {}
    c.self = c
    assert.equal('{"self":"<cycle>"}', json.encode(c))
    assert.equal('["nan","inf"]', json.encode({ 0/0, 1/0 }))
    assert.equal('{}', json.encode({}))
  end)
end)

describe("th.repl_complete", function()
  it("lists keys through __index tables and never calls an __index function", function()
    local hits = 0
    local env = setmetatable({
      obj = setmetatable({ own = 1 }, { __index = { inherited = 2, m = function() end } }),
      trap = setmetatable({}, { __index = function() hits = hits + 1 end }),
    }, { __index = { print = print } })
    assert.same({ "obj.inherited", "obj.m(", "obj.own" }, complete.complete(env, "obj."))
    assert.same({ "obj:m(" }, complete.complete(env, "obj:"))
    assert.same({}, complete.complete(env, "trap.x"))
    assert.same({}, complete.complete(env, "trap.x.y"))
    assert.same({ "print(" }, complete.complete(env, "pri"))
    assert.same({}, complete.complete(env, 'f("x").'))
    assert.equal(0, hits)
  end)
end)
