---@meta th
-- types/th.lua — LuaLS (lua-language-server) annotations of the `th` library a strategy requires:
-- completion of `th.` names and warnings on wrong argument types in an editor. The implementation is
-- scripts/th/; the reference docs/lua-api.md. `.luarc.json` at the repository root points LuaLS here.
-- tools/check_annotations.lua (the ctest `lua.annotations`) keeps this file honest: every function
-- `require("th")` has at run time (and every method of a book view, a metric, a timer handle) must be
-- annotated here with its real parameter names, every annotated function must exist, and
-- docs/lua-api.md must name each one.

---@alias th.Side "buy"|"sell"
---@alias th.BookSide "buy"|"sell"|"bid"|"ask"|"bids"|"asks"
---@alias th.Health "empty"|"ok"|"stale"|"gapped"|"checksum_failed"|"resyncing"
---@alias th.MetricKind "counter"|"gauge"|"histogram"
---@alias th.OrderState "pending_create"|"open"|"pending_cancel"|"done"
---@alias th.DoneReason "none"|"filled"|"cancelled"|"rejected"|"expired"|"failed"

---@class th.Pair
---@field symbol string
---@field params table<string, any> the strategy's defaults, `strategy.params` and the pair's own settings, merged

---@class th.Ctx what a strategy sees besides its state (the same table across reloads)
---@field name string the strategy's name (`strategy.name`; with several instances, the instance's id)
---@field params table<string, any> defaults merged with `strategy.params` (or the instance's `params`)
---@field pairs th.Pair[] the enabled pairs (with several instances, the ones this instance trades)
---@field symbols table<string, th.Pair> the same entries by symbol
---@field config table the validated config
---@field instance th.Instance which strategy instance this is (config `strategies`)
---@field reads string[] the pairs this instance only reads (config `strategies[i].reads`)

---@class th.Instance one strategy instance of config `strategies` (the single form is one, share 1)
---@field id string its id (`strategies[i].id`, else its name)
---@field name string its strategy's name (`strategies[i].name`)
---@field risk_share number its share of the exposure budget (refusal `exposure_share`)

---@class th.Fill
---@field id string
---@field symbol string
---@field side th.Side
---@field price number
---@field size number
---@field fee number
---@field tag string

---@class th.Strategy a strategy module: functions over the state table the host keeps
---@field defaults? table<string, any> every parameter with its default (and so its type)
---@field name? string
---@field description? string
---@field on_start? fun(state: table, ctx: th.Ctx)
---@field on_tick? fun(state: table, ctx: th.Ctx, now_ns: integer)
---@field on_book? fun(state: table, ctx: th.Ctx, symbol: string)
---@field on_lead? fun(state: table, ctx: th.Ctx, symbol: string) a book of the lead market (venue.lead) changed
---@field on_trade? fun(state: table, ctx: th.Ctx, symbol: string, trade: table)
---@field on_book_health? fun(state: table, ctx: th.Ctx, symbol: string, health: th.Health, reason: string)
---@field on_fill? fun(state: table, ctx: th.Ctx, fill: th.Fill)
---@field on_order? fun(state: table, ctx: th.Ctx, order: th.Order)
---@field on_stop? fun(state: table, ctx: th.Ctx)
---@field on_halt? fun(state: table, ctx: th.Ctx, reason: string, code: string)
---@field on_fault? fun(state: table, ctx: th.Ctx, err: string)
---@field check? fun(): boolean?, string?
---@field migrate? fun(state: table): boolean?

---@class th.Order
---@field id string
---@field venue_id string
---@field symbol string
---@field tag string
---@field side th.Side
---@field price number
---@field size number
---@field filled number
---@field avg_price number
---@field state th.OrderState
---@field reason th.DoneReason
---@field adopted boolean
---@field created_ns integer

---@class th.OrderRequest
---@field symbol string
---@field side th.Side
---@field price number human units, on the tick
---@field size number human units, on the lot
---@field tag? string
---@field post_only? boolean

---@class th.QuoteTarget
---@field side th.Side
---@field price number
---@field size number the size to rest
---@field tag? string up to 15 bytes

---@class th.QuoteResult
---@field kept integer
---@field placed integer
---@field cancelled integer
---@field replaced integer
---@field refused integer
---@field waiting integer
---@field refusal? string the first refusal's reason code

---@class th.LastFill
---@field side th.Side
---@field price number
---@field size number
---@field time_ns integer

---@class th.Position
---@field qty number signed
---@field avg_entry number
---@field mark number
---@field realised number
---@field unrealised number
---@field fees number
---@field day_realised number
---@field day_fees number
---@field bought number
---@field sold number
---@field fills integer
---@field last_fill? th.LastFill

---@class th.Pnl
---@field realised number
---@field unrealised number
---@field fees number
---@field total number
---@field day number
---@field peak number
---@field drawdown number
---@field exposure number
---@field open_notional number
---@field currency string

---@class th.Fault
---@field strategy string
---@field callback string
---@field error string
---@field time_ns integer
---@field orders_cancelled integer

---@class th.StrategyInfo
---@field name string
---@field faulted boolean
---@field timers integer
---@field reloads integer
---@field reload_failures integer
---@field errors integer
---@field halts integer
---@field timers_fired integer

---@class th.RiskStatus
---@field halted boolean
---@field halt_code? string
---@field halt_reason string
---@field breaker_open boolean
---@field consecutive_errors integer
---@field backoff_until_ns integer
---@field refusals table<string, number> refusals by reason code
---@field faults th.Fault[]
---@field strategies th.StrategyInfo[]

---@class th.InstrumentText
---@field tick string
---@field lot string
---@field min_size string
---@field min_cost string

---@class th.Instrument
---@field symbol string
---@field base string
---@field quote string
---@field status "online"|"offline"
---@field tick number
---@field lot number
---@field min_size number
---@field min_cost number
---@field price_decimals integer
---@field qty_decimals integer
---@field contract_size number
---@field text th.InstrumentText exact decimal text

---@class th.HostInfo
---@field version string
---@field mode string
---@field virtual_clock boolean
---@field pid integer
---@field started_ns integer

---@class th.MetricReading
---@field value number
---@field count integer
---@field sum number
---@field p50 number
---@field p90 number
---@field p99 number
---@field max number

---@class th.StoreUsage
---@field keys integer
---@field bytes integer
---@field limit integer

---@class th.PairStatus one pair of th.status(): docs/lua-api.md "th.status"
---@field symbol string
---@field strategy string
---@field faulted boolean
---@field fault? table
---@field book table
---@field bid? number
---@field bid_size? number
---@field ask? number
---@field ask_size? number
---@field quotes table
---@field open_orders integer
---@field position number
---@field avg_entry number
---@field pnl table
---@field last_fill? table
---@field balances? table<string, {total: number, available: number, held: number}> the pair's two assets at the venue
---@field halted boolean
---@field priority? integer the pair's dispatch priority, 1 (highest) to 4
---@field paused? boolean overload mode paused it: no on_book, quotes pulled

---@class th.DispatchStatus th.dispatch(): docs/lua-api.md "th.dispatch"
---@field overload boolean
---@field paused_priorities integer[]
---@field paused_pairs integer
---@field turn_budget_us number 0: no budget (a backtest)
---@field overload_enters integer
---@field overload_exits integer
---@field turns integer
---@field over_budget_turns integer
---@field forced integer
---@field priorities table<integer, {changed: integer, dispatched: integer, deferred: integer, skipped: integer}>

---@class th.BookView a read-only view of the host's book for one symbol (cached per symbol)
---@field id integer
local BookView = {}

--- Best bid, its quantity, best ask, its quantity.
---@return number bid, number bid_qty, number ask, number ask_qty
function BookView:best() end
---@return number? mid, string? err
function BookView:mid() end
---@return number? spread, string? err
function BookView:spread() end
---@return number? spread_bps, string? err
function BookView:spread_bps() end
--- Exact int64 cdata (boxed): prefer age() on the hot path.
---@return ffi.cdata* ns
function BookView:last_update_ns() end
--- Seconds since the book's last update (host clock); math.huge before any.
---@return number seconds
function BookView:age() end
--- The venue's sequence number of the last frame applied (Kraken Futures seq, Binance u; 0: none).
---@return number seq
function BookView:seq() end
---@return th.Health health, string reason
function BookView:health() end
--- Only "ok" books are trustworthy.
---@return boolean
function BookView:ok() end
--- Size-weighted mid of the top level.
---@return number? price, string? err
function BookView:microprice() end
--- (bid qty - ask qty) / total over `levels` levels (default 1).
---@param levels? integer
---@return number? imbalance, string? err
function BookView:imbalance(levels) end
--- Volume-weighted price to take `qty` from `side` ("buy" walks the asks).
---@param side th.BookSide
---@param qty number
---@return number? vwap, number|string filled_or_err
function BookView:vwap(side, qty) end
--- Quantity on `side` within `bps` of that side's best price.
---@param side th.BookSide
---@param bps number
---@return number? qty, string? err
function BookView:depth(side, bps) end
--- Up to `n` levels of `side` as {{price, qty}, ...}; pass `out` to reuse a table.
---@param side th.BookSide
---@param n integer
---@param out? table
---@return {[1]: number, [2]: number}[]
function BookView:levels(side, n, out) end

---@class th.Metric
---@field id integer
---@field name string
local Metric = {}
--- A counter: add v (default 1, v >= 0).
---@param v? number
function Metric:add(v) end
--- A gauge: set it to v.
---@param v number
function Metric:set(v) end
--- A histogram: one observation (an integer, e.g. ns).
---@param v integer
function Metric:observe(v) end
---@return th.MetricReading? reading, string? err
function Metric:read() end

---@class th.Timer a timer handle of th.every / th.after
---@field active boolean
---@field seconds number
local Timer = {}
--- Stops the timer; true if it was armed (idempotent).
---@return boolean
function Timer:cancel() end

---@class th
local th = {}

---@class th.log
th.log = {}
---@param msg string
---@param fields? table<string, any> logged as sorted key=value pairs
function th.log.debug(msg, fields) end
---@param msg string
---@param fields? table<string, any>
function th.log.info(msg, fields) end
---@param msg string
---@param fields? table<string, any>
function th.log.warn(msg, fields) end
---@param msg string
---@param fields? table<string, any>
function th.log.error(msg, fields) end

---@class th.clock
th.clock = {}
--- Host time in seconds: wall time live, virtual time in replays and backtests.
---@return number seconds
function th.clock.now() end
--- Host time in ns (int64 cdata).
---@return ffi.cdata* ns
function th.clock.now_ns() end
---@return boolean
function th.clock.is_virtual() end

---@class th.metrics
th.metrics = {}
--- Register (or find again after a reload) a metric by name.
---@param name string
---@param kind? th.MetricKind default "counter"
---@return th.Metric? metric, string? err
function th.metrics.register(name, kind) end

--- The read-only view of the host's book for a symbol.
---@param symbol string
---@return th.BookView? view, string? err
function th.book(symbol) end

---@param symbol string
---@return th.Instrument? instrument, string? err
function th.instrument(symbol) end

---@class th.orders
th.orders = {}
--- Through the risk gates and the journal: the client id, or nil and a reason code.
---@param o th.OrderRequest
---@return string? id, string? reason
function th.orders.place(o) end
---@param id string
---@return true? ok, string? err
function th.orders.cancel(id) end
--- Cancels every live order (of one symbol): how many were asked to cancel.
---@param symbol? string
---@return integer? n, string? err
function th.orders.cancel_all(symbol) end
---@param id string
---@return th.Order? order, string? err
function th.orders.get(id) end
--- Live orders (not done), of one symbol or all.
---@param symbol? string
---@return th.Order[]? orders, string? err
function th.orders.open(symbol) end

---@class th.quotes
th.quotes = {}
--- Target quotes: kept within tolerance, amended or replaced when moved, placed when missing; manages
--- only the orders it placed (orders placed with th.orders.place on the pair are left alone).
---@param symbol string
---@param list th.QuoteTarget[] the targets, at most 32
---@return th.QuoteResult? result, string? err
function th.quotes.set(symbol, list) end

---@param symbol string
---@return th.Position? position, string? err
function th.position(symbol) end

---@return th.Pnl? pnl, string? err
function th.pnl() end

---@class th.BalanceText exact figures at the asset's decimals, trailing zeros dropped
---@field total string
---@field available string
---@field held string

---@class th.Balance one asset at the venue: available = total - held (what open orders hold)
---@field asset string
---@field total number
---@field available number
---@field held number
---@field decimals integer
---@field source string kraken|binance|paper
---@field updated_ns integer
---@field text th.BalanceText

--- One asset's balance; nil, "balances unknown ..." until the venue (or the paper account) gave them.
---@param asset string as the instruments name it (BTC, USD, USDT)
---@return th.Balance? balance, string? err
function th.balance(asset) end

--- Every asset the venue named, by asset; nil, err while unknown.
---@return table<string, th.Balance>? balances, string? err
function th.balances() end

---@class th.risk
th.risk = {}
---@return th.RiskStatus? status, string? err
function th.risk.status() end
--- Pull the kill switch: every open order cancelled, new ones refused until th.risk.rearm().
---@param why? string
---@return true? ok, string? err
function th.risk.kill(why) end
---@return true? ok, string? err
function th.risk.rearm() end
--- A reference (oracle) price for the band and exposure gates; nil goes back to the mid.
---@param symbol string
---@param price? number
---@return true? ok, string? err
function th.risk.set_reference(symbol, price) end

--- Every loaded strategy: faulted, reloads, errors, halts, timers.
---@return th.StrategyInfo[]
function th.strategies() end

---@class th.store
th.store = {}
--- value nil deletes; raises on a value the store cannot keep or a limit exceeded.
---@param key string
---@param value string|number|boolean|table|nil
---@return true
function th.store.set(key, value) end
--- A fresh copy of the value, nil when absent.
---@param key string
---@return string|number|boolean|table|nil
function th.store.get(key) end
---@param key string
---@return true
function th.store.delete(key) end
--- The keys, in the order first written.
---@return string[]
function th.store.keys() end
---@return th.StoreUsage
function th.store.usage() end

--- fn(state, ctx) every `seconds` of host time.
---@param seconds number at least 0.001
---@param fn fun(state: table, ctx: th.Ctx)
---@return th.Timer
function th.every(seconds, fn) end
--- fn(state, ctx) once, `seconds` from now (host time).
---@param seconds number >= 0
---@param fn fun(state: table, ctx: th.Ctx)
---@return th.Timer
function th.after(seconds, fn) end

--- One table per pair (all pairs, or one symbol's).
---@param symbol? string
---@return table<string, th.PairStatus>|th.PairStatus|nil status, string? err
function th.status(symbol) end

---@return th.HostInfo
function th.host_info() end

--- Overload mode and the on_book counts per priority (nil without market data).
---@return th.DispatchStatus? status, string? err
function th.dispatch() end

return th
