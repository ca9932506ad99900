/* test_feed.c — the Kraken fast path against the generic jsmn path on every recorded frame: after
 * each frame both feeds hold identical books, counters and health; and the fast path really took
 * the book frames, snapshots included (so this test is not vacuous); hand-made snapshots that break
 * (a bad level halfway, a wrong checksum, more decimals on the wire) end the same on both paths. Kraken v1 trade frames from the v1 recording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../host/core/decimal.h"

#include "../../host/feed/feed.h"
#include "../../host/feed/recording.h"
#include "../../host/feed/venue_feed.h"

static void same_books(const th_feed *a, const th_feed *b)
{
    assert_int_equal(a->sym_cap, b->sym_cap);
    for (int32_t i = 0; i < a->sym_cap; i++) {
        const th_feed_symbol *x = a->sym[i], *y = b->sym[i];
        assert_true((x == NULL) == (y == NULL));
        if (!x) continue;
        assert_int_equal(x->book.health, y->book.health);
        assert_int_equal(x->checksum_ok, y->checksum_ok);
        assert_int_equal(x->checksum_failed, y->checksum_failed);
        assert_int_equal(x->frames, y->frames);
        assert_int_equal(x->parse_errors, y->parse_errors);
        assert_int_equal(x->skipped, y->skipped);
        assert_int_equal(x->book.updates, y->book.updates);
        assert_int_equal(x->book.wire_price_dec, y->book.wire_price_dec);
        assert_int_equal(x->book.wire_qty_dec, y->book.wire_qty_dec);
        for (int side = 0; side < 2; side++) {
            assert_int_equal(th_book_count(&x->book, side), th_book_count(&y->book, side));
            for (int32_t k = 0; k < th_book_count(&x->book, side); k++) {
                int64_t p1, q1, p2, q2;
                th_book_level(&x->book, side, k, &p1, &q1);
                th_book_level(&y->book, side, k, &p2, &q2);
                assert_int_equal(p1, p2);
                assert_int_equal(q1, q2);
            }
        }
    }
}

static void fast_path_equals_generic_path(void **st)
{
    (void)st;
    th_feed fast, slow;
    const char *err;
    char path[512];
    snprintf(path, sizeof path, "%s/kraken/instrument-5pairs.v2.json", TH_TEST_DATA);
    assert_int_equal(th_feed_init(&fast, TH_VENUE_KRAKEN, 1000), 0);
    assert_int_equal(th_feed_init(&slow, TH_VENUE_KRAKEN, 1000), 0);
    slow.no_fast_path = true;
    assert_int_equal(th_instruments_load_file(&fast.instruments, path, &err), 5);
    assert_int_equal(th_instruments_load_file(&slow.instruments, path, &err), 5);
    snprintf(path, sizeof path, "%s/kraken/book-5pairs-2021-04-17.v2.txt", TH_TEST_DATA);
    th_recording rec;
    assert_int_equal(th_recording_open(&rec, path, &err), 0);
    th_record r;
    int frames = 0, fast_taken = 0;
    while (th_recording_next(&rec, &r) > 0) {
        int rc;
        if (th_kraken_fast_frame(&fast, r.data, r.len, &rc)) { fast.frames++; fast_taken++; }
        else assert_int_equal(th_feed_frame(&fast, r.data, r.len, r.ts_ns), 0);
        assert_int_equal(th_feed_frame(&slow, r.data, r.len, r.ts_ns), 0);
        same_books(&fast, &slow);
        frames++;
    }
    th_recording_close(&rec);
    assert_int_equal(frames, 2600);
    assert_int_equal(fast_taken, 2600); /* every frame: 2,595 updates and the 5 depth-1000 snapshots */
    th_feed_free(&fast);
    th_feed_free(&slow);
}

