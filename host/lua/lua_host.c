/* lua_host.c — LuaJIT embedding (see lua_host.h). */
#include "lua_host.h"

#include <lauxlib.h>
#include <lua.h>
#include <luajit.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/ffi_guard.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "tradehost.h"
#include "lua_budget.h"
#include "lua_host_impl.h"

th_lua_running th_lua_now;

static void register_host_module(lua_State *L);

/* The strategy whose code runs now (callback, timer or reload): th_strategy_running() names it, so
 * th.every/th.after know whose timers they arm. Saved and restored with th_lua_now. */
static th_strategy *g_running;

typedef th_running_mark running_mark; /* lua_host_impl.h */

/* th_lua_now is written as a seqlock: seq odd while it changes, so the watchdog thread never
 * reports a callback name with another call's start time or pair. */
static void now_set(const char *strategy, const char *callback, int64_t since, const char *pair, size_t pair_len)
{
    __atomic_store_n(&th_lua_now.seq, th_lua_now.seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    th_lua_now.strategy = strategy;
    th_lua_now.callback = callback;
    th_lua_now.since_ticks = since;
    if (pair_len >= sizeof th_lua_now.pair) pair_len = sizeof th_lua_now.pair - 1;
    memcpy(th_lua_now.pair, pair, pair_len);
    th_lua_now.pair[pair_len] = 0;
    __atomic_store_n(&th_lua_now.seq, th_lua_now.seq + 1, __ATOMIC_RELEASE);
}

static void running_begin_at(running_mark *before, th_strategy *s, const char *callback, int64_t since, const char *pair, size_t pair_len)
{
    before->nested = th_lua_now.strategy != NULL;
    if (before->nested) before->lua_now = th_lua_now;
    before->strategy = g_running;
    now_set(s->name, callback, since, pair, pair_len);
    g_running = s;
}

void th_lua_running_begin(running_mark *before, th_strategy *s, const char *callback) { running_begin_at(before, s, callback, th_ticks(), "", 0); }
#define running_begin th_lua_running_begin
#define running_end th_lua_running_end

void th_lua_running_end(const running_mark *before)
{
    const th_lua_running *b = &before->lua_now;
    if (before->nested) now_set(b->strategy, b->callback, b->since_ticks, b->pair, strlen(b->pair));
    else now_set(NULL, NULL, 0, "", 0);
    g_running = before->strategy;
}

static int traceback_handler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = luaL_typename(L, 1);
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* The error handler: made once and kept in the registry (pushing a C function makes a new
 * closure, an allocation on every protected call). */
static void push_traceback(th_lua *lh)
{
    lua_State *L = lh->L;
    if (lh->traceback_ref > 0) { lua_rawgeti(L, LUA_REGISTRYINDEX, lh->traceback_ref); return; }
    lua_pushcfunction(L, traceback_handler);
    lua_pushvalue(L, -1);
    lh->traceback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* The error handler is at h, the function above it with its nargs arguments on top. */
static int pcall_at(th_lua *lh, int h, int nargs, int nresults)
{
    lua_State *L = lh->L;
    int rc = lua_pcall(L, nargs, nresults, h);
    if (rc != 0) {
        const char *m = lua_tostring(L, -1);
        snprintf(lh->error, sizeof lh->error, "%s", m ? m : "(error object is not a string)");
        lua_pop(L, 1);
        lua_remove(L, h);
        return -1;
    }
    lua_remove(L, h);
    return 0;
}

int th_lua_pcall(th_lua *lh, int nargs, int nresults)
{
    lua_State *L = lh->L;
    int fn_idx = lua_gettop(L) - nargs;
    push_traceback(lh);
    lua_insert(L, fn_idx);
    return pcall_at(lh, fn_idx, nargs, nresults);
}

/* A callback name's string, by the literal's address (each call site passes its own literal). */
static void push_cb_key(th_lua *lh, const char *cb)
{
    lua_State *L = lh->L;
    for (int i = 0; i < lh->ncb_keys; i++)
        if (lh->cb_keys[i].key == cb) { lua_rawgeti(L, LUA_REGISTRYINDEX, lh->cb_keys[i].ref); return; }
    lua_pushstring(L, cb);
    if (lh->ncb_keys == lh->cb_keys_cap) {
        int cap = lh->cb_keys_cap ? lh->cb_keys_cap * 2 : 16;
        th_lua_str *v = realloc(lh->cb_keys, sizeof *v * (size_t)cap);
        if (!v) return; /* not kept: pushed all the same */
        lh->cb_keys = v;
        lh->cb_keys_cap = cap;
    }
    lua_pushvalue(L, -1);
    lh->cb_keys[lh->ncb_keys++] = (th_lua_str){cb, NULL, luaL_ref(L, LUA_REGISTRYINDEX)};
}

/* A symbol's string, kept by slot; re-made when the slot's text changed. */
static void push_symbol(th_lua *lh, int32_t slot, const char *sym)
{
    lua_State *L = lh->L;
    if (slot >= 0 && slot < lh->nsyms && lh->syms[slot].text && strcmp(lh->syms[slot].text, sym) == 0) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, lh->syms[slot].ref);
        return;
    }
    lua_pushstring(L, sym);
    if (slot < 0 || slot > (1 << 20)) return;
    if (slot >= lh->nsyms) {
        int n = slot + 16;
        th_lua_str *v = realloc(lh->syms, sizeof *v * (size_t)n);
        if (!v) return;
        memset(v + lh->nsyms, 0, sizeof *v * (size_t)(n - lh->nsyms));
        lh->syms = v;
        lh->nsyms = n;
    }
    th_lua_str *e = &lh->syms[slot];
    char *t = strdup(sym);
    if (!t) return;
    free(e->text);
    if (e->text) luaL_unref(L, LUA_REGISTRYINDEX, e->ref);
    e->text = t;
    lua_pushvalue(L, -1);
    e->ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

int th_lua_open(th_lua *lh, const char *home, const char **err)
{
    memset(lh, 0, sizeof *lh);
    lh->config_ref = LUA_NOREF;
    snprintf(lh->home, sizeof lh->home, "%s", home);
    lh->L = luaL_newstate();
    if (!lh->L) { *err = "cannot create Lua state (out of memory)"; return -1; }
    lua_State *L = lh->L;
    th_ticks_init(); /* strategy calls are timed in ticks */
    luaL_openlibs(L);
    if (th_budget_install(L, err) != 0) return -1;
    register_host_module(L);
    /* scripts/ holds the th library; the project root lets strategies require each other. */
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/scripts/?.lua;%s/scripts/?/init.lua;%s/?.lua;", home, home, home);
    lua_getfield(L, -2, "path");
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    /* Load the th library now so a broken install fails at start, not at the first tick. */
    lua_getglobal(L, "require");
    lua_pushstring(L, "th");
    if (th_lua_pcall(lh, 1, 0) != 0) { *err = lh->error; return -1; }
    return 0;
}

void th_lua_close(th_lua *lh)
{
    if (lh->L) th_budget_close(lh->L);
    lh->L = NULL;
    for (int i = 0; i < lh->nsyms; i++) free(lh->syms[i].text);
    free(lh->syms);
    free(lh->cb_keys);
    lh->syms = lh->cb_keys = NULL;
    lh->nsyms = lh->ncb_keys = lh->cb_keys_cap = 0;
    lh->traceback_ref = 0;
}

int th_lua_require_field(th_lua *lh, const char *module, const char *field)
{
    lua_State *L = lh->L;
    lua_getglobal(L, "require");
    lua_pushstring(L, module);
    if (th_lua_pcall(lh, 1, 1) != 0) return -1;
    lua_getfield(L, -1, field);
    lua_remove(L, -2);
    return 0;
}

void th_lua_config_overrides(th_lua *lh, const char *const *sets, int n)
{
    lua_State *L = lh->L;
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, sets[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "TH_CONFIG_OVERRIDES");
}

int th_lua_load_config(th_lua *lh, const char *path, const char *dir, const char **err)
{
    lua_State *L = lh->L;
    if (th_lua_require_field(lh, "th.config", "load") != 0) { *err = lh->error; return -1; }
    lua_pushstring(L, path);
    if (dir) lua_pushstring(L, dir);
    else lua_pushnil(L);
    if (th_lua_pcall(lh, 2, 2) != 0) { *err = lh->error; return -1; }
    if (lua_isnil(L, -2)) {
        snprintf(lh->error, sizeof lh->error, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "invalid config");
        lua_pop(L, 2);
        *err = lh->error;
        return -1;
    }
    lua_pop(L, 1);
    if (lh->config_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, lh->config_ref);
    lh->config_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* Pushes the value at a dotted path of the config (or nil). */
static void push_cfg_path(th_lua *lh, const char *path)
{
    lua_State *L = lh->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, lh->config_ref);
    char key[128];
    const char *p = path;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof key) n = sizeof key - 1;
        memcpy(key, p, n);
        key[n] = 0;
        if (!lua_istable(L, -1)) { lua_pop(L, 1); lua_pushnil(L); return; }
        char *end;
        long ix = strtol(key, &end, 10);
        if (*key && !*end) lua_rawgeti(L, -1, (int)ix); /* "pairs.3.max_position": array index */
        else lua_getfield(L, -1, key);
        lua_remove(L, -2);
        p += n;
        if (*p == '.') p++;
    }
}

