/* sim_kraken.h — the Kraken spot protocol of the sim: state shared by its files.
 *
 *   sim_kraken.c       the venue hooks (sim_venue), connection bookkeeping, the endpoints line
 *   sim_kraken_names.c Kraken's own asset and pair names (XXBT, ZUSD, XXMRZUSD, KSMXBT) from v2 data
 *   sim_kraken_rest.c  REST /0/public/... and the /0/private/... dispatch
 *   sim_kraken_ws.c    WS v2 public: status, subscribe/unsubscribe, ping, heartbeat, trade, ticker,
 *                      instrument
 *   sim_kraken_book.c  WS v2 book: snapshots, and updates diffed per subscribed depth, with the
 *                      exchange's CRC32 checksum */
#ifndef TH_SIM_KRAKEN_H
#define TH_SIM_KRAKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/json.h"
#include "../core/money.h"
#include "../core/rate_limit.h"
#include "simd.h"

#define KR_NDEPTHS 5
extern const int32_t KR_DEPTHS[KR_NDEPTHS]; /* 10, 25, 100, 500, 1000 */

typedef struct kr_asset {
    char v2[16];      /* as the v2 API and our instrument data name it: BTC, USD, KSM */
    char id[16];      /* REST asset id: XXBT, ZUSD, KSM */
    char alt[16];     /* REST altname: XBT, USD, KSM */
    bool fiat;
} kr_asset;

typedef struct kr_pair {
    char id[40];      /* REST pair id: XXMRZUSD, KSMXBT */
    char alt[40];     /* altname: XMRUSD, KSMXBT */
    char wsname[40];  /* v1 wsname: XMR/USD, KSM/XBT */
    int32_t base, quote; /* kr_asset indexes */
} kr_pair;

/* What subscribers of one depth of one symbol have been sent: the top `depth` levels. */
typedef struct kr_published {
    int subs;
    int32_t n[2];
    int64_t *px[2], *qty[2];
} kr_published;

typedef struct kr_symbol {
    kr_published pub[KR_NDEPTHS];
    int64_t bid, bid_qty, ask, ask_qty;   /* the best levels the last ticker said */
    /* ticker statistics over the replay (the sim has no 24 h history) */
    int64_t last, low, high, first;
    double volume, notional;
    bool traded;
    uint64_t trade_id;
} kr_symbol;

/* Per public connection: what it subscribed to, per symbol. */
enum { KR_SUB_TRADE = 1, KR_SUB_TICKER = 2, KR_SUB_TICKER_TRADES = 4, KR_SUB_AWAIT_SNAPSHOT = 8, KR_SUB_SNAPSHOT_SENT = 16 };
typedef struct kr_conn {
    uint8_t *book;    /* per symbol: depth slot + 1, 0 none */
    uint8_t *flags;   /* per symbol: KR_SUB_* */
    bool instrument, any;
} kr_conn;

typedef struct kr_state {
    kr_asset *assets;
    int32_t nassets;
    kr_pair *pairs;   /* by instrument index */
    int32_t npairs;
    kr_symbol *sym;   /* by instrument index */
    sim_buf out;      /* scratch for frames */
    sim_buf ev;       /* scratch for execution events */
    /* auth */
    uint64_t *nonce;  /* per account: the last nonce accepted */
    int32_t nnonce;
    th_bucket *rest;  /* per account: the REST API counter (--rest-counter), a bucket seen upside down */
    int32_t nrest;
    struct kr_token *tokens;
    int32_t ntokens, tokens_cap;
    uint64_t token_seq;
    /* execution events held while a request is answered */
    int hold;
    struct kr_held *held;
    int32_t nheld, held_cap;
    th_json json;     /* incoming requests */
} kr_state;

static inline kr_state *kr_of(simd *s) { return s->vstate; }

