/* kraken_spot.h — the Kraken spot order connector: the venue interface (core/venue_api.h) over WS
 * v2 private and REST, on the session's loop.
 *
 *   - Token: REST GetWebSocketsToken at start, refreshed at 3/4 of its life (Kraken keeps a used
 *     token's connection; a reconnect needs a token that has not expired), and after a refusal.
 *   - Private websocket (net/ws_client.c, the one back-off): `executions` subscribed with
 *     snap_orders; its events become on_ack (pending_new/new), on_fill (trade: exec_id is the
 *     trade id REST TradesHistory uses too, so a fill seen both ways is counted once),
 *     on_cancelled, on_expired. Orders go as add_order (cl_ord_id = the host's client id),
 *     cancel_order, amend_order (order_qty = the new total, venue_api.h), several places of one pair
 *     in a loop turn as one batch_add (2-15 orders; refused as a whole: each order is queried,
 *     since Kraken may have placed some first), each request's answer
 *     matched by req_id: a refusal is on_reject / on_cancel_failed / on_amended(false) with the
 *     venue's text as the reason and its class as th_verr.
 *   - Requests fail locally (-1) while the private connection is not subscribed. A request whose
 *     answer is lost with the connection produces nothing: the order flow's timeout query
 *     resolves it (a lost ack is never resolved by placing again).
 *   - Recovery: open_orders and trades_since are REST OpenOrders and TradesHistory (paged: Kraken
 *     answers 50 trades at a time, newest first, with the total `count`; the pages are asked with
 *     `ofs` until every trade since the last fill is in, then handed to the flow at once); query_order is
 *     QueryOrders by order id, or OpenOrders then ClosedOrders by cl_ord_id when the ack was lost.
 *     They wait for the private connection to be subscribed, so the flow stays `recovering` (no new
 *     orders) until the host can trade; after every reconnect the `ready` hook runs the flow's
 *     reconciliation again.
 *   - Balances (kraken_balances.c): BalanceEx at start and at each reconciliation, the
 *     `balances` channel (snapshot, then the ledger) for totals, BalanceEx again for holds at most
 *     every balance_refresh_s while orders move (Kraken pushes no hold changes).
 *   - Dead man's switch: cancel_all_orders_after(dead_man_s) once subscribed, renewed every
 *     dead_man_s/4 while connected: if the host dies or loses the venue, Kraken cancels our
 *     orders within dead_man_s.
 * Secrets live in kraken_rest.c only and are never logged. */
#ifndef TH_KRAKEN_SPOT_H
#define TH_KRAKEN_SPOT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../core/balances.h"
#include "../core/json.h"
#include "../core/venue_api.h"
#include "../net/ws_client.h"
#include "kraken_rest.h"

#define TH_KRAKEN_PRIVATE_URL "wss://ws-auth.kraken.com/v2"
#define TH_KRAKEN_PENDING 4096  /* requests awaiting an answer, by req_id */
#define TH_KRAKEN_QUERIES 256   /* REST queries in flight */
#define TH_KRAKEN_IDMAP 16384   /* venue order id -> client id, for REST answers that lack it */
#define TH_KRAKEN_BATCHES 64    /* batch_add requests awaiting an answer: their orders' client ids */

typedef struct th_kraken_spot_cfg {
    const char *rest_url, *ws_url;  /* NULL: Kraken's own */
    const char *key, *secret;       /* from the environment; copied into kraken_rest */
    double dead_man_s;              /* 0: off */
    double balance_refresh_s;       /* least interval between BalanceEx asked for holds (0: 5 s) */
    int rest_tier;                  /* venue.tier: the REST counter modelled (0 starter, 1, 2; -1: not) */
} th_kraken_spot_cfg;

typedef struct kraken_pend {
    int64_t req_id;
    int64_t trigger_ns;             /* tick_probe.h: the book frame this order reacts to (wall), 0: none */
    int32_t kind;
    char cl_id[40], ex_id[48];
} kraken_pend;

typedef struct kraken_batch {
    int64_t req_id;
    int32_t n;
    char cl_id[TH_VENUE_BATCH_MAX][40];
} kraken_batch;

typedef struct kraken_query {
    int32_t kind;                   /* 0: free */
    int64_t ofs;                    /* TradesHistory: the page's offset */
    char cl_id[40], ex_id[48];
    bool waiting;                   /* held until the REST counter has room (sent from the timer, in order) */
    uint64_t seq;                   /* the order queries were asked in */
    const char *method;             /* while waiting: the method (a literal) and the form (owned) */
    char *form;
} kraken_query;

typedef struct kraken_idmap {
    char ex_id[48], cl_id[40];
} kraken_idmap;

typedef struct th_kraken_spot {
    th_venue_events ev;             /* set by the order side once the flow exists */
    const th_instruments *ins;      /* the registry (its array may move: indexed on each use) */
    uv_loop_t *loop;
    th_kraken_rest rest;
    th_ws_client ws;
    uv_timer_t timer;
    bool open, timer_open;
    char token[160];
    int64_t token_mono, token_ttl_ns;
    bool token_pending;
    bool subscribed, ever_subscribed;
    bool want_open_orders, want_trades;
    int64_t trades_since_ns;
    int64_t req_id;
    double dead_man_s;
    int64_t dead_man_next, ping_next;
    kraken_pend *pend;
    kraken_query q[TH_KRAKEN_QUERIES];
    int32_t q_next;
    int32_t nwaiting;               /* queries held for the REST counter */
    uint64_t q_seq, rest_waits;
    kraken_idmap *idmap;
    kraken_batch *batch;            /* TH_KRAKEN_BATCHES, by req_id */
    th_venue_fill *held_trades;     /* a TradesHistory answer waiting for its orders' client ids */
    int32_t nheld_trades;
    th_venue_fill *trades_acc;      /* TradesHistory pages so far (50 trades each, newest first) */
    int32_t ntrades_acc, trades_acc_cap;
    char trades_form[64];           /* the walk's `start`, repeated on every page */
    th_json j;
    th_balances *bal;               /* the store the balances go to (kraken_balances.c); NULL: none */
    bool bal_push;                  /* the `balances` channel's snapshot came: it owns the totals */
    bool bal_dirty, bal_pending;    /* holds may have moved; a BalanceEx is in flight */
    int64_t bal_next, bal_refresh_ns;
    void (*ready)(void *ctx);       /* subscribed again after a reconnect: reconcile */
    void *ready_ctx;
    uint64_t sent, answers, refusals, fills, lost_answers, dead_man_renewals, trade_pages, batches;
} th_kraken_spot;

int th_kraken_spot_open(th_kraken_spot *k, uv_loop_t *loop, const th_instruments *ins, const th_kraken_spot_cfg *cfg, char *why,
                        size_t cap);
th_venue th_kraken_spot_as_venue(th_kraken_spot *k);
/* Stop: the websocket and REST close on the loop (nothing more is answered). */
void th_kraken_spot_close(th_kraken_spot *k);
void th_kraken_spot_free(th_kraken_spot *k);

#endif
