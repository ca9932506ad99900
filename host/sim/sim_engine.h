/* sim_engine.h — the local venue's matching engine, accounts and balances, venue-neutral.
 *
 * `tradehost sim` replays a recorded market and lets clients trade against it. This engine is the
 * part that knows nothing of wire protocols: the Kraken and Binance layers parse requests into the
 * calls below, turn the reject reasons into their own error strings and the events into their own
 * frames. It is plain C over host/core (books, instruments, money): no loop, no sockets, no Lua.
 * Time is always passed in (ts_ns), so the same inputs and seed give the same events.
 *
 * The market is the recording: th_sim_market_* feed it, level by level and trade by trade. Our
 * orders never appear in that book (what the sim publishes is the recording); they are matched
 * against it (the model is in docs/sim.md, "Matching model"):
 *  - a marketable order takes the book's liquidity at the book's prices, walking levels, at the
 *    taker fee; the quantity it took is remembered per level ("consumed") and hidden from every
 *    account until the recording next updates that level, so the same liquidity is not taken twice;
 *  - a resting order joins the back of its level's visible quantity (`ahead`). Recorded trades at
 *    its price consume the quantity ahead first, then fill it (maker fee, its own price); a level
 *    that shrinks with no trade to explain it is cancels, placed ahead of or behind us by the
 *    configured queue model; a recorded trade at a better price than ours, or an opposite level
 *    that crosses our price, fills us at our price.
 *
 * Units: prices and quantities are int64 in the instrument's units (instrument.h: 10^-price_dec,
 * 10^-qty_dec); a fill's cost is th_money in notional units 10^-(price_dec + qty_dec); balances and
 * fees are th_money at one scale for every asset, TH_SIM_SCALE decimals, so a balance in USD is one
 * number whichever pair moved it. Instruments with price_dec + qty_dec > TH_SIM_SCALE are refused.
 *
 * Events go out through one callback, synchronously, from inside the call that caused them. The
 * callback must not call back into the engine (queue the work instead); pointers in an event are
 * valid only during the callback. */
#ifndef TH_SIM_ENGINE_H
#define TH_SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/book.h"
#include "../core/instrument.h"
#include "../core/money.h"
#include "../core/rate_limit.h"

#define TH_SIM_SCALE 20          /* decimals of every balance and fee (th_money) */
#define TH_SIM_CL_ORD_ID_MAX 64  /* client order id, bytes including the NUL */

typedef struct th_sim_engine th_sim_engine;
typedef struct th_sim_event th_sim_event;

/* Where our resting order stands when its level shrinks with no trade to explain it. */
typedef enum th_sim_queue_model {
    TH_SIM_QUEUE_PESSIMISTIC = 0,  /* every cancel was behind us: we move up only by trades */
    TH_SIM_QUEUE_PROPORTIONAL = 1, /* cancels split between ahead and behind in proportion */
    TH_SIM_QUEUE_OPTIMISTIC = 2,   /* every cancel was ahead of us */
} th_sim_queue_model;

/* A venue's per-account trading rate counter, charged by the engine itself (so REST, WS and the
 * dead-man switch share it, as on the venue). */
typedef enum th_sim_rate_model {
    TH_SIM_RATE_NONE = 0,
    TH_SIM_RATE_KRAKEN = 1,  /* per pair, kraken_rate_counter.h */
} th_sim_rate_model;

typedef enum th_sim_side { TH_SIM_BUY = 0, TH_SIM_SELL = 1 } th_sim_side;
typedef enum th_sim_order_type { TH_SIM_LIMIT = 0, TH_SIM_MARKET = 1 } th_sim_order_type;
typedef enum th_sim_tif { TH_SIM_GTC = 0, TH_SIM_IOC = 1 } th_sim_tif;

/* Why a request was refused. 0 is success; the protocol layers map each to the venue's error. */
typedef enum th_sim_reject {
    TH_SIM_OK = 0,
    TH_SIM_REJ_UNKNOWN_SYMBOL,
    TH_SIM_REJ_INSUFFICIENT_FUNDS,
    TH_SIM_REJ_POST_ONLY_WOULD_CROSS,
    TH_SIM_REJ_BELOW_MIN_SIZE,
    TH_SIM_REJ_BELOW_MIN_COST,
    TH_SIM_REJ_BAD_TICK,          /* price not a multiple of the tick, or not positive */
    TH_SIM_REJ_BAD_LOT,           /* qty not a multiple of the lot, or not positive */
    TH_SIM_REJ_UNKNOWN_ORDER,
    TH_SIM_REJ_RATE_LIMITED,
    TH_SIM_REJ_BAD_REQUEST,       /* anything else malformed (unknown account, amend below filled...) */
    TH_SIM_REJ_DUPLICATE_CL_ORD_ID, /* an open order of the account already has this client id */
    TH_SIM_REJ_NO_LIQUIDITY,      /* a market order met an empty opposite book */
    TH_SIM_REJ_COUNT
} th_sim_reject;

