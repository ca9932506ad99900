/* lua_budget.c — budgeted runs of untrusted Lua (see lua_budget.h).
 *
 * The host has one thread: Lua that never ends freezes quoting, order handling and signal
 * handling. So a REPL chunk or a config file runs as `th.budget.run(fn, limits)`:
 *
 *   - In its own coroutine, with a count hook every HOOK_STEP instructions that checks the
 *     instruction count and the wall clock. Once over budget the hook re-arms itself for every
 *     instruction and, in the run's coroutine, yields out of it: the host abandons the coroutine,
 *     so no pcall inside it can swallow the stop. In any other coroutine (one the code made) it
 *     raises on every instruction, which unwinds to a coroutine boundary, and the next instruction
 *     in the run's coroutine yields.
 *   - With the JIT off and every trace flushed: a count hook never fires inside compiled code, and
 *     a trace made earlier (a loop in a library or strategy function the code calls) could run for
 *     as long as the code's data says. Strategies' hot code is compiled again afterwards.
 *   - With a byte budget on Lua heap growth, enforced by an allocator wrapper (lua_setallocf works
 *     on Debian 12's LuaJIT 2.1, GC64 build: checked at install, refused loudly if not), and a
 *     ceiling on the whole heap so that runs cannot pile memory up across calls. One allocation
 *     (string.rep("x", 2^30)) is one instruction: only the allocator can refuse it.
 *   - With metered stand-ins (lua_metered.c) for the calls that do unbounded work in one
 *     instruction: pattern matching and table.sort.
 *   - debug.sethook is reserved for the host (in every Lua of the process: nothing else needs it),
 *     jit.on and newproxy (whose __gc would run later with hooks off, LuaJIT runs finalizers
 *     without hooks) are refused while a run is active, and os.exit is routed to the host's
 *     graceful stop (orders cancelled, journal closed) instead of ending the process.
 *
 * What stays out of reach by design: code that has `ffi` or the full `debug` library can call any
 * C function (lua_sethook, exit) or finalizer; that is the full REPL, an operator console with
 * the host's powers (docs/ops.md). The read-only REPL and config files get neither. */
#include "lua_budget.h"

#include "lua_metered.h"

#include <lauxlib.h>
#include <lua.h>
#include <luajit.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOOK_STEP 100

/* The library functions that a run gets metered stand-ins for (lua_metered.c). */
static const struct { const char *lib, *name, *key; } METERED[] = {
    {"string", "find", "string.find"}, {"string", "match", "string.match"}, {"string", "gmatch", "string.gmatch"},
    {"string", "gsub", "string.gsub"}, {"table", "sort", "table.sort"},
};
#define METERED_N 5

/* One per Lua state: the allocator being wrapped and what the heap holds. */
typedef struct heap_rec {
    lua_Alloc orig;
    void *orig_ud;
    int64_t heap;
    int lib_ref[METERED_N];   /* the library table each metered function lives in */
    int metered_ref, native_ref; /* "lib.name" -> function, both kinds */
} heap_rec;

/* The active run (one at a time in a process: runs cannot nest). */
static struct {
    bool active, over, every;
    lua_State *co;
    heap_rec *rec;
    double limit, used;
    int64_t deadline_ns, started_ns;
    int64_t mem_used, mem_limit, heap_cap;
    char why[320];
    bool jit_on;
    void (*exit_fn)(void *, int);
    void *exit_ctx;
} B;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void stop(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void stop(const char *fmt, ...)
{
    if (B.over) return;
    B.over = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(B.why, sizeof B.why, fmt, ap);
    va_end(ap);
}

static void *budget_alloc(void *ud, void *p, size_t osize, size_t nsize)
{
    heap_rec *h = ud;
    if (B.active && B.rec == h && nsize > osize) {
        int64_t grow = (int64_t)(nsize - osize);
        if (B.mem_used + grow > B.mem_limit || h->heap + grow > B.heap_cap) {
            if (B.mem_used + grow > B.mem_limit)
                stop("stopped: the memory budget of %lld MiB was exceeded (an allocation of %zu bytes was refused)",
                     (long long)(B.mem_limit >> 20), nsize);
            else
                stop("stopped: the Lua heap would pass its ceiling of %lld MiB (an allocation of %zu bytes was refused)",
                     (long long)(B.heap_cap >> 20), nsize);
            return NULL;
        }
    }
    void *r = h->orig(h->orig_ud, p, osize, nsize);
    if (r || nsize == 0) {
        int64_t delta = (int64_t)nsize - (int64_t)osize;
        h->heap += delta;
        if (B.active && B.rec == h) B.mem_used += delta;
    }
    return r;
}

static void hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (!B.active) return;
    if (!B.over) {
        B.used += HOOK_STEP;
        if (B.used > B.limit)
            stop("stopped after %.0f instructions (budget %.0f)", B.used, B.limit);
        else if (mono_ns() > B.deadline_ns)
            stop("stopped after %.0f ms (budget %.0f ms)",
                 (double)(mono_ns() - B.started_ns) / 1e6, (double)(B.deadline_ns - B.started_ns) / 1e6);
        if (!B.over) return;
    }
    if (!B.every) { /* from now on every instruction comes here */
        B.every = true;
        lua_sethook(L, hook, LUA_MASKCOUNT, 1);
    }
    if (L == B.co) lua_yield(L, 0); /* does not return; raises instead where it cannot yield */
    luaL_error(L, "%s", B.why);
}