/* names */
int kr_names_build(simd *s, const char **err);
void kr_names_free(kr_state *k);
/* Instrument index for a pair as a client may name it: REST id, altname, wsname or v2 symbol. */
int32_t kr_pair_find(simd *s, const char *name, size_t n);
/* Asset index by REST id, altname or v2 name. */
int32_t kr_asset_find(const kr_state *k, const char *name, size_t n);

/* REST */
void kr_rest(simd *s, const sim_http_req *req, sim_http_resp *resp);
/* /0/private/...: signature and nonce checked, then the method (sim_kraken_private.c) */
void kr_private_rest(simd *s, const sim_http_req *req, sim_http_resp *resp);
/* One form/query parameter's value (URL-decoded into out); false when absent. */
bool kr_form_get(const char *form, const char *key, char *out, size_t cap);

/* WS public */
void kr_ws_public_open(simd *s, sim_ws *ws);
void kr_ws_public_message(simd *s, sim_ws *ws, const char *text, size_t n);
void kr_ws_public_close(simd *s, sim_ws *ws);
void kr_ws_heartbeats(simd *s);
void kr_ws_trade(simd *s, int32_t sym, const th_trade_ev *t);
void kr_ws_ticker_bbo(simd *s, int32_t sym);
/* The status frame every connection gets first. */
void kr_ws_status(simd *s, sim_ws *ws);
/* The common tail of a method answer: time_in / time_out, req_id when the request had one. */
void kr_ws_answer_tail(sim_buf *b, int64_t time_in, const char *req_id, size_t req_id_len);

/* orders (sim_kraken_orders.c) */
typedef struct kr_order_args {
    char pair[64], side[16], type[32], qty[64], price[64], tif[16], cl_ord_id[80], userref[32];
    bool post_only;
} kr_order_args;
/* The engine request for an order's fields, or Kraken's error string for the first bad one. */
const char *kr_order_build(simd *s, const kr_order_args *a, th_sim_order_req *req);
const char *kr_reject_text(th_sim_reject r);
void kr_id_text(char prefix, uint64_t id, char out[32]);
bool kr_parse_id(const char *text, size_t n, char prefix, uint64_t *id);
void kr_money(sim_buf *o, th_money m, int scale, bool quoted);
void kr_avg_price(sim_buf *o, const th_sim_order *ord, const th_instrument *in, bool quoted);

/* auth (sim_kraken_auth.c): the account of a signed REST call, or Kraken's error */
int32_t kr_auth_rest(simd *s, const sim_http_req *req, const char **err);
/* A websocket token for the account (GetWebSocketsToken), and the account a token belongs to. */
const char *kr_token_issue(simd *s, int32_t account);
int32_t kr_token_account(simd *s, const char *token, size_t n);
void kr_auth_free(kr_state *k);

/* WS private (sim_kraken_exec.c) */
void kr_ws_private_open(simd *s, sim_ws *ws);
void kr_ws_private_message(simd *s, sim_ws *ws, const char *text, size_t n);
void kr_ws_private_close(simd *s, sim_ws *ws);
void kr_order_event(simd *s, const th_sim_event *ev);
bool kr_ws_private_subscribed(const sim_ws *ws);
void kr_exec_free(kr_state *k);
/* Events of a request are held until its answer is sent (Kraken answers first). */
void kr_events_hold(simd *s);
void kr_events_flush(simd *s);

/* book */
int kr_depth_slot(int64_t depth);
/* Subscribe ws at a depth slot to a symbol: its snapshot now (or when the book has one). */
void kr_book_subscribe(simd *s, sim_ws *ws, int32_t sym, int slot);
void kr_book_unsubscribe(simd *s, sim_ws *ws, int32_t sym);
/* A book changed: send each subscribed depth what changed in its top levels. */
void kr_book_changed(simd *s, int32_t sym);
void kr_book_free(kr_state *k);
/* Top n levels of the live book as [[price, qty, ts], ...] strings (REST Depth, /_sim/state). */
void kr_book_levels_rest(simd *s, sim_buf *b, int32_t sym, int side, int32_t n, bool with_ts);

#endif