double th_lua_cfg_number(th_lua *lh, const char *path, double dflt)
{
    push_cfg_path(lh, path);
    double v = lua_type(lh->L, -1) == LUA_TNUMBER ? lua_tonumber(lh->L, -1) : dflt;
    lua_pop(lh->L, 1);
    return v;
}

bool th_lua_cfg_bool(th_lua *lh, const char *path, bool dflt)
{
    push_cfg_path(lh, path);
    bool v = lua_type(lh->L, -1) == LUA_TBOOLEAN ? lua_toboolean(lh->L, -1) : dflt;
    lua_pop(lh->L, 1);
    return v;
}

bool th_lua_cfg_string(th_lua *lh, const char *path, char *buf, size_t cap)
{
    push_cfg_path(lh, path);
    bool ok = lua_type(lh->L, -1) == LUA_TSTRING;
    snprintf(buf, cap, "%s", ok ? lua_tostring(lh->L, -1) : "");
    lua_pop(lh->L, 1);
    return ok;
}

int th_lua_cfg_each(th_lua *lh, const char *path, int (*fn)(void *ctx, const char *key, const char *value), void *ctx)
{
    lua_State *L = lh->L;
    push_cfg_path(lh, path);
    int rc = lua_istable(L, -1) ? 0 : -1;
    if (rc == 0) {
        lua_pushnil(L);
        while (rc == 0 && lua_next(L, -2)) {
            /* lua_tostring on a number key would change the key under lua_next: test the type */
            if (lua_type(L, -2) == LUA_TSTRING && (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)) {
                lua_pushvalue(L, -1); /* a copy to convert, so the table's value stays a number */
                rc = fn(ctx, lua_tostring(L, -3), lua_tostring(L, -1));
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        if (rc != 0) lua_pop(L, 1); /* the key lua_next left when fn stopped it */
    }
    lua_pop(L, 1);
    return rc;
}

int th_lua_cfg_pair_count(th_lua *lh)
{
    push_cfg_path(lh, "pairs");
    int n = lua_istable(lh->L, -1) ? (int)lua_objlen(lh->L, -1) : 0;
    lua_pop(lh->L, 1);
    return n;
}

bool th_lua_cfg_pair_symbol(th_lua *lh, int index0, char *buf, size_t cap, bool *enabled)
{
    lua_State *L = lh->L;
    push_cfg_path(lh, "pairs");
    lua_rawgeti(L, -1, index0 + 1);
    bool ok = lua_istable(L, -1);
    if (ok) {
        lua_getfield(L, -1, "symbol");
        snprintf(buf, cap, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
        lua_getfield(L, -2, "enabled");
        *enabled = lua_isnil(L, -1) || lua_toboolean(L, -1);
        lua_pop(L, 2);
    }
    lua_pop(L, 2);
    return ok;
}

/* The loaded strategies, for th_strategy_fault_get (one per host today; a few slots for later). */
#define STRATEGIES_MAX 32
static th_strategy *g_strategies[STRATEGIES_MAX];

void th_lua_strategy_register(th_strategy *s)
{
    for (int i = 0; i < STRATEGIES_MAX; i++)
        if (g_strategies[i] == s) return;
    for (int i = 0; i < STRATEGIES_MAX; i++)
        if (!g_strategies[i]) { g_strategies[i] = s; return; }
}

void th_lua_strategy_unregister(th_strategy *s)
{
    for (int i = 0; i < STRATEGIES_MAX; i++)
        if (g_strategies[i] == s) g_strategies[i] = NULL;
}

void th_lua_strategy_order(th_strategy *head)
{
    th_strategy *rest[STRATEGIES_MAX];
    int n = 0;
    for (int i = 0; i < STRATEGIES_MAX; i++) {
        th_strategy *x = g_strategies[i];
        g_strategies[i] = NULL;
        if (x && (x->shadow_of || x->head != head)) rest[n++] = x; /* a shadow, or no instance of head's */
    }
    for (th_strategy *x = head; x; x = x->next) th_lua_strategy_register(x);
    for (int i = 0; i < n; i++) th_lua_strategy_register(rest[i]);
}

int th_strategy_faulted_count(void)
{
    int n = 0;
    for (int i = 0; i < STRATEGIES_MAX; i++) n += g_strategies[i] && !g_strategies[i]->shadow_of && g_strategies[i]->faulted;
    return n;
}

int th_strategy_fault_get(int32_t index, th_strategy_fault *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    TH_FFI_CHECK(index >= 0, "index must be >= 0");
    for (int i = 0, k = 0; i < STRATEGIES_MAX; i++) {
        const th_strategy *s = g_strategies[i];
        if (!s || s->shadow_of || !s->faulted || k++ != index) continue; /* a shadow's fault is its own */
        memset(out, 0, sizeof *out);
        snprintf(out->strategy, sizeof out->strategy, "%s", s->name);
        snprintf(out->callback, sizeof out->callback, "%s", s->fault_callback);
        snprintf(out->error, sizeof out->error, "%s", s->fault_error);
        out->ns = s->fault_ns;
        out->orders_cancelled = s->fault_orders_cancelled;
        return 0;
    }
    *err = "no fault at this index";
    return -1;
}

int th_strategy_info_get(int32_t index, th_strategy_info *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    TH_FFI_CHECK(index >= 0, "index must be >= 0");
    for (int i = 0, k = 0; i < STRATEGIES_MAX; i++) {
        const th_strategy *s = g_strategies[i];
        if (!s || s->shadow_of || k++ != index) continue; /* shadows: th.shadow.report() */
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "%s", s->name);
        out->faulted = s->faulted;
        out->timers = s->timers;
        out->reloads = (int64_t)s->reloads;
        out->reload_failures = (int64_t)s->reload_failures;
        out->errors = (int64_t)s->errors;
        out->halts = (int64_t)s->halts;
        out->timers_fired = (int64_t)s->timers_fired;
        return 0;
    }
    *err = "no strategy at this index";
    return -1;
}

int th_strategy_running(const char **name, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(name);
    TH_FFI_CHECK(g_running != NULL, "no strategy callback is running");
    *name = g_running->name;
    return 0;
}

int th_strategy_timer_due(const char *strategy, int64_t due_ns, int32_t count, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(strategy);
    TH_FFI_CHECK(count >= 0, "count must be >= 0");
    for (int i = 0; i < STRATEGIES_MAX; i++) {
        th_strategy *s = g_strategies[i];
        if (!s || strcmp(s->name, strategy) != 0) continue;
        s->timer_own_due_ns = due_ns < 0 || count == 0 ? INT64_MAX : due_ns;
        s->timers = count;
        th_lua_timers_combine(s->shadow_of ? s->shadow_of : s);
        return 0;
    }
    *err = "no strategy by this name";
    return -1;
}

void th_lua_strategy_metrics(th_strategy *s)
{
    char name[96];
    const char *e;
    snprintf(name, sizeof name, "strategy_errors{strategy=\"%s\"}", s->name);
    th_metric_register(name, TH_METRIC_COUNTER, &s->m_errors, &e);
    snprintf(name, sizeof name, "strategy_reloads{strategy=\"%s\"}", s->name);
    th_metric_register(name, TH_METRIC_COUNTER, &s->m_reloads, &e);
    snprintf(name, sizeof name, "strategy_reload_failures{strategy=\"%s\"}", s->name);
    th_metric_register(name, TH_METRIC_COUNTER, &s->m_reload_failures, &e);
    snprintf(name, sizeof name, "strategy_callback_ns{strategy=\"%s\"}", s->name);
    th_metric_register(name, TH_METRIC_HISTOGRAM, &s->m_cb_ns, &e);
}

/* The pairs an instance trades and reads (cfg.instances[index].pairs[k].symbol, .reads[k]): it
 * hears only their market events, fills and order changes, and may only trade the first. */
int th_lua_instance_symbols(th_lua *lh, th_strategy *s, int index)
{
    lua_State *L = lh->L;
    char key[64];
    for (int part = 0; part < 2; part++) {
        snprintf(key, sizeof key, "_instances.%d.%s", index, part ? "reads" : "pairs");
        push_cfg_path(lh, key);
        int n = lua_istable(L, -1) ? (int)lua_objlen(L, -1) : 0;
        for (int k = 1; k <= n; k++) {
            lua_rawgeti(L, -1, k);
            if (lua_istable(L, -1)) lua_getfield(L, -1, "symbol");
            else lua_pushvalue(L, -1);
            const char *sym = lua_tostring(L, -1);
            if (sym && s->nsymbols < (int)(sizeof s->symbols / sizeof s->symbols[0])) {
                snprintf(s->symbols[s->nsymbols].v, sizeof s->symbols[0].v, "%s", sym);
                s->symbols[s->nsymbols++].trades = part == 0;
            }
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
    }
    return 0;
}

/* One instance of cfg.instances (1-based index): its id names it (store, timers, metrics, logs). */
static int instance_load(th_lua *lh, th_strategy *s, int index, const char **err)
{
    lua_State *L = lh->L;
    s->mod_ref = s->state_ref = s->ctx_ref = LUA_NOREF;
    s->timer_due_ns = s->timer_own_due_ns = INT64_MAX;
    s->instance = index;
    char key[64], name[64], module[1024];
    snprintf(key, sizeof key, "_instances.%d.id", index);
    th_lua_cfg_string(lh, key, s->name, sizeof s->name);
    snprintf(key, sizeof key, "_instances.%d.name", index);
    th_lua_cfg_string(lh, key, name, sizeof name);
    s->budget_ms = th_lua_cfg_number(lh, "strategy.budget_ms", 5);
    snprintf(key, sizeof key, "_instances.%d.module", index);
    if (th_lua_cfg_string(lh, key, module, sizeof module)) {
        snprintf(s->path, sizeof s->path, "%s", module); /* absolute: th.config resolved it beside the config */
    } else {
        snprintf(s->path, sizeof s->path, "%s/strategies/%s.lua", lh->home, name);
    }
    th_lua_strategy_metrics(s);
    th_lua_strategy_register(s);

    if (th_lua_require_field(lh, "th.runtime", "start") != 0) { *err = lh->error; return -1; }
    lua_pushstring(L, s->path);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lh->config_ref);
    lua_pushinteger(L, index);
    if (th_lua_pcall(lh, 3, 3) != 0) { *err = lh->error; return -1; }
    if (lua_isnil(L, -3)) {
        snprintf(lh->error, sizeof lh->error, "%s", lua_tostring(L, -2) ? lua_tostring(L, -2) : "strategy failed to load");
        lua_pop(L, 3);
        *err = lh->error;
        return -1;
    }
    s->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    s->state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    s->mod_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return th_lua_instance_symbols(lh, s, index);
}

/* The head (cfg.instances[1]) is s; the others are allocated and chained from it (s->next), each
 * pointing back at the head, which the session holds and passes to every dispatch. */
int th_strategy_load(th_lua *lh, th_strategy *s, const char **err)
{
    memset(s, 0, sizeof *s);
    s->head = s;
    push_cfg_path(lh, "_instances");
    int n = lua_istable(lh->L, -1) ? (int)lua_objlen(lh->L, -1) : 1;
    lua_pop(lh->L, 1);
    if (instance_load(lh, s, 1, err) != 0) return -1;
    th_strategy *last = s;
    for (int i = 2; i <= n; i++) {
        th_strategy *x = calloc(1, sizeof *x);
        if (!x) { *err = "out of memory loading strategy instances"; return -1; }
        x->head = s;
        last->next = x;
        last = x;
        if (instance_load(lh, x, i, err) != 0) return -1;
    }
    return 0;
}

void th_strategy_release(th_lua *lh, th_strategy *s)
{
    th_strategy *x = s->next;
    s->next = NULL;
    while (x) {
        th_strategy *n = x->next;
        th_lua_release_one(lh, x);
        free(x);
        x = n;
    }
    th_lua_release_one(lh, s);
}

void th_lua_release_one(th_lua *lh, th_strategy *s)
{
    if (s->shadow && lh->L) th_strategy_shadow_discard(lh, s, "the session ended", NULL, 0);
    th_lua_strategy_unregister(s);
    if (!lh->L) return;
    luaL_unref(lh->L, LUA_REGISTRYINDEX, s->mod_ref);
    luaL_unref(lh->L, LUA_REGISTRYINDEX, s->state_ref);
    luaL_unref(lh->L, LUA_REGISTRYINDEX, s->ctx_ref);
    s->mod_ref = s->state_ref = s->ctx_ref = LUA_NOREF;
}

/* Extract "file:line" from the first line of an error message for the structured log field. */
static void error_location(const char *msg, char *out, size_t cap)
{
    const char *colon = strchr(msg, ':');
    const char *colon2 = colon ? strchr(colon + 1, ':') : NULL;
    size_t n = colon2 ? (size_t)(colon2 - msg) : 0;
    if (n >= cap) n = cap - 1;
    memcpy(out, msg, n);
    out[n] = 0;
}

/* The strategy's own on_fault(state, ctx, err), after the host has acted on the fault (orders
 * cancelled unless strategy.on_fault = "keep"): a place to log or to note it in th.store. The
 * strategy is already faulted, so an error here is logged and changes nothing. */
static void call_on_fault_hook(th_lua *lh, th_strategy *s)
{
    lua_State *L = lh->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->mod_ref);
    lua_getfield(L, -1, "on_fault");
    lua_remove(L, -2);
    if (!lua_isfunction(L, -1)) { lua_pop(L, 1); return; }
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->state_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->ctx_ref);
    lua_pushstring(L, s->fault_error);
    running_mark before;
    running_begin(&before, s, "on_fault");
    int rc = th_lua_pcall(lh, 3, 0);
    running_end(&before);
    if (rc != 0) {
        char q[sizeof lh->error + 64];
        th_log_quote(lh->error, q, sizeof q);
        th_logf(TH_LOG_ERROR, "on_fault raised (the strategy stays faulted)", "strategy=%s error=%s", s->name, q);
    }
}

