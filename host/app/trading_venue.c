/* trading_venue.c — the order side's live venue connector from the config (see trading_venue.h). */
#include "trading_venue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../sim/kraken_rate_counter.h"

bool th_trading_venue_supported(const char *venue) { return strcmp(venue, "kraken") == 0 || strcmp(venue, "binance") == 0; }

/* venue.tier (default starter): Kraken's per-pair trading counter and its REST counter. */
static int kraken_tier(th_lua *lua)
{
    char tier[32] = "starter";
    th_lua_cfg_string(lua, "venue.tier", tier, sizeof tier);
    int t = th_kraken_tier_parse(tier);
    return t < 0 ? TH_KRAKEN_TIER_STARTER : t;
}

void th_trading_venue_rates(th_lua *lua, const char *venue, th_flow_cfg *c)
{
    if (strcmp(venue, "kraken") != 0) return;
    double threshold, decay;
    if (th_kraken_tier_limits(kraken_tier(lua), &threshold, &decay) != 0) return;
    /* The flow keeps room for cancelling every live order of the pair (order_flow.c rate_gate),
     * so the threshold is Kraken's own. */
    c->rate_model = TH_RATE_KRAKEN;
    c->pair_cap = threshold;
    c->pair_rate = decay;
}

/* The value of the environment variable the config names at `key` (a credential). */
static int secret_from_env(th_lua *lua, const char *key, char *out, size_t cap, const char **err)
{
    static char msg[300];
    char name[128];
    if (!th_lua_cfg_string(lua, key, name, sizeof name)) {
        snprintf(msg, sizeof msg, "%s: not set (the name of the environment variable holding it)", key);
        *err = msg;
        return -1;
    }
    const char *v = getenv(name);
    if (!v || !*v) {
        snprintf(msg, sizeof msg, "%s: the environment variable %s is not set or empty", key, name);
        *err = msg;
        return -1;
    }
    if (strlen(v) >= cap) {
        snprintf(msg, sizeof msg, "%s: the value of %s is too long", key, name);
        *err = msg;
        return -1;
    }
    snprintf(out, cap, "%s", v);
    return 0;
}

static void on_ready(void *ctx)
{
    th_trading_venue *v = ctx;
    if (!v->flow) return;
    th_logf(TH_LOG_WARN, "venue reconnected: reconciling open orders and trades since the last fill", NULL);
    th_flow_reconcile(v->flow, th_clock_ns());
}

/* Binance spot: the WebSocket API for orders and user data, the configured pairs for myTrades. */
static int open_binance(th_trading_venue *v, th_lua *lua, uv_loop_t *loop, const th_instruments *ins, const char *key,
                        const char *secret, th_venue *out, char *w, size_t wcap)
{
    char rest[512], ws[512];
    bool have_rest = th_lua_cfg_string(lua, "venue.endpoints.rest", rest, sizeof rest);
    bool have_ws = th_lua_cfg_string(lua, "venue.endpoints.ws_private", ws, sizeof ws);
    int n = th_lua_cfg_pair_count(lua), k = 0;
    char (*names)[64] = calloc((size_t)(n > 0 ? n : 1), sizeof *names);
    const char **syms = calloc((size_t)(n > 0 ? n : 1), sizeof *syms);
    if (!names || !syms) { free(names); free(syms); snprintf(w, wcap, "out of memory"); return -1; }
    for (int i = 0; i < n; i++) {
        bool enabled;
        if (th_lua_cfg_pair_symbol(lua, i, names[k], sizeof names[k], &enabled) && enabled) { syms[k] = names[k]; k++; }
    }
    th_binance_spot_cfg bc = {have_rest ? rest : NULL, have_ws ? ws : NULL, key, secret, syms, k};
    v->binance = true;
    int rc = th_binance_spot_open(&v->bs, loop, ins, &bc, w, wcap);
    free(names);
    free(syms);
    if (rc != 0) return -1;
    v->bs.ready = on_ready;
    v->bs.ready_ctx = v;
    *out = th_binance_spot_as_venue(&v->bs);
    return 0;
}

int th_trading_venue_open(th_trading_venue *v, th_lua *lua, uv_loop_t *loop, const char *venue, const th_instruments *ins,
                          th_venue *out, const char **err)
{
    static char why[600];
    memset(v, 0, sizeof *v);
    if (!loop) { *err = "the venue connector needs the session's loop"; return -1; }
    char key[128], secret[128], rest[512], ws[512];
    if (secret_from_env(lua, "venue.credentials.key_env", key, sizeof key, err) != 0 ||
        secret_from_env(lua, "venue.credentials.secret_env", secret, sizeof secret, err) != 0)
        return -1;
    char w[500];
    int rc;
    if (strcmp(venue, "binance") == 0) {
        rc = open_binance(v, lua, loop, ins, key, secret, out, w, sizeof w);
    } else {
        bool have_rest = th_lua_cfg_string(lua, "venue.endpoints.rest", rest, sizeof rest);
        bool have_ws = th_lua_cfg_string(lua, "venue.endpoints.ws_private", ws, sizeof ws);
        th_kraken_spot_cfg kc = {have_rest ? rest : NULL, have_ws ? ws : NULL, key, secret,
                                 th_lua_cfg_number(lua, "venue.dead_man_s", 60),
                                 th_lua_cfg_number(lua, "venue.balance_refresh_s", 5), kraken_tier(lua)};
        rc = th_kraken_spot_open(&v->ks, loop, ins, &kc, w, sizeof w);
    }
    memset(secret, 0, sizeof secret);
    memset(key, 0, sizeof key);
    if (rc != 0) {
        snprintf(why, sizeof why, "venue %s: %s", venue, w);
        *err = why;
        if (v->binance) th_binance_spot_close(&v->bs);
        else th_kraken_spot_close(&v->ks);
        v->open = true; /* freed with the order side */
        return -1;
    }
    v->open = true;
    if (v->binance) return 0;
    v->ks.ready = on_ready;
    v->ks.ready_ctx = v;
    *out = th_kraken_spot_as_venue(&v->ks);
    return 0;
}

void th_trading_venue_wire(th_trading_venue *v, th_flow *f)
{
    if (!v->open) return;
    v->flow = f;
    if (v->binance) {
        v->bs.ev = th_flow_venue_events(f);
        v->bs.bal = v->bal;
    } else {
        v->ks.ev = th_flow_venue_events(f);
        v->ks.bal = v->bal;
    }
}

void th_trading_venue_close(th_trading_venue *v)
{
    if (v->open && v->binance) th_binance_spot_close(&v->bs);
    else if (v->open) th_kraken_spot_close(&v->ks);
}

void th_trading_venue_free(th_trading_venue *v)
{
    if (!v->open) return;
    if (v->binance) th_binance_spot_free(&v->bs);
    else th_kraken_spot_free(&v->ks);
    v->open = false;
}
