/* lua_budget.h — runs Lua code the host cannot trust to end (REPL chunks, config files) under a
 * budget of VM instructions, wall-clock time and Lua heap growth, and guards the few library
 * functions that could take the budget away.
 *
 * From Lua: `require("th.budget").run(fn, { instructions = N, seconds = S, memory = BYTES,
 * heap = BYTES })` returns `true, results...` when fn returned, `false, message` when fn raised
 * (the error object is turned into text without calling any of its metamethods), and
 * `nil, message` when the budget stopped it. See lua_budget.c for how each escape is closed. */
#ifndef TH_LUA_BUDGET_H
#define TH_LUA_BUDGET_H

#include <stddef.h>

typedef struct lua_State lua_State;

/* Once per state, after luaL_openlibs: the allocator wrapper, the guards (debug.sethook, jit.on,
 * newproxy, os.exit) and package.loaded["th.budget"]. Returns 0, or -1 with *err set. */
int th_budget_install(lua_State *L, const char **err);
/* lua_close, then frees what th_budget_install allocated. */
void th_budget_close(lua_State *L);

/* os.exit from any Lua code calls fn(ctx, status) instead of ending the process; the host then
 * stops gracefully (orders cancelled, journal closed). Without a handler os.exit exits as usual. */
void th_budget_on_exit(void (*fn)(void *ctx, int status), void *ctx);

#endif