static void fast_path_declines_other_shapes(void **st)
{
    (void)st;
    th_feed f;
    th_feed_init(&f, TH_VENUE_KRAKEN, 1000);
    th_instrument ins = {.symbol = "A/B", .price_dec = 2, .qty_dec = 2, .tick = 1, .lot = 1, .online = true};
    th_instruments_put(&f.instruments, &ins);
    int rc;
    const char *declined[] = {
        "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"asks\":[],\"bids\":[],\"checksum\":1,\"timestamp\":\"t\"}]}",
        "{ \"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":1,\"timestamp\":\"t\"}]}",
        "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":1,\"timestamp\":\"t\"}]}x",
        "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A\\\"B\",\"bids\":[],\"asks\":[],\"checksum\":1,\"timestamp\":\"t\"}]}",
        "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[{\"qty\":1,\"price\":2}],\"asks\":[],\"checksum\":1,\"timestamp\":\"t\"}]}",
        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":1,\"timestamp\":\"t\"}]} ",
        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":1,\"timestamp\":\"t}]}",
        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":1,\"timestamp\":\"t\\\"\"}]}",
        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[{\"price\":1,\"qty\":1},],\"asks\":[],\"checksum\":1}]}",
        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":1},{}]}",
        "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":1}]}",
        "{\"channel\":\"book\",\"type\":\"snapshots\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":1}]}",
        "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[{\"price\":1,\"qty\":1}",
    };
    for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++)
        assert_false(th_kraken_fast_frame(&f, declined[i], strlen(declined[i]), &rc));
    const char *mine = "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":0,\"timestamp\":\"t\"}]}";
    assert_true(th_kraken_fast_frame(&f, mine, strlen(mine), &rc));
    const char *snaps[] = { /* snapshots, with and without a timestamp */
        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":0}]}",
        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":0,\"timestamp\":\"t\"}]}",
    };
    for (size_t i = 0; i < sizeof snaps / sizeof snaps[0]; i++) assert_true(th_kraken_fast_frame(&f, snaps[i], strlen(snaps[i]), &rc));
    th_feed_free(&f);
}

/* The fast path's cache of symbol texts: each frame's levels go to its own symbol's book whichever
 * of 12 symbols (more than the cache holds; some prefixes of others, one too long to cache) came
 * before; an unknown symbol is declined every time, and taken once the instrument is added. */
static void fast_symbol_cache(void **st)
{
    (void)st;
    th_feed f;
    assert_int_equal(th_feed_init(&f, TH_VENUE_KRAKEN, 1000), 0);
    static const char *syms[] = {"A/B", "A/BC", "AB/C", "XBT/USD", "XBT/USDT", "ETH/EUR", "SOL/EUR", "SC/EUR",
                                 "GRT/ETH", "KSM/BTC", "XMR/USD", "ABCDEFGHIJKLMNOPQRSTUVWXYZ/EUR"};
    enum { NS = sizeof syms / sizeof syms[0] };
    for (int i = 0; i < NS; i++) {
        th_instrument ins = {.price_dec = 2, .qty_dec = 2, .tick = 1, .lot = 1, .online = true};
        snprintf(ins.symbol, sizeof ins.symbol, "%s", syms[i]);
        assert_int_equal(th_instruments_put(&f.instruments, &ins), i);
    }
    char frame[512];
    int rc;
    uint64_t x = 88172645463325252ull;
    for (int step = 0; step < 400; step++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int i = (int)(x % NS);
        snprintf(frame, sizeof frame,
                 "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"%s\",\"bids\":[{\"price\":%d.00,\"qty\":1.00}],"
                 "\"asks\":[],\"checksum\":0}]}", syms[i], 100 + step);
        assert_true(th_kraken_fast_frame(&f, frame, strlen(frame), &rc));
        int64_t px, q;
        assert_int_equal(th_book_level(&f.sym[i]->book, TH_BID, 0, &px, &q), 0);
        assert_true(px == (100 + step) * 100); /* this symbol's book got the level */
    }
    const char *unknown = "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"DOT/USD\",\"bids\":[],\"asks\":[],\"checksum\":0}]}";
    assert_false(th_kraken_fast_frame(&f, unknown, strlen(unknown), &rc));
    assert_false(th_kraken_fast_frame(&f, unknown, strlen(unknown), &rc)); /* remembered as unknown */
    th_instrument dot = {.symbol = "DOT/USD", .price_dec = 4, .qty_dec = 8, .tick = 1, .lot = 1, .online = true};
    int32_t di = th_instruments_put(&f.instruments, &dot);
    assert_true(th_kraken_fast_frame(&f, unknown, strlen(unknown), &rc)); /* and known once added */
    assert_int_equal(rc, 0);
    assert_true(f.sym[di] != NULL && f.sym[di]->frames == 1);
    th_feed_free(&f);
}

