/* binance_spot.h — the Binance spot order connector: the venue interface (core/venue_api.h) over
 * Binance's WebSocket API (one connection, signed requests), on the session's loop.
 *
 *   - User data: `userDataStream.subscribe.signature` on every (re)connect (the listenKey streams
 *     are gone); its `executionReport` events become on_ack (NEW), on_fill (TRADE: the trade id is
 *     "<symbol>-<t>", the same key myTrades gives, so a fill seen both ways is counted once),
 *     on_cancelled, on_expired, on_reject.
 *   - Orders: `order.place` (LIMIT GTC, or LIMIT_MAKER for post-only; newClientOrderId = the host's
 *     client id; newOrderRespType ACK) and `order.cancel` (by orderId when known), each answer
 *     matched by request id; refusals become on_reject / on_cancel_failed with Binance's code and
 *     text. Binance cannot amend a price in place (can_amend = false: the flow cancels and places).
 *   - Recovery, over the same connection: `openOrders.status`, `myTrades` per configured pair
 *     (startTime = the last known fill; a full page of 1000 rows is followed by the next, fromId), `order.status` for an order whose answer was lost. They
 *     wait until user data is subscribed; after every reconnect the `ready` hook reconciles.
 *   - Balances (binance_balances.c): `account.status` with each reconciliation, then the user data
 *     stream's outboundAccountPosition.
 *   - Limits: every answer's rateLimits REQUEST_WEIGHT count sets binance_rest.c's weight bucket;
 *     its ORDERS counts (10 s and day windows) set our model of them, and a place that would pass
 *     the announced limit is refused here (it fails locally, never sent: no -1015);
 *     a 429/418 (error.data.retryAfter) arms its one back-off, during which nothing is sent
 *     (requests fail locally), and the refused order is on_reject(rate_limited, retry_after).
 * The key and secret are held by binance_rest.c only and never logged. */
#ifndef TH_BINANCE_SPOT_H
#define TH_BINANCE_SPOT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../core/balances.h"
#include "../core/json.h"
#include "../core/venue_api.h"
#include "../net/ws_client.h"
#include "binance_rest.h"

#define TH_BINANCE_WSAPI_URL "wss://ws-api.binance.com:443/ws-api/v3"
#define TH_BINANCE_PENDING 4096  /* requests awaiting an answer, by id */
#define TH_BINANCE_IDMAP 16384   /* orderId -> client id and symbol */

typedef struct th_binance_spot_cfg {
    const char *rest_url, *ws_url;  /* NULL: Binance's own */
    const char *key, *secret;       /* from the environment; copied into binance_rest */
    const char *const *symbols;     /* the configured pairs (myTrades asks per symbol) */
    int32_t nsymbols;
} th_binance_spot_cfg;

typedef struct binance_pend {
    int64_t id;
    int32_t kind;
    char cl_id[40], ex_id[24], symbol[32];
    int64_t trigger_ns;  /* a place or cancel: the wall time of the book frame it reacts to (tick_probe.c) */
} binance_pend;

typedef struct binance_idmap {
    char ex_id[24], cl_id[40], symbol[32];
} binance_idmap;

typedef struct th_binance_spot {
    th_venue_events ev;             /* set by the order side once the flow exists */
    const th_instruments *ins;
    th_binance_rest rest;           /* key, secret, weight bucket and the one back-off */
    th_ws_client ws;
    uv_timer_t timer;
    bool open, timer_open;
    bool subscribed, ever_subscribed, sub_pending;
    bool want_open_orders, want_trades;
    int64_t trades_since_ns;
    int32_t trades_waiting;         /* myTrades answers still to come for this recovery */
    th_venue_fill *trades;          /* collected across the pairs, handed over at once */
    int32_t ntrades, trades_cap;
    char (*symbols)[32];
    int32_t nsymbols;
    int64_t req_id;
    binance_pend *pend;
    binance_idmap *idmap;
    th_json j;
    void (*ready)(void *ctx);       /* subscribed again after a reconnect: reconcile */
    void *ready_ctx;
    th_balances *bal;               /* balances (binance_balances.c): account.status, outboundAccountPosition */
    bool want_balances;
    /* Binance's ORDERS limits as its answers announce them (rateLimits ORDERS SECOND 10 / DAY 1):
     * the count it gave and the window it was in, plus our places since; 0 limit: none announced */
    int32_t orders_limit_10s, orders_limit_day;
    int64_t orders_win10, orders_day;    /* window index (ms / 10,000; ms / 86,400,000) of the counts */
    int32_t orders_n10, orders_nday;     /* counted in that window: the venue's count, then ours on top */
    int64_t orders_hold_ms;              /* wall ms: after a -1015, new orders wait until then (cancels do not) */
    uint64_t sent, answers, refusals, fills, lost_answers, limited, trade_pages, orders_held;
} th_binance_spot;

int th_binance_spot_open(th_binance_spot *k, uv_loop_t *loop, const th_instruments *ins, const th_binance_spot_cfg *cfg, char *why,
                         size_t cap);
th_venue th_binance_spot_as_venue(th_binance_spot *k);
void th_binance_spot_close(th_binance_spot *k);
void th_binance_spot_free(th_binance_spot *k);

#endif
