/* test_book.c — L2 book: the official Kraken checksum vector, a randomised comparison against a
 * naive reference book, truncation, queries, and health transitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <zlib.h>

#include "../../host/core/book.h"
#include "../../host/core/crc32.h"
#include "../../host/core/decimal.h"
#include "../../host/core/json.h"
#include "../../host/core/file_read.h"

/* The v2 worked example in tests/data/vectors/kraken-book-checksum.json, read from the file. */
static void kraken_checksum_official_vector(void **st)
{
    (void)st;
    char path[512], *doc;
    size_t len;
    const char *err;
    snprintf(path, sizeof path, "%s/vectors/kraken-book-checksum.json", TH_TEST_DATA);
    assert_int_equal(th_read_file(path, &doc, &len, &err), 0);
    th_json j;
    assert_int_equal(th_json_init(&j, 4096), 0);
    assert_true(th_json_parse(&j, doc, len) > 0);
    int64_t pdec, qdec;
    uint64_t expected;
    assert_int_equal(th_json_i64(&j, th_json_get(&j, 0, "price_precision"), &pdec), 0);
    assert_int_equal(th_json_i64(&j, th_json_get(&j, 0, "qty_precision"), &qdec), 0);
    assert_int_equal(th_json_u64(&j, th_json_get(&j, 0, "expected"), &expected), 0);
    th_book b;
    assert_int_equal(th_book_init(&b, 1000, (int32_t)pdec, (int32_t)qdec), 0);
    const char *names[2] = {"bids", "asks"};
    for (int side = 0; side < 2; side++) {
        int arr = th_json_get(&j, 0, names[side]);
        int i = arr + 1;
        for (int k = 0; k < j.tok[arr].size; k++, i = th_json_skip(&j, i)) {
            int64_t px, qty;
            assert_int_equal(th_dec_parse(th_json_ptr(&j, i + 1), th_json_len(&j, i + 1), (int)pdec, &px), 0);
            assert_int_equal(th_dec_parse(th_json_ptr(&j, i + 2), th_json_len(&j, i + 2), (int)qdec, &qty), 0);
            assert_int_equal(th_book_set(&b, side, px, qty), 1);
        }
    }
    assert_int_equal(expected, 3310070434u);
    assert_int_equal(th_book_kraken_crc32(&b), (uint32_t)expected);
    /* one unit more on the 10th bid changes it */
    int64_t px = 0, qty = 0;
    assert_int_equal(th_book_level(&b, TH_BID, 9, &px, &qty), 0);
    th_book_set(&b, TH_BID, px, qty + 1);
    assert_int_not_equal(th_book_kraken_crc32(&b), (uint32_t)expected);
    th_book_free(&b);
    th_json_free(&j);
    free(doc);
}

/* Reference: unsorted arrays, linear scans. */
typedef struct ref { int64_t px[4096], qty[4096]; int n; } ref;

static void ref_set(ref *r, int64_t px, int64_t qty)
{
    for (int i = 0; i < r->n; i++)
        if (r->px[i] == px) {
            if (qty == 0) { r->px[i] = r->px[r->n - 1]; r->qty[i] = r->qty[r->n - 1]; r->n--; }
            else r->qty[i] = qty;
            return;
        }
    if (qty > 0) { r->px[r->n] = px; r->qty[r->n] = qty; r->n++; }
}

static int cmp_desc(const void *a, const void *b) { int64_t x = *(const int64_t *)a, y = *(const int64_t *)b; return x < y ? 1 : x > y ? -1 : 0; }
static int cmp_asc(const void *a, const void *b) { return -cmp_desc(a, b); }

/* Truncate the reference to depth (dropping the worst), as the book does. */
static void ref_truncate(ref *r, int side, int depth)
{
    if (r->n <= depth) return;
    int64_t sorted[4096];
    memcpy(sorted, r->px, sizeof(int64_t) * (size_t)r->n);
    qsort(sorted, (size_t)r->n, sizeof(int64_t), side == TH_BID ? cmp_desc : cmp_asc);
    int64_t worst_kept = sorted[depth - 1];
    for (int i = 0; i < r->n;) {
        bool drop = side == TH_BID ? r->px[i] < worst_kept : r->px[i] > worst_kept;
        if (drop) { r->px[i] = r->px[r->n - 1]; r->qty[i] = r->qty[r->n - 1]; r->n--; } else i++;
    }
}

