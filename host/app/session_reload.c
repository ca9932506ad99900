/* session_reload.c — a running session's reload: config and code (see session_reload.h). */
#include "session_reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "instance_orders.h"

typedef struct symbol_list {
    char (*v)[64];
    int n;
} symbol_list;

/* The config's enabled pairs, in order. */
static int enabled_pairs(th_lua *lua, symbol_list *out)
{
    int n = th_lua_cfg_pair_count(lua);
    out->n = 0;
    out->v = malloc(sizeof *out->v * (size_t)(n > 0 ? n : 1));
    if (!out->v) return -1;
    for (int i = 0; i < n; i++) {
        bool enabled;
        if (th_lua_cfg_pair_symbol(lua, i, out->v[out->n], sizeof out->v[0], &enabled) && enabled) out->n++;
    }
    return 0;
}

static bool listed(const symbol_list *l, const char *sym)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], sym) == 0) return true;
    return false;
}

/* A pair that left the config: nobody quotes it now, so its orders are cancelled (whatever
 * strategy.on_fault says: that is about faults), and the strategy hears no more of it. */
static void pairs_removed(th_reload_target *r, const symbol_list *was, const symbol_list *now)
{
    for (int i = 0; i < was->n; i++) {
        if (listed(now, was->v[i])) continue;
        int32_t ins = r->tr->active ? th_trading_find_symbol(r->tr, was->v[i]) : -1;
        int32_t n = ins >= 0 ? th_trading_cancel_pair(r->tr, ins) : 0;
        th_logf(TH_LOG_INFO, "pair removed by a reload: its orders cancelled, no more market events", "symbol=%s cancelled=%d",
                was->v[i], n);
    }
    for (int i = 0; i < now->n; i++)
        if (!listed(was, now->v[i])) th_logf(TH_LOG_INFO, "pair added by a reload: market events and quoting start", "symbol=%s", now->v[i]);
}

/* A reload never changes what needs a restart (docs/config.md "Reloading the config"): the
 * summary names those keys, and each is said again as a warning, so a changed store setting
 * (storage.postgres, storage.redis: their connections stay as they were opened) or venue setting
 * is not mistaken for applied. */
static void restart_keys_warn(const char *summary)
{
    static const char label[] = "needs a restart (kept as running) ";
    const char *p = strstr(summary, label);
    if (!p) return;
    p += sizeof label - 1;
    while (*p && *p != ';') {
        while (*p == ' ' || *p == ',') p++;
        size_t n = strcspn(p, ",;");
        if (n == 0) break;
        char key[160];
        snprintf(key, sizeof key, "%.*s", (int)(n < sizeof key ? n : sizeof key - 1), p);
        const char *what = strncmp(key, "storage.", 8) == 0 ? "the store keeps the settings it was opened with"
                                                              : "the running value stays";
        th_logf(TH_LOG_WARN, "reload: this key changed but needs a restart: not applied", "key=%s effect=\"%s\"", key, what);
        p += n;
    }
}

static th_reload_target *g_target; /* the running session's */

void th_reload_attach(th_reload_target *r, const char *config_path, const char *config_dir)
{
    g_target = r;
    th_lua_on_reload(r ? th_reload_hook : NULL, NULL);
    th_lua_on_shadow(r ? th_shadow_hook : NULL, NULL);
    if (!r) return;
    snprintf(r->config_path, sizeof r->config_path, "%s", config_path);
    snprintf(r->config_dir, sizeof r->config_dir, "%s", config_dir);
}

int th_reload_hook(void *ctx, char *msg, size_t cap) { return (void)ctx, th_session_reload(msg, cap); }

static th_reload_target *target(char *msg, size_t cap)
{
    th_reload_target *r = g_target;
    if (!r || (r->stopping && *r->stopping)) {
        snprintf(msg, cap, "%s", r ? "the session is stopping: nothing reloaded" : "no session to reload");
        return NULL;
    }
    return r;
}

static int code_and_config(th_reload_target *r, char *msg, size_t cap)
{
    return th_strategy_reload(r->lua, r->strat, r->config_path, r->config_dir, msg, cap);
}

