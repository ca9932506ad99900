/* test_feed_rules.c — the venues' book sequence rules, each at its boundaries, so that a change to
 * one comparison fails here and not only in the recorded-data functional tests:
 *   Binance spot:  drop u <= lastUpdateId; the first applied diff has U <= id+1 <= u; then U == u'+1.
 *   Binance USD-M: drop u < lastUpdateId; the first applied diff has U <= id <= u; then pu == u'.
 *   Kraken Futures: a book delta must carry seq == last seq + 1.
 * Every refusal also names its rule and numbers in last_error (a gap used to leave it empty). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../host/feed/feed.h"

static th_feed F;
static int32_t SYM;

static int load(th_venue_id venue, const char *file, const char *symbol)
{
    const char *err;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TH_TEST_DATA, file);
    if (th_feed_init(&F, venue, 0) != 0) return -1;
    if (th_instruments_load_file(&F.instruments, path, &err) <= 0) return -1;
    SYM = th_instruments_find(&F.instruments, symbol, strlen(symbol));
    return SYM >= 0 ? 0 : -1;
}

static int setup_spot(void **st) { (void)st; return load(TH_VENUE_BINANCE, "binance/spot-exchangeInfo-2021-10-12.rec", "NKNUSDT"); }
static int setup_usdm(void **st) { (void)st; return load(TH_VENUE_BINANCE_USDM, "binance/usdm-exchangeInfo-2021-07-22.rec", "SUSHIUSDT"); }
static int setup_futures(void **st) { (void)st; return load(TH_VENUE_KRAKEN_FUTURES, "kraken-futures/instruments-2021-07-22.rec", "PI_XRPUSD"); }
static int teardown(void **st) { (void)st; th_feed_free(&F); return 0; }

static int frame(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    F.last_error[0] = 0;
    return th_feed_frame(&F, buf, strlen(buf), 1);
}

static const th_book *book(void) { return &F.sym[SYM]->book; }
static uint64_t gaps(void) { return F.sym[SYM]->gaps; }

/* ---- Binance spot ---- */

static void snapshot(const char *symbol, long long id)
{
    char url[128], body[256];
    snprintf(url, sizeof url, "https://api.binance.com/api/v3/depth?symbol=%s&limit=1000", symbol);
    snprintf(body, sizeof body, "{\"lastUpdateId\":%lld,\"bids\":[[\"0.35000000\",\"10.00000000\"]],\"asks\":[[\"0.36000000\",\"10.00000000\"]]}", id);
    assert_int_equal(th_feed_rest(&F, url, strlen(url), body, strlen(body), NULL), 0);
}

static int spot(long long U, long long u)
{
    return frame("{\"stream\":\"nknusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"NKNUSDT\",\"U\":%lld,\"u\":%lld,"
                 "\"b\":[[\"0.35100000\",\"%lld.00000000\"]],\"a\":[]}}", U, u, u);
}

static void binance_spot_first_diff_straddles_id_plus_one(void **st)
{
    (void)st;
    snapshot("NKNUSDT", 100);
    assert_int_equal(spot(90, 100), 0);          /* u == id: older than the snapshot, dropped */
    assert_int_not_equal(book()->health, TH_BOOK_OK);
    assert_int_equal(gaps(), 0);
    assert_int_equal(spot(95, 101), 0);          /* u == id + 1: the first applied diff */
    assert_int_equal(book()->health, TH_BOOK_OK);
    assert_int_equal(book()->seq, 101);

    snapshot("NKNUSDT", 200);
    assert_int_equal(spot(201, 205), 0);         /* U == id + 1 straddles too */
    assert_int_equal(book()->health, TH_BOOK_OK);
    assert_int_equal(book()->seq, 205);

    snapshot("NKNUSDT", 300);
    assert_int_equal(spot(302, 305), -1);        /* U == id + 2: an update is missing */
    assert_int_equal(book()->health, TH_BOOK_RESYNCING);
    assert_int_equal(gaps(), 1);
    assert_non_null(strstr(F.last_error, "NKNUSDT: first diff does not straddle the snapshot"));
    assert_non_null(strstr(F.last_error, "U=302 u=305"));
}

static void binance_spot_diffs_chain_u_plus_one(void **st)
{
    (void)st;
    snapshot("NKNUSDT", 100);
    assert_int_equal(spot(101, 110), 0);
    assert_int_equal(spot(111, 120), 0);         /* U == previous u + 1 */
    assert_int_equal(book()->seq, 120);
    assert_int_equal(spot(120, 125), -1);        /* overlaps the previous diff */
    assert_int_equal(book()->health, TH_BOOK_RESYNCING);
    assert_non_null(strstr(F.last_error, "U != previous u + 1 (U=120 u=125, book at 120)"));
    snapshot("NKNUSDT", 200);
    assert_int_equal(spot(201, 210), 0);
    assert_int_equal(spot(212, 220), -1);        /* skips one */
    assert_int_equal(gaps(), 2);
    /* ids that no Binance diff has: refused with a reason, never an empty error */
    snapshot("NKNUSDT", 300);
    assert_int_equal(spot(-1, 305), -1);
    assert_non_null(strstr(F.last_error, "invalid U, u or pu"));
    assert_int_equal(spot(306, 301), -1);
    assert_non_null(strstr(F.last_error, "invalid U, u or pu"));
}