/* Random number texts (0-10 integer digits, a point or not, 0-12 fraction digits, sometimes an
 * exponent, a sign or a second point after them) as prices and sizes, at 8 and at 2 decimals,
 * through both paths: the fast path reads "digits.digits" as two words when it can, the bytes one
 * by one otherwise, and every snapshot must leave the same book, health and counters. */
static void fast_numbers_random_equal_generic(void **st)
{
    (void)st;
    uint64_t x = 0x9E3779B97F4A7C15ull;
#define RNDF() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    for (int dec = 2; dec <= 8; dec += 6) {
        th_feed fast, slow;
        th_instrument ins = {.symbol = "X/Y", .price_dec = dec, .qty_dec = dec, .tick = 1, .lot = 1, .online = true};
        assert_int_equal(th_feed_init(&fast, TH_VENUE_KRAKEN, 1000), 0);
        assert_int_equal(th_feed_init(&slow, TH_VENUE_KRAKEN, 1000), 0);
        slow.no_fast_path = true;
        th_instruments_put(&fast.instruments, &ins);
        th_instruments_put(&slow.instruments, &ins);
        int taken = 0;
        for (int step = 0; step < 4000; step++) {
            char num[2][40];
            for (int k = 0; k < 2; k++) {
                char *o = num[k];
                int id = (int)(RNDF() % 11), fd = (int)(RNDF() % 13);
                o[0] = (char)('1' + RNDF() % 9); /* a first digit that is not 0, or none */
                int n = id ? 1 : 0;
                for (int i = 1; i < id; i++) o[n++] = (char)('0' + RNDF() % 10);
                if (RNDF() % 8) {
                    o[n++] = '.';
                    for (int i = 0; i < fd; i++) o[n++] = (char)('0' + RNDF() % 10);
                }
                if (RNDF() % 16 == 0) o[n++] = "e.-+E"[RNDF() % 5];
                if (n == 0) o[n++] = '1';
                o[n] = 0;
            }
            uint32_t sum = step % 2 ? 0 : 12345;
            char frame[512];
            snprintf(frame, sizeof frame,
                     "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"X/Y\",\"bids\":[{\"price\":%s,\"qty\":%s}],"
                     "\"asks\":[{\"price\":%s,\"qty\":%s}],\"checksum\":%u}]}",
                     num[0], num[1], num[1], num[0], sum);
            int rc;
            if (th_kraken_fast_frame(&fast, frame, strlen(frame), &rc)) taken++;
            else th_feed_frame(&fast, frame, strlen(frame), 0);
            th_feed_frame(&slow, frame, strlen(frame), 0);
            same_books(&fast, &slow);
        }
        assert_true(taken > 3000); /* the fast path read them (numbers it declines are rare) */
        th_feed_free(&fast);
        th_feed_free(&slow);
    }
#undef RNDF
}

/* Hand-made snapshots through both paths, books compared after each: a good one (its checksum
 * taken from the generic path's book), one whose level halfway is malformed (price 0: the book
 * keeps what came before it on both paths), a wrong checksum, a price with more decimals on the
 * wire than the instrument's precision (trailing zeros, which the checksum text keeps), and an
 * update after each. */
