---@meta th.testing
-- types/th_testing.lua — LuaLS annotations of the test kit (scripts/th/testing.lua; docs/guide.md
-- "Test a strategy: th.testing"). Checked like types/th.lua by tools/check_annotations.lua.

---@class th.testing.Spec
---@field strategy string path of the strategy file under test
---@field pairs (string|table)[] as a config's `pairs`
---@field params? table<string, any> strategy.params
---@field risk? table merged into the generated config's risk
---@field quotes? table
---@field venue? table merged into the generated config's venue (stale_ms, fee_bps, latency...)
---@field tick_ms? integer
---@field instruments? string|table[] a v2 instrument file, or a list of v2 pair tables
---@field seed? integer
---@field config? table merged into the generated config last
---@field keep? boolean leave the run's directory in place
---@field name? string the strategy's name in the run (default "under_test")
---@field log_level? string
---@field start? integer the script's start, epoch seconds

---@class th.testing.ReplaySpec: th.testing.Spec
---@field data string[] recordings (`--data`)
---@field from? string|number `--from`
---@field to? string|number `--to`

---@class th.testing.BookLevels
---@field bids? {[1]: number, [2]: number}[] {price, qty}
---@field asks? {[1]: number, [2]: number}[]

---@class th.testing.Trade
---@field side "buy"|"sell" the taker's side
---@field price number
---@field qty number

---@class th.testing.Event
---@field kind string quotes|place|cancel|cancel_all|fill|order|health|error|position|open_orders|calls|state
---@field t number seconds since the script's start (a replay: since the strategy's start)
---@field ns number host time, ns
---@field symbol? string

---@class th.testing.Filter
---@field kind? string|string[]
---@field symbol? string
---@field from? number
---@field to? number

---@class th.testing.Market a scripted market
local Market = {}
--- Host time moves on by `seconds`.
---@param seconds number
---@return th.testing.Market
function Market:step(seconds) end
--- The whole book of `symbol` at the current time (a snapshot).
---@param symbol string
---@param book th.testing.BookLevels
---@return th.testing.Market
function Market:book(symbol, book) end
--- A trade on the venue at the current time.
---@param symbol string
---@param tr th.testing.Trade
---@return th.testing.Market
function Market:trade(symbol, tr) end
--- `tradehost backtest` over the script from its start to now.
---@return th.testing.Run
function Market:run() end

---@class th.testing.Run
---@field ok boolean
---@field status integer the host's exit status (0, or 3: ended faulted)
---@field faulted boolean
---@field log string
---@field events th.testing.Event[]
---@field intents th.testing.Event[]
---@field fills th.testing.Event[]
---@field orders th.testing.Event[]
---@field errors th.testing.Event[]
---@field positions table<string, th.Position>
---@field open_orders th.Order[]
---@field calls table<string, integer|table<string, integer>>
---@field state? table the strategy's state at on_stop
---@field summary? table the backtest's summary.json
---@field dir string
local Run = {}
---@param filter? th.testing.Filter
---@return th.testing.Event[]
function Run:select(filter) end
---@param symbol string
---@param before? number
---@return th.QuoteTarget[]? targets, th.testing.Event? event
function Run:last_quotes(symbol, before) end

---@class th.testing
local testing = {}
---@param spec th.testing.Spec
---@return th.testing.Market
function testing.market(spec) end
---@param spec th.testing.ReplaySpec
---@return th.testing.Run
function testing.replay(spec) end
--- The Kraken v2 book checksum of levels given as text {{price, qty}, ...}, best first.
---@param bids string[][]
---@param asks string[][]
---@return integer
function testing.book_checksum(bids, asks) end

return testing
