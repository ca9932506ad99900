/* sim_binance.h — the Binance spot protocol of the sim: state shared by its files.
 *
 *   sim_binance.c       the venue hooks (sim_venue), its state, the endpoints line
 *   sim_binance_rest.c  REST /api/v3/ping, time, exchangeInfo, depth in Binance's shapes
 *   sim_binance_private.c  signed REST: POST/DELETE /api/v3/order, GET openOrders, account
 *   sim_binance_ws.c    market streams: /ws and /stream connections, SUBSCRIBE/UNSUBSCRIBE/
 *                       LIST_SUBSCRIPTIONS, <sym>@depth@100ms diffs (U/u chained), @trade, @bookTicker
 *
 * The diff stream and REST depth share one image per symbol: the book as the stream has described
 * it so far, with the id of the last change (lastUpdateId). Every market frame that changes the
 * book becomes one diff whose ids continue the chain (U == previous u + 1), so a client that
 * buffers diffs, fetches /api/v3/depth and drops u <= lastUpdateId (Binance's documented recipe,
 * what ccxt does) rebuilds the book exactly. */
#ifndef TH_SIM_BINANCE_H
#define TH_SIM_BINANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/json.h"
#include "sim_image.h"
#include "simd.h"


typedef struct bn_symbol {
    char lower[32];        /* the stream name's symbol: nknusdt */
    sim_image img;         /* what the depth stream has described: every level, best first */
    uint64_t last_id;      /* u of the last diff; lastUpdateId of /api/v3/depth (0: empty book) */
    int64_t bid, bid_qty, ask, ask_qty; /* what the last bookTicker said */
    uint64_t trade_id;
    int depth_subs, trade_subs, ticker_subs;
} bn_symbol;

/* Per stream connection: what it subscribed to, per symbol; combined: /stream (events wrapped as
 * {"stream","data"}), else /ws (bare events). */
enum { BN_SUB_DEPTH = 1, BN_SUB_TRADE = 2, BN_SUB_TICKER = 4 };
typedef struct bn_conn {
    uint8_t *subs;
    bool combined;
} bn_conn;

typedef struct bn_state {
    bn_symbol *sym;        /* by instrument index */
    int32_t nsym;
    sim_buf out, raw, wrapped;
    th_json json;
    uint64_t cl_seq;       /* client order ids made up for orders sent without one */
    int64_t weight_minute; /* X-MBX-USED-WEIGHT-1M: the minute counted, and its weight */
    int32_t weight;
    /* WebSocket API: user data events are held while a request runs, then sent after its answer */
    int hold;
    struct bn_held *held;
    int32_t nheld, held_cap;
    sim_buf ev;
    /* --orders-per-10s: each account's new orders in the current 10 s window (Binance's ORDERS
     * SECOND 10) and day, by account index */
    struct bn_order_count { int64_t win10, day; int32_t n10, nday; } *ocount;
    int32_t nocount;
} bn_state;

static inline bn_state *bn_of(simd *s) { return s->vstate; }

/* Binance's ORDERS limit (--orders-per-10s N; 200,000 a day): a new order of `account` counted,
 * or false with the ms until the 10 s window turns when it is over. */
bool bn_order_count_take(simd *s, int32_t account, int64_t *retry_ms);
/* ,{"rateLimitType":"ORDERS",...,"count":C} x2 for the WebSocket API's rateLimits (nothing when off) */
void bn_order_count_json(simd *s, int32_t account, sim_buf *o);
#define BN_ORDERS_DAY 200000

/* REST */
void bn_rest(simd *s, const sim_http_req *req, sim_http_resp *resp);
/* Binance's error body {"code":N,"msg":"..."} with an HTTP status. */
void bn_error(sim_http_resp *r, int status, int code, const char *msg);
/* A parameter of the request breaks Binance's form (length, bytes, number range): -1100 naming it
 * answered, true. REST and the WebSocket API check with it before any handler reads a value. */
bool bn_params_refused(const sim_http_req *req, sim_http_resp *r);

/* signed REST (sim_binance_private.c): false when the path is not one of its endpoints */
bool bn_private_rest(simd *s, const sim_http_req *req, sim_http_resp *resp);
/* A signed request's credentials: key, timestamp, recvWindow (NULL: none), signature, and the text
 * signed (REST: query + body without the signature; WebSocket API: the sorted params). Returns the
 * account, or -1 with Binance's error written into resp. */
typedef struct bn_signed {
    const char *key, *ts, *rw, *sig;
    const char *payload;
    size_t payload_n;
} bn_signed;
int32_t bn_auth_check(simd *s, const bn_signed *a, sim_http_resp *resp);
/* The signed endpoints' bodies, shared by REST and the WebSocket API (which passes its params as
 * req->query): POST /api/v3/order (order.place), DELETE /api/v3/order (order.cancel), GET
 * openOrders (openOrders.status), GET account (account.status). */
void bn_place(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc);
void bn_cancel(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc);
void bn_open_orders(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc);
void bn_account(simd *s, sim_http_resp *r, int32_t acc);
void bn_order_status(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc);
void bn_my_trades(simd *s, const sim_http_req *req, sim_http_resp *r, int32_t acc);
/* Binance's orderId of an engine order: its place in the placement sequence, 1, 2, ... */
uint64_t bn_order_no(simd *s, const th_sim_order *o);
const char *bn_status_text(const th_sim_order *o);
void bn_money(sim_buf *o, th_money m, int scale);
/* Request weight: add w to this wall-clock minute's count; false (and the count unchanged) when
 * it would pass BN_WEIGHT_LIMIT. */
#define BN_WEIGHT_LIMIT 6000
bool bn_weight_take(simd *s, int w);
/* The 429 answer of a request over the weight limit (or the rate_limit fault), with Retry-After. */
void bn_too_many(simd *s, sim_http_resp *r);
void bn_rate_limited(simd *s, const sim_http_req *req, sim_http_resp *r, bool private_call);

/* WebSocket API on the private port (sim_binance_wsapi.c) */
void bn_api_open(simd *s, sim_ws *ws);
void bn_api_message(simd *s, sim_ws *ws, const char *text, size_t n);
void bn_api_close(simd *s, sim_ws *ws);
void bn_api_free(bn_state *b);
void bn_order_event(simd *s, const th_sim_event *ev);
/* server pings to every websocket (Binance: every 20 s; a client silent for a minute after one is cut) */
void bn_ws_pings(simd *s);

/* streams */
void bn_ws_open(simd *s, sim_ws *ws);
void bn_ws_message(simd *s, sim_ws *ws, const char *text, size_t n);
void bn_ws_close(simd *s, sim_ws *ws);
void bn_book_changed(simd *s, int32_t sym);
void bn_trade(simd *s, int32_t sym, const th_trade_ev *t);
/* Top `limit` levels of the image as [["p","q"],...] (REST depth). */
void bn_image_levels(simd *s, sim_buf *o, int32_t sym, int side, int32_t limit);

#endif
