/* hostinfo.c — process identity exposed through the FFI (th_host_info_get). */
#include "hostinfo.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

static char g_mode[16] = "test";
static int64_t g_started_ns;

void th_hostinfo_set_mode(const char *mode)
{
    snprintf(g_mode, sizeof g_mode, "%s", mode);
    g_started_ns = th_clock_ns();
}

int th_version(const char **out)
{
    if (!out) return -1;
    *out = TH_VERSION;
    return 0;
}

int th_host_info_get(th_host_info *out)
{
    if (!out) return -1;
    memset(out, 0, sizeof *out);
    snprintf(out->version, sizeof out->version, "%s", TH_VERSION);
    snprintf(out->mode, sizeof out->mode, "%s", g_mode);
    out->virtual_clock = th_clock_is_virtual() ? 1 : 0;
    out->pid = (int32_t)getpid();
    out->started_ns = g_started_ns;
    return 0;
}