/* The strategy_over_budget counter of one callback, registered at its first over-budget call (the
 * labels are the host's literal callback names: "on_book", "timer", "reload", ...). -1 past the
 * table (the metric calls then do nothing). */
static int32_t over_budget_metric(th_strategy *s, const char *label)
{
    for (int32_t i = 0; i < s->nover; i++)
        if (s->over[i].callback == label || strcmp(s->over[i].callback, label) == 0) return s->over[i].metric;
    if (s->nover == (int32_t)(sizeof s->over / sizeof s->over[0])) return -1;
    char name[192];
    const char *e;
    int32_t id = -1;
    snprintf(name, sizeof name, "strategy_over_budget{strategy=\"%s\",callback=\"%s\"}", s->name, label);
    th_metric_register(name, TH_METRIC_COUNTER, &id, &e);
    s->over[s->nover].callback = label;
    s->over[s->nover++].metric = id;
    return id;
}

/* A shadow's callback raised: the shadow stops (its intents are no longer compared), nothing else
 * changes: no orders are touched (it has none), the live strategy runs on, the host's fault count
 * and /health do not see it. th.shadow.report() and the discard/promote log show it. */
static int shadow_faulted(th_lua *lh, th_strategy *s, const char *label)
{
    char where[256];
    error_location(lh->error, where, sizeof where);
    s->faulted = true;
    s->errors++;
    th_metric_inc(s->m_errors);
    snprintf(s->fault_callback, sizeof s->fault_callback, "%s", label);
    size_t line = strcspn(lh->error, "\n");
    snprintf(s->fault_error, sizeof s->fault_error, "%.*s", (int)line, lh->error);
    s->fault_ns = th_clock_ns();
    char q[sizeof lh->error + 64];
    th_log_quote(lh->error, q, sizeof q);
    th_logf(TH_LOG_ERROR, "shadow faulted: the shadow stops, the live strategy runs on", "strategy=%s callback=%s where=%s error=%s",
            s->shadow_of->name, label, where, q);
    th_lua_timers_combine(s->shadow_of); /* its timers no longer count */
    return -1;
}

