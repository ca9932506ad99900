/* tradehost.h — the public C surface that Lua strategies may call through LuaJIT FFI.
 *
 * This header is the single source of the FFI surface: tools/gen_cdef.lua copies the block between
 * the th:ffi markers into scripts/th/cdef.lua (committed), the build fails when that copy is stale,
 * and a test compares every struct's size and field offsets between C and ffi. Rules for anything
 * added here (they are what makes the boundary safe to call from a hot loop):
 *   - functions return int: 0 on success, negative on failure; results go to out-parameters;
 *   - errors are static strings through `const char **err`, never allocated;
 *   - no allocation that Lua must free, no callback into Lua, no longjmp across the boundary;
 *   - prices and sizes cross in human units (double) and are converted to ticks/lots inside C.
 * Only plain C declarations inside the markers: no macros, no #include (the generator copies text). */
#ifndef TRADEHOST_H
#define TRADEHOST_H

#include <stdint.h>

/* th:ffi-begin */
enum {
    TH_LOG_DEBUG = 0,
    TH_LOG_INFO = 1,
    TH_LOG_WARN = 2,
    TH_LOG_ERROR = 3
};

enum {
    TH_METRIC_COUNTER = 0,
    TH_METRIC_GAUGE = 1,
    TH_METRIC_HISTOGRAM = 2
};

enum {
    TH_BID = 0,
    TH_ASK = 1
};

/* Book health: only OK is tradable. */
enum {
    TH_BOOK_EMPTY = 0,
    TH_BOOK_OK = 1,
    TH_BOOK_STALE = 2,
    TH_BOOK_GAPPED = 3,
    TH_BOOK_CHECKSUM_FAILED = 4,
    TH_BOOK_RESYNCING = 5
};

/* A snapshot of one metric; histogram quantiles are in the unit observed (ns by convention). */
typedef struct th_metric_view {
    int32_t kind;
    int32_t reserved;
    double value;
    double count;
    double sum;
    double p50;
    double p90;
    double p99;
    double max;
} th_metric_view;

/* What the running host is: Lua reads it once at load time. */
typedef struct th_host_info {
    char version[16];
    char mode[16];
    int32_t virtual_clock;
    int32_t pid;
    int64_t started_ns;
} th_host_info;

/* Top of one book, in human units (0 where a side is empty). */
typedef struct th_book_top {
    double bid;
    double bid_qty;
    double ask;
    double ask_qty;
    double mid;
    double spread;
    int64_t last_update_ns;
    int32_t health;
    int32_t bid_levels;
    int32_t ask_levels;
    int32_t reserved;
} th_book_top;

typedef struct th_level {
    double price;
    double qty;
} th_level;

/* Why a risk gate refused an order intent (0: accepted). th_risk_reason_name gives the text. */
enum {
    TH_RISK_OK = 0,
    TH_RISK_HALTED = 1,
    TH_RISK_BREAKER_OPEN = 2,
    TH_RISK_RATE_LIMITED = 3,
    TH_RISK_VENUE_BACKOFF = 4,
    TH_RISK_BAD_ORDER = 5,
    TH_RISK_UNKNOWN_SYMBOL = 6,
    TH_RISK_INSTRUMENT_OFFLINE = 7,
    TH_RISK_NOT_ON_TICK = 8,
    TH_RISK_NOT_ON_LOT = 9,
    TH_RISK_BELOW_EXCHANGE_MIN_QTY = 10,
    TH_RISK_BELOW_EXCHANGE_MIN_COST = 11,
    TH_RISK_SIZE_TOO_SMALL = 12,
    TH_RISK_SIZE_TOO_LARGE = 13,
    TH_RISK_NOTIONAL_TOO_SMALL = 14,
    TH_RISK_NOTIONAL_TOO_LARGE = 15,
    TH_RISK_NO_REFERENCE_PRICE = 16,
    TH_RISK_BOOK_NOT_OK = 17,
    TH_RISK_PRICE_BAND = 18,
    TH_RISK_POST_ONLY_CROSS = 19,
    TH_RISK_POSITION_LIMIT = 20,
    TH_RISK_MAX_OPEN_ORDERS = 21,
    TH_RISK_LAYERING = 22,
    TH_RISK_EXPOSURE_TOTAL = 23,
    TH_RISK_EXPOSURE_POSITION = 24,
    TH_RISK_EXPOSURE_PAIR = 25,
    TH_RISK_DAILY_LOSS = 26,
    TH_RISK_DRAWDOWN = 27,
    TH_RISK_RECOVERING = 28,
    TH_RISK_NO_VENUE = 29,
    TH_RISK_NO_LEASE = 30,
    TH_RISK_SHARED_BUDGET = 31,
    TH_RISK_EXPOSURE_SHARE = 32,
    TH_RISK_INSUFFICIENT_BALANCE = 33,
    TH_RISK_REASON_COUNT = 34
};

