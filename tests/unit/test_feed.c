/* test_feed.c — the Kraken fast path against the generic jsmn path on every recorded frame: after
 * each frame both feeds hold identical books, counters and health; and the fast path really took
 * the update frames (so this test is not vacuous). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../host/feed/feed.h"
#include "../../host/feed/recording.h"

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
    assert_int_equal(fast_taken, 2595); /* every update; the 5 snapshots take the generic path */
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
        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":1,\"timestamp\":\"t\"}]}",
        "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[{\"price\":1,\"qty\":1}",
    };
    for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++)
        assert_false(th_kraken_fast_frame(&f, declined[i], strlen(declined[i]), &rc));
    const char *mine = "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"A/B\",\"bids\":[],\"asks\":[],\"checksum\":0,\"timestamp\":\"t\"}]}";
    assert_true(th_kraken_fast_frame(&f, mine, strlen(mine), &rc));
    th_feed_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_path_equals_generic_path),
        cmocka_unit_test(fast_path_declines_other_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
