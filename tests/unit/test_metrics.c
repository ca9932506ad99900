/* test_metrics.c — metric registry and histogram quantile accuracy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../host/core/metrics.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void hist_quantiles_within_bucket_error(void **st)
{
    (void)st;
    static th_hist h;
    th_hist_reset(&h);
    enum { N = 100000 };
    static uint64_t v[N];
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        v[i] = 50 + (x % 5000000); /* 50 ns .. 5 ms */
        th_hist_record(&h, v[i]);
    }
    qsort(v, N, sizeof v[0], cmp_u64);
    const double qs[] = {0.5, 0.9, 0.99};
    for (int i = 0; i < 3; i++) {
        uint64_t exact = v[(size_t)(qs[i] * N)];
        uint64_t got = th_hist_quantile(&h, qs[i]);
        double rel = ((double)got - (double)exact) / (double)exact;
        /* Reported value is the bucket's upper edge: never below, at most 1/32 above. */
        assert_true(rel >= -1e-9);
        assert_true(rel <= 1.0 / TH_HIST_SUB + 1e-9);
    }
    assert_int_equal(h.max, v[N - 1]);
    assert_int_equal(h.count, N);
}

static void hist_small_values_exact(void **st)
{
    (void)st;
    th_hist h;
    th_hist_reset(&h);
    for (uint64_t i = 0; i < 10; i++) th_hist_record(&h, i);
    assert_int_equal(th_hist_quantile(&h, 0.5), 5);
    assert_int_equal(th_hist_quantile(&h, 0.0), 0);
    assert_int_equal(th_hist_quantile(&h, 1.0), 9);
}

static void registry_ids_and_kinds(void **st)
{
    (void)st;
    int32_t a, b, g, hh;
    const char *err = NULL;
    assert_int_equal(th_metric_register("orders_sent", TH_METRIC_COUNTER, &a, &err), 0);
    assert_int_equal(th_metric_register("orders_sent", TH_METRIC_COUNTER, &b, &err), 0);
    assert_int_equal(a, b); /* idempotent: reloads re-register */
    assert_int_equal(th_metric_register("orders_sent", TH_METRIC_GAUGE, &b, &err), -1);
    assert_string_equal(err, "metric already registered with another kind");
    assert_int_equal(th_metric_register("", TH_METRIC_COUNTER, &b, &err), -1);
    assert_int_equal(th_metric_register("x", 99, &b, &err), -1);
    assert_int_equal(th_metric_register("inventory", TH_METRIC_GAUGE, &g, &err), 0);
    assert_int_equal(th_metric_register("lat", TH_METRIC_HISTOGRAM, &hh, &err), 0);

    assert_int_equal(th_metric_add(a, 2), 0);
    assert_int_equal(th_metric_add(a, -1), -1); /* counters never go down */
    assert_int_equal(th_metric_add(g, 1), -1);  /* wrong kind */
    assert_int_equal(th_metric_set(g, -3.5), 0);
    assert_int_equal(th_metric_observe(hh, 1000), 0);
    assert_int_equal(th_metric_observe(a, 1000), -1);
    assert_int_equal(th_metric_add(12345, 1), -1);

    th_metric_view v;
    assert_int_equal(th_metric_read(a, &v, &err), 0);
    assert_true(v.value == 2.0);
    assert_int_equal(th_metric_read(g, &v, &err), 0);
    assert_true(v.value == -3.5);
    assert_int_equal(th_metric_read(hh, &v, &err), 0);
    assert_true(v.count == 1.0 && v.max == 1000.0);
    assert_int_equal(th_metric_read(-1, &v, &err), -1);
    th_metrics_free();
}

/* Prometheus text: one # TYPE per family and the family's samples together, even when its members
 * were registered apart; labels joined with the summary's quantile label. */
static void prometheus_groups_families(void **st)
{
    (void)st;
    int32_t a1, b, a2, h;
    const char *err;
    assert_int_equal(th_metric_register("fam_a{x=\"1\"}", TH_METRIC_COUNTER, &a1, &err), 0);
    assert_int_equal(th_metric_register("fam_b", TH_METRIC_GAUGE, &b, &err), 0);
    assert_int_equal(th_metric_register("fam_a{x=\"2\"}", TH_METRIC_COUNTER, &a2, &err), 0);
    assert_int_equal(th_metric_register("lat_ns{s=\"m\"}", TH_METRIC_HISTOGRAM, &h, &err), 0);
    th_metric_add(a1, 3);
    th_metric_add(a2, 4);
    th_metric_set(b, 7);
    th_metric_observe(h, 100);
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    th_metrics_prometheus(f);
    fclose(f);
    assert_non_null(strstr(buf, "# TYPE fam_a counter\nfam_a{x=\"1\"} 3\nfam_a{x=\"2\"} 4\n# TYPE fam_b gauge\nfam_b 7\n"));
    assert_non_null(strstr(buf, "# TYPE lat_ns summary\nlat_ns{s=\"m\",quantile=\"0.5\"} "));
    assert_non_null(strstr(buf, "lat_ns_sum{s=\"m\"} 100\nlat_ns_count{s=\"m\"} 1\n"));
    const char *first = strstr(buf, "# TYPE fam_a");
    assert_null(strstr(first + 1, "# TYPE fam_a"));
    free(buf);
    th_metrics_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hist_quantiles_within_bucket_error),
        cmocka_unit_test(hist_small_values_exact),
        cmocka_unit_test(registry_ids_and_kinds),
        cmocka_unit_test(prometheus_groups_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
