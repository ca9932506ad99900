/* lua_instances.c — the reload of several strategy instances (config `strategies`), which may add
 * and remove instances (lua_host.h th_strategy_retire, th_strategy_start_added).
 *
 * Why apart from lua_host.c: the dispatch there walks a chain it never changes; this file is the
 * one place that rebuilds the chain (instances matched by id, kept ones recompiled and migrated,
 * added ones made, removed ones set aside for the session to stop and cancel), including the case
 * where the head itself goes, whose struct the session holds and so must stay in place. */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/metrics.h"
#include "lua_host_impl.h"

static int no_key(void *ctx, const char *key, const char *value) { return (void)ctx, (void)key, (void)value, 0; }

bool th_lua_config_has_instances(th_lua *lh) { return th_lua_cfg_each(lh, "strategies", no_key, NULL) == 0; }

/* An instance the reload added: plan entry { path, state, ctx } on top of the stack, its module
 * mods[k]; it joins as instance k of the new config, not started yet. */
static void added_from(th_lua *lh, th_strategy *x, int mods, int k)
{
    lua_State *L = lh->L;
    x->timer_due_ns = x->timer_own_due_ns = INT64_MAX;
    lua_getfield(L, -1, "path");
    snprintf(x->path, sizeof x->path, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
    lua_pop(L, 1);
    lua_getfield(L, -1, "state");
    x->state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getfield(L, -1, "ctx");
    x->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_rawgeti(L, mods, k);
    x->mod_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    char key[64];
    snprintf(key, sizeof key, "_instances.%d.id", k);
    th_lua_cfg_string(lh, key, x->name, sizeof x->name);
    x->fresh = true;
    th_lua_strategy_metrics(x);
    th_logf(TH_LOG_INFO, "strategy instance added by a reload", "strategy=%s path=%s", x->name, x->path);
}

/* The head's instance was removed or moved: its struct (which the session holds) takes the new
 * first instance's content, and its old content moves to `moved`. The session's hooks stay. */
static void head_swap(th_strategy *s, th_strategy *first, th_strategy *moved, th_strategy **now, int nn, th_strategy **old, int n)
{
    *moved = *s;
    for (int j = 0; j < nn; j++) if (now[j] == s) now[j] = moved;
    for (int k = 0; k < n; k++) if (old[k] == s) old[k] = moved;
    th_strategy keep = *s;
    *s = *first;
    s->on_fault = keep.on_fault, s->on_fault_ctx = keep.on_fault_ctx;
    s->on_timers = keep.on_timers, s->on_timers_ctx = keep.on_timers_ctx;
    s->retired = keep.retired;
    moved->on_timers = NULL, moved->retired = NULL;
    free(first);
    now[0] = s;
}

/* The reload succeeded (Lua has committed: states migrated, ctxs refilled): the stack holds, from
 * top + 1, mods, cfg, summary, plan (th/runtime.lua reload_instances). n instances ran. */
static int adopt(th_lua *lh, th_strategy *s, int top, int n)
{
    lua_State *L = lh->L;
    int nn = (int)lua_objlen(L, top + 4);
    th_strategy **old = calloc((size_t)n, sizeof *old), **now = calloc((size_t)nn, sizeof *now);
    bool *kept = calloc((size_t)n, sizeof *kept);
    int rc = old && now && kept ? 0 : -1;
    int k = 0;
    for (th_strategy *x = s; x && rc == 0; x = x->next) old[k++] = x;
    for (int j = 0; j < nn && rc == 0; j++) {
        lua_rawgeti(L, top + 4, j + 1);
        int p = lua_type(L, -1) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : 0;
        lua_pop(L, 1);
        if (p >= 1 && p <= n) now[j] = old[p - 1], kept[p - 1] = true;
        else if (!(now[j] = calloc(1, sizeof **now))) rc = -1;
        else now[j]->mod_ref = now[j]->state_ref = now[j]->ctx_ref = LUA_NOREF;
    }
    th_strategy *moved = rc == 0 && nn > 0 && now[0] != s ? malloc(sizeof *moved) : NULL;
    if (rc != 0 || nn == 0 || (now[0] != s && !moved)) {
        for (int j = 0; now && j < nn; j++) if (now[j] && now[j]->mod_ref == LUA_NOREF && now[j]->state_ref == LUA_NOREF) free(now[j]);
        free(old), free(now), free(kept), free(moved);
        snprintf(lh->error, sizeof lh->error, "out of memory adopting the reloaded instances");
        return -1;
    }
    /* the config, once */
    lua_pushvalue(L, top + 2);
    luaL_unref(L, LUA_REGISTRYINDEX, lh->config_ref);
    lh->config_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    double budget = th_lua_cfg_number(lh, "strategy.budget_ms", s->budget_ms);
    for (k = 0; k < n; k++) th_lua_strategy_unregister(old[k]);
    for (int j = 0; j < nn; j++) {
        th_strategy *x = now[j];
        lua_rawgeti(L, top + 4, j + 1);
        if (lua_type(L, -1) == LUA_TNUMBER) {
            lua_pop(L, 1);
            lua_rawgeti(L, top + 1, j + 1);
            th_lua_reload_swap(lh, x, false);
        } else {
            added_from(lh, x, top + 1, j + 1);
            lua_pop(L, 1);
        }
        x->instance = j + 1;
        x->budget_ms = budget;
        x->nsymbols = 0; /* the pairs may have moved between instances */
        th_lua_instance_symbols(lh, x, j + 1);
    }
    if (now[0] != s) head_swap(s, now[0], moved, now, nn, old, n);
    else free(moved);
    for (int j = 0; j < nn; j++) now[j]->head = s, now[j]->next = j + 1 < nn ? now[j + 1] : NULL;
    for (k = 0; k < n; k++) {
        if (kept[k]) continue;
        old[k]->head = s;
        old[k]->next = s->retired;
        s->retired = old[k];
    }
    th_lua_strategy_order(s);
    th_lua_timers_combine(s);
    free(old), free(now), free(kept);
    return 0;
}

int th_lua_reload_instances(th_lua *lh, th_strategy *s, const char *cfg_path, const char *cfg_dir, char *msg, size_t cap)
{
    lua_State *L = lh->L;
    int top = lua_gettop(L);
    int n = 0;
    bool shadow = false;
    for (th_strategy *x = s; x; x = x->next) n++, shadow = shadow || x->shadow;
    if (th_lua_require_field(lh, "th.runtime", "reload_instances") == 0) {
        lua_createtable(L, n, 0);
        lua_createtable(L, n, 0);
        lua_createtable(L, n, 0);
        int i = 1;
        for (th_strategy *x = s; x; x = x->next, i++) {
            lua_pushstring(L, x->path);
            lua_rawseti(L, top + 2, i);
            lua_rawgeti(L, LUA_REGISTRYINDEX, x->state_ref);
            lua_rawseti(L, top + 3, i);
            lua_rawgeti(L, LUA_REGISTRYINDEX, x->ctx_ref);
            lua_rawseti(L, top + 4, i);
        }
        lua_pushstring(L, cfg_path);
        if (cfg_dir) lua_pushstring(L, cfg_dir);
        else lua_pushnil(L);
        lua_pushstring(L, lh->home);
        lua_pushboolean(L, shadow);
        th_running_mark before;
        th_lua_running_begin(&before, s, "reload");
        int rc = th_lua_pcall(lh, 7, 4); /* mods, cfg, summary, plan | nil, err */
        th_lua_running_end(&before);
        if (rc == 0 && !lua_isnil(L, top + 1)) {
            if (msg) snprintf(msg, cap, "%s", lua_tostring(L, top + 3) ? lua_tostring(L, top + 3) : "reloaded");
            rc = adopt(lh, s, top, n);
            lua_settop(L, top);
            if (rc == 0) return 0;
        } else if (rc == 0) {
            snprintf(lh->error, sizeof lh->error, "%s", lua_tostring(L, top + 2) ? lua_tostring(L, top + 2) : "reload failed");
        }
    }
    lua_settop(L, top);
    for (th_strategy *x = s; x; x = x->next) {
        x->reload_failures++;
        th_metric_inc(x->m_reload_failures);
    }
    if (msg) snprintf(msg, cap, "%s", lh->error);
    char q[sizeof lh->error + 64];
    th_log_quote(lh->error, q, sizeof q);
    th_logf(TH_LOG_ERROR, "strategy reload failed: old code keeps running", "strategy=%s instances=%d error=%s", s->name, n, q);
    return -1;
}

void th_strategy_retire(th_lua *lh, th_strategy *head, void (*gone)(void *ctx, const th_strategy *r), void *ctx)
{
    lua_State *L = lh->L;
    th_strategy *r;
    while ((r = head->retired) != NULL) {
        head->retired = r->next;
        r->next = NULL;
        th_lua_call_one(lh, r, "on_stop", 0); /* nothing when faulted */
        if (gone) gone(ctx, r);
        if (th_lua_require_field(lh, "th.runtime", "retire") == 0) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, r->ctx_ref);
            if (th_lua_pcall(lh, 1, 0) != 0) th_logf(TH_LOG_ERROR, "th.runtime.retire failed", "strategy=%s error=\"%s\"", r->name, lh->error);
        }
        th_lua_release_one(lh, r);
        free(r);
    }
}

void th_strategy_start_added(th_lua *lh, th_strategy *head)
{
    for (th_strategy *x = head; x; x = x->next) {
        if (!x->fresh) continue;
        x->fresh = false;
        th_lua_call_one(lh, x, "on_start", 0);
    }
}