static void fast_snapshots_equal_generic(void **st)
{
    (void)st;
    th_feed fast, slow;
    th_instrument ins = {.symbol = "A/B", .price_dec = 2, .qty_dec = 3, .tick = 1, .lot = 1, .online = true};
    assert_int_equal(th_feed_init(&fast, TH_VENUE_KRAKEN, 1000), 0);
    assert_int_equal(th_feed_init(&slow, TH_VENUE_KRAKEN, 1000), 0);
    slow.no_fast_path = true;
    th_instruments_put(&fast.instruments, &ins);
    th_instruments_put(&slow.instruments, &ins);
    static const char *bodies[] = {
        "\"bids\":[{\"price\":100.01,\"qty\":1.5},{\"price\":100.00,\"qty\":2.25},{\"price\":99.5,\"qty\":3}],"
        "\"asks\":[{\"price\":100.02,\"qty\":0.001},{\"price\":101,\"qty\":7.125}]",
        "\"bids\":[{\"price\":100.01,\"qty\":1.5},{\"price\":0,\"qty\":2.25},{\"price\":99.5,\"qty\":3}],"
        "\"asks\":[{\"price\":100.02,\"qty\":0.001}]",
        "\"bids\":[{\"price\":100.0100,\"qty\":1.50000}],\"asks\":[{\"price\":100.0200,\"qty\":0.00100}]",
        "\"bids\":[{\"price\":100.011,\"qty\":1.5}],\"asks\":[]",
        "\"bids\":[],\"asks\":[]",
    };
    char frame[1024];
    int fast_taken = 0;
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        for (int pass = 0; pass < 2; pass++) {
            /* pass 0: a wrong checksum; pass 1: the generic path's own (right unless the body broke) */
            uint32_t sum = 12345;
            if (pass == 1 && slow.sym && slow.sym[0]) sum = th_book_kraken_crc32(&slow.sym[0]->book);
            snprintf(frame, sizeof frame,
                     "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"A/B\",%s,\"checksum\":%u}]}",
                     bodies[i], sum);
            int rc;
            if (th_kraken_fast_frame(&fast, frame, strlen(frame), &rc)) fast_taken++;
            th_feed_frame(&slow, frame, strlen(frame), 0);
            same_books(&fast, &slow);
            const char *upd = "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"bids\":"
                              "[{\"price\":100.01,\"qty\":0}],\"asks\":[],\"checksum\":1,\"timestamp\":\"t\"}]}";
            th_feed_frame(&fast, upd, strlen(upd), 0);
            th_feed_frame(&slow, upd, strlen(upd), 0);
            same_books(&fast, &slow);
        }
    }
    assert_int_equal(fast_taken, 10);
    /* not vacuous: snapshots verified (bodies 1 and 3 never do: a level is refused) and failed */
    assert_int_equal(fast.sym[0]->checksum_ok, 3); /* bodies 0, 2 (wire decimals 4 and 5) and 4 */
    assert_true(fast.sym[0]->checksum_failed >= 4);
    th_feed_free(&fast);
    th_feed_free(&slow);
}

/* Number texts of every length and shape through both paths at 8+8 decimals (BTC at 100,000, a
 * meme coin at 0.00000123 with size 1e9): the fast path reads a fraction eight digits at a time and
 * hands anything unusual to the general converter; each snapshot must leave the same book, health
 * and counters as the generic path, and the common shapes must give the exact units. */