/* ---- Binance USD-M ---- */

static int usdm(long long U, long long u, long long pu)
{
    return frame("{\"stream\":\"sushiusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"T\":1,\"s\":\"SUSHIUSDT\",\"U\":%lld,"
                 "\"u\":%lld,\"pu\":%lld,\"b\":[[\"7.6000\",\"%lld\"]],\"a\":[]}}", U, u, pu, u % 1000 + 1);
}

static void usdm_snapshot(long long id)
{
    static const char url[] = "https://fapi.binance.com/fapi/v1/depth?symbol=SUSHIUSDT&limit=1000";
    char body[256];
    snprintf(body, sizeof body, "{\"lastUpdateId\":%lld,\"E\":1,\"T\":1,\"bids\":[[\"7.6000\",\"5\"]],\"asks\":[[\"7.6200\",\"5\"]]}", id);
    assert_int_equal(th_feed_rest(&F, url, strlen(url), body, strlen(body), NULL), 0);
}

static void binance_usdm_straddles_id_and_chains_pu(void **st)
{
    (void)st;
    usdm_snapshot(100);
    assert_int_equal(usdm(90, 99, 89), 0);       /* u < id: dropped */
    assert_int_not_equal(book()->health, TH_BOOK_OK);
    assert_int_equal(usdm(95, 100, 94), 0);      /* u == id: applied (spot would drop it) */
    assert_int_equal(book()->health, TH_BOOK_OK);
    assert_int_equal(usdm(101, 110, 100), 0);    /* pu == previous u */
    assert_int_equal(book()->seq, 110);
    assert_int_equal(usdm(112, 120, 111), -1);   /* pu != previous u */
    assert_non_null(strstr(F.last_error, "pu != previous u (U=112 u=120 pu=111, book at 110)"));
    assert_int_equal(gaps(), 1);

    usdm_snapshot(200);
    assert_int_equal(usdm(200, 205, 199), 0);    /* U == id straddles */
    assert_int_equal(book()->health, TH_BOOK_OK);
    usdm_snapshot(300);
    assert_int_equal(usdm(301, 305, 300), -1);   /* U == id + 1 does not, on USD-M */
    assert_int_equal(book()->health, TH_BOOK_RESYNCING);
    assert_non_null(strstr(F.last_error, "first diff does not straddle the snapshot"));
}

/* ---- Kraken Futures ---- */

static int fut(const char *feed, long long seq)
{
    if (strcmp(feed, "book_snapshot") == 0)
        return frame("{\"feed\":\"book_snapshot\",\"product_id\":\"PI_XRPUSD\",\"timestamp\":1,\"seq\":%lld,\"bids\":[{\"price\":0.5881,"
                     "\"qty\":320.0}],\"asks\":[{\"price\":0.5890,\"qty\":100.0}]}", seq);
    return frame("{\"feed\":\"book\",\"product_id\":\"PI_XRPUSD\",\"side\":\"sell\",\"seq\":%lld,\"price\":0.5897,\"qty\":%lld.0,"
                 "\"timestamp\":1}", seq, seq % 1000 + 1);
}

static void kraken_futures_delta_is_seq_plus_one(void **st)
{
    (void)st;
    assert_int_equal(fut("book_snapshot", 1000), 0);
    assert_int_equal(book()->health, TH_BOOK_OK);
    assert_int_equal(fut("book", 1001), 0);
    assert_int_equal(fut("book", 1002), 0);
    assert_int_equal(book()->seq, 1002);
    assert_int_equal(fut("book", 1002), -1);     /* a repeat is not the next */
    assert_int_equal(book()->health, TH_BOOK_RESYNCING);
    assert_non_null(strstr(F.last_error, "seq gap (delta seq 1002 after 1002)"));
    assert_int_equal(fut("book", 1003), 0);      /* resyncing: deltas wait for a snapshot */
    assert_int_equal(book()->health, TH_BOOK_RESYNCING);
    assert_int_equal(fut("book_snapshot", 2000), 0);
    assert_int_equal(fut("book", 2002), -1);     /* one missing */
    assert_int_equal(gaps(), 2);
    assert_non_null(strstr(F.last_error, "delta seq 2002 after 2000"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(binance_spot_first_diff_straddles_id_plus_one, setup_spot, teardown),
        cmocka_unit_test_setup_teardown(binance_spot_diffs_chain_u_plus_one, setup_spot, teardown),
        cmocka_unit_test_setup_teardown(binance_usdm_straddles_id_and_chains_pu, setup_usdm, teardown),
        cmocka_unit_test_setup_teardown(kraken_futures_delta_is_seq_plus_one, setup_futures, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
