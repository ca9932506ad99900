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
    const bool *stopping;    /* the session is stopping: no more reloads */
    void (*applied)(void *ctx); /* the session's own settings (tick_ms, on_fault) from the new config */
    void *ctx;
} th_reload_target;

/* The one reload of the running session, used by SIGHUP, the REPL's reload() and the API's
 * POST /reload: the config file is read again and validated, the strategy's code recompiled and
 * migrated, as one transaction; then new parameters, pairs (added ones start, removed ones have
 * their orders cancelled), risk limits and the other live keys apply (docs/config.md "Reloading
 * the config"). Returns 0 with what changed in msg ("changed strategy.params.spread_bps; pairs
 * added ..."), or -1 with the error in msg (naming the file and the key, or file:line), in which
 * case nothing changed. Both are logged. Call it from the loop thread, between callbacks. */
int th_session_reload(char *msg, size_t cap);
/* The same, as a hook (th_session_view.reload, th_lua_on_reload): ctx is unused. */
int th_reload_hook(void *ctx, char *msg, size_t cap);
/* Shadow reload of the running session (lua_host.h th_strategy_shadow_start): op "start" loads
 * the config and code as th_session_reload would and runs them beside the live strategy, sending
 * nothing (max_diffs: differences kept per pair, 0 the default); "promote" is th_session_reload
 * with the shadow's code and config (then the same pairs, limits and settings apply); "discard"
 * drops it. 0 and what happened in msg, or -1 and why. From the loop thread, between callbacks. */
int th_session_shadow(const char *op, int max_diffs, char *msg, size_t cap);
int th_shadow_hook(void *ctx, const char *op, int max_diffs, char *msg, size_t cap);
/* The session's target (r filled but for the paths), from start-up; NULL when it has ended. */
void th_reload_attach(th_reload_target *r, const char *config_path, const char *config_dir);

#endif