typedef enum th_sim_cancel_reason {
    TH_SIM_CANCEL_USER = 0,
    TH_SIM_CANCEL_IOC = 1,        /* IOC or market remainder after the walk */
    TH_SIM_CANCEL_ALL = 2,        /* cancel_all */
    TH_SIM_CANCEL_DEAD_MAN = 3,   /* cancel_all_orders_after fired */
} th_sim_cancel_reason;

typedef enum th_sim_status {
    TH_SIM_ST_OPEN = 0,           /* resting (possibly partly filled) */
    TH_SIM_ST_FILLED = 1,
    TH_SIM_ST_CANCELED = 2,       /* canceled_reason says why; may be partly filled */
    TH_SIM_ST_REJECTED = 3,       /* only in a REJECTED event's order; never stored */
} th_sim_status;

typedef struct th_sim_config {
    const th_instruments *instruments; /* copied: the caller may free it after _new */
    th_sim_queue_model queue_model;
    th_sim_rate_model rate_model;
    uint64_t seed;                     /* mixes the order and trade ids */
    int32_t book_depth;                /* levels kept per side of each market book; 0: unbounded */
    void (*on_event)(void *ctx, const th_sim_event *ev); /* may be NULL */
    void *ctx;
    /* Memory over a long session (0: keep everything): th_sim_tick drops the oldest closed orders
     * beyond max_closed_orders and the oldest trades beyond max_trades once each holds twice that
     * many. Open orders always stay; indices shift, ids never change. */
    int32_t max_closed_orders, max_trades;
} th_sim_config;

/* An order as the engine holds it (read-only for callers). */
typedef struct th_sim_order {
    uint64_t id;                 /* deterministic; unique per engine (a bijection of the sequence) */
    int32_t account, ins;
    th_sim_side side;
    th_sim_order_type type;
    th_sim_tif tif;
    bool post_only;
    th_sim_status status;
    th_sim_cancel_reason cancel_reason;
    int64_t price;               /* limit price (price units); a market order: 0 */
    int64_t qty, filled;         /* qty units */
    th_money cost;               /* sum of fill qty * price (notional units) */
    th_money fee;                /* fees charged, TH_SIM_SCALE, in the quote asset */
    char cl_ord_id[TH_SIM_CL_ORD_ID_MAX];
    int64_t userref;
    int64_t created_ns, updated_ns;
    int64_t rate_ns;             /* created or last amended: the age Kraken's penalties use */
    /* queue position (resting orders): market quantity ahead of us, the level's quantity as last
     * seen, and quantity traded at the level since that was seen (explains the next shrink) */
    int64_t ahead, level_qty, traded_since;
    uint64_t seq;                /* time priority (a new seq when an amend loses priority) */
    /* private bookkeeping */
    th_money reserved;           /* TH_SIM_SCALE, in the asset this order holds */
    th_money cum_taker, cum_maker; /* notional by liquidity, for cumulative fee rounding */
    th_money fee_taker, fee_maker;
} th_sim_order;

typedef struct th_sim_trade {
    uint64_t id, order_id;
    int32_t account, ins;
    th_sim_side side;
    bool maker;
    int64_t price, qty;
    th_money cost;               /* qty * price, notional units */
    th_money fee;                /* TH_SIM_SCALE, in fee_asset */
    int32_t fee_asset;
    int64_t ts_ns;
} th_sim_trade;

typedef enum th_sim_event_kind {
    TH_SIM_EV_NEW = 0,           /* accepted (emitted before any fill of the same request) */
    TH_SIM_EV_FILL = 1,          /* ev->trade set; order->filled includes it */
    TH_SIM_EV_CANCELED = 2,      /* order->cancel_reason */
    TH_SIM_EV_AMENDED = 3,       /* order holds the new price/qty; old_price/old_qty the previous */
    TH_SIM_EV_REJECTED = 4,      /* order is the refused request (status REJECTED, id 0) */
} th_sim_event_kind;

struct th_sim_event {
    th_sim_event_kind kind;
    int32_t account;
    const th_sim_order *order;   /* state after the event */
    const th_sim_trade *trade;   /* FILL only */
    th_sim_reject reject;        /* REJECTED only */
    int64_t old_price, old_qty;  /* AMENDED only */
    int64_t ts_ns;
};

