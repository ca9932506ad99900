/* metrics.c — fixed-size metric registry. Storage is a static table (no allocation after
 * registration; histograms are allocated once at registration because they are ~16 KiB each). */
#include "metrics.h"
#include "ffi_guard.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct metric {
    char name[96];
    int32_t kind;
    double value; /* counter total or gauge value */
    th_hist *hist;
} metric;

static metric g_metrics[TH_METRICS_MAX];
static int32_t g_count;

static inline int bucket_of(uint64_t v)
{
    if (v < TH_HIST_SUB) return (int)v;
    int msb = 63 - __builtin_clzll(v);               /* >= TH_HIST_SUB_BITS */
    int shift = msb - TH_HIST_SUB_BITS;
    int sub = (int)((v >> shift) & (TH_HIST_SUB - 1)); /* bits below the leading one */
    return (shift + 1) * TH_HIST_SUB + sub;
}

/* Upper edge of a bucket: quantiles report the bucket's highest value, never under-reporting. */
static inline uint64_t bucket_high(int b)
{
    if (b < TH_HIST_SUB) return (uint64_t)b;
    int shift = b / TH_HIST_SUB - 1;
    uint64_t sub = (uint64_t)(b % TH_HIST_SUB);
    uint64_t low = ((uint64_t)TH_HIST_SUB + sub) << shift;
    return low + ((1ull << shift) - 1);
}

void th_hist_reset(th_hist *h) { memset(h, 0, sizeof *h); }

void th_hist_record(th_hist *h, uint64_t v)
{
    h->buckets[bucket_of(v)]++;
    h->count++;
    h->sum += v;
    if (v > h->max) h->max = v;
}

uint64_t th_hist_quantile(const th_hist *h, double q)
{
    if (h->count == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count) rank = h->count - 1;
    uint64_t seen = 0;
    for (int b = 0; b < TH_HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen > rank) {
            uint64_t hi = bucket_high(b);
            return hi < h->max ? hi : h->max;
        }
    }
    return h->max;
}

int th_metric_find(const char *name, int32_t *id_out)
{
    for (int32_t i = 0; i < g_count; i++) {
        if (strcmp(g_metrics[i].name, name) == 0) { *id_out = i; return 0; }
    }
    return -1;
}

int th_metric_register(const char *name, int32_t kind, int32_t *id_out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(id_out);
    if (!name || !*name || strlen(name) >= sizeof g_metrics[0].name) { *err = "metric name empty or longer than 95 bytes"; return -1; }
    if (kind < TH_METRIC_COUNTER || kind > TH_METRIC_HISTOGRAM) { *err = "unknown metric kind"; return -1; }
    int32_t id;
    if (th_metric_find(name, &id) == 0) {
        if (g_metrics[id].kind != kind) { *err = "metric already registered with another kind"; return -1; }
        *id_out = id;
        return 0;
    }
    if (g_count >= TH_METRICS_MAX) { *err = "metric registry full"; return -1; }
    metric *m = &g_metrics[g_count];
    memset(m, 0, sizeof *m);
    strcpy(m->name, name);
    m->kind = kind;
    if (kind == TH_METRIC_HISTOGRAM) {
        m->hist = calloc(1, sizeof *m->hist);
        if (!m->hist) { *err = "out of memory"; return -1; }
    }
    *id_out = g_count++;
    return 0;
}

int th_metric_add(int32_t id, double v)
{
    if (id < 0 || id >= g_count || g_metrics[id].kind != TH_METRIC_COUNTER || !(v >= 0 && v < 1e300)) return -1; /* NaN too */
    g_metrics[id].value += v;
    return 0;
}

void th_metric_inc(int32_t id) { g_metrics[id].value += 1.0; }

int th_metric_set(int32_t id, double v)
{
    if (id < 0 || id >= g_count || g_metrics[id].kind != TH_METRIC_GAUGE) return -1;
    g_metrics[id].value = v;
    return 0;
}

int th_metric_observe(int32_t id, int64_t v)
{
    if (id < 0 || id >= g_count || g_metrics[id].kind != TH_METRIC_HISTOGRAM) return -1;
    th_hist_record(g_metrics[id].hist, v < 0 ? 0 : (uint64_t)v);
    return 0;
}