/* The stack holds, from h: the error handler, the function, and its arguments state, ctx and
 * nargs more. Calls it under the strategy's budget and fault isolation; `label` names it in logs
 * and the fault, `pair` is its symbol argument ("" none) for the watchdog's line. */
static int invoke_at(th_lua *lh, th_strategy *s, const char *label, int h, int nargs, const char *pair, size_t pair_len)
{
    int64_t t0 = th_ticks(); /* one read starts both the budget and the watchdog's clock */
    running_mark before;
    running_begin_at(&before, s, label, t0, pair, pair_len);
    int rc = pcall_at(lh, h, nargs + 2, 0);
    int64_t dt = th_ticks_to_ns(th_ticks() - t0);
    /* A count hook cannot interrupt compiled traces, so the budget is measured, not enforced:
     * an over-budget callback is logged and counted per callback for the operator to see (past
     * strategy.stuck_s the watchdog thread ends the process: shutdown.c). */
    bool over = (double)dt > s->budget_ms * 1e6;
    char pair_copy[sizeof th_lua_now.pair];
    if (over) memcpy(pair_copy, th_lua_now.pair, sizeof pair_copy); /* this call's until running_end */
    running_end(&before);
    th_metric_observe(s->m_cb_ns, dt);
    if (over) {
        int32_t m = over_budget_metric(s, label);
        if (m >= 0) th_metric_inc(m);
        th_logf(TH_LOG_WARN, "strategy callback over budget", "strategy=%s callback=%s pair=%s ms=%.3f budget_ms=%.3f",
                s->name, label, pair_copy[0] ? pair_copy : "none", (double)dt / 1e6, s->budget_ms);
    }
    if (rc != 0 && s->shadow_of) return shadow_faulted(lh, s, label);
    if (rc != 0) {
        char where[256];
        error_location(lh->error, where, sizeof where);
        s->faulted = true;
        s->errors++;
        th_metric_inc(s->m_errors);
        snprintf(s->fault_callback, sizeof s->fault_callback, "%s", label);
        size_t line = strcspn(lh->error, "\n"); /* the message; the traceback goes to the log */
        snprintf(s->fault_error, sizeof s->fault_error, "%.*s", (int)line, lh->error);
        s->fault_ns = th_clock_ns();
        s->fault_orders_cancelled = 0;
        char q[sizeof lh->error + 64];
        th_log_quote(lh->error, q, sizeof q);
        th_logf(TH_LOG_ERROR, "strategy faulted: callbacks stopped until reload",
                "strategy=%s callback=%s where=%s error=%s", s->name, label, where, q);
        if (s->head && s->head->next) th_lua_timers_combine(s); /* its timers no longer count */
        th_strategy *h = s->head ? s->head : s; /* the session set the head's hook for every instance */
        if (h->on_fault) h->on_fault(h->on_fault_ctx, s);
        call_on_fault_hook(lh, s);
        return -1;
    }
    return 0;
}