typedef struct th_sim_account_spec {
    const char *key, *secret;    /* copied; the engine only stores them for the protocol layers */
    int32_t maker_ppm, taker_ppm; /* fees in parts per million of notional (1 bp = 100 ppm) */
    int32_t rate_tier;           /* th_kraken_tier when rate_model is KRAKEN */
} th_sim_account_spec;

typedef struct th_sim_account_stats {
    uint64_t placed, cancelled, rejected, fills;
    int64_t dead_man_ns;         /* cancel-all deadline; 0: off */
} th_sim_account_stats;

/* The engine. Returns NULL with a static message in *err (bad config, an instrument whose decimals
 * exceed TH_SIM_SCALE, out of memory). */
th_sim_engine *th_sim_engine_new(const th_sim_config *cfg, const char **err);
void th_sim_engine_free(th_sim_engine *e);
const th_instruments *th_sim_instruments(const th_sim_engine *e);
/* Instruments added to the registry the engine was made from (an instrument update): src's
 * instruments past the engine's own are copied in (the first ones must be the same, in order). */
int th_sim_instruments_grow(th_sim_engine *e, const th_instruments *src, const char **err);

/* --- Accounts and balances --- */

/* Returns the account's index, or -1 (duplicate key: *err says so). */
int32_t th_sim_account_add(th_sim_engine *e, const th_sim_account_spec *spec, const char **err);
int32_t th_sim_account_find(const th_sim_engine *e, const char *key);
int32_t th_sim_account_count(const th_sim_engine *e);
const char *th_sim_account_key(const th_sim_engine *e, int32_t account);
const char *th_sim_account_secret(const th_sim_engine *e, int32_t account);
const th_sim_account_stats *th_sim_account_stats_get(const th_sim_engine *e, int32_t account);
/* The account pays its fees in `asset` (Binance's BNB) on pairs quoted in `quote`, one unit of asset
 * worth `price` (decimal text) of quote: fee in asset = the quote fee / price, rounded up to 1e-10;
 * in the quote still when the free balance of asset does not cover it. Call once per quote. */
int th_sim_account_fee_asset(th_sim_engine *e, int32_t account, const char *asset, const char *quote, const char *price, const char **err);
/* Set an asset's total balance from a decimal string ("100000", "0.5"); the asset need not belong
 * to any instrument. Refused (-1, *err) when the account has orders open, or the text is not a
 * non-negative number with at most TH_SIM_SCALE decimals. */
int th_sim_balance_set(th_sim_engine *e, int32_t account, const char *asset, const char *amount, const char **err);
/* Give an asset the account holds none of (total and held both 0) a balance, even with orders
 * open (none can rest on it): how an account gets the assets of instruments added later. */
int th_sim_balance_grant(th_sim_engine *e, int32_t account, const char *asset, const char *amount, const char **err);
/* Total and reserved (held by open orders) at TH_SIM_SCALE; available = total - reserved. An asset
 * the account never held reads as zero; an asset the engine has never heard of returns -1. */
int th_sim_balance_get(const th_sim_engine *e, int32_t account, const char *asset, th_money *total, th_money *reserved);
/* Every asset the engine knows (instruments' base and quote, then any set by balance_set). */
int32_t th_sim_asset_count(const th_sim_engine *e);
const char *th_sim_asset_name(const th_sim_engine *e, int32_t asset);
int32_t th_sim_asset_find(const th_sim_engine *e, const char *asset);
/* Fees charged so far, per asset, over every account (for conservation checks and reports). */
th_money th_sim_fees_collected(const th_sim_engine *e, int32_t asset);

/* --- The market (the recording) --- */

/* Absolute quantity of a level (qty 0 removes it), as th_book_set takes it. Rests our orders'
 * queue positions and fills our orders that the new level crosses. side: TH_BID / TH_ASK. */
void th_sim_market_level(th_sim_engine *e, int32_t ins, int side, int64_t price, int64_t qty, int64_t ts_ns);
/* A snapshot follows: forget the book and the consumed quantities. Queue positions are kept and
 * re-read as the snapshot's levels arrive (a level smaller than before is read as any shrink); a
 * level the snapshot no longer holds should be fed as qty 0, or the orders there keep their place. */
void th_sim_market_clear(th_sim_engine *e, int32_t ins, int64_t ts_ns);
/* A recorded trade; aggressor_side TH_SIM_BUY means it lifted asks. */
void th_sim_market_trade(th_sim_engine *e, int32_t ins, int64_t price, int64_t qty, th_sim_side aggressor_side, int64_t ts_ns);
/* The recorded book (what the venue publishes; our orders are not in it). */
const th_book *th_sim_market_book(const th_sim_engine *e, int32_t ins);
/* A level's quantity as our accounts see it: the book's minus what our takers consumed. */
int64_t th_sim_market_available(const th_sim_engine *e, int32_t ins, int side, int64_t price);

