/* clock.c — real/virtual clock switch (see clock.h for why). */
#include "clock.h"

#include <stdio.h>
#include <time.h>

static bool g_virtual;
static int64_t g_virtual_ns;

void th_clock_use_virtual(int64_t start_ns) { g_virtual = true; g_virtual_ns = start_ns; }
void th_clock_use_real(void) { g_virtual = false; }
bool th_clock_is_virtual(void) { return g_virtual; }

void th_clock_advance_to(int64_t ns)
{
    if (g_virtual && ns > g_virtual_ns) g_virtual_ns = ns;
}

int64_t th_clock_ns(void)
{
    if (g_virtual) return g_virtual_ns;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t th_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t th_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int th_clock_now(int64_t *ns_out, int32_t *is_virtual_out)
{
    if (!ns_out || !is_virtual_out) return -1;
    *ns_out = th_clock_ns();
    *is_virtual_out = g_virtual ? 1 : 0;
    return 0;
}

const char *th_clock_iso(int64_t ns, char *buf, size_t cap)
{
    int64_t s = ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000;
    int64_t ms = (ns - s * 1000000000) / 1000000;
    time_t t = (time_t)s;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) { snprintf(buf, cap, "%lld", (long long)ns); return buf; }
    char d[40];
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%03lldZ", d, (long long)ms);
    return buf;
}
