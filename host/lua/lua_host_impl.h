/* lua_host_impl.h — the embedding's internals shared by lua_host.c and lua_shadow.c (nothing
 * outside host/lua includes it): the running-strategy mark, the strategy table, the module
 * lookup and the reload's swap. */
#ifndef TH_LUA_HOST_IMPL_H
#define TH_LUA_HOST_IMPL_H

#include <stdbool.h>

#include "lua_host.h"

/* Marks the strategy callback that runs until the matching th_lua_running_end (calls may nest: a
 * nested one puts back the outer one's mark; the outermost only clears it). */
typedef struct th_running_mark {
    bool nested;              /* a strategy callback was running: lua_now is its mark */
    th_lua_running lua_now;
    th_strategy *strategy;
} th_running_mark;

void th_lua_running_begin(th_running_mark *before, th_strategy *s, const char *callback);
void th_lua_running_end(const th_running_mark *before);

/* Pushes require(module)[field]; -1 with lh->error on failure (nothing pushed). */
int th_lua_require_field(th_lua *lh, const char *module, const char *field);

/* The host's strategies (th.risk.status, timers by name). th_lua_strategy_order: head's instances
 * first, in their chain's order (th.strategies() lists them so), after a reload changed them. */
void th_lua_strategy_register(th_strategy *s);
void th_lua_strategy_unregister(th_strategy *s);
void th_lua_strategy_order(th_strategy *head);

/* An instance's parts, for lua_instances.c (instances a reload adds and removes): its metrics
 * registered by its name; its pairs (cfg._instances[index]) read into s->symbols; its Lua
 * references and registration dropped; one callback of s alone (not its chain), as
 * th_strategy_call would call it. */
void th_lua_strategy_metrics(th_strategy *s);
int th_lua_instance_symbols(th_lua *lh, th_strategy *s, int index);
void th_lua_release_one(th_lua *lh, th_strategy *s);
int th_lua_call_one(th_lua *lh, th_strategy *s, const char *cb, int nargs);

/* lua_instances.c: whether the running config lists `strategies`; the reload of several
 * instances (th_strategy_reload with a config). */
bool th_lua_config_has_instances(th_lua *lh);
int th_lua_reload_instances(th_lua *lh, th_strategy *s, const char *cfg_path, const char *cfg_dir, char *msg, size_t cap);

/* The new module is on top of the stack (and, with a config, the new config below it): swap them
 * in, count the reload, clear a fault. */
void th_lua_reload_swap(th_lua *lh, th_strategy *s, bool with_config);

/* A strategy's timer due time from its own and its (unfaulted) shadow's; tells the loop. */
void th_lua_timers_combine(th_strategy *s);

/* After a mirrored event: th/shadow.lua compares what the live strategy and its shadow intended. */
void th_lua_shadow_compare(th_lua *lh, th_strategy *s, const char *callback);

/* Pushes a shadow's fault as { callback, error, time_ns }, or nil while it has none. */
void th_lua_push_shadow_fault(lua_State *L, const th_strategy *sh);

#endif