/* --- Orders --- */

typedef struct th_sim_order_req {
    int32_t ins;                 /* index in the instruments (th_instruments_find) */
    th_sim_side side;
    th_sim_order_type type;
    th_sim_tif tif;
    bool post_only;
    int64_t price;               /* limit orders */
    int64_t qty;
    const char *cl_ord_id;       /* NULL or "": none; longer than TH_SIM_CL_ORD_ID_MAX-1: bad_request */
    int64_t userref;
} th_sim_order_req;

/* Place an order. On success returns TH_SIM_OK with *order_id set, after emitting NEW and any fills
 * (and CANCELED for an IOC or market remainder). On refusal emits REJECTED and returns the reason. */
th_sim_reject th_sim_place(th_sim_engine *e, int32_t account, const th_sim_order_req *req, int64_t ts_ns, uint64_t *order_id);
/* Cancel one open order of the account, by engine id or by client id. */
th_sim_reject th_sim_cancel(th_sim_engine *e, int32_t account, uint64_t order_id, int64_t ts_ns);
th_sim_reject th_sim_cancel_cl(th_sim_engine *e, int32_t account, const char *cl_ord_id, int64_t ts_ns);
/* Cancel every open order of the account (ins -1: every instrument); *count gets how many. Never
 * refused by the rate counter (it is still charged). */
th_sim_reject th_sim_cancel_all(th_sim_engine *e, int32_t account, int32_t ins, int64_t ts_ns, int32_t *count);
/* Amend an open order: new_qty is the new total quantity (0: unchanged; must exceed what has
 * filled), new_price the new limit (0: unchanged). Only a smaller qty at the same price keeps the
 * queue position; anything else re-queues at the back. post_only (-1 unchanged, 0, 1). An amended
 * order that now crosses takes liquidity like a new one. */
th_sim_reject th_sim_amend(th_sim_engine *e, int32_t account, uint64_t order_id, int64_t new_qty, int64_t new_price,
                           int post_only, int64_t ts_ns);

/* Dead-man switch: cancel every order of the account at deadline (0 disables); th_sim_tick fires it. */
void th_sim_dead_man(th_sim_engine *e, int32_t account, int64_t deadline_ns);
/* Advance time: fires dead-man switches whose deadline has passed, and applies the retention
 * limits. Call at least once per second. */
void th_sim_tick(th_sim_engine *e, int64_t now_ns);

/* --- Queries ---
 * Order and trade pointers stay valid until the next call that places an order or records a fill
 * (the arrays grow); keep ids, not pointers, across calls. */

const th_sim_order *th_sim_order_find(const th_sim_engine *e, uint64_t order_id);
/* The account's OPEN order with this client id, or NULL. */
const th_sim_order *th_sim_order_find_cl(const th_sim_engine *e, int32_t account, const char *cl_ord_id);
/* Every order ever accepted, in placement order (idx 0..count-1); closed ones included. */
int32_t th_sim_order_count(const th_sim_engine *e);
const th_sim_order *th_sim_order_at(const th_sim_engine *e, int32_t idx);
/* The account's open orders (ins -1: all), oldest first: fills out[] up to cap, returns the total. */
int32_t th_sim_open_orders(const th_sim_engine *e, int32_t account, int32_t ins, const th_sim_order **out, int32_t cap);
/* Every trade (fill) in order; idx 0..count-1. A client's "trades since" is a scan from its index. */
int32_t th_sim_trade_count(const th_sim_engine *e);
const th_sim_trade *th_sim_trade_at(const th_sim_engine *e, int32_t idx);
/* The account's rate counter on an instrument, now (0 when the rate model is NONE). */
double th_sim_rate_level(th_sim_engine *e, int32_t account, int32_t ins, int64_t now_ns);

const char *th_sim_reject_name(th_sim_reject r);        /* "insufficient_funds" */
const char *th_sim_cancel_reason_name(th_sim_cancel_reason r);
/* Engine ids in Kraken's shape, "OABCDE-FGHIJ-KLMNOP" (6-5-6 letters; prefix 'O' orders, 'T' trades,
 * the other 16 a base-32 spelling of id, so distinct ids give distinct texts): 19 chars + NUL. */
void th_sim_format_kraken_id(char prefix, uint64_t id, char out[20]);

#endif