static int promote(th_reload_target *r, char *msg, size_t cap) { return th_strategy_shadow_promote(r->lua, r->strat, msg, cap); }

/* An instance the reload removed, after its on_stop: nobody quotes its pairs for it now, so the
 * orders on the pairs it traded are cancelled, through the normal path (an instance that takes one
 * of them over starts from no orders of its own there). */
static void instance_gone(void *ctx, const th_strategy *st)
{
    th_reload_target *r = ctx;
    int32_t n = r->tr->active ? th_instance_cancel_orders(r->tr, st) : 0;
    th_logf(TH_LOG_INFO, "instance removed by a reload: its pairs' orders cancelled", "strategy=%s cancelled=%d", st->name, n);
}

/* swap: the strategy's side of the transaction (its new code and config in place, or nothing
 * changed and -1); then the host's side, the same for a reload and a promoted shadow. */
static int reload_with(th_reload_target *r, int (*swap)(th_reload_target *, char *, size_t), char *msg, size_t cap)
{
    symbol_list was = {0}, now = {0};
    if (enabled_pairs(r->lua, &was) != 0) {
        snprintf(msg, cap, "out of memory: nothing reloaded");
        th_logf(TH_LOG_ERROR, "reload refused", "error=\"%s\"", msg);
        return -1;
    }
    if (swap(r, msg, cap) != 0) {
        free(was.v);
        return -1;
    }
    /* The new config is in place: everything below reads it. Instances it removed stop first
     * (on_stop, their orders cancelled), those it added start last, once the order side (their
     * pairs, their risk share) and the market data have it. */
    th_strategy_retire(r->lua, r->strat, instance_gone, r);
    th_trading_reconfigure(r->tr);
    th_session_feed_reconfigure(r->mf);
    if (enabled_pairs(r->lua, &now) == 0) pairs_removed(r, &was, &now);
    free(was.v);
    free(now.v);
    th_strategy_start_added(r->lua, r->strat);
    char level[16];
    int lv;
    if (!r->log_level_fixed && th_lua_cfg_string(r->lua, "log.level", level, sizeof level) && th_log_level_parse(level, &lv) == 0)
        th_log_set_level(lv);
    if (r->applied) r->applied(r->ctx);
    char q[2048];
    th_log_quote(msg, q, sizeof q);
    th_logf(TH_LOG_INFO, "reload applied", "strategy=%s changes=%s", r->strat->name, q);
    restart_keys_warn(msg);
    return 0;
}

int th_session_reload(char *msg, size_t cap)
{
    th_reload_target *r = target(msg, cap);
    if (!r) return -1;
    th_logf(TH_LOG_INFO, "reloading: config and strategy code", "config=%s strategy=%s", r->config_path, r->strat->name);
    return reload_with(r, code_and_config, msg, cap);
}

int th_session_shadow(const char *op, int max_diffs, char *msg, size_t cap)
{
    th_reload_target *r = target(msg, cap);
    if (!r) return -1;
    if (strcmp(op, "start") == 0) {
        th_logf(TH_LOG_INFO, "shadow reload: config and strategy code beside the live strategy", "config=%s strategy=%s",
                r->config_path, r->strat->name);
        return th_strategy_shadow_start(r->lua, r->strat, r->config_path, r->config_dir, max_diffs, msg, cap);
    }
    if (strcmp(op, "promote") == 0) {
        th_logf(TH_LOG_INFO, "promoting the shadow: its code and config replace the live strategy's", "strategy=%s", r->strat->name);
        return reload_with(r, promote, msg, cap);
    }
    if (strcmp(op, "discard") == 0) return th_strategy_shadow_discard(r->lua, r->strat, "discarded", msg, cap);
    snprintf(msg, cap, "unknown shadow operation %s (start, promote or discard)", op);
    return -1;
}

int th_shadow_hook(void *ctx, const char *op, int max_diffs, char *msg, size_t cap)
{
    return (void)ctx, th_session_shadow(op, max_diffs, msg, cap);
}
