-- annotations_spec.lua — tools/check_annotations.lua, the check that keeps types/*.lua (the LuaLS
-- annotations) true to the live th API and the docs: passes on the repository, and each kind of
-- drift makes it fail with a message naming what drifted.
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local checker = dofile("tools/check_annotations.lua")

local function has(errors, pattern)
  for _, e in ipairs(errors) do if e:find(pattern, 1, true) then return true end end
  return false, table.concat(errors, "\n")
end

local function with_file(opts, i, edit)
  local copy = {}
  for k, v in pairs(opts) do copy[k] = v end
  copy.files = {}
  for j, f in ipairs(opts.files) do copy.files[j] = { f[1], j == i and edit(f[2]) or f[2] } end
  return copy
end

describe("LuaLS annotations (types/)", function()
  local opts = checker.repo_opts(".")
  local th_index = nil
  for i, f in ipairs(opts.files) do if f[1] == "types/th.lua" then th_index = i end end

  it("cover the live th API, its objects' methods and th.testing, and agree with the docs", function()
    assert.is_not_nil(th_index)
    local errors, live = checker.check(opts)
    assert.same({}, errors)
    assert.is_function(live["th.quotes.set"])
    assert.is_function(live["th.BookView:vwap"])
    assert.is_function(live["th.Timer:cancel"])
    assert.is_function(live["th.testing.Market:step"])
  end)

  it("fail when th gains a function without an annotation", function()
    opts.th.brand_new = function(symbol, qty) return symbol, qty end
    local errors = checker.check(opts)
    opts.th.brand_new = nil
    assert.is_true(has(errors, "th.brand_new(symbol, qty) has no annotation in types/"))
    assert.is_true(has(errors, "th.brand_new is not in docs/lua-api.md"))
  end)

  it("fail when an annotation names a function that does not exist", function()
    local errors = checker.check(with_file(opts, th_index, function(t)
      return t:gsub("\nreturn th\n$", "\n---@param symbol string\nfunction th.ghost(symbol) end\nreturn th\n")
    end))
    assert.is_true(has(errors, "th.ghost is annotated but does not exist"))
  end)

  it("fail when parameter names drift from the function's", function()
    local errors = checker.check(with_file(opts, th_index, function(t)
      return (t:gsub("function th%.position%(symbol%)", "function th.position(sym)"))
    end))
    assert.is_true(has(errors, "annotated parameters (sym), the function's are (symbol)"))
    assert.is_true(has(errors, "th.position: ---@param lines (symbol) do not match its parameters (sym)"))
  end)

  it("fail on an unknown type, a broken type expression, an unknown tag, invalid Lua", function()
    local errors = checker.check(with_file(opts, th_index, function(t)
      return (t:gsub("%-%-%-@param symbol string\n%-%-%-@return th%.Position%?",
        "---@param symbol strng\n---@return table<string\n---@retrun x"))
    end))
    assert.is_true(has(errors, "unknown type strng"))
    assert.is_true(has(errors, "unbalanced <"))
    assert.is_true(has(errors, "unknown tag @retrun"))
    errors = checker.check(with_file(opts, th_index, function(t) return t .. "\nfunction (" end))
    assert.is_true(has(errors, "types/th.lua: not valid Lua"))
  end)

  it("fail when the docs lose a function or show one th does not have", function()
    local copy = {}
    for k, v in pairs(opts) do copy[k] = v end
    copy.api_doc = opts.api_doc:gsub("th%.risk%.rearm", "th.risk.re_arm")
    local errors = checker.check(copy)
    assert.is_true(has(errors, "th.risk.rearm is not in docs/lua-api.md"))
    assert.is_true(has(errors, "docs/lua-api.md shows th.risk.re_arm(...), which th does not have"))
  end)

  it("fail when th.Strategy lacks a callback the runtime calls (and warn on one it does not call)", function()
    local errors, _, _, warnings = checker.check(with_file(opts, th_index, function(t)
      return (t:gsub("%-%-%-@field on_trade%?", "---@field on_trades?"))
    end))
    assert.is_true(has(errors, "callback on_trade (th.runtime.CALLBACKS) is not a field of th.Strategy"))
    assert.is_true(has(warnings, "th.Strategy.on_trades is not a callback the runtime calls"))
  end)

  it("fail when .luarc.json does not point LuaLS at types/", function()
    local copy = {}
    for k, v in pairs(opts) do copy[k] = v end
    copy.luarc = '{"runtime.version": "Lua 5.4", "workspace.library": []}'
    local errors = checker.check(copy)
    assert.is_true(has(errors, '.luarc.json: workspace.library must list "types"'))
    assert.is_true(has(errors, '.luarc.json: runtime.version must be "LuaJIT"'))
  end)

  it("parses the type expressions LuaLS takes", function()
    for _, ty in ipairs({ "string", "string?", "th.Order[]?", '"buy"|"sell"', "table<string, integer|table<string, integer>>",
                          "fun(state: table, ctx: th.Ctx): boolean?, string?", "{[1]: number, [2]: number}[]",
                          "ffi.cdata*", "(string|number)[]" }) do
      local names = {}
      local e, err = checker.parse_type(ty, 1, names)
      assert.is_truthy(e, ty .. ": " .. tostring(err))
      assert.equal(#ty + 1, e, ty)
    end
  end)
end)
