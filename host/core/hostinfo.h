/* hostinfo.h — identity of the running host (version, mode, start time) for Lua and the API. */
#ifndef TH_HOSTINFO_H
#define TH_HOSTINFO_H

#include "tradehost.h"

#define TH_VERSION "0.1.0"

void th_hostinfo_set_mode(const char *mode);

#endif
