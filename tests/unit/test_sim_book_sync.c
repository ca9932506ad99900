/* test_sim_book_sync.c — the book sync compares only the key ranges either book logged since the
 * last sync (sim_book_sync.h); this checks that it sends the engine exactly what comparing the
 * whole sides sends, change for change and in the same order, over randomized records at BTC/USD
 * magnitudes (100,000 with 8 + 8 decimals): level changes near the top, deletes, inserts deep in
 * the book, truncations at the depth, snapshots (the book cleared and rebuilt), with resting
 * orders in the engines so the changes also fill them (event digests compared). Two engines
 * follow one feed book: one synced by ranges, the other compared whole every time; also with the
 * engine's depth below the feed's, where the engine's own truncation drops levels the feed keeps.
 * And the ranges were really used (the test is not vacuous). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_check.h"

#include "../../host/core/book.h"
#include "../../host/sim/sim_book_sync.h"

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }

static th_sim_engine *engine(sim_rec *rec, int32_t depth)
{
    th_instruments ins;
    sim_instruments(&ins);
    th_sim_config cfg = {.instruments = &ins, .queue_model = TH_SIM_QUEUE_PROPORTIONAL, .seed = 7, .book_depth = depth,
                         .on_event = sim_on_event, .ctx = rec};
    const char *err = NULL;
    th_sim_engine *e = th_sim_engine_new(&cfg, &err);
    th_instruments_free(&ins);
    assert_non_null(e);
    return e;
}

/* A snapshot: the feed's book cleared and filled with n levels a side around mid. */
static void snapshot(th_book *f, int64_t mid, int n)
{
    th_book_clear(f);
    for (int k = 0; k < n; k++) {
        th_book_set(f, TH_BID, mid - BTC_PX(1 + k * 3), rnd_in(1, 5 * ONE_BTC));
        th_book_set(f, TH_ASK, mid + BTC_PX(1 + k * 3), rnd_in(1, 5 * ONE_BTC));
    }
    th_book_truncate(f);
}

/* One record's changes: a few levels set or deleted, mostly near the top. */
static void record(th_book *f, int64_t mid)
{
    int n = (int)rnd_in(1, 4);
    for (int k = 0; k < n; k++) {
        int side = (int)(rnd() & 1);
        int64_t away = rnd() % 4 == 0 ? rnd_in(1, 400) : rnd_in(1, 12); /* ticks from the mid */
        int64_t px = side == TH_BID ? mid - BTC_PX(away) : mid + BTC_PX(away);
        int64_t qty = rnd() % 3 == 0 ? 0 : rnd_in(1, 3 * ONE_BTC);
        th_book_set(f, side, px, qty);
    }
    th_book_truncate(f);
}

static void run(int32_t feed_depth, int32_t engine_depth, uint64_t seed, uint64_t min_ranged)
{
    rng_state = seed;
    sim_rec ra = {0}, rb = {0};
    th_sim_engine *ea = engine(&ra, engine_depth), *eb = engine(&rb, engine_depth);
    int32_t aa = sim_account(ea, "a", "100000000", "1000"), ab = sim_account(eb, "a", "100000000", "1000");
    th_book f;
    assert_int_equal(th_book_init(&f, feed_depth, 8, 8), 0);
    th_sim_book_sync sa = {0}, sb = {0};
    int64_t mid = BTC_PX(1000000); /* 100,000.0 */
    int changed = 0;
    for (int step = 0; step < 6000; step++) {
        if (step % 1500 == 0) snapshot(&f, mid, feed_depth ? feed_depth + 5 : 40);
        else record(&f, mid);
        if (step % 50 == 25) { /* resting orders near the top, which the changes can cross */
            for (int k = 0; k < 2; k++) {
                th_sim_order_req r = {.ins = INS_BTC, .side = k ? TH_SIM_SELL : TH_SIM_BUY, .type = TH_SIM_LIMIT,
                                      .tif = TH_SIM_GTC, .price = k ? mid + BTC_PX(rnd_in(0, 6)) : mid - BTC_PX(rnd_in(0, 6)),
                                      .qty = rnd_in(10000, ONE_BTC)};
                uint64_t id;
                th_sim_place(ea, aa, &r, step, &id);
                th_sim_place(eb, ab, &r, step, &id);
            }
        }
        if (sb.fw && INS_BTC < sb.nfw) sb.fw[INS_BTC].valid = false; /* b: whole sides every time */
        int na = th_sim_book_sync_apply(ea, &sa, INS_BTC, &f, step), nb = th_sim_book_sync_apply(eb, &sb, INS_BTC, &f, step);
        assert_int_equal(na, nb);
        for (int k = 0; k < na; k++) {
            assert_int_equal(sa.chg[k].side, sb.chg[k].side);
            assert_int_equal(sa.chg[k].price, sb.chg[k].price);
            assert_int_equal(sa.chg[k].qty, sb.chg[k].qty);
        }
        changed += na;
        assert_true(ra.total == rb.total);
        assert_true(ra.digest == rb.digest);
        /* both engines' books level for level */
        const th_book *x = th_sim_market_book(ea, INS_BTC), *y = th_sim_market_book(eb, INS_BTC);
        for (int side = 0; side < 2; side++) {
            assert_int_equal(th_book_count(x, side), th_book_count(y, side));
            for (int32_t k = 0; k < th_book_count(x, side); k++) {
                int64_t p1 = 0, q1 = 0, p2 = 0, q2 = 0;
                th_book_level(x, side, k, &p1, &q1);
                th_book_level(y, side, k, &p2, &q2);
                assert_true(p1 == p2 && q1 == q2);
            }
        }
    }
    assert_true(changed > 6000);
    assert_true(ra.total > 10); /* orders placed and filled */
    fprintf(stderr, "depth %d/%d: %llu syncs by ranges, %llu whole\n", feed_depth, engine_depth, (unsigned long long)sa.ranged,
            (unsigned long long)sa.full);
    assert_true(sa.ranged >= min_ranged); /* by ranges after all but the snapshots (and the sync after each) */
    assert_true(sb.ranged == 0);
    th_sim_book_sync_free(&sa);
    th_sim_book_sync_free(&sb);
    th_book_free(&f);
    th_sim_engine_free(ea);
    th_sim_engine_free(eb);
}

static void ranges_equal_whole_sides(void **st)
{
    (void)st;
    run(100, 100, 1, 5900);
    run(1000, 1000, 2, 5900);
}

static void engine_shallower_than_feed(void **st)
{
    (void)st;
    run(100, 95, 3, 3000);
}

static void unbounded_books(void **st)
{
    (void)st;
    run(0, 0, 4, 5900);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ranges_equal_whole_sides),
        cmocka_unit_test(engine_shallower_than_feed),
        cmocka_unit_test(unbounded_books),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