static void fast_numbers_equal_generic(void **st)
{
    (void)st;
    th_feed fast, slow;
    th_instrument ins = {.symbol = "X/Y", .price_dec = 8, .qty_dec = 8, .tick = 1, .lot = 1, .online = true};
    assert_int_equal(th_feed_init(&fast, TH_VENUE_KRAKEN, 1000), 0);
    assert_int_equal(th_feed_init(&slow, TH_VENUE_KRAKEN, 1000), 0);
    slow.no_fast_path = true;
    th_instruments_put(&fast.instruments, &ins);
    th_instruments_put(&slow.instruments, &ins);
    static const struct { const char *px, *qty; int64_t want_px, want_qty; } cases[] = {
        {"100000.12345678", "0.00000001", 10000012345678, 1},
        {"0.00000123", "1000000000.00000000", 123, 100000000000000000},
        {"0.00000123", "1000000000", 123, 100000000000000000},
        {"92233720368.54775807", "1", 0, 0},           /* 20 characters: the general converter */
        {"9223372036.85477580", "1.5", 922337203685477580, 150000000}, /* 19 characters */
        {"99999999999.9999999", "1", 0, 0},            /* 19 characters, out of range at 8 decimals */
        {"5.10000000000", "2.000000000", 510000000, 200000000},        /* more wire decimals, zeros */
        {"5.100000001", "2", 0, 0},                    /* a digit beyond the precision */
        {"5.", "2", 500000000, 200000000},
        {".5", "2", 50000000, 200000000},
        {"007.50", "2", 750000000, 200000000},
        {"1.5e2", "2", 15000000000, 200000000},
        {"-1.5", "2", 0, 0},
        {"1.2.3", "2", 0, 0},
        {"12345678", "87654321.12345678", 1234567800000000, 8765432112345678},
        {"1234567890123", "1.12345678", 0, 0},         /* 13 integer digits fit (21 with the scale)? no: range */
    };
    char frame[1024];
    int exact = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int pass = 0; pass < 2; pass++) {
            uint32_t sum = 12345;
            if (pass == 1 && slow.sym && slow.sym[0]) sum = th_book_kraken_crc32(&slow.sym[0]->book);
            snprintf(frame, sizeof frame,
                     "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"X/Y\",\"bids\":[{\"price\":%s,\"qty\":%s}],"
                     "\"asks\":[{\"price\":%s,\"qty\":%s}],\"checksum\":%u}]}",
                     cases[i].px, cases[i].qty, "100001.5", "1", sum);
            int rc;
            if (!th_kraken_fast_frame(&fast, frame, strlen(frame), &rc)) th_feed_frame(&fast, frame, strlen(frame), 0);
            th_feed_frame(&slow, frame, strlen(frame), 0);
            same_books(&fast, &slow);
        }
        if (cases[i].want_px) {
            int64_t px, qty;
            assert_int_equal(th_book_level(&fast.sym[0]->book, TH_BID, 0, &px, &qty), 0);
            assert_int_equal(px, cases[i].want_px);
            assert_int_equal(qty, cases[i].want_qty);
            exact++;
        }
    }
    assert_int_equal(exact, 10);
    th_feed_free(&fast);
    th_feed_free(&slow);
}

/* Kraken spot v1 trade frames: every trade in the bundled v1 recording is counted against the
 * symbols of the v2 instrument data, the last print's price is exact, and v1's XBT naming maps to
 * v2's BTC. Malformed v1 frames are errors that name what was wrong. */
