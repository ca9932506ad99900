/* clock.c — real/virtual clock switch (see clock.h for why). */
#include "clock.h"

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

int th_clock_now(int64_t *ns_out, int32_t *is_virtual_out)
{
    if (!ns_out || !is_virtual_out) return -1;
    *ns_out = th_clock_ns();
    *is_virtual_out = g_virtual ? 1 : 0;
    return 0;
}
