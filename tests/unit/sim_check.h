/* sim_check.h — fixtures for the sim engine tests: instruments at real magnitudes, an event
 * recorder with a digest, and money helpers. */
#ifndef TH_SIM_CHECK_H
#define TH_SIM_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../host/core/decimal.h"
#include "../../host/sim/sim_engine.h"

/* BTC/USD at 8 + 8 decimals, tick 0.1, min 0.0001 BTC and 0.5 USD; MEME/USD at 10 + 2 decimals
 * (price 0.00000123 is 12300 units), lot 1 coin (100 units), min 1000 coins. */
enum { INS_BTC = 0, INS_MEME = 1 };
#define BTC_PX(usd_tenths) ((int64_t)(usd_tenths) * 10000000LL)   /* 100000.0 -> BTC_PX(1000000) */
#define BTC_QTY(sats) ((int64_t)(sats))
#define ONE_BTC 100000000LL

static inline void sim_instruments(th_instruments *r)
{
    th_instruments_init(r, TH_VENUE_KRAKEN);
    th_instrument btc = {.symbol = "BTC/USD", .base = "BTC", .quote = "USD", .price_dec = 8, .qty_dec = 8,
                         .tick = 10000000, .lot = 1, .min_qty = 10000, .min_cost = 5000000000000000LL,
                         .contract_size = 1, .online = true};
    th_instrument meme = {.symbol = "MEME/USD", .base = "MEME", .quote = "USD", .price_dec = 10, .qty_dec = 2,
                          .tick = 1, .lot = 100, .min_qty = 100000, .min_cost = 0, .contract_size = 1, .online = true};
    th_instruments_put(r, &btc);
    th_instruments_put(r, &meme);
}

#define SIM_MAX_EV 4096
typedef struct sim_rec {
    int n;
    th_sim_event ev[SIM_MAX_EV];
    th_sim_order ord[SIM_MAX_EV];  /* the order as the event showed it */
    th_sim_trade tr[SIM_MAX_EV];
    uint64_t digest;                /* FNV-1a over every event's fields, in order */
    long total;
} sim_rec;

static inline void sim_digest(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) { *h ^= b[i]; *h *= 1099511628211ull; }
}

static inline void sim_on_event(void *ctx, const th_sim_event *ev)
{
    sim_rec *r = ctx;
    int64_t f[12] = {ev->kind, ev->account, ev->reject, ev->ts_ns, (int64_t)ev->order->id, ev->order->filled,
                     ev->order->qty, ev->order->price, ev->order->status, ev->order->cancel_reason, ev->old_qty, ev->old_price};
    if (!r->total) r->digest = 1469598103934665603ull;
    sim_digest(&r->digest, f, sizeof f);
    if (ev->trade) {
        int64_t t[5] = {(int64_t)ev->trade->id, ev->trade->price, ev->trade->qty, (int64_t)ev->trade->fee, ev->trade->maker};
        sim_digest(&r->digest, t, sizeof t);
    }
    r->total++;
    if (r->n >= SIM_MAX_EV) return;
    r->ev[r->n] = *ev;
    r->ord[r->n] = *ev->order;
    if (ev->trade) r->tr[r->n] = *ev->trade;
    r->n++;
}

static inline th_sim_engine *sim_new(th_sim_queue_model qm, th_sim_rate_model rm, sim_rec *rec, uint64_t seed)
{
    th_instruments ins;
    sim_instruments(&ins);
    th_sim_config cfg = {.instruments = &ins, .queue_model = qm, .rate_model = rm, .seed = seed,
                         .on_event = rec ? sim_on_event : NULL, .ctx = rec};
    const char *err = NULL;
    th_sim_engine *e = th_sim_engine_new(&cfg, &err);
    th_instruments_free(&ins);
    if (!e) fprintf(stderr, "sim_new: %s\n", err);
    return e;
}

/* An account with maker 16 bps, taker 26 bps (Kraken's entry tier) and the given USD. */
static inline int32_t sim_account(th_sim_engine *e, const char *key, const char *usd, const char *btc)
{
    const char *err = NULL;
    th_sim_account_spec s = {.key = key, .secret = "c2VjcmV0", .maker_ppm = 1600, .taker_ppm = 2600,
                             .rate_tier = 1};
    int32_t a = th_sim_account_add(e, &s, &err);
    if (a < 0) { fprintf(stderr, "sim_account: %s\n", err); return a; }
    if (usd && th_sim_balance_set(e, a, "USD", usd, &err)) fprintf(stderr, "%s\n", err);
    if (btc && th_sim_balance_set(e, a, "BTC", btc, &err)) fprintf(stderr, "%s\n", err);
    return a;
}

/* A decimal text as th_money at TH_SIM_SCALE (test inputs are well formed). */
static inline th_money sim_m(const char *s)
{
    th_money v = 0;
    int frac = -1;
    for (; *s; s++) {
        if (*s == '.') { frac = 0; continue; }
        v = v * 10 + (*s - '0');
        if (frac >= 0) frac++;
    }
    return v * th_money_pow10(TH_SIM_SCALE - (frac < 0 ? 0 : frac));
}

static inline th_money sim_total(th_sim_engine *e, int32_t a, const char *asset)
{
    th_money t = 0, r = 0;
    th_sim_balance_get(e, a, asset, &t, &r);
    return t;
}

static inline th_money sim_reserved(th_sim_engine *e, int32_t a, const char *asset)
{
    th_money t = 0, r = 0;
    th_sim_balance_get(e, a, asset, &t, &r);
    return r;
}

/* cmocka compares 64-bit values: money is compared as its decimal text, which also reads well. */
#define assert_money(m, text)                                                                          \
    do {                                                                                               \
        char b_[64];                                                                                   \
        th_money_format_short((m), TH_SIM_SCALE, b_, sizeof b_);                                       \
        assert_string_equal(b_, (text));                                                               \
    } while (0)

#endif
