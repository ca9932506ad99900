/* session_instruments.c — a live session without venue.instruments gets them from the venue
 * before anything else starts (see session_feed.h, th_session_feed_fetch_instruments).
 *
 * Why before, and not alongside market data: the order side's start needs them (the journal's
 * recovery and the first reconciliation name instruments; an open order on a pair the registry
 * does not know would look foreign), and so do the pairs' market events. So the session runs its
 * loop for the fetch alone: the API and the REPL answer meanwhile (/health says
 * "fetching_instruments" and the last failure), SIGTERM ends the wait, and the order side,
 * the strategy and the venue's connections open once the instruments are in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "session_feed.h"

int th_session_feed_fetch_instruments(th_session_feed *m, const bool *stopping)
{
    if (!m->active || !m->live || !m->fetch_instruments) return 0;
    int n = th_lua_cfg_pair_count(m->lua), k = 0;
    char (*names)[64] = calloc((size_t)(n > 0 ? n : 1), sizeof *names);
    const char **syms = calloc((size_t)(n > 0 ? n : 1), sizeof *syms);
    if (!names || !syms) { free(names); free(syms); fprintf(stderr, "tradehost: instruments: out of memory\n"); return -1; }
    for (int i = 0; i < n; i++) {
        bool enabled;
        if (th_lua_cfg_pair_symbol(m->lua, i, names[k], sizeof names[k], &enabled) && enabled) { syms[k] = names[k]; k++; }
    }
    static char why[600];
    char ws[512], rest[512];
    bool have_ws = th_lua_cfg_string(m->lua, "venue.endpoints.ws_public", ws, sizeof ws);
    bool have_rest = th_lua_cfg_string(m->lua, "venue.endpoints.rest", rest, sizeof rest);
    int rc = th_instrument_fetch_start(&m->fx, m->loop, m->feed.venue, have_ws ? ws : NULL, have_rest ? rest : NULL, &m->feed.instruments,
                                       syms, k, why, sizeof why);
    free(names);
    free(syms);
    if (rc != 0) { fprintf(stderr, "tradehost: instruments: %s\n", why); return -1; }
    m->fetching = true;
    while (!m->fx.done && !*stopping) uv_run(m->loop, UV_RUN_ONCE);
    m->fetching = false;
    th_instrument_fetch_close(&m->fx);
    if (!m->fx.done) { /* a stop came first: nothing else opens */
        th_logf(TH_LOG_WARN, "stopped while waiting for the venue's instruments: the session did not start", "last_failure=\"%s\"", m->fx.why);
        return -1;
    }
    if (th_session_feed_wanted_sync(m) != 0) { fprintf(stderr, "tradehost: instruments: out of memory\n"); return -1; }
    return 0;
}