/* Puts the functions of table `from_ref` ("lib.name" -> function) into their libraries (the
 * string library is also where strings' methods come from). */
static void swap_metered(lua_State *L, heap_rec *h, int from_ref)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, from_ref);
    for (int i = 0; i < METERED_N; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, h->lib_ref[i]);
        lua_getfield(L, -2, METERED[i].key);
        lua_setfield(L, -2, METERED[i].name);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

uint64_t th_pattern_steps_left(void)
{
    if (!B.active) return UINT64_MAX;
    return B.used >= B.limit ? 0 : (uint64_t)(B.limit - B.used);
}

void th_pattern_charge(uint64_t steps)
{
    if (B.active) B.used += (double)steps;
}

void th_pattern_over(lua_State *L, uint64_t steps)
{
    B.used += (double)steps;
    stop("stopped after %.0f instructions, in a pattern match or sort (budget %.0f)", B.used, B.limit);
    luaL_error(L, "%s", B.why);
    abort(); /* not reached: luaL_error does not return */
}

void th_pattern_check_clock(lua_State *L)
{
    if (!B.active || mono_ns() <= B.deadline_ns) return;
    stop("stopped after %.0f ms, in a pattern match or sort (budget %.0f ms)",
         (double)(mono_ns() - B.started_ns) / 1e6, (double)(B.deadline_ns - B.started_ns) / 1e6);
    luaL_error(L, "%s", B.why);
}

static double opt_field(lua_State *L, int t, const char *k, double dflt)
{
    lua_getfield(L, t, k);
    double v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : dflt;
    lua_pop(L, 1);
    return v;
}

/* The error object as text, without calling __tostring or any other metamethod. */
static void push_error_text(lua_State *L, lua_State *co)
{
    int t = lua_type(co, -1);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        size_t n;
        const char *s = lua_tolstring(co, -1, &n);
        lua_pushlstring(L, s, n);
    } else {
        lua_pushfstring(L, "(error object is a %s value)", lua_typename(co, t));
    }
}

/* run(fn, limits) -> true, results... | false, error text | nil, why it was stopped */
static int l_run(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    luaL_checktype(L, 2, LUA_TTABLE);
    if (B.active) return luaL_error(L, "th.budget.run: a budgeted run cannot start another");
    double instructions = opt_field(L, 2, "instructions", 1e7);
    double seconds = opt_field(L, 2, "seconds", 1);
    double memory = opt_field(L, 2, "memory", 64.0 * 1024 * 1024);
    double heap = opt_field(L, 2, "heap", 1024.0 * 1024 * 1024);
    void *ud;
    if (lua_getallocf(L, &ud) != budget_alloc) return luaL_error(L, "th.budget.run: the budget is not installed on this Lua state");
    lua_settop(L, 2);
    lua_State *co = lua_newthread(L); /* stays at index 3 so that it lives until we return */
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);

    B.active = true;
    B.over = B.every = false;
    B.co = co;
    B.rec = ud;
    B.limit = instructions;
    B.used = 0;
    B.started_ns = mono_ns();
    B.deadline_ns = B.started_ns + (int64_t)(seconds * 1e9);
    B.mem_used = 0;
    B.mem_limit = (int64_t)memory;
    B.heap_cap = (int64_t)heap;
    B.why[0] = 0;
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_FLUSH);
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
    swap_metered(L, ud, ((heap_rec *)ud)->metered_ref);
    lua_sethook(co, hook, LUA_MASKCOUNT, HOOK_STEP);

    int st = lua_resume(co, 0);

    lua_sethook(L, NULL, 0, 0);
    B.active = false; /* before anything allocates: the budget is over */
    swap_metered(L, ud, ((heap_rec *)ud)->native_ref);
    if (B.jit_on) luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_ON);
    B.co = NULL;
    B.rec = NULL;

    if (B.over) {
        lua_pushnil(L);
        lua_pushstring(L, B.why);
        return 2;
    }
    if (st == 0) {
        int n = lua_gettop(co);
        if (!lua_checkstack(L, n + 1)) {
            lua_pushnil(L);
            lua_pushstring(L, "too many results");
            return 2;
        }
        lua_pushboolean(L, 1);
        lua_xmove(co, L, n);
        return n + 1;
    }
    if (st == LUA_YIELD) {
        lua_pushnil(L);
        lua_pushstring(L, "stopped: coroutine.yield outside any coroutine the code made");
        return 2;
    }
    lua_pushboolean(L, 0);
    push_error_text(L, co);
    return 2;
}

