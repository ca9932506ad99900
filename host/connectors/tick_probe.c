/* tick_probe.c — tick-to-order latency (see tick_probe.h). One per process, like the session. */
#include "tick_probe.h"

#include "../core/log.h"
#include "../core/metrics.h"

#include <time.h>

static int64_t g_pending, g_trigger;

int64_t th_tick_probe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static th_hist g_hist;
static int32_t g_metric = -1;

void th_tick_probe_frame(int64_t wall_ns)
{
    if (!g_pending) g_pending = wall_ns;
}

void th_tick_probe_dispatch(void)
{
    if (!g_pending) return;
    g_trigger = g_pending;
    g_pending = 0;
}

int64_t th_tick_probe_trigger(void) { return g_trigger; }

void th_tick_probe_turn_end(void) { g_trigger = 0; }

void th_tick_probe_sample(int64_t trigger_ns, int64_t venue_in_ns)
{
    if (trigger_ns <= 0 || venue_in_ns <= 0) return;
    int64_t d = venue_in_ns - trigger_ns;
    if (d < 0) d = 0; /* the venue stamps microseconds: a sub-microsecond path rounds down */
    if (g_metric < 0) {
        const char *e;
        th_metric_register("tick_to_order_ns", TH_METRIC_HISTOGRAM, &g_metric, &e);
    }
    th_hist_record(&g_hist, (uint64_t)d);
    if (g_metric >= 0) th_metric_observe(g_metric, d);
}

void th_tick_probe_report(const char *who)
{
    if (!g_hist.count) return;
    th_logf(TH_LOG_INFO, "tick to order", "venue=%s samples=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f", who,
            (unsigned long long)g_hist.count, th_hist_quantile(&g_hist, 0.5) / 1e3, th_hist_quantile(&g_hist, 0.99) / 1e3,
            (double)g_hist.max / 1e3);
}