int th_metric_read(int32_t id, th_metric_view *out, const char **err)
{
    TH_FFI_ERR(err);
    if (id < 0 || id >= g_count) { *err = "unknown metric id"; return -1; }
    TH_FFI_NOT_NULL(out);
    const metric *m = &g_metrics[id];
    memset(out, 0, sizeof *out);
    out->kind = m->kind;
    out->value = m->value;
    if (m->hist) {
        out->count = (double)m->hist->count;
        out->sum = (double)m->hist->sum;
        out->p50 = (double)th_hist_quantile(m->hist, 0.50);
        out->p90 = (double)th_hist_quantile(m->hist, 0.90);
        out->p99 = (double)th_hist_quantile(m->hist, 0.99);
        out->max = (double)m->hist->max;
    }
    return 0;
}

void th_metrics_reset_all(void)
{
    for (int32_t i = 0; i < g_count; i++) {
        g_metrics[i].value = 0;
        if (g_metrics[i].hist) th_hist_reset(g_metrics[i].hist);
    }
}

void th_metrics_dump(FILE *f)
{
    for (int32_t i = 0; i < g_count; i++) {
        const metric *m = &g_metrics[i];
        if (m->kind == TH_METRIC_HISTOGRAM) {
            const th_hist *h = m->hist;
            fprintf(f, "%s histogram count=%llu p50=%llu p90=%llu p99=%llu max=%llu\n", m->name,
                    (unsigned long long)h->count, (unsigned long long)th_hist_quantile(h, .5),
                    (unsigned long long)th_hist_quantile(h, .9), (unsigned long long)th_hist_quantile(h, .99),
                    (unsigned long long)h->max);
        } else {
            fprintf(f, "%s %s %.17g\n", m->name, m->kind == TH_METRIC_COUNTER ? "counter" : "gauge", m->value);
        }
    }
}

/* The family of a registered name: the part before its labels ("risk_refused_total{...}"). */
static int family_len(const char *name)
{
    const char *brace = strchr(name, '{');
    return brace ? (int)(brace - name) : (int)strlen(name);
}

static bool same_family(const char *a, int alen, const char *b)
{
    return family_len(b) == alen && memcmp(a, b, (size_t)alen) == 0;
}

static void prometheus_sample(FILE *f, const metric *m, int flen)
{
    if (m->kind != TH_METRIC_HISTOGRAM) {
        fprintf(f, "%s %.17g\n", m->name, m->value);
        return;
    }
    /* the name's labels, without braces, joined with quantile="..." */
    const char *brace = m->name[flen] == '{' ? m->name + flen : NULL;
    const char *labels = brace ? brace + 1 : "";
    int llen = brace ? (int)strlen(labels) - 1 : 0;
    static const double Q[] = {0.5, 0.9, 0.99};
    for (int q = 0; q < 3; q++)
        fprintf(f, "%.*s{%.*s%squantile=\"%g\"} %llu\n", flen, m->name, llen, labels, llen > 0 ? "," : "", Q[q],
                (unsigned long long)th_hist_quantile(m->hist, Q[q]));
    fprintf(f, "%.*s_sum%s %llu\n", flen, m->name, brace ? brace : "", (unsigned long long)m->hist->sum);
    fprintf(f, "%.*s_count%s %llu\n", flen, m->name, brace ? brace : "", (unsigned long long)m->hist->count);
}

/* Prometheus text exposition (version 0.0.4). A family (the name before its labels) gets one
 * # TYPE line followed by all of its samples together, as the format requires, whatever order
 * the metrics were registered in. Histograms are exposed as summaries (p50/p90/p99, _sum, _count). */
void th_metrics_prometheus(FILE *f)
{
    for (int32_t i = 0; i < g_count; i++) {
        const metric *m = &g_metrics[i];
        int flen = family_len(m->name);
        bool seen = false; /* written with an earlier metric of its family */
        for (int32_t k = 0; k < i && !seen; k++) seen = same_family(m->name, flen, g_metrics[k].name);
        if (seen) continue;
        fprintf(f, "# TYPE %.*s %s\n", flen, m->name,
                m->kind == TH_METRIC_HISTOGRAM ? "summary" : m->kind == TH_METRIC_COUNTER ? "counter" : "gauge");
        for (int32_t k = i; k < g_count; k++)
            if (same_family(m->name, flen, g_metrics[k].name)) prometheus_sample(f, &g_metrics[k], flen);
    }
}

void th_metrics_free(void)
{
    for (int32_t i = 0; i < g_count; i++) { free(g_metrics[i].hist); g_metrics[i].hist = NULL; }
    g_count = 0;
}
