/* lua_shadow.c — shadow reload: a live strategy's next version runs beside it, sending nothing
 * (lua_host.h th_strategy_shadow_start; th/shadow.lua records and compares the intents).
 *
 * The shadow is a th_strategy of its own (name "<live>:shadow", its own module, state, ctx and
 * timers) that the live strategy points at: th_strategy_call and th_strategy_timers_run
 * (lua_host.c) run it after the live one and ask th/shadow.lua to compare. It is registered so
 * that its timers find it by name, and skipped wherever the host counts strategies (faults,
 * /health, th.strategies()): whatever it does stays inside it. */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/metrics.h"
#include "lua_host_impl.h"
#include "tradehost.h"

void th_lua_shadow_compare(th_lua *lh, th_strategy *s, const char *callback)
{
    (void)s;
    if (th_lua_require_field(lh, "th.shadow", "compare") != 0 || (lua_pushstring(lh->L, callback), th_lua_pcall(lh, 1, 0)) != 0)
        th_logf(TH_LOG_ERROR, "shadow: comparing the intents failed", "strategy=%s error=\"%s\"", s->name, lh->error);
}

static void shadow_metrics(th_strategy *sh, const char *live)
{
    char name[160];
    const char *e;
    snprintf(name, sizeof name, "strategy_shadow_errors{strategy=\"%s\"}", live);
    th_metric_register(name, TH_METRIC_COUNTER, &sh->m_errors, &e);
    snprintf(name, sizeof name, "strategy_shadow_callback_ns{strategy=\"%s\"}", live);
    th_metric_register(name, TH_METRIC_HISTOGRAM, &sh->m_cb_ns, &e);
    sh->m_reloads = sh->m_reload_failures = sh->m_errors; /* a shadow is never reloaded */
}

int th_strategy_shadow_start(th_lua *lh, th_strategy *s, const char *cfg_path, const char *cfg_dir, int max_diffs,
                             char *msg, size_t cap)
{
    lua_State *L = lh->L;
    if (s->shadow_of) { snprintf(msg, cap, "%s is a shadow: it has none", s->name); return -1; }
    if (s->shadow) {
        snprintf(msg, cap, "a shadow of %s is already running: promote() or discard() it first", s->name);
        return -1;
    }
    th_strategy *sh = calloc(1, sizeof *sh);
    if (!sh) { snprintf(msg, cap, "out of memory: no shadow started"); return -1; }
    if (snprintf(sh->name, sizeof sh->name, "%s:shadow", s->name) >= (int)sizeof sh->name) {
        free(sh);
        snprintf(msg, cap, "strategy name %s is too long for a shadow's name", s->name);
        return -1;
    }
    snprintf(sh->path, sizeof sh->path, "%s", s->path);
    sh->mod_ref = sh->state_ref = sh->ctx_ref = LUA_NOREF;
    sh->timer_due_ns = sh->timer_own_due_ns = INT64_MAX;
    sh->budget_ms = s->budget_ms;
    sh->shadow_of = s;
    shadow_metrics(sh, s->name);
    th_lua_strategy_register(sh);

    int top = lua_gettop(L);
    int rc = -1;
    if (th_lua_require_field(lh, "th.shadow", "start") == 0) {
        lua_pushstring(L, s->path);
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->state_ref);
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->ctx_ref);
        lua_pushstring(L, cfg_path);
        if (cfg_dir) lua_pushstring(L, cfg_dir);
        else lua_pushnil(L);
        lua_pushinteger(L, max_diffs);
        lua_pushstring(L, sh->name);
        lua_pushstring(L, s->name);
        th_running_mark before;
        th_lua_running_begin(&before, sh, "reload"); /* its migrate runs as the shadow: intents recorded */
        rc = th_lua_pcall(lh, 8, 4);                  /* mod, state, ctx, config summary | nil, err */
        th_lua_running_end(&before);
        if (rc == 0 && lua_isnil(L, top + 1)) {
            snprintf(lh->error, sizeof lh->error, "%s", lua_tostring(L, top + 2) ? lua_tostring(L, top + 2) : "shadow failed to start");
            rc = -1;
        }
    }
    if (rc != 0) {
        lua_settop(L, top);
        th_lua_strategy_unregister(sh);
        free(sh);
        snprintf(msg, cap, "%s", lh->error);
        char q[sizeof lh->error + 64];
        th_log_quote(lh->error, q, sizeof q);
        th_logf(TH_LOG_ERROR, "shadow reload failed: nothing started, the live strategy runs on", "strategy=%s error=%s", s->name, q);
        return -1;
    }
    snprintf(msg, cap, "shadow of %s started (config: %s); shadow() shows how its intents differ, promote() swaps it in, "
                       "discard() drops it", s->name, lua_tostring(L, top + 4) ? lua_tostring(L, top + 4) : "?");
    lua_settop(L, top + 3);
    sh->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    sh->state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    sh->mod_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    sh->started = true;
    s->shadow = sh;
    th_lua_timers_combine(s);
    th_logf(TH_LOG_INFO, "shadow started: its intents are recorded and compared, never sent", "strategy=%s path=%s", s->name, s->path);
    return 0;
}

