/* bench_sim.c — the sim engine's matching throughput (bench/run.sh prints it).
 *   bench_sim [runs]
 * BTC/USD at 8 + 8 decimals with 100 levels a side and 20 of our orders resting near the top
 * (the shape of a market maker's session against the sim). Figures, each the median of the runs:
 *   sim_level_updates_per_s   recorded level changes near the top (queue positions re-read,
 *                             crossing checks) — what replaying a recording costs
 *   sim_trades_per_s          recorded trades at our levels (queue consumption, fills)
 *   sim_place_cancel_per_s    a post-only place and its cancel (checks, holds, events)
 *   sim_taker_per_s           an IOC buy walking 3 levels, then the recording restating them */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../host/sim/sim_engine.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static long events;
static void on_event(void *ctx, const th_sim_event *ev)
{
    (void)ctx;
    (void)ev;
    events++;
}

#define TICK 10000000LL /* 0.1 USD at 8 decimals */
#define MID (100000LL * 100000000LL)
#define ONE 100000000LL

static th_sim_engine *setup(int32_t *acct)
{
    th_instruments ins;
    th_instruments_init(&ins, TH_VENUE_KRAKEN);
    th_instrument btc = {.symbol = "BTC/USD", .base = "BTC", .quote = "USD", .price_dec = 8, .qty_dec = 8,
                         .tick = TICK, .lot = 1, .min_qty = 10000, .contract_size = 1, .online = true};
    th_instruments_put(&ins, &btc);
    th_sim_config cfg = {.instruments = &ins, .queue_model = TH_SIM_QUEUE_PROPORTIONAL, .seed = 1, .on_event = on_event};
    const char *err;
    th_sim_engine *e = th_sim_engine_new(&cfg, &err);
    th_instruments_free(&ins);
    if (!e) { fprintf(stderr, "%s\n", err); exit(1); }
    th_sim_account_spec s = {.key = "k", .maker_ppm = 1600, .taker_ppm = 2600};
    *acct = th_sim_account_add(e, &s, &err);
    th_sim_balance_set(e, *acct, "USD", "100000000000000", &err);
    th_sim_balance_set(e, *acct, "BTC", "100000000", &err);
    for (int k = 1; k <= 100; k++) {
        th_sim_market_level(e, 0, TH_BID, MID - k * TICK, (int64_t)(1 + k % 7) * ONE, 0);
        th_sim_market_level(e, 0, TH_ASK, MID + k * TICK, (int64_t)(1 + k % 5) * ONE, 0);
    }
    for (int k = 0; k < 10; k++) {
        uint64_t id;
        th_sim_order_req b = {.ins = 0, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .price = MID - (1 + k) * TICK, .qty = ONE / 10};
        th_sim_order_req a = {.ins = 0, .side = TH_SIM_SELL, .type = TH_SIM_LIMIT, .price = MID + (1 + k) * TICK, .qty = ONE / 10};
        th_sim_place(e, *acct, &b, 0, &id);
        th_sim_place(e, *acct, &a, 0, &id);
    }
    return e;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 100) runs = 5;
    double lv[100], tr[100], pc[100], tk[100];
    for (int r = 0; r < runs; r++) {
        int32_t a;
        th_sim_engine *e = setup(&a);
        const int N = 1000000;
        int64_t ts = 1;
        /* level changes among the top 20 of each side, never crossing */
        double t0 = now_s();
        for (int i = 0; i < N; i++) {
            int side = (int)(rnd() & 1);
            int64_t k = 1 + (int64_t)(rnd() % 20);
            int64_t q = (int64_t)(1 + rnd() % 50) * (ONE / 10);
            th_sim_market_level(e, 0, side, side == TH_BID ? MID - k * TICK : MID + k * TICK, q, ++ts);
        }
        lv[r] = N / (now_s() - t0);
        /* small trades at our levels (they rarely reach us: the queue ahead is large) */
        const int NT = 1000000;
        t0 = now_s();
        for (int i = 0; i < NT; i++) {
            int64_t k = 1 + (int64_t)(rnd() % 10);
            bool buy = rnd() & 1;
            th_sim_market_trade(e, 0, buy ? MID + k * TICK : MID - k * TICK, 1000, buy ? TH_SIM_BUY : TH_SIM_SELL, ++ts);
        }
        tr[r] = NT / (now_s() - t0);
        const int NP = 100000;
        t0 = now_s();
        for (int i = 0; i < NP; i++) {
            uint64_t id;
            th_sim_order_req b = {.ins = 0, .side = TH_SIM_BUY, .type = TH_SIM_LIMIT, .post_only = true,
                                  .price = MID - (int64_t)(30 + rnd() % 50) * TICK, .qty = ONE / 100};
            if (th_sim_place(e, a, &b, ++ts, &id) != TH_SIM_OK) { fprintf(stderr, "place refused\n"); return 1; }
            th_sim_cancel(e, a, id, ++ts);
        }
        pc[r] = NP / (now_s() - t0);
        const int NK = 100000;
        int32_t trades0 = th_sim_trade_count(e);
        t0 = now_s();
        for (int i = 0; i < NK; i++) {
            uint64_t id;
            /* alternately lift the three best asks and hit the three best bids, sized to what our
             * accounts can take there, then the recording restates those levels */
            int side = i & 1 ? TH_BID : TH_ASK;
            th_sim_order_req o = {.ins = 0, .side = side == TH_ASK ? TH_SIM_BUY : TH_SIM_SELL, .type = TH_SIM_LIMIT,
                                  .tif = TH_SIM_IOC, .price = side == TH_ASK ? MID + 100 * TICK : MID - 100 * TICK};
            int64_t px[3] = {0, 0, 0}, qs[3] = {0, 0, 0};
            for (int k = 0; k < 3; k++) {
                th_book_level(th_sim_market_book(e, 0), side, k, &px[k], &qs[k]);
                o.qty += th_sim_market_available(e, 0, side, px[k]);
            }
            if (th_sim_place(e, a, &o, ++ts, &id) != TH_SIM_OK) { fprintf(stderr, "taker refused\n"); return 1; }
            for (int k = 0; k < 3; k++) th_sim_market_level(e, 0, side, px[k], qs[k], ++ts);
        }
        if (th_sim_trade_count(e) - trades0 < 3 * NK) { fprintf(stderr, "the takers did not fill\n"); return 1; }
        tk[r] = NK / (now_s() - t0);
        fprintf(stderr, "run %d: orders %d trades %d events %ld\n", r, th_sim_order_count(e), th_sim_trade_count(e), events);
        th_sim_engine_free(e);
    }
    qsort(lv, (size_t)runs, sizeof *lv, cmp);
    qsort(tr, (size_t)runs, sizeof *tr, cmp);
    qsort(pc, (size_t)runs, sizeof *pc, cmp);
    qsort(tk, (size_t)runs, sizeof *tk, cmp);
    printf("sim engine, BTC/USD 8+8, 100 levels a side, 20 resting orders (median of %d runs)\n", runs);
    printf("RESULT sim_level_updates_per_s %.0f\n", lv[runs / 2]);
    printf("RESULT sim_trades_per_s %.0f\n", tr[runs / 2]);
    printf("RESULT sim_place_cancel_per_s %.0f\n", pc[runs / 2]);
    printf("RESULT sim_taker_per_s %.0f\n", tk[runs / 2]);
    return 0;
}
