/* clock.c — real/virtual clock switch (see clock.h for why). */
#include "clock.h"

#include <stdio.h>
#include <time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

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

/* ---- ticks ---- */

static bool g_tsc;            /* ticks are TSC cycles (set once by th_ticks_init) */
static double g_ns_per_tick;  /* their rate */

int64_t th_ticks(void)
{
#if defined(__x86_64__)
    if (g_tsc) return (int64_t)__rdtsc();
#endif
    return th_mono_ns();
}

int64_t th_ticks_to_ns(int64_t ticks) { return g_tsc ? (int64_t)((double)ticks * g_ns_per_tick) : ticks; }

#if defined(__x86_64__)
/* A (TSC, CLOCK_MONOTONIC) pair read close together: the best of a few tries, so a preemption
 * between the two reads does not skew the rate. */
static void tsc_pair(int64_t *tsc, int64_t *mono)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 16; i++) {
        uint64_t a = __rdtsc();
        int64_t m = th_mono_ns();
        uint64_t b = __rdtsc();
        if (b - a < best) { best = b - a; *tsc = (int64_t)(a + (b - a) / 2); *mono = m; }
    }
}
#endif

void th_ticks_init(void)
{
#if defined(__x86_64__)
    if (g_tsc) return;
    unsigned a, b, c, d;
    /* invariant TSC: CPUID 0x80000007 EDX bit 8 (a constant rate, ticking in every C-state) */
    if (!__get_cpuid(0x80000007, &a, &b, &c, &d) || !(d & (1u << 8))) return;
    int64_t t0 = 0, m0 = 0, t1 = 0, m1 = 0;
    tsc_pair(&t0, &m0);
    struct timespec nap = {0, 2000000};
    while (nanosleep(&nap, &nap) != 0) {}
    tsc_pair(&t1, &m1);
    if (t1 <= t0 || m1 <= m0) return;
    g_ns_per_tick = (double)(m1 - m0) / (double)(t1 - t0);
    g_tsc = true;
#endif
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