void th_lua_push_shadow_fault(lua_State *L, const th_strategy *sh)
{
    if (!sh->faulted) { lua_pushnil(L); return; }
    lua_createtable(L, 0, 3);
    lua_pushstring(L, sh->fault_callback);
    lua_setfield(L, -2, "callback");
    lua_pushstring(L, sh->fault_error);
    lua_setfield(L, -2, "error");
    lua_pushnumber(L, (lua_Number)sh->fault_ns);
    lua_setfield(L, -2, "time_ns");
}

int th_strategy_shadow_discard(th_lua *lh, th_strategy *s, const char *why, char *msg, size_t cap)
{
    lua_State *L = lh->L;
    th_strategy *sh = s->shadow;
    if (!sh) {
        if (msg) snprintf(msg, cap, "no shadow of %s is running (reload{shadow = true} starts one)", s->name);
        return -1;
    }
    int top = lua_gettop(L);
    char summary[2048] = "";
    if (th_lua_require_field(lh, "th.shadow", "stop") == 0) {
        lua_pushstring(L, why);
        th_lua_push_shadow_fault(L, sh);
        if (th_lua_pcall(lh, 2, 2) == 0) snprintf(summary, sizeof summary, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
        else snprintf(summary, sizeof summary, "(its report failed: %s)", lh->error);
    }
    lua_settop(L, top);
    s->shadow = NULL;
    th_lua_strategy_unregister(sh);
    luaL_unref(L, LUA_REGISTRYINDEX, sh->mod_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, sh->state_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, sh->ctx_ref);
    free(sh);
    th_lua_timers_combine(s);
    char q[sizeof summary + 64];
    th_log_quote(summary, q, sizeof q);
    th_logf(TH_LOG_INFO, "shadow ended", "strategy=%s report=%s", s->name, q);
    if (msg) snprintf(msg, cap, "%s", summary);
    return 0;
}

int th_strategy_shadow_promote(th_lua *lh, th_strategy *s, char *msg, size_t cap)
{
    lua_State *L = lh->L;
    if (!s->shadow) {
        snprintf(msg, cap, "no shadow of %s to promote (reload{shadow = true} starts one)", s->name);
        return -1;
    }
    int top = lua_gettop(L);
    int rc = -1;
    if (th_lua_require_field(lh, "th.shadow", "promote") == 0) {
        lua_pushstring(L, s->path);
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->state_ref);
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->ctx_ref);
        th_running_mark before;
        th_lua_running_begin(&before, s, "reload"); /* migrate(state) runs as the live strategy, as in a reload */
        rc = th_lua_pcall(lh, 3, 3);                  /* mod, cfg, summary | nil, err */
        th_lua_running_end(&before);
        if (rc == 0 && lua_isnil(L, top + 1)) {
            snprintf(lh->error, sizeof lh->error, "%s", lua_tostring(L, top + 2) ? lua_tostring(L, top + 2) : "promote failed");
            rc = -1;
        }
    }
    if (rc != 0) {
        lua_settop(L, top);
        s->reload_failures++;
        th_metric_inc(s->m_reload_failures);
        snprintf(msg, cap, "%s", lh->error);
        char q[sizeof lh->error + 64];
        th_log_quote(lh->error, q, sizeof q);
        th_logf(TH_LOG_ERROR, "strategy reload failed: old code keeps running", "strategy=%s shadow=kept error=%s", s->name, q);
        return -1;
    }
    char changed[2048];
    snprintf(changed, sizeof changed, "%s", lua_tostring(L, top + 3) ? lua_tostring(L, top + 3) : "");
    lua_settop(L, top + 2);
    lua_insert(L, -2); /* cfg, mod: th_lua_reload_swap takes the module first */
    th_lua_reload_swap(lh, s, true);
    lua_settop(L, top);
    char report[2048];
    th_strategy_shadow_discard(lh, s, "promoted", report, sizeof report);
    snprintf(msg, cap, "%s; shadow %s", changed, report);
    return 0;
}
