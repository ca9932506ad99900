/* test_store.c — th.store's C side (core/kv_store.c, core/flow_store.c): bounds with messages; a
 * value journalled in chunks recovers whole; a journal cut at every byte of a second write gives
 * back the first value or the second, never part of one (the chunks apply only with the last);
 * deletes recover; a new journal's opening snapshot carries the store, so a restart of a restart
 * has it; a STORE record round-trips through the codec with its long blob field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../host/core/clock.h"
#include "../../host/core/kv_store.h"
#include "../../host/core/order_flow.h"

static char DIR_[64], J1[128], J2[128], J3[128];
static th_instruments INS;

static int setup(void **st)
{
    (void)st;
    snprintf(DIR_, sizeof DIR_, "/tmp/th_store_test_XXXXXX");
    if (!mkdtemp(DIR_)) return -1;
    snprintf(J1, sizeof J1, "%s/1.thj", DIR_);
    snprintf(J2, sizeof J2, "%s/2.thj", DIR_);
    snprintf(J3, sizeof J3, "%s/3.thj", DIR_);
    th_instruments_init(&INS, TH_VENUE_SIM);
    th_instrument x;
    memset(&x, 0, sizeof x);
    snprintf(x.symbol, sizeof x.symbol, "XBT/USD");
    snprintf(x.quote, sizeof x.quote, "USD");
    x.price_dec = 1;
    x.qty_dec = 4;
    x.tick = x.lot = x.min_qty = 1;
    x.online = true;
    th_instruments_put(&INS, &x);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    unlink(J1);
    unlink(J2);
    unlink(J3);
    rmdir(DIR_);
    th_instruments_free(&INS);
    return 0;
}

static void flow_open(th_flow *f, th_journal *j, const char *path)
{
    th_flow_cfg c;
    th_flow_defaults(&c);
    const char *err;
    if (j) unlink(path);
    if (j && th_journal_open(j, path, false, &err) != 0) fail_msg("journal: %s", err);
    if (th_flow_init(f, &c, &INS, (th_venue){0}, j, th_clock_ns(), &err) != 0) fail_msg("flow: %s", err);
}

static void commit(th_journal *j)
{
    const char *err;
    if (th_journal_commit(j, &err) != 0) fail_msg("commit: %s", err);
}

static void assert_value(const th_flow *f, const char *strategy, const char *key, const char *want, int32_t n)
{
    int32_t i = th_kv_find(&f->store, strategy, key);
    if (!want) { assert_int_equal(i, -1); return; }
    assert_true(i >= 0);
    assert_int_equal(f->store.v[i].len, n);
    assert_memory_equal(f->store.v[i].val, want, (size_t)n);
}

static void bounds_have_messages(void **st)
{
    (void)st;
    th_kvstore s;
    th_kv_init(&s);
    const char *err = NULL;
    char key[200];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = 0;
    assert_int_equal(th_kv_put(&s, "mm", key, "x", 1, &err), -1);
    assert_string_equal(err, "the key is longer than 127 bytes");
    assert_int_equal(th_kv_put(&s, "mm", "", "x", 1, &err), -1);
    assert_string_equal(err, "the key is empty");
    static char big[TH_KV_VALUE_MAX + 1];
    assert_int_equal(th_kv_put(&s, "mm", "k", big, TH_KV_VALUE_MAX + 1, &err), -1);
    assert_non_null(strstr(err, "larger than 16 KiB"));
    assert_int_equal(th_kv_put(&s, "mm", "k", big, TH_KV_VALUE_MAX, &err), 0);
    /* 256 KiB per strategy: 15 more values of 16 KiB fit (keys count too), the 17th does not */
    char k[16];
    int i;
    for (i = 0; i < 20; i++) {
        snprintf(k, sizeof k, "v%d", i);
        if (th_kv_put(&s, "mm", k, big, TH_KV_VALUE_MAX, &err) != 0) break;
    }
    assert_int_equal(i, 14);
    assert_non_null(strstr(err, "would exceed 256 KiB"));
    /* replacing a key counts its new size, not both; another strategy has its own budget */
    assert_int_equal(th_kv_put(&s, "mm", "k", "small", 5, &err), 0);
    assert_int_equal(th_kv_put(&s, "other", "k", big, TH_KV_VALUE_MAX, &err), 0);
    th_kv_free(&s);
}

