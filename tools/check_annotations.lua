-- tools/check_annotations.lua — keeps the LuaLS annotations (types/*.lua, `---@meta`) true to the
-- real API, since lua-language-server itself is not packaged in Debian 12 and cannot run in CI.
--
--   TH_CORE_LIB=build/libthcore.so luajit tools/check_annotations.lua     (ctest lua.annotations)
--
-- What it checks, each failure one line naming the function or the file:line:
--   * coverage, both ways: every function `require("th")` has at run time (walked recursively),
--     every method of the objects it hands out (book view, metric, timer handle), and the test
--     kit's (`require("th.testing")`, its Market and Run) is annotated; every annotated function
--     exists at run time;
--   * parameters: an annotated function's parameter names are the real function's, in order
--     (debug.getlocal on the live function), and its `---@param` lines name exactly them;
--   * syntax: each file loads as Lua; every `---@tag` is one LuaLS knows; every type expression
--     parses (unions, `?`, `[]`, `fun(...)`, `table<K, V>`, `{...}`, string literals) and names
--     only built-in types or a `---@class`/`---@alias` declared in types/;
--   * docs: docs/lua-api.md names every th function and method, and every `th.x(` it shows is a
--     real function (config-only names excepted below); docs/guide.md names the kit's;
--   * th.Strategy (the module shape) has a field for every callback th.runtime.CALLBACKS names (an
--     on_ field the runtime does not call is a warning: it may be annotated ahead of its branch);
--   * .luarc.json parses and puts types/ on the LuaLS library path for LuaJIT.
-- Used as a library by tests/lua/annotations_spec.lua, which proves each check fails when it must.
local M = {}

local BUILTIN = {
  ["nil"] = true, any = true, boolean = true, string = true, number = true, integer = true, table = true,
  ["function"] = true, thread = true, userdata = true, lightuserdata = true, ["true"] = true, ["false"] = true,
  self = true, unknown = true, ["ffi.cdata*"] = true,
}
local TAGS = { meta = true, alias = true, class = true, field = true, param = true, ["return"] = true, type = true,
               overload = true, generic = true, enum = true, nodiscard = true, see = true, deprecated = true,
               async = true, cast = true, diagnostic = true, private = true, protected = true, package = true }
-- Names the docs show that are not in require("th"): config-file helpers (docs/config.md).
M.DOC_ONLY = { ["th.pairs_file"] = "a config-file function (scripts/th/config.lua), not part of require(\"th\")" }

local function read(path)
  local f, err = io.open(path)
  if not f then return nil, err end
  local s = f:read("*a")
  f:close()
  return s
end

-- ------------------------------------------------------------- the live API
local function params_of(fn)
  local out = {}
  for i = 1, 64 do
    local name = debug.getlocal(fn, i)
    if not name then break end
    out[#out + 1] = name
  end
  return out
end

local function upvalue(fn, name)
  for i = 1, 255 do
    local n, v = debug.getupvalue(fn, i)
    if n == nil then break end
    if n == name then return v end
  end
  error("check_annotations: no upvalue " .. name .. " (the library's layout changed: update this tool)")
end

local function methods(class, into, mt)
  for k, v in pairs(mt) do
    if type(v) == "function" and type(k) == "string" and not k:match("^_") then
      into[class .. ":" .. k] = v
    end
  end
end

-- name -> function: "th.orders.place", "th.BookView:mid", "th.testing.market", "th.testing.Run:select".
function M.live(th, testing)
  local out = {}
  local function walk(t, prefix, seen)
    if seen[t] then return end
    seen[t] = true
    for k, v in pairs(t) do
      if type(k) == "string" and not k:match("^_") then
        if type(v) == "function" then out[prefix .. "." .. k] = v
        elseif type(v) == "table" then walk(v, prefix .. "." .. k, seen) end
      end
    end
  end
  walk(th, "th", {})
  methods("th.BookView", out, upvalue(require("th.book").is_view, "view"))
  methods("th.Metric", out, upvalue(th.metrics.register, "metric_mt"))
  methods("th.Timer", out, upvalue(upvalue(th.every, "arm"), "handle"))
  if testing then
    local t = {}
    for k, v in pairs(testing) do if type(v) == "function" then t[k] = v end end
    walk(t, "th.testing", {})
    methods("th.testing.Market", out, testing._classes.Market)
    methods("th.testing.Run", out, testing._classes.Run)
  end
  return out
end

-- ------------------------------------------------------------- type expressions
local function skip_ws(s, i) return (s:find("[^ \t]", i)) or (#s + 1) end

-- The end (exclusive) of a balanced bracket starting at i, or nil.
local function balanced(s, i)
  local open = s:sub(i, i)
  local close = ({ ["("] = ")", ["{"] = "}", ["<"] = ">", ["["] = "]" })[open]
  local depth = 0
  for j = i, #s do
    local c = s:sub(j, j)
    if c == '"' then
      local e = s:find('"', j + 1, true)
      if not e then return nil end
    end
    if c == open then depth = depth + 1 elseif c == close then
      depth = depth - 1
      if depth == 0 then return j + 1 end
    end
  end
  return nil
end

local parse_type

-- The parts of s between commas outside brackets.
local function split_top(s)
  local parts, depth, start = {}, 0, 1
  for j = 1, #s do
    local c = s:sub(j, j)
    if c == "(" or c == "{" or c == "<" or c == "[" then depth = depth + 1
    elseif c == ")" or c == "}" or c == ">" or c == "]" then depth = depth - 1
    elseif c == "," and depth == 0 then parts[#parts + 1] = s:sub(start, j - 1); start = j + 1 end
  end
  parts[#parts + 1] = s:sub(start)
  return parts
end

-- A comma-separated list of types (fun returns): returns the end.
local function type_list(s, i, names)
  local j, err = parse_type(s, i, names)
  if not j then return nil, err end
  while true do
    local k = skip_ws(s, j)
    if s:sub(k, k) ~= "," then return j end
    local n, e2 = parse_type(s, skip_ws(s, k + 1), names)
    if not n then return j end -- a comma followed by a description: the list ended
    j = n
  end
end

-- Parses one type expression at i; returns the index after it, or nil and why. Every type name met
-- is added to names (checked against the declarations afterwards).
parse_type = function(s, i, names)
  local function primary(p)
    local c = s:sub(p, p)
    if c == '"' or c == "'" then
      local e = s:find(c, p + 1, true)
      if not e then return nil, "unterminated string literal" end
      return e + 1
    elseif c == "(" then
      local e = balanced(s, p)
      if not e then return nil, "unbalanced (" end
      local inner, ierr = parse_type(s:sub(p + 1, e - 2), 1, names)
      if not inner then return nil, ierr end
      return e
    elseif c == "{" then
      local e = balanced(s, p)
      if not e then return nil, "unbalanced {" end
      -- {[1]: T, name: T}: the value types
      local body = s:sub(p + 1, e - 2)
      for _, part in ipairs(split_top(body)) do
        local ty = part:match("^%s*[%w_%[%]\"]+%??%s*:%s*(.-)%s*$")
        if not ty then return nil, "bad table literal type {" .. body .. "}" end
        local n, perr = parse_type(ty, 1, names)
        if not n or skip_ws(ty, n) <= #ty then return nil, perr or ("bad field type " .. ty) end
      end
      return e
    end
    local name = s:match("^[%a_][%w_%.]*%*?", p)
    if not name then return nil, "expected a type at '" .. s:sub(p, p + 20) .. "'" end
    local q = p + #name
    if name == "fun" then
      if s:sub(q, q) ~= "(" then return nil, "fun needs (" end
      local e = balanced(s, q)
      if not e then return nil, "unbalanced fun(" end
      local args = s:sub(q + 1, e - 2)
      for _, part in ipairs(split_top(args)) do
        if part:match("%S") then
          local an, ty = part:match("^%s*([%a_][%w_]*%??)%s*:%s*(.-)%s*$")
          if not an then
            if part:match("^%s*%.%.%.") then ty = part:match(":%s*(.-)%s*$") or "any" else return nil, "fun parameter needs name: type" end
          end
          local n, perr = parse_type(ty, 1, names)
          if not n or skip_ws(ty, n) <= #ty then return nil, perr or ("bad parameter type " .. ty) end
        end
      end
      q = e
      local k = skip_ws(s, q)
      if s:sub(k, k) == ":" then
        local r, rerr = type_list(s, skip_ws(s, k + 1), names)
        if not r then return nil, rerr end
        q = r
      end
      return q
    end
    names[#names + 1] = name
    if s:sub(q, q) == "<" then
      local e = balanced(s, q)
      if not e then return nil, "unbalanced <" end
      local inner = s:sub(q + 1, e - 2)
      for _, part in ipairs(split_top(inner)) do
        local ty = part:match("^%s*(.-)%s*$")
        local n, perr = parse_type(ty, 1, names)
        if not n or skip_ws(ty, n) <= #ty then return nil, perr or ("bad type argument " .. ty) end
      end
      q = e
    end
    return q
  end
  local j, err = primary(skip_ws(s, i))
  if not j then return nil, err end
  while true do
    if s:sub(j, j + 1) == "[]" then j = j + 2
    elseif s:sub(j, j) == "?" then j = j + 1
    else
      local k = skip_ws(s, j)
      if s:sub(k, k) ~= "|" then return j end
      local n, nerr = primary(skip_ws(s, k + 1))
      if not n then return nil, nerr end
      j = n
    end
  end
end
M.parse_type = parse_type

-- ------------------------------------------------------------- the annotation files
-- Returns decl (name -> {params, tag_params, file, line}), declared type names, errors.
function M.parse_file(path, text, decl, declared, errors, type_uses, fields)
  local fn, lerr = loadstring(text, "@" .. path)
  if not fn then errors[#errors + 1] = path .. ": not valid Lua: " .. lerr end
  if not text:match("^%-%-%-@meta") then errors[#errors + 1] = path .. ":1: a library file starts with ---@meta" end
  local locals = {}   -- local variable -> class name
  local pending = {}  -- the ---@ lines above the next declaration
  local last_class = nil
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local where = path .. ":" .. n
    local tag, rest = line:match("^%-%-%-@(%a+)%s*(.*)$")
    if tag then
      if not TAGS[tag] then errors[#errors + 1] = where .. ": unknown tag @" .. tag end
      if tag == "class" then
        local name = rest:match("^([%a_][%w_%.]*)")
        if not name then errors[#errors + 1] = where .. ": @class needs a name" else declared[name] = true; last_class = name end
        local parent = rest:match("^[%a_][%w_%.]*%s*:%s*([%a_][%w_%.]*)")
        if parent then type_uses[#type_uses + 1] = { parent, where } end
      elseif tag == "alias" then
        local name, ty = rest:match("^([%a_][%w_%.]*)%s+(.+)$")
        if not name then errors[#errors + 1] = where .. ": @alias needs a name and a type"
        else
          declared[name] = true
          local names = {}
          local e, perr = parse_type(ty, 1, names)
          if not e then errors[#errors + 1] = where .. ": @alias " .. name .. ": " .. perr end
          for _, x in ipairs(names) do type_uses[#type_uses + 1] = { x, where } end
        end
      elseif tag == "field" or tag == "param" or tag == "type" or tag == "return" then
        local body = rest
        local pname
        if tag == "field" or tag == "param" then
          pname, body = rest:match("^([%a_][%w_]*%??)%s+(.+)$")
          if not pname then pname, body = rest:match("^(%[[^%]]+%])%s+(.+)$") end
          if not pname then errors[#errors + 1] = where .. ": @" .. tag .. " needs a name and a type" end
        end
        if body then
          local names = {}
          local e, perr
          if tag == "return" then e, perr = type_list(body, 1, names) else e, perr = parse_type(body, 1, names) end
          if not e then errors[#errors + 1] = where .. ": @" .. tag .. " " .. (pname or "") .. ": " .. perr end
          for _, x in ipairs(names) do type_uses[#type_uses + 1] = { x, where } end
        end
        if tag == "param" and pname then pending[#pending + 1] = pname:gsub("%?$", "") end
        if tag == "field" and pname and last_class then
          fields[last_class] = fields[last_class] or {}
          fields[last_class][pname:gsub("%?$", "")] = where
        end
      end
    else
      local var = line:match("^local%s+([%a_][%w_]*)%s*=%s*{}")
      if var and last_class then locals[var] = last_class; last_class = nil end
      local head, args = line:match("^function%s+([%w_%.:]+)%s*%((.-)%)")
      if head then
        local obj, sep, fname = head:match("^([%w_%.]-)([%.:])([%w_]+)$")
        local base, restp = obj:match("^([%w_]+)(.*)$")
        local owner = locals[base] and (locals[base] .. restp) or obj
        local full = owner .. sep .. fname
        local params = {}
        for a in args:gmatch("[%w_%.]+") do params[#params + 1] = a end
        if decl[full] then errors[#errors + 1] = where .. ": " .. full .. " annotated twice" end
        decl[full] = { params = params, tag_params = pending, where = where }
      end
      if not line:match("^%-%-%-") then pending = {} end
      if not line:match("^%-%-") and not line:match("^%s*$") and not line:match("^local%s") then last_class = nil end
    end
  end
end

local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

-- opts: th, testing (the live modules), files = { {path, text} }, api_doc, guide_doc, luarc (text).
-- Returns the list of errors (empty: all good).
function M.check(opts)
  local errors, decl, declared, uses, fields = {}, {}, {}, {}, {}
  for _, f in ipairs(opts.files) do M.parse_file(f[1], f[2], decl, declared, errors, uses, fields) end
  -- the strategy module's shape: every callback the runtime knows is a field of th.Strategy
  local strategy = fields["th.Strategy"] or {}
  local known = {}
  for _, cb in ipairs(opts.callbacks or {}) do
    known[cb] = true
    if not strategy[cb] then errors[#errors + 1] = "callback " .. cb .. " (th.runtime.CALLBACKS) is not a field of th.Strategy" end
  end
  -- the other way round only warns: a callback annotated ahead of the branch that adds it to the
  -- runtime (branches land independently) must not fail this one; a missing annotation does
  local warnings = {}
  for name, where in pairs(strategy) do
    if name:match("^on_") and opts.callbacks and not known[name] then
      warnings[#warnings + 1] = where .. ": th.Strategy." .. name .. " is not a callback the runtime calls"
    end
  end
  for _, u in ipairs(uses) do
    local name = u[1]
    if not BUILTIN[name] and not declared[name] then
      errors[#errors + 1] = u[2] .. ": unknown type " .. name
    end
  end
  local live = M.live(opts.th, opts.testing)
  local names = {}
  for name in pairs(live) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local d = decl[name]
    local real = params_of(live[name])
    if name:find(":", 1, true) then table.remove(real, 1) end -- self
    if not d then
      errors[#errors + 1] = ("%s(%s) has no annotation in types/"):format(name, table.concat(real, ", "))
    else
      if not same(d.params, real) then
        errors[#errors + 1] = ("%s: annotated parameters (%s), the function's are (%s)"):format(d.where,
          table.concat(d.params, ", "), table.concat(real, ", "))
      end
      if not same(d.tag_params, d.params) then
        errors[#errors + 1] = ("%s: %s: ---@param lines (%s) do not match its parameters (%s)"):format(d.where, name,
          table.concat(d.tag_params, ", "), table.concat(d.params, ", "))
      end
    end
  end
  local annotated = {}
  for name in pairs(decl) do annotated[#annotated + 1] = name end
  table.sort(annotated)
  for _, name in ipairs(annotated) do
    if not live[name] then errors[#errors + 1] = decl[name].where .. ": " .. name .. " is annotated but does not exist" end
  end
  -- docs
  if opts.api_doc then
    for _, name in ipairs(names) do
      local method = name:match(":([%w_]+)$")
      local doc = name:match("^th%.testing") and opts.guide_doc or opts.api_doc
      local docname = name:match("^th%.testing") and "docs/guide.md" or "docs/lua-api.md"
      if method then
        if not doc:find(":" .. method .. "(", 1, true) and not doc:find(":" .. method .. "{", 1, true) then
          errors[#errors + 1] = ("%s is not in %s (no :%s( there)"):format(name, docname, method)
        end
      else
        local shown = name:gsub("^th%.testing%.", "testing.")
        if not doc:find(shown, 1, true) then errors[#errors + 1] = name .. " is not in " .. docname end
      end
    end
    for _, text in ipairs({ { opts.api_doc, "docs/lua-api.md" }, { opts.guide_doc, "docs/guide.md" } }) do
      for called in text[1]:gmatch("%f[%w_.](th%.[%a_][%w_%.]*)%(") do
        if not live[called] and not M.DOC_ONLY[called] and not called:match("^th%.testing") then
          errors[#errors + 1] = text[2] .. " shows " .. called .. "(...), which th does not have"
        end
      end
    end
  end
  if opts.luarc then
    local ok, cfg = pcall(require("cjson").decode, opts.luarc)
    if not ok then errors[#errors + 1] = ".luarc.json: not JSON: " .. tostring(cfg)
    else
      local lib = cfg["workspace.library"] or (cfg.workspace and cfg.workspace.library) or {}
      local has = false
      for _, l in ipairs(lib) do if l == "types" or l == "./types" then has = true end end
      if not has then errors[#errors + 1] = ".luarc.json: workspace.library must list \"types\"" end
      local ver = cfg["runtime.version"] or (cfg.runtime and cfg.runtime.version)
      if ver ~= "LuaJIT" then errors[#errors + 1] = ".luarc.json: runtime.version must be \"LuaJIT\"" end
    end
  end
  return errors, live, decl, warnings
end

-- The repository's own files (run from the repository root).
function M.repo_opts(root)
  root = root or "."
  package.path = root .. "/scripts/?.lua;" .. root .. "/scripts/?/init.lua;" .. package.path
  local files = {}
  local p = io.popen("ls " .. root .. "/types/*.lua")
  for path in p:lines() do files[#files + 1] = { path:sub(#root + 2), assert(read(path)) } end
  p:close()
  return { th = require("th"), testing = require("th.testing"), files = files, callbacks = require("th.runtime").CALLBACKS,
           api_doc = assert(read(root .. "/docs/lua-api.md")), guide_doc = assert(read(root .. "/docs/guide.md")),
           luarc = assert(read(root .. "/.luarc.json")) }
end

if arg and arg[0] and arg[0]:match("check_annotations%.lua$") then
  local errors, live, _, warnings = M.check(M.repo_opts(arg[1] or "."))
  for _, w in ipairs(warnings) do io.stderr:write("check_annotations: warning: ", w, "\n") end
  local n = 0
  for _ in pairs(live) do n = n + 1 end
  if #errors > 0 then
    for _, e in ipairs(errors) do io.stderr:write("check_annotations: ", e, "\n") end
    os.exit(1)
  end
  print(("check_annotations: %d functions and methods annotated, parameters, types and docs agree"):format(n))
end

return M