enum {
    TH_ORDER_POST_ONLY = 1
};

/* An order intent from Lua, in human units. */
typedef struct th_order_req {
    const char *symbol;
    const char *tag;
    double price;
    double qty;
    int32_t side;
    int32_t flags;
} th_order_req;

/* One quote target for th_quotes_set. */
typedef struct th_quote_target {
    double price;
    double qty;
    int32_t side;
    int32_t reserved;
    char tag[16];
} th_quote_target;

/* What th_quotes_set did: counts, and the first refusal (if any) of a place it wanted. */
typedef struct th_quote_result {
    int32_t kept;
    int32_t placed;
    int32_t cancelled;
    int32_t replaced;
    int32_t refused;
    int32_t waiting;
    int32_t first_refusal;
    int32_t reserved;
} th_quote_result;

/* A read-only copy of one tracked order. */
typedef struct th_order_view {
    char cl_id[40];
    char ex_id[48];
    char symbol[32];
    char tag[16];
    double price;
    double qty;
    double filled;
    double avg_fill_price;
    int32_t side;
    int32_t state;
    int32_t done_reason;
    int32_t flags;
    int64_t created_ns;
    int64_t state_ns;
} th_order_view;

typedef struct th_position_view {
    double qty;
    double avg_entry;
    double mark;
    double realised;
    double unrealised;
    double fees;
    double day_realised;
    double day_fees;
    double bought;
    double sold;
    int64_t fills;
    /* the newest fill applied since start (journal replay included); last_fill_ns 0: none */
    double last_fill_price;
    double last_fill_qty;
    int64_t last_fill_ns;
    int32_t last_fill_side;
    int32_t reserved;
} th_position_view;

/* Portfolio totals in the report currency. */
typedef struct th_pnl_view {
    double realised;
    double unrealised;
    double fees;
    double total;
    double day;
    double peak;
    double drawdown;
    double exposure;
    double open_notional;
    char currency[16];
} th_pnl_view;

typedef struct th_risk_view {
    int32_t halted;
    int32_t halt_code;
    int32_t breaker_open;
    int32_t consecutive_errors;
    int64_t breaker_until_ns;
    int64_t backoff_until_ns;
    double refusals_total;
    char halt_reason[128];
} th_risk_view;

/* A strategy whose callback raised: callbacks stop until a reload (th_strategy_fault_get). */
typedef struct th_strategy_fault {
    char strategy[64];
    char callback[32];
    char error[512];
    int64_t ns;
    int32_t orders_cancelled;
    int32_t reserved;
} th_strategy_fault;

/* One instrument as its venue describes it. Increments and minimums are exact decimal text in
 * human units, trailing zeros dropped ("0.00000001", "0.05", "0" for none): a double would print
 * 1e-08 and a caller could not tell its decimals. min_cost is in the quote currency. */
typedef struct th_instrument_view {
    char symbol[32];
    char base[16];
    char quote[16];
    char status[16];
    char tick[32];
    char lot[32];
    char min_size[32];
    char min_cost[48];
    int32_t price_decimals;
    int32_t qty_decimals;
    double contract_size;
} th_instrument_view;

/* One loaded strategy: fault, halt, reloads and timers (th.risk.status().strategies, the REPL).
 * reloads counts successful reloads only; reload_failures the refused ones (code kept). */
typedef struct th_strategy_info {
    char name[64];
    int32_t faulted;
    int32_t timers;
    int64_t reloads;
    int64_t reload_failures;
    int64_t errors;
    int64_t halts;
    int64_t timers_fired;
} th_strategy_info;

/* One asset's balance at the venue. The doubles are for arithmetic; the texts are the store's
 * exact figures at the asset's decimals (`decimals`), trailing zeros dropped ("0.00123"). */
typedef struct th_balance_view {
    char asset[16];
    char source[16];
    double total;
    double available;
    double held;
    char total_text[48];
    char available_text[48];
    char held_text[48];
    int32_t decimals;
    int32_t reserved;
    int64_t updated_ns;
} th_balance_view;

/* Dispatch priorities and overload mode (th.dispatch(), docs/architecture.md "Priorities and
 * overload"): per priority (index 1..4; 0 unused) the pair-turns whose book changed, the on_book
 * calls made, the deferrals (over the turn's budget) and the changes skipped while paused. */