static void assert_same(const th_book *b, const ref *r, int side)
{
    int64_t sorted[4096];
    memcpy(sorted, r->px, sizeof(int64_t) * (size_t)r->n);
    qsort(sorted, (size_t)r->n, sizeof(int64_t), side == TH_BID ? cmp_desc : cmp_asc);
    assert_int_equal(th_book_count(b, side), r->n);
    for (int i = 0; i < r->n; i++) {
        int64_t px, qty;
        assert_int_equal(th_book_level(b, side, i, &px, &qty), 0);
        assert_int_equal(px, sorted[i]);
        int64_t want = -1;
        for (int k = 0; k < r->n; k++) if (r->px[k] == px) want = r->qty[k];
        assert_int_equal(qty, want);
    }
}

/* The Kraken checksum the slow, obvious way: snprintf each top-10 level (the wire's decimals past
 * ours as trailing zeros, as the wire writes them), zlib's crc32. */
static uint32_t reference_crc(const th_book *b)
{
    char buf[2048];
    size_t n = 0;
    int pz = b->wire_price_dec - b->price_dec, qz = b->wire_qty_dec - b->qty_dec;
    const int order[2] = {TH_ASK, TH_BID};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 10; i++) {
            int64_t px, qty;
            if (th_book_level(b, order[k], i, &px, &qty)) break;
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%lld%.*s%lld%.*s", (long long)px, px ? pz : 0,
                                  "000000000000000000", (long long)qty, qty ? qz : 0, "000000000000000000");
        }
    return (uint32_t)crc32(0L, (const Bytef *)buf, (uInt)n);
}

/* Wire decimals far past ours at the largest magnitudes: 999,999,999.1 at 1 decimal sent with 11
 * (a text of 20 digits), 10^9 coins at 8 decimals sent with 18: the level texts overflowed int64
 * when they were made by multiplying (UBSan: signed overflow in level_text), so the checksum was of
 * wrapped numbers. Ten levels a side, then changes at the top, the 10th rank and past it. */
static void wire_decimals_past_int64(void **st)
{
    (void)st;
    th_book b;
    assert_int_equal(th_book_init(&b, 100, 1, 8), 0);
    b.wire_price_dec = 12;
    b.wire_qty_dec = 18;
    for (int64_t i = 0; i < 12; i++) {
        assert_true(th_book_set(&b, TH_ASK, 9999999991LL + i, 100000000000000000LL + i) >= 0);
        assert_true(th_book_set(&b, TH_BID, 9999999990LL - i, 100000000000000000LL - i) >= 0);
    }
    assert_int_equal(th_book_kraken_crc32(&b), reference_crc(&b));
    assert_true(th_book_set(&b, TH_ASK, 9999999991LL, 0) >= 0);      /* the top goes */
    assert_true(th_book_set(&b, TH_BID, 9999999981LL, 7) >= 0);      /* the 10th rank changes */
    assert_true(th_book_set(&b, TH_BID, 9999999950LL, 123456) >= 0); /* past the 10th: no change */
    assert_int_equal(th_book_kraken_crc32(&b), reference_crc(&b));
    th_book_free(&b);
}

/* th_crc32 (ISA-L) gives zlib's value at every length and alignment. */
static void crc32_matches_zlib(void **st)
{
    (void)st;
    unsigned char buf[2048 + 64];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 131 + 7);
    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len <= 2048; len += (len < 64 ? 1 : 37))
            assert_int_equal(th_crc32(buf + off, len), (uint32_t)crc32(0L, buf + off, (uInt)len));
}

