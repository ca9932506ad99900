/* metrics.h — the process-wide registry of counters, gauges and latency histograms.
 *
 * Every part of the host registers its metrics once at start (by name, getting an id) and then
 * updates by id on the hot path with no lookup and no allocation. Histograms are log-linear
 * (HDR-style: each power of two split into TH_HIST_SUB sub-buckets), so p50/p90/p99 carry at most
 * 1/TH_HIST_SUB relative error at any magnitude from 1 ns to hours. */
#ifndef TH_METRICS_H
#define TH_METRICS_H

#include <stdio.h>
#include "tradehost.h"

#define TH_METRICS_MAX 1024
#define TH_HIST_SUB_BITS 5
#define TH_HIST_SUB (1 << TH_HIST_SUB_BITS)
#define TH_HIST_BUCKETS ((64 - TH_HIST_SUB_BITS + 1) * TH_HIST_SUB)

typedef struct th_hist {
    uint64_t count, sum, max;
    uint64_t buckets[TH_HIST_BUCKETS];
} th_hist;

void th_hist_reset(th_hist *h);
void th_hist_record(th_hist *h, uint64_t v);
uint64_t th_hist_quantile(const th_hist *h, double q);

/* Registering the same name and kind twice returns the same id (idempotent across reloads). */
int th_metric_find(const char *name, int32_t *id_out);
/* Increment a C-side counter without error checks: ids come from registration. */
void th_metric_inc(int32_t id);
void th_metrics_reset_all(void);
/* Text dump, one metric per line: name, kind and values; used by `status` and the tests. */
void th_metrics_dump(FILE *f);
/* Prometheus text format, for the API's /metrics. */
void th_metrics_prometheus(FILE *f);
void th_metrics_free(void);

#endif