typedef struct th_dispatch_view {
    int32_t overload;
    int32_t paused_levels;
    int32_t paused_pairs;
    int32_t reserved;
    double turn_budget_us;
    int64_t enters;
    int64_t exits;
    int64_t turns;
    int64_t over_budget_turns;
    int64_t forced;
    int64_t changed[5];
    int64_t dispatched[5];
    int64_t deferred[5];
    int64_t skipped[5];
} th_dispatch_view;

int th_version(const char **out);
int th_host_info_get(th_host_info *out);

int th_log_emit(int32_t level, const char *msg, const char *fields);

int th_clock_now(int64_t *ns_out, int32_t *is_virtual_out);

int th_metric_register(const char *name, int32_t kind, int32_t *id_out, const char **err);
int th_metric_add(int32_t id, double v);
int th_metric_set(int32_t id, double v);
int th_metric_observe(int32_t id, int64_t v);
int th_metric_read(int32_t id, th_metric_view *out, const char **err);
int th_book_find(const char *symbol, int32_t *id_out, const char **err);
int th_book_top_get(int32_t id, th_book_top *out, const char **err);
int th_book_levels_get(int32_t id, int32_t side, int32_t n, th_level *out, int32_t *n_out, const char **err);
int th_book_vwap_get(int32_t id, int32_t side, double qty, double *vwap, double *filled, const char **err);
int th_book_depth_get(int32_t id, int32_t side, double bps, double *qty, const char **err);
int th_book_microprice_get(int32_t id, double *out, const char **err);
int th_book_imbalance_get(int32_t id, int32_t levels, double *out, const char **err);
int th_book_health_get(int32_t id, int32_t *health, const char **reason, const char **err);
int th_book_seq_get(int32_t id, int64_t *seq, const char **err);
int th_instrument_get(const char *symbol, th_instrument_view *out, const char **err);
int th_risk_reason_name(int32_t reason, const char **name);
int th_risk_refusals_get(double *counts, int32_t n);
int th_risk_status_get(th_risk_view *out);
int th_dispatch_status_get(th_dispatch_view *out);
int th_dispatch_pair_get(const char *symbol, int32_t *priority, int32_t *paused);
int th_risk_kill(const char *reason);
int th_risk_rearm(const char **err);
int th_risk_set_oracle(const char *symbol, double price, const char **err);
int th_order_place(const th_order_req *req, char *cl_id_out, int32_t *reason_out, const char **err);
int th_order_cancel(const char *cl_id, const char **err);
int th_order_cancel_all(const char *symbol, int32_t *n_out, const char **err);
int th_order_get(const char *cl_id, th_order_view *out, const char **err);
int th_orders_open(const char *symbol, th_order_view *out, int32_t max, int32_t *n_out, const char **err);
int th_quotes_set(const char *symbol, const th_quote_target *targets, int32_t n, th_quote_result *out, const char **err);
int th_position_get(const char *symbol, th_position_view *out, const char **err);
int th_pnl_get(th_pnl_view *out, const char **err);
int th_strategy_fault_get(int32_t index, th_strategy_fault *out, const char **err);
int th_strategy_info_get(int32_t index, th_strategy_info *out, const char **err);
/* The strategy whose callback (or reload) is running now: timers are armed on its behalf. */
int th_strategy_running(const char **name, const char **err);
/* Shadow reload: 2 while a shadow strategy's code runs (its order intents are recorded by th/shadow.lua
 * and never sent: the order entry points refuse them), 1 while a live strategy that has a shadow
 * runs (its intents are recorded to compare), 0 otherwise. */
int32_t th_shadow_role(void);
/* th/timers.lua tells the host when a strategy's earliest timer is due (due_ns < 0: none) and how
 * many it has, so the loop can wake for it without asking Lua. */
int th_strategy_timer_due(const char *strategy, int64_t due_ns, int32_t count, const char **err);
/* th.store (th/store.lua serializes values; the host journals them). th_store_get: *len -1 when
 * the key has none; *value points at the host's copy, valid until the next th_store_set/delete. */
int th_store_set(const char *strategy, const char *key, const char *value, int32_t len, const char **err);
int th_store_get(const char *strategy, const char *key, const char **value, int32_t *len, const char **err);
int th_store_delete(const char *strategy, const char *key, const char **err);
int th_store_key_at(const char *strategy, int32_t index, const char **key, const char **err);
/* Balances (core/balances.h): -1 with *err "balances unknown" until the venue (or the paper
 * account) has given them; an asset the venue does not name holds 0 once they are known.
 * th_balance_at walks the assets the venue named (index from 0; -1 past the last). */
int th_balance_get(const char *asset, th_balance_view *out, const char **err);
int th_balance_at(int32_t index, th_balance_view *out, const char **err);
/* th:ffi-end */

#endif
