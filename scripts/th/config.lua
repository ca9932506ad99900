-- th/config.lua — loads and validates a host config file (a Lua file returning a table).
--
-- The config runs in a small sandbox: it may read the environment (os.getenv, for names of secrets)
-- and use string/math/table, nothing else. Secrets never appear as values in a config: a credential
-- is given as the *name* of an environment variable (key_env, secret_env, token_env, password_env),
-- so a config file can be committed and shared. Every error names the file and the key path.
local schema = require("th.schema")
-- th.budget exists inside the host (host/lua/lua_budget.c); the busted specs load this file in a
-- plain luajit, where a config is evaluated without one.
local has_budget, budget = pcall(require, "th.budget")

local M = {}

-- A config only builds a table: a loop or a runaway allocation in one is a mistake, and must end
-- start-up with a message naming the file rather than hang it or eat the machine's memory.
M.limits = { instructions = 50000000, seconds = 5, memory = 256 * 1024 * 1024, heap = 1024 * 1024 * 1024 }

local function loopback_listen(v)
  local host = v:match("^%[(.-)%]:%d+$") or v:match("^(.-):%d+$")
  if not host then return false, "expected host:port, e.g. 127.0.0.1:8080" end
  if host ~= "127.0.0.1" and host ~= "::1" and host ~= "localhost" then
    return false, ("%s is not a loopback address; the API listens on loopback only"):format(host)
  end
  return true
end

local function env_name(v)
  if not v:match("^[%a_][%w_]*$") then
    return false, "must be the name of an environment variable, not a secret value"
  end
  return true
end

local ENV = { type = "string", check = env_name }
local POS = { type = "number", min = 0 }
local PCT = { type = "number", min = 0, max = 100 }

M.VENUES = { "sim", "kraken", "kraken-futures", "binance", "binance-usdm" }

M.schema = {
  type = "table",
  fields = {
    venue = { type = "table", required = true, fields = {
      name = { type = "string", required = true, enum = M.VENUES },
      paper = { type = "boolean", default = false },
      feed = { type = "string", enum = { "kraken", "kraken-futures", "binance", "binance-usdm" } },
      recording = { type = "string" },
      instruments = { type = "string" },
      snapshots = { type = "string" },
      pace = { type = "string", enum = { "full", "recorded" }, default = "recorded" },
      speed = { type = "number", min = 0.001, default = 1 },
      stale_ms = { type = "number", min = 1, default = 5000 },
      fee_bps = { type = "number", min = 0 },
      credentials = { type = "table", fields = { key_env = ENV, secret_env = ENV } },
      -- where the venue is: default the venue's own (TLS); ws:// and http:// only to loopback (the sim)
      endpoints = { type = "table", fields = { rest = { type = "string" }, ws_public = { type = "string" }, ws_private = { type = "string" } } },
      -- Kraken's trading tier: the per-pair rate counter's threshold and decay (docs/connectors.md)
      tier = { type = "string", enum = { "starter", "intermediate", "pro" }, default = "starter" },
      -- Kraken's dead man's switch: cancel_all_orders_after this many seconds, renewed while trading (0: off)
      dead_man_s = { type = "number", min = 0, max = 86399, default = 60 },
    } },
    strategy = { type = "table", required = true, fields = {
      name = { type = "string", required = true, check = function(v)
        if not v:match("^[%w_%-]+$") then return false, "letters, digits, _ and - only" end
        return true
      end },
      module = { type = "string" },
      tick_ms = { type = "integer", min = 1, default = 1000 },
      budget_ms = { type = "number", min = 0, default = 5 },
      -- a callback raised: "cancel" its live orders (nobody manages them now) or "keep" them resting
      on_fault = { type = "string", enum = { "cancel", "keep" }, default = "cancel" },
      params = { type = "table", open = true, fields = {}, default = {} },
    } },
    pairs = { type = "array", required = true, min_items = 1, items = {
      type = "table", open = true, fields = {
        symbol = { type = "string", required = true },
        enabled = { type = "boolean", default = true },
        -- per-pair risk overrides (base units)
        max_order_size = POS, min_order_size = POS, max_position = POS,
        max_open_orders = { type = "integer", min = 0 },
      } } },
    risk = { type = "table", default = {}, fields = {
      budget = POS, max_order_size = POS, max_order_notional = POS, min_order_notional = POS,
      max_position = POS, max_open_orders = { type = "integer", min = 0 },
      price_band_pct = PCT, anti_layering_pct = PCT, max_exposure_pct = PCT, max_position_pct = PCT,
      max_pair_pct = PCT, daily_loss_cap = POS, max_drawdown_pct = PCT,
      breaker_errors = { type = "integer", min = 1 }, breaker_cooldown_s = POS,
      pending_timeout_s = { type = "number", min = 0.1 },
      unknown_orders = { type = "string", enum = { "adopt", "cancel" }, default = "adopt" },
      -- the trading day (daily loss cap, day PnL) starts at this UTC time
      day_start_utc = { type = "string", default = "00:00", check = function(v)
        local h, m = v:match("^(%d%d):(%d%d)$")
        if not h or tonumber(h) > 23 or tonumber(m) > 59 then return nil, "expected \"HH:MM\" (UTC, 00:00 to 23:59)" end
        return true
      end },
      orders_per_s = POS, orders_burst = POS,
      currency = { type = "string" },
      rates = { type = "table", open = true, fields = {} },
    } },
    quotes = { type = "table", default = {}, fields = {
      price_tolerance_bps = POS, size_tolerance_pct = PCT, amend = { type = "boolean" },
    } },
    storage = { type = "table", default = {}, fields = {
      journal_dir = { type = "string" },
      fsync = { type = "string", enum = { "turn", "always", "never" }, default = "turn" },
      redis = { type = "table", fields = { host = { type = "string" }, port = { type = "integer", min = 1, max = 65535 },
                                            password_env = ENV } },
      postgres = { type = "table", fields = { conninfo_env = ENV } },
    } },
    api = { type = "table", fields = { listen = { type = "string", check = loopback_listen }, token_env = ENV } },
    repl = { type = "table", fields = { socket = { type = "string" }, readonly_socket = { type = "string" } } },
    log = { type = "table", default = {}, fields = {
      level = { type = "string", enum = { "debug", "info", "warn", "error" }, default = "info" },
      file = { type = "string" },
    } },
    report = { type = "table", default = {}, fields = {
      enabled = { type = "boolean", default = true },
      sample_ms = { type = "number", min = 1, default = 1000 },
      max_samples = { type = "integer", min = 10, default = 20000 },
    } },
    session = { type = "table", default = {}, fields = {
      name = { type = "string" },
      duration_s = { type = "number", min = 0 },
      stop_timeout_s = { type = "number", min = 0.1, max = 3600, default = 10 },
      keep_done_s = { type = "number", min = 0 },
      keep_done_max = { type = "number", min = 0 },
      id_prefix = { type = "string", check = function(v)
        if not v:match("^%w%w?%w?%w?$") then return false, "1 to 4 letters or digits (client ids stay short)" end
        return true
      end },
    } },
  },
}