static void kraken_v1_trades(void **st)
{
    (void)st;
    th_feed f;
    const char *err;
    char path[512];
    assert_int_equal(th_feed_init(&f, TH_VENUE_KRAKEN, 1000), 0);
    snprintf(path, sizeof path, "%s/kraken/instrument-5pairs.v2.json", TH_TEST_DATA);
    assert_int_equal(th_instruments_load_file(&f.instruments, path, &err), 5);
    snprintf(path, sizeof path, "%s/kraken/trades-ws-v1-2021-04-17.rec", TH_TEST_DATA);
    th_recording rec;
    assert_int_equal(th_recording_open(&rec, path, &err), 0);
    th_record r;
    int expected = 0, frames = 0;
    char last_xmr[32] = "";
    while (th_recording_next(&rec, &r) > 0) {
        if (r.kind != TH_REC_FRAME) continue; /* connection opened; our subscription */
        if (r.len && r.data[0] == '[') {
            /* count prints the plain way: each one has a "b" or "s" side field */
            for (size_t k = 0; k + 5 <= r.len; k++)
                if (!memcmp(r.data + k, "\",\"b\",", 5) || !memcmp(r.data + k, "\",\"s\",", 5)) expected++;
            const char *x = memmem(r.data, r.len, "\"XMR/USD\"", 9);
            if (x) { /* the frame's last print: [..., ["price", ...]] */
                const char *q = r.data;
                for (const char *p = r.data; p < x; p++) if (p[0] == '[' && p[1] == '"') q = p + 2;
                size_t n = (size_t)(strchr(q, '"') - q);
                memcpy(last_xmr, q, n);
                last_xmr[n] = 0;
            }
            frames++;
        }
        if (th_feed_frame(&f, r.data, r.len, r.ts_ns) != 0) fail_msg("%.*s: %s", (int)r.len, r.data, f.last_error);
    }
    th_recording_close(&rec);
    assert_int_equal(frames, 8);
    assert_int_equal(f.errors, 0);
    uint64_t trades = 0;
    for (int32_t i = 0; i < f.sym_cap; i++) if (f.sym[i]) trades += f.sym[i]->trades;
    assert_int_equal(trades, expected);
    assert_int_equal(expected, 10);
    int32_t xmr = th_instruments_find(&f.instruments, "XMR/USD", 7);
    assert_true(xmr >= 0 && f.sym[xmr]);
    int64_t want;
    assert_int_equal(th_dec_parse(last_xmr, strlen(last_xmr), f.sym[xmr]->book.price_dec, &want), 0);
    assert_int_equal(f.sym[xmr]->last_trade.price, want);

    /* v1 says XBT where v2 says BTC */
    th_instrument ins = {.symbol = "BTC/CHF", .price_dec = 1, .qty_dec = 8, .tick = 1, .lot = 1, .online = true};
    th_instruments_put(&f.instruments, &ins);
    const char *xbt = "[465,[[\"52000.1\",\"0.00100000\",\"1618678150.1\",\"b\",\"l\",\"\"]],\"trade\",\"XBT/CHF\"]";
    assert_int_equal(th_feed_frame(&f, xbt, strlen(xbt), 0), 0);
    int32_t btc = th_instruments_find(&f.instruments, "BTC/CHF", 7);
    assert_int_equal(f.sym[btc]->trades, 1);
    assert_int_equal(f.sym[btc]->last_trade.price, 520001);
    assert_int_equal(f.sym[btc]->last_trade.qty, 100000);
    assert_int_equal(f.sym[btc]->last_trade.side, TH_BID);
    const char *bad_side = "[465,[[\"52000.1\",\"0.001\",\"1618678150.1\",\"x\",\"l\",\"\"]],\"trade\",\"XBT/CHF\"]";
    assert_int_equal(th_feed_frame(&f, bad_side, strlen(bad_side), 0), -1);
    assert_non_null(strstr(f.last_error, "BTC/CHF: v1 trade side is not b or s"));
    const char *bad_shape = "[465,{\"a\":1},\"trade\",\"XBT/CHF\"]";
    assert_int_equal(th_feed_frame(&f, bad_shape, strlen(bad_shape), 0), -1);
    assert_non_null(strstr(f.last_error, "v1 trade frame"));
    assert_int_equal(f.sym[btc]->trades, 1);
    th_feed_free(&f);
}

/* The venue table: every venue id has parsers; the reasons add up to the error and ignored counts;
 * a bare snapshot is resolved by the one symbol, refused with candidates when there are several. */