static void randomised_against_reference(void **st)
{
    (void)st;
    uint64_t x = 0x9E3779B97F4A7C15ull;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    static const int DEPTHS[] = {3, 10, 100, 1000}; /* 3: fewer levels than the checksum covers */
    for (size_t di = 0; di < sizeof DEPTHS / sizeof DEPTHS[0]; di++) {
        int depth = DEPTHS[di];
        th_book b;
        assert_int_equal(th_book_init(&b, depth, 2, 4), 0);
        static ref r[2];
        memset(r, 0, sizeof r);
        for (int step = 0; step < 200000; step++) {
            int side = (int)(RND() & 1);
            /* clustered at the top with a long tail: mid 100000, spread 1 */
            int64_t off = (int64_t)(RND() % 4 == 0 ? RND() % 3000 : RND() % 30);
            int64_t px = side == TH_BID ? 100000 - off : 100001 + off;
            int64_t qty = RND() % 3 == 0 ? 0 : (int64_t)(RND() % 1000 + 1);
            int changed = th_book_set(&b, side, px, qty);
            assert_true(changed >= 0);
            ref_set(&r[side], px, qty);
            th_book_truncate(&b);
            ref_truncate(&r[side], side, depth);
            if (step % 997 == 0) { assert_same(&b, &r[0], TH_BID); assert_same(&b, &r[1], TH_ASK); }
            if (step % 40000 == 0) b.wire_price_dec = b.price_dec + (step / 40000) % 2; /* texts change */
            /* The checksum (cached, and built from reused level texts) always equals one made from
             * scratch with printf and zlib; sometimes after every step, sometimes after several. */
            if ((step / 5000) % 2 == 0 || step % 13 == 0) assert_int_equal(th_book_kraken_crc32(&b), reference_crc(&b));
        }
        assert_same(&b, &r[0], TH_BID);
        assert_same(&b, &r[1], TH_ASK);
        th_book_free(&b);
    }
}

/* th_book_set_worse (a snapshot's levels, best first) leaves the book exactly as th_book_set does:
 * levels, checksum, and the change log a follower reads, whether the levels come in order or not
 * (duplicates, deletes, better levels mixed in), with the checksum text followed or not, and past
 * the room below the worst level (depth 0 grows, 1000 re-centres). */
static void set_worse_same_as_set(void **st)
{
    (void)st;
    uint64_t x = 0x2545F4914F6CDD1Dull;
    static const int DEPTHS[] = {1000, 0, 10};
    for (size_t di = 0; di < sizeof DEPTHS / sizeof DEPTHS[0]; di++) {
        th_book a, w;
        assert_int_equal(th_book_init(&a, DEPTHS[di], 2, 8), 0);
        assert_int_equal(th_book_init(&w, DEPTHS[di], 2, 8), 0);
        for (int snap = 0; snap < 60; snap++) {
            if (snap % 3 == 1) { th_book_kraken_crc32(&a); th_book_kraken_crc32(&w); } /* texts followed from now */
            th_book_clear(&a);
            th_book_clear(&w);
            int n = (int)(RND() % 2500);
            for (int side = 0; side < 2; side++) {
                int64_t px = side == TH_BID ? 10000000 : 10000001; /* BTC at 100,000.00 */
                for (int k = 0; k < n; k++) {
                    uint64_t r = RND() % 100;
                    int64_t step = r < 90 ? (int64_t)(RND() % 50 + 1) : r < 94 ? 0 : -(int64_t)(RND() % 200); /* worse, same, better */
                    px += side == TH_BID ? -step : step;
                    if (px <= 0) px = 1;
                    int64_t qty = RND() % 20 == 0 ? 0 : (int64_t)(RND() % 1000000000000ull + 1); /* up to 10,000 BTC at 8 decimals */
                    assert_int_equal(th_book_set_worse(&w, side, px, qty), th_book_set(&a, side, px, qty));
                }
            }
            th_book_truncate(&a);
            th_book_truncate(&w);
            for (int side = 0; side < 2; side++) {
                assert_int_equal(th_book_count(&w, side), th_book_count(&a, side));
                for (int32_t k = 0; k < th_book_count(&a, side); k++) {
                    int64_t pa = 0, qa = 0, pw = -1, qw = -1;
                    assert_int_equal(th_book_level(&a, side, k, &pa, &qa), 0);
                    assert_int_equal(th_book_level(&w, side, k, &pw, &qw), 0);
                    assert_true(pa == pw && qa == qw);
                }
            }
            assert_true(w.chg_seq == a.chg_seq);
            for (uint64_t q = a.chg_seq > TH_BOOK_CHG_RING ? a.chg_seq - TH_BOOK_CHG_RING : 0; q < a.chg_seq; q++) {
                const th_book_chg *ca = th_book_change_at(&a, q), *cw = th_book_change_at(&w, q);
                assert_true(ca->side == cw->side && ca->lo == cw->lo && ca->hi == cw->hi);
            }
            if (a.crc_track) {
                assert_int_equal(th_book_kraken_crc32(&w), th_book_kraken_crc32(&a));
                assert_int_equal(th_book_kraken_crc32(&w), reference_crc(&w));
            }
        }
        th_book_free(&a);
        th_book_free(&w);
    }
}

