-- th/repl.lua — evaluates one REPL chunk inside the running host (the socket side is C:
-- host/app/repl.c). A chunk runs in the host's own Lua state, so it sees what the strategy sees:
-- `th`, `state` (the strategy's live state table, the same object across reloads) and `ctx`.
--
-- Why it is careful:
--   * The loop is single-threaded: a chunk that never ends would freeze quoting and order
--     handling. The JIT is turned off for the chunk (a count hook never fires inside compiled
--     traces) and an instruction-count hook stops it after a budget.
--   * An expression is shown as its value ("1+1" prints 2), like the stand-alone Lua REPL: it is
--     tried as `return <chunk>` first.
--   * A chunk cut off mid-statement (e.g. the first line of a function) is reported as incomplete,
--     so the client sends the next line and the host compiles the whole.
local M = {}

M.budget = 10000000 -- VM instructions per chunk (about 10-50 ms of plain Lua)

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
  return "[" .. M.show(k, 0) .. "]"
end

-- A readable, bounded rendering of a value: tables to depth 2, at most 40 entries each, keys sorted.
function M.show(v, depth)
  depth = depth or 2
  local t = type(v)
  if t == "string" then return ("%q"):format(v) end
  if t ~= "table" then return tostring(v) end
  if depth <= 0 then return "{...}" end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  local parts, n = {}, #v
  for i, k in ipairs(keys) do
    if i > 40 then parts[#parts + 1] = ("... (%d more)"):format(#keys - 40); break end
    if type(k) == "number" and k >= 1 and k <= n and k % 1 == 0 then
      parts[#parts + 1] = M.show(v[k], depth - 1)
    else
      parts[#parts + 1] = key_text(k) .. " = " .. M.show(v[k], depth - 1)
    end
  end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

-- os.exit from a REPL would end the host without cancelling its orders or flushing the journal.
local guarded_os = setmetatable({
  exit = function() error("os.exit would skip cancelling orders and flushing the journal: send SIGTERM for a graceful stop", 2) end,
}, { __index = os })

-- A fresh environment for one client: globals readable, its own assignments kept between chunks.
function M.env(state, ctx)
  return setmetatable({ state = state, ctx = ctx, th = require("th"), os = guarded_os }, { __index = _G })
end

local function pack(...) return { n = select("#", ...), ... } end

local function compile(chunk)
  local fn = loadstring("return " .. chunk, "=repl")
  if fn then return fn end
  local err
  fn, err = loadstring(chunk, "=repl")
  if fn then return fn end
  if err:match("'<eof>'$") then return nil, err, true end -- as lua.c: cut off mid-statement
  return nil, err
end

-- Returns text (results, print output, or the error) and whether the chunk is incomplete.
function M.eval(env, chunk)
  local fn, err, incomplete = compile(chunk)
  if not fn then
    if incomplete then return "", true end
    return "error: " .. err .. "\n", false
  end
  local out = {}
  env.print = function(...)
    local n = select("#", ...)
    local p = {}
    for i = 1, n do p[i] = tostring((select(i, ...))) end
    out[#out + 1] = table.concat(p, "\t") .. "\n"
  end
  setfenv(fn, env)
  jit.off(fn, true)
  local count = 0
  local per = 1000
  debug.sethook(function()
    count = count + per
    if count > M.budget then
      debug.sethook()
      error(("stopped after %d instructions: the host's loop must not block (budget %d)"):format(count, M.budget), 2)
    end
  end, "", per)
  local res = pack(pcall(fn))
  debug.sethook()
  if not res[1] then
    out[#out + 1] = "error: " .. tostring(res[2]) .. "\n"
  else
    local shown = {}
    for i = 2, res.n do shown[#shown + 1] = M.show(res[i]) end
    if #shown > 0 then out[#out + 1] = table.concat(shown, "\t") .. "\n" end
  end
  return table.concat(out), false
end

return M