static void venue_table_and_reasons(void **state)
{
    (void)state;
    for (int v = 0; v < TH_VENUE_COUNT; v++) {
        const th_venue_feed_ops *o = th_venue_feed_ops_for((th_venue_id)v);
        assert_non_null(o);
        assert_non_null(o->frame);
        assert_non_null(o->name);
    }
    assert_null(th_venue_feed_ops_for(TH_VENUE_COUNT));
    assert_int_equal(th_venue_feed_ops_for(TH_VENUE_KRAKEN)->depth, 1000);

    th_feed f;
    const char *err;
    assert_int_equal(th_feed_init(&f, TH_VENUE_BINANCE, 0), 0);
    assert_true(th_instruments_load_file(&f.instruments, TH_TEST_DATA "/binance/spot-exchangeInfo-2021-10-12.rec", &err) > 1000);
    const char *no_sym = "{\"stream\":\"x@bookTicker\",\"data\":{\"u\":1,\"b\":\"1\",\"a\":\"2\"}}";
    for (int i = 0; i < 3; i++) assert_int_equal(th_feed_frame(&f, no_sym, strlen(no_sym), 1), -1);
    const char *kline = "{\"stream\":\"nknusdt@kline_1m\",\"data\":{\"e\":\"kline\",\"s\":\"NKNUSDT\"}}";
    assert_int_equal(th_feed_frame(&f, kline, strlen(kline), 2), 0);
    const char *snap = "{\"lastUpdateId\":10,\"bids\":[[\"0.35\",\"1\"]],\"asks\":[[\"0.36\",\"1\"]]}";
    /* before any frame named a symbol: refused, and said why */
    assert_int_equal(th_feed_frame(&f, snap, strlen(snap), 3), -1);
    assert_non_null(strstr(f.last_error, "no frame or subscription has named one yet"));
    assert_int_equal(f.errors, 4);
    assert_int_equal(f.ignored, 1);
    uint64_t sum = 0;
    for (int i = 0; i < f.nreasons; i++) sum += f.reasons[i].count;
    assert_int_equal(sum, f.errors + f.ignored);
    assert_int_equal(f.reasons[0].count, 3);
    assert_string_equal(f.reasons[0].text, "frame names no symbol");
    /* a subscription of two symbols: still ambiguous, and both are named */
    const char *url = "wss://stream.binance.com:9443/stream?streams=nknusdt@depth@100ms/blzeth@depth@100ms/nknusdt@trade";
    th_feed_subscription(&f, url, strlen(url));
    assert_int_equal(f.subscribed.n, 2);
    assert_int_equal(th_feed_frame(&f, snap, strlen(snap), 4), -1);
    assert_non_null(strstr(f.last_error, "subscribes to 2 symbols (NKNUSDT, BLZETH)"));
    th_feed_free(&f);

    /* one subscribed symbol: the bare snapshot is that symbol's */
    assert_int_equal(th_feed_init(&f, TH_VENUE_BINANCE, 0), 0);
    assert_true(th_instruments_load_file(&f.instruments, TH_TEST_DATA "/binance/spot-exchangeInfo-2021-10-12.rec", &err) > 1000);
    const char *one = "{\"method\":\"SUBSCRIBE\",\"params\":[\"nknusdt@depth@100ms\"],\"id\":1}";
    th_feed_subscription(&f, one, strlen(one));
    assert_int_equal(th_feed_frame(&f, snap, strlen(snap), 5), 0);
    int32_t idx = th_instruments_find(&f.instruments, "NKNUSDT", 7);
    assert_true(idx >= 0 && f.sym[idx] && f.sym[idx]->snapshot_id == 10);
    th_feed_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_path_equals_generic_path),
        cmocka_unit_test(fast_path_declines_other_shapes),
        cmocka_unit_test(fast_symbol_cache),
        cmocka_unit_test(fast_snapshots_equal_generic),
        cmocka_unit_test(fast_numbers_equal_generic),
        cmocka_unit_test(fast_numbers_random_equal_generic),
        cmocka_unit_test(kraken_v1_trades),
        cmocka_unit_test(venue_table_and_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