static int l_sethook_reserved(lua_State *L)
{
    return luaL_error(L, "debug.sethook is reserved by the host: it enforces the budgets of REPL chunks and config files");
}

/* jit.on as LuaJIT's own (engine, a function, or the caller), refused inside a run. */
static int l_jit_on(lua_State *L)
{
    if (B.active) return luaL_error(L, "jit.on is refused inside a budgeted run: compiled code cannot be stopped by the budget");
    int mode = LUAJIT_MODE_ON, idx = 0;
    if (lua_isnoneornil(L, 1)) {
        mode |= LUAJIT_MODE_ENGINE;
    } else {
        if (lua_isfunction(L, 1)) idx = 1;
        else if (!(lua_isboolean(L, 1) && lua_toboolean(L, 1))) return luaL_argerror(L, 1, "function or true expected");
        if (lua_isboolean(L, 2)) mode |= lua_toboolean(L, 2) ? LUAJIT_MODE_ALLFUNC : LUAJIT_MODE_ALLSUBFUNC;
        else mode |= LUAJIT_MODE_FUNC;
    }
    if (luaJIT_setmode(L, idx, mode) != 1) return luaL_error(L, "jit.on: the JIT cannot be turned on here");
    return 0;
}

static int l_newproxy(lua_State *L)
{
    if (B.active) return luaL_error(L, "newproxy is refused inside a budgeted run: its __gc would run later with no budget");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int l_exit(lua_State *L)
{
    int status;
    if (lua_isboolean(L, 1)) status = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
    else status = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
    if (!B.exit_fn) exit(status); /* no session: nothing to cancel or close */
    B.exit_fn(B.exit_ctx, status);
    if (B.active) stop("os.exit(%d): the host is stopping gracefully (orders cancelled, journal closed)", status);
    return 0;
}

static void set_field_fn(lua_State *L, const char *table, const char *field, lua_CFunction fn)
{
    lua_getglobal(L, table);
    if (lua_istable(L, -1)) {
        lua_pushcfunction(L, fn);
        lua_setfield(L, -2, field);
    }
    lua_pop(L, 1);
}

int th_budget_install(lua_State *L, const char **err)
{
    heap_rec *h = calloc(1, sizeof *h);
    if (!h) { *err = "out of memory"; return -1; }
    h->orig = lua_getallocf(L, &h->orig_ud);
    h->heap = (int64_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + lua_gc(L, LUA_GCCOUNTB, 0);
    lua_setallocf(L, budget_alloc, h);
    void *ud;
    if (lua_getallocf(L, &ud) != budget_alloc || ud != h) {
        free(h);
        *err = "this LuaJIT does not let the host wrap its allocator (lua_setallocf): no memory budget possible";
        return -1;
    }
    lua_getglobal(L, "jit");
    lua_getfield(L, -1, "status");
    lua_call(L, 0, 1);
    B.jit_on = lua_toboolean(L, -1);
    lua_pop(L, 2);
    set_field_fn(L, "jit", "on", l_jit_on);
    set_field_fn(L, "debug", "sethook", l_sethook_reserved);
    set_field_fn(L, "os", "exit", l_exit);
    th_metered_push_functions(L);
    h->metered_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    for (int i = 0; i < METERED_N; i++) {
        lua_getglobal(L, METERED[i].lib);
        lua_getfield(L, -1, METERED[i].name);
        lua_setfield(L, -3, METERED[i].key);
        h->lib_ref[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    h->native_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getglobal(L, "newproxy");
    lua_pushcclosure(L, l_newproxy, 1);
    lua_setglobal(L, "newproxy");
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_newtable(L);
    lua_pushcfunction(L, l_run);
    lua_setfield(L, -2, "run");
    lua_setfield(L, -2, "th.budget");
    lua_pop(L, 2);
    return 0;
}

void th_budget_close(lua_State *L)
{
    void *ud = NULL;
    bool ours = lua_getallocf(L, &ud) == budget_alloc;
    lua_close(L);
    if (ours) free(ud);
}

void th_budget_on_exit(void (*fn)(void *ctx, int status), void *ctx)
{
    B.exit_fn = fn;
    B.exit_ctx = ctx;
}
