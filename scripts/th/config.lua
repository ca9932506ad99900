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
local function NAME(v)
  if not v:match("^[%w_%-]+$") then return false, "letters, digits, _ and - only" end
  return true
end
local POS = { type = "number", min = 0 }
local PRIORITY = { type = "integer", min = 1, max = 4 }
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
      -- more recordings of the feed's venue (a trade channel beside the books), merged with the
      -- recording by receive time; `backtest --data` replaces the recording and this list
      data = { type = "array", items = { type = "string" } },
      -- a lead market: another venue's recording (Kraken Futures beside Kraken spot) merged by
      -- receive time into a feed of its own; strategies read its books (th.book, on_lead), never
      -- trade them. align = "start" shifts it so its first record meets the recording's first;
      -- shift_s moves it further (docs/config.md "A lead market")
      lead = { type = "table", fields = {
        feed = { type = "string", required = true, enum = { "kraken", "kraken-futures", "binance", "binance-usdm" } },
        -- a recording (beside venue.recording), or in a live session the venue itself:
        -- endpoints.ws_public (default the venue's) and symbols, the products to subscribe
        recording = { type = "string" },
        instruments = { type = "string", required = true },
        endpoints = { type = "table", fields = { ws_public = { type = "string" } } },
        symbols = { type = "array", items = { type = "string" } },
        snapshots = { type = "string" },
        align = { type = "string", enum = { "none", "start" }, default = "none" },
        shift_s = { type = "number", default = 0 },
      } },
      pace = { type = "string", enum = { "full", "recorded" }, default = "recorded" },
      speed = { type = "number", min = 0.001, default = 1 },
      stale_ms = { type = "number", min = 1, default = 5000 },
      fee_bps = { type = "number", min = 0 },
      -- the paper venue (paper sessions and backtests: the sim's matching engine, docs/config.md)
      maker_fee_bps = { type = "number", min = 0 }, taker_fee_bps = { type = "number", min = 0 },
      queue_model = { type = "string", enum = { "pessimistic", "proportional", "optimistic" }, default = "proportional" },
      -- the paper account's balances by asset ({ USD = 10000, XMR = "2.5" }); assets not named
      -- start at 0, so an order the account cannot pay for is refused by the venue
      -- (insufficient_funds). Without it every asset starts at 1e12.
      balances = { type = "table", open = true, fields = {}, check = function(t)
        for k, v in pairs(t) do
          if type(k) ~= "string" or not k:match("^[%w%.]+$") or #k > 15 then
            return false, ("%s: an asset name (letters and digits, at most 15)"):format(tostring(k))
          end
          if type(v) == "number" then
            if v ~= v or v < 0 or v >= 1e17 then return false, ("%s: %s is not an amount from 0 to 1e17"):format(k, tostring(v)) end
            -- exact text for the venue's fixed point: integers as they are, fractions to 10 places
            t[k] = v == math.floor(v) and ("%d"):format(v) or (("%.10f"):format(v):gsub("0+$", ""))
          elseif type(v) ~= "string" or not v:match("^%d+%.?%d*$") then
            return false, ("%s: expected a non-negative amount (a number or decimal text), got %s"):format(k, tostring(v))
          end
        end
        return true
      end },
      latency = { type = "table", fields = {
        dist = { type = "string", enum = { "fixed", "uniform", "lognormal" }, default = "fixed" },
        feed_ms = POS, order_ms = POS, jitter_ms = POS, sigma = { type = "number", min = 0, max = 5 },
        turn_ms = POS,
      } },
      credentials = { type = "table", fields = { key_env = ENV, secret_env = ENV } },
      -- where the venue is: default the venue's own (TLS); ws:// and http:// only to loopback (the sim)
      endpoints = { type = "table", fields = { rest = { type = "string" }, ws_public = { type = "string" }, ws_private = { type = "string" } } },
      -- Kraken's trading tier: the per-pair rate counter's threshold and decay (docs/connectors.md)
      tier = { type = "string", enum = { "starter", "intermediate", "pro" }, default = "starter" },
      -- Kraken's dead man's switch: cancel_all_orders_after this many seconds, renewed while trading (0: off)
      dead_man_s = { type = "number", min = 0, max = 86399, default = 60 },
      -- Kraken: least interval between BalanceEx asked for what open orders hold (no push for holds)
      balance_refresh_s = { type = "number", min = 0.1, max = 3600, default = 5 },
      -- the graceful stop's first move is the venue's cancel_all (account-wide: false when several
      -- hosts share one account), then a reconciliation; false: one cancel per order
      cancel_all_on_stop = { type = "boolean", default = true },
    } },
    -- the single-strategy form; with `strategies` it holds only the host-wide keys (tick_ms,
    -- budget_ms, stuck_s, on_fault) and may be left out
    strategy = { type = "table", default = {}, fields = {
      name = { type = "string", check = NAME },
      module = { type = "string" },
      tick_ms = { type = "integer", min = 1, default = 1000 },
      budget_ms = { type = "number", min = 0, default = 5 },
      -- a callback running this long is stuck: the watchdog ends the process (exit 5); 0: off
      stuck_s = { type = "number", min = 0, default = 10 },
      -- a callback raised: "cancel" its live orders (nobody manages them now) or "keep" them resting
      on_fault = { type = "string", enum = { "cancel", "keep" }, default = "cancel" },
      params = { type = "table", open = true, fields = {}, default = {} },
      -- the pairs' dispatch priority, 1 (highest) to 4, unless a pair sets its own (default 2;
      -- docs/config.md "Priorities and overload")
      priority = PRIORITY,
    } },
    -- several strategy instances in one host (docs/config.md "Several strategies"): each with its
    -- own code, parameters, pairs (traded by it alone), pairs it only reads, and risk share
    strategies = { type = "array", min_items = 1, items = {
      type = "table", fields = {
        name = { type = "string", required = true, check = NAME },
        id = { type = "string", check = NAME },
        module = { type = "string" },
        params = { type = "table", open = true, fields = {}, default = {} },
        pairs = { type = "array", default = {}, items = { type = "any" } },
        reads = { type = "array", default = {}, items = { type = "string" } },
        risk_share = { type = "number", min = 0, max = 1 },
        priority = PRIORITY, -- its pairs' priority unless a pair sets its own
      } } },
    pairs = { type = "array", min_items = 1, items = {
      type = "table", open = true, fields = {
        symbol = { type = "string", required = true },
        enabled = { type = "boolean", default = true },
        -- per-pair risk overrides (base units)
        max_order_size = POS, min_order_size = POS, max_position = POS,
        max_open_orders = { type = "integer", min = 0 },
        priority = PRIORITY, -- on_book order within a loop turn's budget; overload pauses the lowest
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
      -- the Redis mirror of the journal (docs/ops.md "Redis keys"); host is what turns it on
      redis = { type = "table", fields = { host = { type = "string", required = true },
                                            port = { type = "integer", min = 1, max = 65535, default = 6379 },
                                            password_env = ENV,
                                            connect_timeout_ms = { type = "integer", min = 10, max = 60000, default = 1000 },
                                            -- several hosts on one account (docs/ops.md "Running several hosts")
                                            leases = { type = "table", fields = {
                                              host_id = { type = "string", required = true, check = function(v)
                                                if not v:match("^[%w%-_.]+$") or #v > 63 then return false, "1 to 63 letters, digits, '-', '_' or '.'" end
                                                return true
                                              end },
                                              ttl_ms = { type = "integer", min = 300, max = 600000, default = 3000 },
                                              account = { type = "string" } } },
                                            shared_budget = { type = "boolean", default = false } } },
      -- the PostgreSQL history of the journal (docs/ops.md "PostgreSQL history"); conninfo_env turns it on
      postgres = { type = "table", fields = { conninfo_env = { type = "string", check = env_name, required = true },
                                               connect_timeout_ms = { type = "integer", min = 10, max = 60000, default = 2000 },
                                               stop_timeout_ms = { type = "integer", min = 0, max = 60000, default = 3000 },
                                               -- how long GET /performance/stats waits for PostgreSQL (under the API's 5 s idle cut)
                                               query_timeout_ms = { type = "integer", min = 100, max = 4000, default = 3000 } } },
    } },
    api = { type = "table", fields = { listen = { type = "string", check = loopback_listen }, token_env = ENV,
      -- the token from a file (mode 0600 or stricter, checked at start), instead of token_env
      token_file = { type = "string" },
      -- the /events stream: its status event's period, and how much a slow client may leave unread
      status_every_s = { type = "number", min = 0.05, default = 5 },
      events_buffer_kb = { type = "integer", min = 4, max = 65536, default = 256 },
    } },
    repl = { type = "table", fields = { socket = { type = "string" }, readonly_socket = { type = "string" } } },
    log = { type = "table", default = {}, fields = {
      level = { type = "string", enum = { "debug", "info", "warn", "error" }, default = "info" },
      file = { type = "string" },
    } },
    status = { type = "table", default = {}, fields = {
      mode = { type = "string", enum = { "auto", "tty", "lines", "off" }, default = "off" },
      every_ms = { type = "number", min = 20, default = 250 },
    } },
    report = { type = "table", default = {}, fields = {
      enabled = { type = "boolean", default = true },
      sample_ms = { type = "number", min = 1, default = 1000 },
      max_samples = { type = "integer", min = 10, default = 20000 },
    } },
    session = { type = "table", default = {}, fields = {
      name = { type = "string" },
      -- "now", or "api": open everything (journal recovered, API and REPL up) and wait for
      -- POST /sessions/start before on_start, ticks and market data
      start = { type = "string", enum = { "now", "api" }, default = "now" },
      duration_s = { type = "number", min = 0 },
      stop_timeout_s = { type = "number", min = 0.1, max = 3600, default = 10 },
      -- how long the stop waits for the venue to confirm every cancel (unset: 5 s plus the time
      -- the venue's rate counter needs for the orders in play); orders still live then: exit 6
      drain_timeout_s = { type = "number", min = 0.1, max = 3600 },
      keep_done_s = { type = "number", min = 0 },
      -- a loop turn's on_book budget: past it, lower priorities wait for the next turn (0: none;
      -- never in a backtest); a pair waits at most max_defer_turns turns in a row; deferrals in
      -- overload_turns turns in a row pause the lowest priority; overload_calm_ms of calm turns
      -- resume it (docs/config.md "Priorities and overload")
      turn_budget_us = { type = "number", min = 0, max = 10000000, default = 5000 },
      max_defer_turns = { type = "integer", min = 1, max = 10000, default = 10 },
      overload_turns = { type = "integer", min = 1, max = 100000, default = 5 },
      overload_calm_ms = { type = "number", min = 0, max = 3600000, default = 2000 },
      keep_done_max = { type = "number", min = 0 },
      id_prefix = { type = "string", check = function(v)
        if not v:match("^%w%w?%w?%w?$") then return false, "1 to 4 letters or digits (client ids stay short)" end
        return true
      end },
    } },
  },
}