/* The function sits below its nargs arguments on the stack: call it as fn(state, ctx, args...). */
static int strategy_invoke(th_lua *lh, th_strategy *s, const char *label, int nargs)
{
    lua_State *L = lh->L;
    int fn_idx = lua_gettop(L) - nargs;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->state_ref);
    lua_insert(L, fn_idx + 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->ctx_ref);
    lua_insert(L, fn_idx + 2);
    size_t pair_len = 0; /* the symbol argument (on_book, on_book_health), for the watchdog's line */
    const char *pair = nargs > 0 && lua_type(L, fn_idx + 3) == LUA_TSTRING ? lua_tolstring(L, fn_idx + 3, &pair_len) : "";
    push_traceback(lh);
    lua_insert(L, fn_idx);
    return invoke_at(lh, s, label, fn_idx, nargs, pair, pair_len);
}

/* Pushes the module's field cb (as lua_getfield would: metamethods apply). */
static void push_callback(th_lua *lh, th_strategy *s, const char *cb)
{
    lua_State *L = lh->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->mod_ref);
    push_cb_key(lh, cb);
    lua_gettable(L, -2);
    lua_replace(L, -2);
}

int th_lua_call_one(th_lua *lh, th_strategy *s, const char *cb, int nargs)
{
    lua_State *L = lh->L;
    if (s->faulted || s->mod_ref == LUA_NOREF) { lua_pop(L, nargs); return 0; }
    push_callback(lh, s, cb);
    if (!lua_isfunction(L, -1)) { lua_pop(L, 1 + nargs); return 0; }
    lua_insert(L, lua_gettop(L) - nargs); /* function below its args */
    return strategy_invoke(lh, s, cb, nargs);
}

/* With a shadow: the same event to the live strategy, then to its shadow (the arguments copied:
 * the same values), then the two's intents compared. The shadow's outcome never changes the
 * live call's. */