local function sandbox()
  return {
    os = { getenv = os.getenv }, string = string, math = math, table = table,
    ipairs = ipairs, pairs = pairs, tonumber = tonumber, tostring = tostring, type = type,
    error = error, assert = assert, select = select, unpack = unpack,
  }
end

-- Every path a config names. A relative one is relative to the directory holding the config file
-- (docs/config.md "Paths"): the host may be started from anywhere and must still find the same
-- journal, recording and socket.
M.PATHS = { { "venue", "recording" }, { "venue", "instruments" }, { "venue", "snapshots" }, { "strategy", "module" },
            { "storage", "journal_dir" }, { "repl", "socket" }, { "log", "file" } }

local function resolve_paths(cfg, dir)
  for _, k in ipairs(M.PATHS) do
    local t = cfg[k[1]]
    local v = t and t[k[2]]
    if type(v) == "string" and v ~= "" and v:sub(1, 1) ~= "/" then
      t[k[2]] = dir .. "/" .. v:gsub("^%./", "")
    end
  end
  -- The journal's default: beside the config, one directory per strategy, so two configs never
  -- recover each other's orders.
  if cfg.storage.journal_dir == nil then
    cfg.storage.journal_dir = dir .. "/var/journal/" .. cfg.strategy.name
  end
end

-- Returns the validated, normalised config table, or nil and "FILE: path: message". With dir (the
-- config file's absolute directory), relative paths are resolved against it.
function M.load(path, dir)
  local chunk, err = loadfile(path, "t", sandbox())
  if not chunk then return nil, err end
  local ok, cfg
  if has_budget then
    ok, cfg = budget.run(chunk, M.limits)
    if ok == nil then
      return nil, ("%s: evaluation %s: a config file must only build a table"):format(path, cfg)
    end
  else
    ok, cfg = pcall(chunk)
  end
  if not ok then return nil, ("%s: error while evaluating: %s"):format(path, tostring(cfg)) end
  if type(cfg) ~= "table" then
    return nil, ("%s: a config file must return a table, got %s"):format(path, type(cfg))
  end
  local valid, verr = schema.validate(M.schema, cfg, "")
  if not valid then return nil, ("%s: %s"):format(path, verr) end
  for i, p in ipairs(cfg.pairs) do
    for j = 1, i - 1 do
      if cfg.pairs[j].symbol == p.symbol then
        return nil, ("%s: pairs[%d].symbol: %s is listed twice (first at pairs[%d])"):format(path, i, p.symbol, j)
      end
    end
  end
  cfg._path = path
  if dir then resolve_paths(cfg, dir) end
  return cfg
end

M.PAIR_FIELDS = { symbol = true, enabled = true, max_order_size = true, min_order_size = true, max_position = true,
                  max_open_orders = true }

-- Strategy parameters are checked against the strategy's own `defaults` table, so a misspelt or
-- mistyped parameter in `strategy.params` or a per-pair override is caught at startup too.
function M.check_params(cfg, defaults)
  local path = cfg._path or "config"
  if defaults == nil then return true end
  local fields = {}
  for k, v in pairs(defaults) do fields[k] = { type = type(v) } end
  local pnode = { type = "table", fields = fields,
                  unknown_hint = "not a parameter of strategy " .. cfg.strategy.name }
  local ok, err = schema.validate(pnode, cfg.strategy.params, "strategy.params")
  if not ok then return nil, path .. ": " .. err end
  for i, p in ipairs(cfg.pairs) do
    for k, v in pairs(p) do
      if not M.PAIR_FIELDS[k] then
        if fields[k] == nil then
          return nil, ("%s: pairs[%d].%s: unknown key (neither a pair field nor a parameter of strategy %s)")
            :format(path, i, tostring(k), cfg.strategy.name)
        end
        if type(v) ~= fields[k].type then
          return nil, ("%s: pairs[%d].%s: expected %s, got %s"):format(path, i, k, fields[k].type, type(v))
        end
      end
    end
  end
  return true
end

return M