static void unbounded_book_grows(void **st)
{
    (void)st;
    th_book b;
    assert_int_equal(th_book_init(&b, 0, 0, 0), 0);
    for (int64_t p = 1; p <= 20000; p++) assert_int_equal(th_book_set(&b, TH_ASK, p, p), 1);
    assert_int_equal(th_book_count(&b, TH_ASK), 20000);
    int64_t px, q;
    assert_int_equal(th_book_level(&b, TH_ASK, 0, &px, &q), 0);
    assert_int_equal(px, 1);
    assert_int_equal(th_book_level(&b, TH_ASK, 19999, &px, &q), 0);
    assert_int_equal(px, 20000);
    assert_int_equal(th_book_level(&b, TH_ASK, 20000, &px, &q), -1);
    assert_int_equal(th_book_set(&b, TH_ASK, 5, 0), 1);
    assert_int_equal(th_book_set(&b, TH_ASK, 5, 0), 0); /* deleting an absent level is a no-op */
    assert_int_equal(th_book_set(&b, TH_ASK, 6, 6), 0); /* same qty: unchanged */
    th_book_free(&b);
}

static void queries(void **st)
{
    (void)st;
    th_book b;
    assert_int_equal(th_book_init(&b, 100, 2, 3), 0); /* price 0.01, qty 0.001 */
    th_book_set(&b, TH_BID, 10000, 1000);  /* 100.00 x 1.000 */
    th_book_set(&b, TH_BID, 9990, 3000);   /*  99.90 x 3.000 */
    th_book_set(&b, TH_ASK, 10010, 2000);  /* 100.10 x 2.000 */
    th_book_set(&b, TH_ASK, 10100, 2000);  /* 101.00 x 2.000 */
    double v, filled;
    assert_int_equal(th_book_vwap(&b, TH_ASK, 3.0, &v, &filled), 0);
    assert_float_equal(v, (100.10 * 2 + 101.00 * 1) / 3, 1e-9);
    assert_float_equal(filled, 3.0, 1e-12);
    assert_int_equal(th_book_vwap(&b, TH_BID, 10.0, &v, &filled), 0); /* more than the book holds */
    assert_float_equal(filled, 4.0, 1e-12);
    assert_float_equal(v, (100.0 * 1 + 99.9 * 3) / 4, 1e-9);
    assert_int_equal(th_book_microprice(&b, &v), 0);
    assert_float_equal(v, (100.00 * 2 + 100.10 * 1) / 3, 1e-9);
    assert_int_equal(th_book_imbalance(&b, 1, &v), 0);
    assert_float_equal(v, (1.0 - 2.0) / 3.0, 1e-12);
    assert_int_equal(th_book_imbalance(&b, 10, &v), 0);
    assert_float_equal(v, 0.0, 1e-12);
    assert_int_equal(th_book_depth_within(&b, TH_BID, 10, &v), 0); /* 10 bps of 100.00 = 0.10 */
    assert_float_equal(v, 4.0, 1e-12);
    assert_int_equal(th_book_depth_within(&b, TH_BID, 5, &v), 0);
    assert_float_equal(v, 1.0, 1e-12);
    th_book_clear(&b);
    assert_int_equal(th_book_microprice(&b, &v), -1);
    assert_int_equal(th_book_vwap(&b, TH_ASK, 1.0, &v, &filled), -1);
    th_book_free(&b);
}

static void health_transitions(void **st)
{
    (void)st;
    th_book b;
    assert_int_equal(th_book_init(&b, 10, 1, 1), 0);
    assert_int_equal(b.health, TH_BOOK_EMPTY);
    assert_true(th_book_set_health(&b, TH_BOOK_OK, "snapshot"));
    assert_false(th_book_set_health(&b, TH_BOOK_OK, "again"));
    assert_true(th_book_set_health(&b, TH_BOOK_RESYNCING, "checksum mismatch"));
    assert_string_equal(b.reason, "checksum mismatch");
    assert_string_equal(th_book_health_name(b.health), "resyncing");
    th_book_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kraken_checksum_official_vector),
        cmocka_unit_test(crc32_matches_zlib),
        cmocka_unit_test(wire_decimals_past_int64),
        cmocka_unit_test(randomised_against_reference),
        cmocka_unit_test(set_worse_same_as_set),
        cmocka_unit_test(unbounded_book_grows),
        cmocka_unit_test(queries),
        cmocka_unit_test(health_transitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