static int call_with_shadow(th_lua *lh, th_strategy *s, const char *cb, int nargs)
{
    if (!s->shadow) return th_lua_call_one(lh, s, cb, nargs);
    for (int i = 0; i < nargs; i++) lua_pushvalue(lh->L, -nargs);
    int rc = th_lua_call_one(lh, s, cb, nargs);
    th_lua_call_one(lh, s->shadow, cb, nargs);
    th_lua_shadow_compare(lh, s, cb);
    return rc;
}

bool th_strategy_hears(const th_strategy *s, const char *symbol)
{
    if (!s->head || !s->head->next || !symbol) return true; /* one instance: every pair is its */
    for (int i = 0; i < s->nsymbols; i++)
        if (strcmp(s->symbols[i].v, symbol) == 0) return true;
    return false;
}

/* Several instances: each hears the events of its own pairs (a book's health, a fill, an order
 * change) and every host-wide one (ticks, halts, the lead market, start and stop). */
int th_strategy_call(th_lua *lh, th_strategy *s, const char *cb, int nargs)
{
    if (!s->next) return call_with_shadow(lh, s, cb, nargs);
    lua_State *L = lh->L;
    char sym[64] = "";
    bool routed = false;
    if (nargs > 0 && strcmp(cb, "on_book_health") == 0 && lua_type(L, -nargs) == LUA_TSTRING) {
        snprintf(sym, sizeof sym, "%s", lua_tostring(L, -nargs));
        routed = true;
    } else if (nargs > 0 && (strcmp(cb, "on_fill") == 0 || strcmp(cb, "on_order") == 0) && lua_istable(L, -nargs)) {
        lua_getfield(L, -nargs, "symbol");
        snprintf(sym, sizeof sym, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
        lua_pop(L, 1);
        routed = true;
    }
    int rc = 0;
    for (th_strategy *x = s; x; x = x->next) {
        if (routed && !th_strategy_hears(x, sym)) continue;
        for (int i = 0; i < nargs; i++) lua_pushvalue(L, -nargs);
        if (call_with_shadow(lh, x, cb, nargs) != 0) rc = -1;
    }
    lua_pop(L, nargs);
    return rc;
}

static int strategy_call_symbol_one(th_lua *lh, th_strategy *s, const char *cb, int32_t slot, const char *symbol)
{
    lua_State *L = lh->L;
    if (s->faulted || s->mod_ref == LUA_NOREF) return 0;
    /* pushed in call order: handler, function, state, ctx, symbol (nothing to move) */
    int h = lua_gettop(L) + 1;
    push_traceback(lh);
    push_callback(lh, s, cb);
    if (!lua_isfunction(L, -1)) { lua_settop(L, h - 1); return 0; }
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->state_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->ctx_ref);
    push_symbol(lh, slot, symbol);
    return invoke_at(lh, s, cb, h, 1, symbol, strlen(symbol));
}

int th_strategy_call_symbol(th_lua *lh, th_strategy *s, const char *cb, int32_t slot, const char *symbol)
{
    int rc = 0;
    for (th_strategy *x = s; x; x = x->next) {
        if (s->next && !th_strategy_hears(x, symbol)) continue;
        if (strategy_call_symbol_one(lh, x, cb, slot, symbol) != 0) rc = -1;
        if (x->shadow) {
            strategy_call_symbol_one(lh, x->shadow, cb, slot, symbol);
            th_lua_shadow_compare(lh, x, cb);
        }
    }
    return rc;
}

/* th/timers.lua's due(name, now) lists the timers due (rescheduled or removed already), and its
 * fire(state, ctx, handle) calls one unless an earlier one in the batch cancelled it. */
static int timers_run_one(th_lua *lh, th_strategy *s, int64_t now)
{
    lua_State *L = lh->L;
    if (s->faulted || s->mod_ref == LUA_NOREF || s->timer_own_due_ns > now) return 0;
    if (th_lua_require_field(lh, "th.timers", "due") != 0) {
        th_logf(TH_LOG_ERROR, "timers: th.timers.due failed", "strategy=%s", s->name);
        s->timer_own_due_ns = INT64_MAX;
        th_lua_timers_combine(s->shadow_of ? s->shadow_of : s);
        return -1;
    }
    lua_pushstring(L, s->name);
    lua_pushnumber(L, (lua_Number)now);
    if (th_lua_pcall(lh, 2, 1) != 0) {
        th_logf(TH_LOG_ERROR, "timers: th.timers.due failed", "strategy=%s", s->name);
        s->timer_own_due_ns = INT64_MAX;
        th_lua_timers_combine(s->shadow_of ? s->shadow_of : s);
        return -1;
    }
    int list = lua_gettop(L);
    int n = lua_istable(L, list) ? (int)lua_objlen(L, list) : 0;
    int rc = 0;
    for (int i = 1; i <= n && rc == 0 && !s->faulted; i++) {
        if (th_lua_require_field(lh, "th.timers", "fire") != 0) { rc = -1; break; }
        lua_rawgeti(L, list, i);
        s->timers_fired++;
        rc = strategy_invoke(lh, s, "timer", 1);
    }
    lua_settop(L, list - 1);
    return rc;
}

/* The live strategy's due timers, then its shadow's (whose intents wait for the next event's
 * comparison: a timer armed at another phase would otherwise always differ). */
int th_strategy_timers_run(th_lua *lh, th_strategy *s)
{
    int64_t now = th_clock_ns();
    if (s->mod_ref == LUA_NOREF || !th_strategy_timers_due(s, now)) return 0;
    int rc = 0;
    for (th_strategy *x = s; x; x = x->next) {
        if (timers_run_one(lh, x, now) != 0) rc = -1;
        if (x->shadow) timers_run_one(lh, x->shadow, now);
    }
    return rc;
}

/* The head's timer_due_ns (what the loop waits for): the earliest of every unfaulted instance's
 * and shadow's own timers. */