static void store_record_round_trip(void **st)
{
    (void)st;
    uint8_t blob[700], body[1024];
    for (int i = 0; i < 700; i++) blob[i] = (uint8_t)(i * 7);
    th_jrec r, back;
    memset(&r, 0, sizeof r);
    r.type = TH_J_STORE;
    r.ts_ns = 1700000000000000000LL;
    r.seq = 3;
    r.qty = 16384;
    r.code = 1;
    memset(r.text, 'k', 127);
    memset(r.strategy, 's', 63);
    r.blob = blob;
    r.blob_len = 700;
    int n = th_jrec_encode(&r, body, sizeof body);
    assert_true(n > 700 && n <= 1024);
    assert_int_equal(th_jrec_decode(body, (size_t)n, &back), 0);
    assert_int_equal(back.type, TH_J_STORE);
    assert_int_equal(back.seq, 3);
    assert_int_equal(back.qty, 16384);
    assert_int_equal(back.code, 1);
    assert_string_equal(back.text, r.text);
    assert_string_equal(back.strategy, r.strategy);
    assert_int_equal(back.blob_len, 700);
    assert_memory_equal(back.blob, blob, 700);
    /* a long field cut short does not decode */
    assert_int_not_equal(th_jrec_decode(body, (size_t)n - 1, &back), 0);
}

static char V1[3000], V2[3000];

static void write_two_values(size_t *after_first, size_t *total)
{
    th_journal j;
    th_flow f;
    const char *err;
    flow_open(&f, &j, J1);
    th_flow_journal_begin(&f, th_clock_ns());
    assert_int_equal(th_flow_store_put(&f, "mm", "state", V1, sizeof V1, &err), 0);
    assert_int_equal(th_flow_store_put(&f, "mm", "gone", "x", 1, &err), 0);
    commit(&j);
    *after_first = (size_t)j.offset;
    assert_int_equal(th_flow_store_put(&f, "mm", "state", V2, sizeof V2, &err), 0);
    assert_int_equal(th_flow_store_delete(&f, "mm", "gone", &err), 0);
    commit(&j);
    *total = (size_t)j.offset;
    th_journal_close(&j);
    th_flow_free(&f);
}

static void values_recover_whole(void **st)
{
    (void)st;
    memset(V1, 'a', sizeof V1);
    memset(V2, 'b', sizeof V2);
    V2[0] = 'B';
    V2[sizeof V2 - 1] = 'E';
    size_t first, total;
    write_two_values(&first, &total);
    th_flow g;
    th_journal_scan scan;
    const char *err;
    flow_open(&g, NULL, NULL);
    assert_int_equal(th_flow_recover(&g, J1, &scan, &err), 0);
    assert_value(&g, "mm", "state", V2, sizeof V2);
    assert_value(&g, "mm", "gone", NULL, 0);
    th_flow_free(&g);

    /* the file cut at every byte of the second commit: the first value or the second, whole */
    FILE *in = fopen(J1, "rb");
    assert_non_null(in);
    char *data = malloc(total);
    assert_int_equal(fread(data, 1, total, in), total);
    fclose(in);
    int firsts = 0, seconds = 0;
    for (size_t cut = first; cut <= total; cut++) {
        FILE *out = fopen(J2, "wb");
        fwrite(data, 1, cut, out);
        fclose(out);
        flow_open(&g, NULL, NULL);
        if (th_flow_recover(&g, J2, &scan, &err) != 0) fail_msg("cut at %zu of %zu: %s", cut, total, err);
        int32_t i = th_kv_find(&g.store, "mm", "state");
        assert_true(i >= 0);
        assert_int_equal(g.store.v[i].len, 3000);
        if (memcmp(g.store.v[i].val, V1, 3000) == 0) firsts++;
        else if (memcmp(g.store.v[i].val, V2, 3000) == 0) seconds++;
        else fail_msg("cut at %zu: a value that was never written (part of each)", cut);
        th_flow_free(&g);
    }
    assert_true(firsts > 2000 && seconds >= 1); /* five chunks of the second value cut everywhere */
    free(data);
}

static void store_carried_into_new_journal(void **st)
{
    (void)st;
    size_t first, total;
    write_two_values(&first, &total);
    th_flow g, h;
    th_journal j;
    th_journal_scan scan;
    const char *err;
    /* restart: recover J1, open J3 with the snapshot, add a key */
    flow_open(&g, &j, J3);
    g.jr = NULL;
    assert_int_equal(th_flow_recover(&g, J1, &scan, &err), 0);
    g.jr = &j;
    th_flow_journal_begin(&g, th_clock_ns());
    assert_int_equal(th_flow_store_put(&g, "other", "n", "42", 2, &err), 0);
    commit(&j);
    th_journal_close(&j);
    th_flow_free(&g);
    /* restart of the restart: only J3 is read */
    flow_open(&h, NULL, NULL);
    assert_int_equal(th_flow_recover(&h, J3, &scan, &err), 0);
    assert_value(&h, "mm", "state", V2, sizeof V2);
    assert_value(&h, "mm", "gone", NULL, 0);
    assert_value(&h, "other", "n", "42", 2);
    assert_int_equal(h.store.n, 2);
    th_flow_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bounds_have_messages),
        cmocka_unit_test(store_record_round_trip),
        cmocka_unit_test(values_recover_whole),
        cmocka_unit_test(store_carried_into_new_journal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
