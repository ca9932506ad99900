/* venue_api.h — the one interface between the order flow and a venue connector.
 *
 * Requests go down through th_venue_ops; answers and unsolicited events come back through
 * th_venue_events, which the order flow implements. Every real connector (Kraken, Binance, sim)
 * and the in-process test venue implement exactly this, so the scenarios the tests run against
 * the test venue run unchanged against real sockets later. Rules a connector follows:
 *   - requests never block and never call back from inside the request: answers arrive later,
 *     from the connector's own socket (or pump) callbacks;
 *   - a request that fails locally (not connected) returns non-zero and nothing is sent;
 *   - a request whose fate is unknown (timeout, dropped connection) produces no event: the order
 *     stays PENDING_* and the flow's timeout query resolves it;
 *   - prices and sizes are instrument units; the connector formats them with th_dec_format. */
#ifndef TH_VENUE_API_H
#define TH_VENUE_API_H

#include <stdbool.h>
#include <stdint.h>

#include "instrument.h"
#include "money.h"

/* Why a venue refused or failed a request. */
typedef enum th_verr {
    TH_VERR_REJECTED = 0,     /* a business refusal (insufficient funds, post-only would cross...) */
    TH_VERR_RATE_LIMITED,     /* 429, Kraken "EOrder:Rate limit exceeded" */
    TH_VERR_BANNED,           /* 418: the IP is banned for a while */
    TH_VERR_TRANSIENT,        /* 5xx, "service unavailable", engine busy */
    TH_VERR_UNKNOWN_ORDER,    /* cancel/amend/query of an order the venue does not know */
    TH_VERR_ORDER_LIMIT,      /* Binance -1015: the account's count of new orders; new orders wait, cancels go on */
} th_verr;

typedef struct th_venue_order {
    char cl_id[40], ex_id[48], symbol[32];
    int32_t side;
    int32_t open;             /* 1 still resting; 0 finished (see filled vs qty) */
    int64_t price, qty, filled;
} th_venue_order;

typedef struct th_venue_fill {
    char cl_id[40], ex_id[48], trade_id[48], symbol[32];
    int32_t side;
    int32_t reserved;
    int64_t price, qty;
    int64_t ts_ns;
    th_money fee;             /* money.h: notional units of the quote currency */
    /* A fee the venue charged in another asset than the quote (Binance's BNB): that asset and the
     * amount as the venue wrote it. Never converted: `fee` is then 0, and the flow records this. */
    char fee_asset[16], fee_other[32];
} th_venue_fill;

typedef struct th_venue_place {
    const char *cl_id;
    const th_instrument *ins;
    int32_t side;
    bool post_only;
    int64_t price, qty;
} th_venue_place;

#define TH_VENUE_BATCH_MAX 15

typedef struct th_venue_events {
    void *ctx;
    void (*on_ack)(void *ctx, const char *cl_id, const char *ex_id);
    /* cl_id NULL: a refusal of a request that named several orders (place_batch) */
    void (*on_reject)(void *ctx, const char *cl_id, int32_t verr, int64_t retry_after_ns, const char *text);
    void (*on_cancelled)(void *ctx, const char *cl_id, const char *ex_id);
    void (*on_cancel_failed)(void *ctx, const char *cl_id, int32_t verr, int64_t retry_after_ns, const char *text);
    void (*on_expired)(void *ctx, const char *cl_id, const char *ex_id);
    void (*on_amended)(void *ctx, const char *cl_id, bool ok, const char *text);
    void (*on_fill)(void *ctx, const th_venue_fill *f);
    /* answer to query_order: o is NULL when the venue does not know the order */
    void (*on_order_status)(void *ctx, const char *cl_id, const th_venue_order *o);
    void (*on_open_orders)(void *ctx, const th_venue_order *v, int32_t n);
    void (*on_trades)(void *ctx, const th_venue_fill *v, int32_t n);
    /* answer to cancel_all: ok with how many the venue cancelled (each also reported by its own
     * on_cancelled), or refused (verr, text) */
    void (*on_cancel_all)(void *ctx, bool ok, int32_t count, int32_t verr, int64_t retry_after_ns, const char *text);
} th_venue_events;

/* Amend semantics, one meaning for every connector: `qty` is the order's new TOTAL quantity,
 * the part already filled included, and `price` its new limit price (Kraken spot WS v2
 * `amend_order`: `order_qty` is the new total, `limit_price` the new price; an amend to at most
 * the filled quantity finishes the order). The order flow asks for filled + the resting size it
 * wants. A connector whose venue counts differently translates here, never in the flow; a venue
 * that cannot amend the price in place sets can_amend = false and the flow cancels and places:
 *   - Kraken spot: can_amend, order_qty = qty as given;
 *   - Binance spot: can_amend = false (order.amend.keepPriority only lowers the quantity; there is
 *     no price amend), so a moved quote is a cancel then a new order;
 *   - sim / the in-process test venue: as Kraken. */
typedef struct th_venue_ops {
    const char *name;
    bool can_amend;               /* price and quantity in place, as above */
    int (*place)(void *self, const th_venue_place *p);
    int (*cancel)(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins);
    int (*amend)(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins, int64_t price, int64_t qty);
    int (*query_order)(void *self, const char *cl_id, const char *ex_id, const th_instrument *ins);
    int (*open_orders)(void *self);
    int (*trades_since)(void *self, int64_t since_ns);
    /* Every open order of the account in one request (Kraken WS v2 `cancel_all`: one request,
     * not a per-order cancel on the pair's rate counter). NULL: the venue has none. Account-wide:
     * it also takes down orders another host placed on the same account. */
    int (*cancel_all)(void *self);
    /* 2..TH_VENUE_BATCH_MAX places of one instrument in one request (Kraken WS v2 `batch_add`):
     * answered order by order (on_ack), or refused as a whole: then on_reject(cl_id NULL) carries
     * the refusal (the back-off and the breaker see it) and each order's fate is settled by a
     * status query, since a venue may have placed some before it refused (Kraken's batch is not
     * atomic at execution). NULL: the venue has none (the flow sends one place per order). */
    int (*place_batch)(void *self, const th_venue_place *v, int32_t n);
} th_venue_ops;

typedef struct th_venue {
    const th_venue_ops *ops;
    void *self;
} th_venue;

#endif