void th_lua_timers_combine(th_strategy *s)
{
    th_strategy *h = s->head ? s->head : s;
    int64_t due = INT64_MAX;
    for (th_strategy *x = h; x; x = x->next) {
        if (!x->faulted && x->timer_own_due_ns < due) due = x->timer_own_due_ns;
        th_strategy *sh = x->shadow;
        if (!sh) continue;
        sh->timer_due_ns = sh->timer_own_due_ns;
        if (!sh->faulted && sh->timer_own_due_ns < due) due = sh->timer_own_due_ns;
    }
    h->timer_due_ns = due;
    if (h->on_timers) h->on_timers(h->on_timers_ctx, h);
}

bool th_strategy_group_faulted(const th_strategy *s)
{
    for (const th_strategy *x = s->head ? s->head : s; x; x = x->next)
        if (!x->faulted) return false;
    return true;
}

bool th_lua_running_may_trade(const char *symbol, const char **owner)
{
    *owner = NULL;
    const th_strategy *r = g_running;
    if (!r || r->shadow_of || !r->head || !r->head->next) return true;
    for (int i = 0; i < r->nsymbols; i++)
        if (r->symbols[i].trades && strcmp(r->symbols[i].v, symbol) == 0) return true;
    for (const th_strategy *x = r->head; x; x = x->next)
        for (int i = 0; i < x->nsymbols; i++)
            if (x->symbols[i].trades && strcmp(x->symbols[i].v, symbol) == 0) *owner = x->name;
    return false;
}

const th_strategy *th_lua_running_instance(void)
{
    const th_strategy *r = g_running;
    if (!r || r->shadow_of || !r->head || !r->head->next) return NULL;
    return r;
}

int32_t th_shadow_role(void)
{
    if (!g_running) return 0;
    return g_running->shadow_of ? 2 : g_running->shadow ? 1 : 0;
}

/* The state and ctx tables stay the same objects. */
void th_lua_reload_swap(th_lua *lh, th_strategy *s, bool with_config)
{
    lua_State *L = lh->L;
    luaL_unref(L, LUA_REGISTRYINDEX, s->mod_ref);
    s->mod_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (with_config) {
        luaL_unref(L, LUA_REGISTRYINDEX, lh->config_ref);
        lh->config_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        s->budget_ms = th_lua_cfg_number(lh, "strategy.budget_ms", s->budget_ms);
    }
    s->reloads++; /* successful ones only: a refused reload is a reload_failure */
    th_metric_inc(s->m_reloads);
    bool was_faulted = s->faulted;
    s->faulted = false;
    s->fault_callback[0] = s->fault_error[0] = 0;
    if (was_faulted) th_lua_timers_combine(s); /* its timers run again */
    th_logf(TH_LOG_INFO, "strategy reloaded", "strategy=%s path=%s reloads=%llu%s", s->name, s->path,
            (unsigned long long)s->reloads, was_faulted ? " unfaulted=true" : "");
}

int th_strategy_reload(th_lua *lh, th_strategy *s, const char *cfg_path, const char *cfg_dir, char *msg, size_t cap)
{
    if (cfg_path && (s->next || th_lua_config_has_instances(lh))) /* lua_instances.c */
        return th_lua_reload_instances(lh, s, cfg_path, cfg_dir, msg, cap);
    lua_State *L = lh->L;
    int top = lua_gettop(L);
    bool with_config = cfg_path != NULL;
    if (th_lua_require_field(lh, "th.runtime", with_config ? "reload_all" : "reload") == 0) {
        lua_pushstring(L, s->path);
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->state_ref);
        if (with_config) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, s->ctx_ref);
            lua_pushstring(L, cfg_path);
            if (cfg_dir) lua_pushstring(L, cfg_dir);
            else lua_pushnil(L);
        } else {
            lua_rawgeti(L, LUA_REGISTRYINDEX, lh->config_ref);
        }
        running_mark before;
        running_begin(&before, s, "reload");
        /* reload_all: mod, cfg, summary, diff (or nil, err); reload: mod (or nil, err) */
        int rc = th_lua_pcall(lh, with_config ? 5 : 3, with_config ? 3 : 2);
        running_end(&before);
        if (rc == 0) {
            int first = top + 1;
            if (!lua_isnil(L, first)) {
                const char *sum = with_config ? lua_tostring(L, first + 2) : NULL;
                if (msg) snprintf(msg, cap, "%s", sum ? sum : "code reloaded");
                if (with_config) {
                    lua_pop(L, 1);     /* the summary: mod, cfg left */
                    lua_insert(L, -2); /* cfg, mod: th_lua_reload_swap takes the module first */
                } else {
                    lua_pop(L, 1);
                }
                th_lua_reload_swap(lh, s, with_config);
                lua_settop(L, top);
                return 0;
            }
            snprintf(lh->error, sizeof lh->error, "%s", lua_tostring(L, first + 1) ? lua_tostring(L, first + 1) : "reload failed");
        }
    }
    lua_settop(L, top);
    s->reload_failures++;
    th_metric_inc(s->m_reload_failures);
    if (msg) snprintf(msg, cap, "%s", lh->error);
    char q[sizeof lh->error + 64];
    th_log_quote(lh->error, q, sizeof q);
    th_logf(TH_LOG_ERROR, "strategy reload failed: old code keeps running", "strategy=%s error=%s", s->name, q);
    return -1;
}

/* ---- the REPL's reload(): th.host.reload, a C function th/repl.lua calls after a chunk ---- */

static th_lua_reload_fn g_reload_fn;
static void *g_reload_ctx;

void th_lua_on_reload(th_lua_reload_fn fn, void *ctx)
{
    g_reload_fn = fn;
    g_reload_ctx = ctx;
}

/* th.host.reload() -> ok (boolean), message (what changed, or the error) */
static int l_host_reload(lua_State *L)
{
    static char msg[8192];
    if (!g_reload_fn) {
        lua_pushboolean(L, 0);
        lua_pushstring(L, "this host has no session to reload");
        return 2;
    }
    int rc = g_reload_fn(g_reload_ctx, msg, sizeof msg);
    lua_pushboolean(L, rc == 0);
    lua_pushstring(L, msg);
    return 2;
}

static th_lua_shadow_fn g_shadow_fn;
static void *g_shadow_ctx;