local function base_env()
  return {
    os = { getenv = os.getenv }, string = string, math = math, table = table,
    ipairs = ipairs, pairs = pairs, tonumber = tonumber, tostring = tostring, type = type,
    error = error, assert = assert, select = select, unpack = unpack,
  }
end

local function dirname(path) return path:match("^(.*)/[^/]*$") or "." end

-- A pair list in a file of its own (docs/config.md "Pair lists in their own files"), so a
-- discovery script can rewrite it and a SIGHUP picks the new list up: `pairs =
-- th.pairs_file("pairs/kraken-top20.lua")`. The file is Lua returning a list whose items are a
-- symbol ("XMR/USD") or a pair table ({ symbol = "XMR/USD", size = 0.5 }); it runs in the same
-- sandbox as the config (within the config's budget). A relative path is relative to the config
-- file's directory. `origin` remembers which file each list came from, so a bad item is reported
-- against that file.
local function pairs_file_fn(config_dir, origin)
  return function(rel)
    if type(rel) ~= "string" or rel == "" then
      error(("th.pairs_file: expected a path (string), got %s"):format(type(rel)), 2)
    end
    local path = rel:sub(1, 1) == "/" and rel or (config_dir .. "/" .. rel:gsub("^%./", ""))
    local chunk, err = loadfile(path, "t", base_env())
    if not chunk then
      local f = io.open(path, "r")
      if not f then error(("th.pairs_file: no such file: %s"):format(path), 2) end
      f:close()
      error(("th.pairs_file: %s"):format(err), 2)
    end
    local ok, list = pcall(chunk)
    if not ok then error(("th.pairs_file: %s: error while evaluating: %s"):format(path, tostring(list)), 2) end
    if type(list) ~= "table" then
      error(("th.pairs_file: %s: must return a list of pairs, got %s"):format(path, type(list)), 2)
    end
    local out = {}
    for i, item in ipairs(list) do
      if type(item) == "string" then
        out[i] = { symbol = item }
      elseif type(item) == "table" then
        local copy = {}
        for k, v in pairs(item) do copy[k] = v end
        out[i] = copy
      else
        error(("th.pairs_file: %s: item %d: expected a symbol or a pair table, got %s"):format(path, i, type(item)), 2)
      end
    end
    origin[out] = path
    return out
  end
end

local function sandbox(config_dir, origin)
  local env = base_env()
  env.th = { pairs_file = pairs_file_fn(config_dir, origin) }
  return env
end

-- Every path a config names. A relative one is relative to the directory holding the config file
-- (docs/config.md "Paths"): the host may be started from anywhere and must still find the same
-- journal, recording and socket.
-- (venue.data's items and venue.lead's paths too: resolve_paths.)
M.PATHS = { { "venue", "recording" }, { "venue", "instruments" }, { "venue", "snapshots" }, { "strategy", "module" },
            { "storage", "journal_dir" }, { "repl", "socket" }, { "log", "file" },
            { "api", "token_file" } }

local function resolve_paths(cfg, dir)
  for _, k in ipairs(M.PATHS) do
    local t = cfg[k[1]]
    local v = t and t[k[2]]
    if type(v) == "string" and v ~= "" and v:sub(1, 1) ~= "/" then
      t[k[2]] = dir .. "/" .. v:gsub("^%./", "")
    end
  end
  local function rel(v) return v:sub(1, 1) == "/" and v or dir .. "/" .. v:gsub("^%./", "") end
  for i, v in ipairs(cfg.venue.data or {}) do if v ~= "" then cfg.venue.data[i] = rel(v) end end
  for _, st in ipairs(cfg._instances or {}) do
    if type(st.module) == "string" and st.module ~= "" then st.module = rel(st.module) end
  end
  local lead = cfg.venue.lead
  for _, k in ipairs({ "recording", "instruments", "snapshots" }) do
    if lead and type(lead[k]) == "string" and lead[k] ~= "" then lead[k] = rel(lead[k]) end
  end
  -- The journal's default: beside the config, one directory per strategy, so two configs never
  -- recover each other's orders.
  if cfg.storage.journal_dir == nil then
    cfg.storage.journal_dir = dir .. "/var/journal/" .. cfg.strategy.name
  end
end

-- `--set key.path=value` from the command line (backtests and sweeps): applied to the table the
-- file built, before validation, so an override is checked like the file's own values. The value
-- is a boolean for true/false, a number when it reads as one, else the text. A numeric path
-- element indexes an array (pairs.1.size). Returns nil and a message naming the --set on error.
function M.apply_overrides(cfg, sets)
  for _, kv in ipairs(sets or {}) do
    local key, text = kv:match("^([%w_%.]+)=(.*)$")
    if not key then return nil, ("--set %s: expected key.path=value"):format(kv) end
    local value
    if text == "true" then value = true elseif text == "false" then value = false
    else value = tonumber(text) or text end
    local t, parts = cfg, {}
    for part in key:gmatch("[^%.]+") do parts[#parts + 1] = tonumber(part) or part end
    for i = 1, #parts - 1 do
      local k = parts[i]
      if t[k] == nil then t[k] = {} end
      if type(t[k]) ~= "table" then
        return nil, ("--set %s: %s is not a table"):format(kv, table.concat(parts, ".", 1, i))
      end
      t = t[k]
    end
    t[parts[#parts]] = value
  end
  return cfg
end

-- Returns the validated, normalised config table, or nil and "FILE: path: message". With dir (the
-- config file's absolute directory), relative paths are resolved against it. The host's --set
-- overrides (the global TH_CONFIG_OVERRIDES, a list of "key=value") apply before validation.
function M.load(path, dir)
  local origin = setmetatable({}, { __mode = "k" })
  local chunk, err = loadfile(path, "t", sandbox(dir or dirname(path), origin))
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
  local overrides = rawget(_G, "TH_CONFIG_OVERRIDES")
  if overrides then
    local oerr
    cfg, oerr = M.apply_overrides(cfg, overrides)
    if not cfg then return nil, ("%s: %s"):format(path, oerr) end
  end
  local from = type(cfg.pairs) == "table" and origin[cfg.pairs]
  local where = from and ("%s (pairs from %s)"):format(path, from) or path
  -- the single form needs both; `strategies` replaces them (M.instances)
  for _, k in ipairs({ "strategy", "pairs" }) do
    if cfg[k] == nil and cfg.strategies == nil then return nil, ("%s: %s: required value is missing"):format(path, k) end
  end
  local valid, verr = schema.validate(M.schema, cfg, "")
  if not valid then
    return nil, ("%s: %s"):format(verr:match("^pairs[%[:]") and where or path, verr)
  end
  local nerr = M.instances(cfg)
  if nerr then return nil, ("%s: %s"):format(path, nerr) end
  local seen = {}
  for i, p in ipairs(cfg.pairs) do
    if seen[p.symbol] then
      return nil, ("%s: pairs[%d].symbol: %s is listed twice (first at pairs[%d])"):format(where, i, p.symbol, seen[p.symbol])
    end
    seen[p.symbol] = i
  end
  cfg._path = path
  cfg._pairs_file = from or nil
  if dir then resolve_paths(cfg, dir) end
  return cfg
end

-- ---- strategy instances ----

-- Both forms become cfg._instances, one entry per strategy instance the host runs:
--   { id, name, module, params, pairs = {pair tables it trades}, reads = {symbols}, risk_share }
-- The single form (`strategy` + `pairs`) is one instance trading every pair (risk_share 1). With
-- `strategies`, cfg.pairs is made from the instances' pairs (the pair fields only: the market data
-- and the order side read it), and cfg.strategy.name/module/params are the first instance's, so
-- that what reads the single form still reads something true. Returns nil, or an error naming the key.
function M.instances(cfg)
  if not cfg.strategies then
    if not cfg.strategy.name then return "strategy.name: required (or list strategy instances in strategies)" end
    if not cfg.pairs then return "pairs: required" end
    -- each pair's priority resolved (pair, then strategy.priority, then 2): the host reads pairs.N.priority
    for _, p in ipairs(cfg.pairs) do p.priority = p.priority or cfg.strategy.priority or M.PRIORITY_DEFAULT end
    cfg._instances = { { id = cfg.strategy.name, name = cfg.strategy.name, module = cfg.strategy.module,
                        params = cfg.strategy.params, pairs = cfg.pairs, reads = {}, risk_share = 1 } }
    return nil
  end
  if cfg.pairs then return "pairs: with strategies, each instance lists its pairs (strategies[i].pairs)" end
  if cfg.strategy.name or cfg.strategy.module or next(cfg.strategy.params) or cfg.strategy.priority then
    return "strategy: with strategies, strategy holds only tick_ms, budget_ms, stuck_s and on_fault (a priority goes on strategies[i] or its pairs)"
  end
  local item = M.schema.fields.pairs.items
  local ids, owner, union, share = {}, {}, {}, 0
  cfg._instances = {}
  for i, st in ipairs(cfg.strategies) do
    local key = ("strategies[%d]"):format(i)
    local id = st.id or st.name
    if ids[id] then return ("%s.id: %s is used twice (first at strategies[%d]); give each instance its own id"):format(key, id, ids[id]) end
    ids[id] = i
    local list = {}
    for k, p in ipairs(st.pairs) do
      if type(p) == "string" then p = { symbol = p } end
      if type(p) ~= "table" then return ("%s.pairs[%d]: expected a symbol or a pair table, got %s"):format(key, k, type(p)) end
      local ok, err = schema.validate(item, p, ("%s.pairs[%d]"):format(key, k))
      if not ok then return err end
      if owner[p.symbol] then
        return ("%s.pairs[%d]: %s is traded by %s already: a pair is traded by one instance (list it in reads to read it)")
          :format(key, k, p.symbol, owner[p.symbol])
      end
      owner[p.symbol] = id
      list[#list + 1] = p
      local u = {}
      for f in pairs(M.PAIR_FIELDS) do u[f] = p[f] end
      u.priority = p.priority or st.priority or M.PRIORITY_DEFAULT
      union[#union + 1] = u
    end
    cfg._instances[i] = { id = id, name = st.name, module = st.module, params = st.params, pairs = list,
                         reads = st.reads, risk_share = st.risk_share }
    share = share + (st.risk_share or 0)
  end
  if share > 1 + 1e-9 then return ("strategies: the risk_share values add up to %g, more than 1"):format(share) end
  -- an instance without a risk_share gets an even part of what the others leave
  local unset = 0
  for _, st in ipairs(cfg._instances) do if not st.risk_share then unset = unset + 1 end end
  for _, st in ipairs(cfg._instances) do st.risk_share = st.risk_share or math.max(0, 1 - share) / unset end
  for i, st in ipairs(cfg._instances) do
    for k, sym in ipairs(st.reads) do
      if not owner[sym] then
        union[#union + 1] = { symbol = sym, enabled = true, priority = cfg.strategies[i].priority or M.PRIORITY_DEFAULT }
        owner[sym] = false -- read by instances, traded by none
      end
    end
    if #st.pairs == 0 and #st.reads == 0 then return ("strategies[%d]: no pairs and no reads: it would see nothing"):format(i) end
  end
  if #union == 0 then return "strategies: no instance lists a pair" end
  cfg.pairs = union
  local first = cfg._instances[1]
  cfg.strategy.name, cfg.strategy.module, cfg.strategy.params = first.id, first.module, first.params
  cfg._owner = owner
  return nil
end

-- ---- reloading (SIGHUP, the REPL's reload(), POST /reload) ----

-- What a reload changes while the host runs (docs/config.md "Reloading the config"). Any other
-- key that differs needs a restart: it is reported, and the running config keeps its old value,
-- so ctx.config and every later read of the config say what is in effect.
M.LIVE = { "strategy.params", "strategies", "strategy.budget_ms", "strategy.on_fault", "strategy.tick_ms", "strategy.priority", "pairs",
           "risk", "quotes", "log.level", "venue.fee_bps", "venue.stale_ms", "session.keep_done_s", "session.keep_done_max",
           "session.turn_budget_us", "session.max_defer_turns", "session.overload_turns", "session.overload_calm_ms" }
-- Inside those, what names orders already sent or the trading day's PnL stays until a restart.
M.RESTART_ONLY = { "risk.currency", "risk.day_start_utc" }

local function under(path, prefix) return path == prefix or path:sub(1, #prefix + 1) == prefix .. "." end
local function any_under(path, list)
  for _, p in ipairs(list) do if under(path, p) then return true end end
  return false
end

-- Every leaf of a config as "a.b.c" = value; pairs by symbol ("pairs.XMR/USD.size"), so moving a
-- pair in the list is no change.
local function flatten(t, prefix, out)
  for k, v in pairs(t) do
    if not (prefix == "" and type(k) == "string" and k:sub(1, 1) == "_") then
      local p = prefix == "" and tostring(k) or prefix .. "." .. tostring(k)
      if p == "pairs" and type(v) == "table" then
        for _, pair in ipairs(v) do flatten(pair, "pairs." .. tostring(pair.symbol), out) end
      elseif type(v) == "table" then
        flatten(v, p, out)
      else
        out[p] = v
      end
    end
  end
  return out
end

local function set_path(t, path, v)
  local keys = {}
  for k in path:gmatch("[^.]+") do keys[#keys + 1] = tonumber(k) or k end
  for i = 1, #keys - 1 do
    if type(t[keys[i]]) ~= "table" then
      if v == nil then return end
      t[keys[i]] = {}
    end
    t = t[keys[i]]
  end
  t[keys[#keys]] = v
end

local function enabled_symbols(cfg)
  local set, list = {}, {}
  for _, p in ipairs(cfg.pairs) do
    if p.enabled then set[p.symbol] = true list[#list + 1] = p.symbol end
  end
  return set, list
end

-- Compares the running config with a newly loaded one. Keys that need a restart are put back to
-- their running values in `new`. Returns what changed: { live = {paths}, restart = {paths},
-- added = {symbols}, removed = {symbols}, pairs_changed = {symbols} } (sorted, enabled pairs).
function M.diff(old, new)
  local a, b = flatten(old, "", {}), flatten(new, "", {})
  local paths, seen = {}, {}
  for k, v in pairs(a) do if b[k] ~= v then paths[#paths + 1] = k seen[k] = true end end
  for k, v in pairs(b) do if a[k] ~= v and not seen[k] then paths[#paths + 1] = k end end
  table.sort(paths)
  local d = { live = {}, restart = {}, added = {}, removed = {}, pairs_changed = {} }
  -- with strategies, strategy.name/module/params are the first instance's (M.instances): a copy
  local derived = old.strategies and new.strategies
  for _, p in ipairs(paths) do
    if derived and (under(p, "strategy.name") or under(p, "strategy.module") or under(p, "strategy.params")) then
      -- the instances' own keys say what changed
    elseif any_under(p, M.LIVE) and not any_under(p, M.RESTART_ONLY) then
      if not under(p, "pairs") then d.live[#d.live + 1] = p end
    else
      d.restart[#d.restart + 1] = p
      set_path(new, p, a[p])
    end
  end
  local was, was_list = enabled_symbols(old)
  local now, now_list = enabled_symbols(new)
  for _, s in ipairs(now_list) do if not was[s] then d.added[#d.added + 1] = s end end
  for _, s in ipairs(was_list) do if not now[s] then d.removed[#d.removed + 1] = s end end
  for _, s in ipairs(now_list) do
    if was[s] then
      for _, p in ipairs(paths) do
        if under(p, "pairs." .. s) then d.pairs_changed[#d.pairs_changed + 1] = s break end
      end
    end
  end
  return d
end

M.PRIORITY_DEFAULT = 2 -- a pair's dispatch priority when neither it nor its instance sets one
M.PAIR_FIELDS = { symbol = true, enabled = true, max_order_size = true, min_order_size = true, max_position = true,
                  max_open_orders = true, priority = true }

-- Strategy parameters are checked against the strategy's own `defaults` table, so a misspelt or
-- mistyped parameter in `strategy.params` or a per-pair override is caught at startup too.
-- index: which instance (cfg._instances; 1 in the single form, whose keys keep their names).
function M.check_params(cfg, defaults, index)
  local path = cfg._path or "config"
  if defaults == nil then return true end
  index = index or 1
  if not cfg._instances then M.instances(cfg) end
  local inst = cfg._instances[index]
  local multi = cfg.strategies ~= nil
  local fields = {}
  for k, v in pairs(defaults) do fields[k] = { type = type(v) } end
  local pnode = { type = "table", fields = fields,
                  unknown_hint = "not a parameter of strategy " .. (multi and inst.name or cfg.strategy.name) }
  local key = multi and ("strategies[%d]"):format(index) or nil
  local ok, err = schema.validate(pnode, multi and inst.params or cfg.strategy.params, multi and key .. ".params" or "strategy.params")
  if not ok then return nil, path .. ": " .. err end
  local ppath = cfg._pairs_file and ("%s (pairs from %s)"):format(path, cfg._pairs_file) or path
  if multi then ppath = path .. ": " .. key end
  for i, p in ipairs(multi and inst.pairs or cfg.pairs) do
    for k, v in pairs(p) do
      if not M.PAIR_FIELDS[k] then
        if fields[k] == nil then
          return nil, ("%s%spairs[%d].%s: unknown key (neither a pair field nor a parameter of strategy %s)")
            :format(ppath, multi and "." or ": ", i, tostring(k), multi and inst.name or cfg.strategy.name)
        end
        if type(v) ~= fields[k].type then
          return nil, ("%s%spairs[%d].%s: expected %s, got %s"):format(ppath, multi and "." or ": ", i, k, fields[k].type, type(v))
        end
      end
    end
  end
  return true
end

return M
