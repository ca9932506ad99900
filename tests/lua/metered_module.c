/* metered_module.c — a Lua C module for tests/lua/metered_spec.lua: the metered stand-ins of
 * lua_metered.c callable from busted next to LuaJIT's own functions, and a budgeted run in a
 * fresh Lua state with the host's budget installed (lua_budget.c), as the REPL has it. */
#include "lua_budget.h"
#include "lua_metered.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <time.h>

/* budgeted(code, instructions, seconds) -> status ("ok" | "error" | "stopped"), text, ms.
 * text is the chunk's first result as a string (tostring) or the error/stop message; ms is the
 * thread's CPU time in the run: what the stop cost in work. (Wall time also counted the time the
 * scheduler gave to other processes: 2-4 s on a loaded CI machine for a run that stops in 0.3 s.) */
static int l_budgeted(lua_State *L)
{
    size_t len;
    const char *code = luaL_checklstring(L, 1, &len);
    double instructions = luaL_optnumber(L, 2, 1e7), seconds = luaL_optnumber(L, 3, 1);
    lua_State *S = luaL_newstate();
    if (!S) return luaL_error(L, "no memory for a Lua state");
    luaL_openlibs(S);
    const char *err = NULL;
    if (th_budget_install(S, &err) != 0) {
        lua_close(S);
        return luaL_error(L, "th_budget_install: %s", err);
    }
    lua_getglobal(S, "require");
    lua_pushstring(S, "th.budget");
    lua_call(S, 1, 1);
    lua_getfield(S, -1, "run");
    if (luaL_loadbuffer(S, code, len, "=budgeted") != 0) {
        lua_pushstring(L, "error");
        lua_pushstring(L, lua_tostring(S, -1));
        th_budget_close(S);
        return 2;
    }
    lua_newtable(S);
    lua_pushnumber(S, instructions);
    lua_setfield(S, -2, "instructions");
    lua_pushnumber(S, seconds);
    lua_setfield(S, -2, "seconds");
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    lua_call(S, 2, 2);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    const char *status = lua_isnil(S, -2) ? "stopped" : lua_toboolean(S, -2) ? "ok" : "error";
    lua_getglobal(S, "tostring");
    lua_pushvalue(S, -2);
    lua_call(S, 1, 1);
    lua_pushstring(L, status);
    lua_pushstring(L, lua_tostring(S, -1));
    lua_pushnumber(L, (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
    th_budget_close(S);
    return 3;
}

int luaopen_th_metered_spec(lua_State *L);
int luaopen_th_metered_spec(lua_State *L)
{
    lua_newtable(L);
    th_metered_push_functions(L);
    lua_setfield(L, -2, "functions");
    lua_pushcfunction(L, l_budgeted);
    lua_setfield(L, -2, "budgeted");
    return 1;
}