void th_lua_on_shadow(th_lua_shadow_fn fn, void *ctx)
{
    g_shadow_fn = fn;
    g_shadow_ctx = ctx;
}

/* th.host.shadow(op [, max_diffs]) -> ok (boolean), message */
static int l_host_shadow(lua_State *L)
{
    static char msg[8192];
    const char *op = luaL_checkstring(L, 1);
    int max_diffs = (int)luaL_optinteger(L, 2, 0);
    if (!g_shadow_fn) {
        lua_pushboolean(L, 0);
        lua_pushstring(L, "this host has no session to shadow");
        return 2;
    }
    int rc = g_shadow_fn(g_shadow_ctx, op, max_diffs, msg, sizeof msg);
    lua_pushboolean(L, rc == 0);
    lua_pushstring(L, msg);
    return 2;
}

/* th.host.shadow_fault() -> the running shadow's fault { callback, error, time_ns }, or nil */
static int l_host_shadow_fault(lua_State *L)
{
    for (int i = 0; i < STRATEGIES_MAX; i++)
        if (g_strategies[i] && g_strategies[i]->shadow_of) { th_lua_push_shadow_fault(L, g_strategies[i]); return 1; }
    lua_pushnil(L);
    return 1;
}

/* th.host.as_instance(index, fn, ...) -> fn(...) run as instance `index` of the host's strategies
 * (its timers, its store): th/runtime.lua reload_instances runs each migrate so. */
static int l_host_as_instance(lua_State *L)
{
    int index = (int)luaL_checkinteger(L, 1);
    th_strategy *x = NULL;
    for (int i = 0; i < STRATEGIES_MAX && !x; i++)
        if (g_strategies[i] && !g_strategies[i]->shadow_of && g_strategies[i]->instance == index) x = g_strategies[i];
    if (!x) return luaL_error(L, "no strategy instance %d", index);
    lua_remove(L, 1);
    running_mark before;
    running_begin(&before, x, "reload");
    int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    running_end(&before);
    if (rc != 0) return lua_error(L);
    return lua_gettop(L);
}

/* th.host.instance(id) -> state, ctx of the strategy instance named id (its ctx.name), or nil,
 * err listing the ids: the REPL's instance(id) (th/repl.lua). */
static int l_host_instance(lua_State *L)
{
    const char *id = luaL_checkstring(L, 1);
    char ids[256] = "";
    size_t n = 0;
    for (int i = 0; i < STRATEGIES_MAX; i++) {
        const th_strategy *x = g_strategies[i];
        if (!x || x->shadow_of || x->state_ref == LUA_NOREF) continue;
        if (strcmp(x->name, id) == 0) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, x->state_ref);
            lua_rawgeti(L, LUA_REGISTRYINDEX, x->ctx_ref);
            return 2;
        }
        if (n < sizeof ids) n += (size_t)snprintf(ids + n, sizeof ids - n, "%s%s", n ? ", " : "", x->name);
    }
    lua_pushnil(L);
    lua_pushfstring(L, "no strategy instance %s (instances: %s)", id, ids[0] ? ids : "none");
    return 2;
}

static void register_host_module(lua_State *L)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_newtable(L);
    lua_pushcfunction(L, l_host_reload);
    lua_setfield(L, -2, "reload");
    lua_pushcfunction(L, l_host_shadow);
    lua_setfield(L, -2, "shadow");
    lua_pushcfunction(L, l_host_as_instance);
    lua_setfield(L, -2, "as_instance");
    lua_pushcfunction(L, l_host_instance);
    lua_setfield(L, -2, "instance");
    lua_pushcfunction(L, l_host_shadow_fault);
    lua_setfield(L, -2, "shadow_fault");
    lua_setfield(L, -2, "th.host");
    lua_pop(L, 2);
}

/* ---- REPL chunks (th/repl.lua does the evaluating; host/app/repl.c owns the socket) ---- */

int th_lua_repl_env(th_lua *lh, th_strategy *s, bool readonly)
{
    lua_State *L = lh->L;
    if (th_lua_require_field(lh, "th.repl", "env") != 0) return -1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s ? s->state_ref : LUA_NOREF);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s ? s->ctx_ref : LUA_NOREF);
    lua_pushboolean(L, readonly);
    if (th_lua_pcall(lh, 3, 1) != 0) return -1;
    return luaL_ref(L, LUA_REGISTRYINDEX); /* a table: always > 0 */
}

void th_lua_unref(th_lua *lh, int ref)
{
    if (lh->L && ref > 0) luaL_unref(lh->L, LUA_REGISTRYINDEX, ref);
}

int th_lua_repl_eval(th_lua *lh, const char *fn, int env_ref, const char *chunk, size_t len, char *out, size_t cap,
                     size_t *out_n, bool *incomplete)
{
    lua_State *L = lh->L;
    *incomplete = false;
    *out_n = 0;
    if (env_ref <= 0) { *out_n = (size_t)snprintf(out, cap, "error: the REPL environment could not be made\n"); return -1; }
    if (th_lua_require_field(lh, "th.repl", fn) != 0) { *out_n = (size_t)snprintf(out, cap, "error: %s\n", lh->error); return -1; }
    lua_rawgeti(L, LUA_REGISTRYINDEX, env_ref);
    lua_pushlstring(L, chunk, len);
    lua_pushnumber(L, (lua_Number)cap);
    if (th_lua_pcall(lh, 3, 2) != 0) { *out_n = (size_t)snprintf(out, cap, "error: %s\n", lh->error); return -1; }
    size_t n = 0;
    const char *text = lua_tolstring(L, -2, &n);
    *incomplete = lua_toboolean(L, -1);
    if (text) {
        if (n > cap) { /* keep the head and say so: the client asked for too much at once */
            char cut[96];
            int k = snprintf(cut, sizeof cut, "\n... (output cut: %zu bytes, the answer limit is %zu)\n", n, cap);
            size_t keep = cap - (size_t)k;
            memcpy(out, text, keep);
            memcpy(out + keep, cut, (size_t)k);
            n = cap;
        } else {
            memcpy(out, text, n);
        }
        *out_n = n;
    }
    lua_pop(L, 2);
    return 0;
}
