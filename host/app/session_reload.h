/* session_reload.h — the one reload of a running session: the config file and the strategy's
 * code, as one transaction, then applied to the order side, the market data and the session's
 * own settings. SIGHUP, the REPL's reload() and the API's POST /reload all come here
 * (th_session_reload in session.h), so they cannot differ.
 *
 * Why apart from session.c: what a reload touches is a list (limits, pairs in and out, their
 * orders, ticks, the log level) that grows with every live-changeable key; the session only
 * decides when a reload may run (between loop callbacks) and what its own settings are. */
#ifndef TH_SESSION_RELOAD_H
#define TH_SESSION_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "../lua/lua_host.h"
#include "session_feed.h"
#include "trading.h"

typedef struct th_reload_target {
    th_lua *lua;
    th_strategy *strat;
    th_trading *tr;
    th_session_feed *mf;
    char config_path[1024];  /* as given at start */
    char config_dir[1024];   /* its absolute directory: relative paths resolve against it */
    bool log_level_fixed;    /* --log-level was given: the config's log.level does not apply */
    void (*applied)(void *ctx); /* the session's own settings (tick_ms, on_fault) from the new config */
    void *ctx;
} th_reload_target;

/* 0: swapped and applied, msg says what changed; -1: nothing changed, msg has the error (the file
 * and the key; file:line for a syntax error). Both are logged. */
int th_reload_run(th_reload_target *r, char *msg, size_t cap);

#endif
