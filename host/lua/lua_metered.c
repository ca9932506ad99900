/* lua_metered.c — string.find, match, gmatch, gsub and table.sort as budgeted runs get them.
 *
 * Some library calls are one VM instruction and run unbounded inside C, where no count hook
 * fires: a backtracking pattern match (("a"):rep(3000):find(".-.-.-.-b") runs for hours) and
 * table.sort of millions of values (seconds). While a budgeted run is active (lua_budget.c)
 * these functions stand in for LuaJIT's in the string and table libraries; outside a run they
 * are not installed.
 *
 *   - The four string functions are written here over the project's own metered pattern engine
 *     (lua_pattern.c), whose every step is charged to the run's instruction budget (the wall
 *     clock is checked too), so a runaway match is stopped like a loop. Arguments, results and
 *     error messages are LuaJIT 2.1's: tests/lua/metered_spec.lua compares both on thousands of
 *     random patterns and subjects.
 *   - table.sort is LuaJIT's own sort, handed a comparator that is a Lua function (the caller's
 *     comparator, or `<` when none is given): every comparison then runs bytecode, which the
 *     run's count hook charges and can stop. */
#include "lua_metered.h"

#include "lua_pattern.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

/* Patterns up to this size compile on the C stack; longer ones into a userdata. */
#define STACK_PATTERN 4096

/* An integer argument as LuaJIT reads one: a number or numeric string, truncated to 32 bits
 * (out of range and NaN become INT32_MIN). */
static int64_t opt_int(lua_State *L, int arg, int64_t dflt)
{
    if (lua_isnoneornil(L, arg)) return dflt;
    double d = luaL_checknumber(L, arg);
    if (!(d >= -2147483648.0 && d < 2147483648.0)) return INT32_MIN;
    return (int32_t)d;
}

/* A start position (1-based, negative from the end) as an offset in 0..len. */
static size_t start_offset(int64_t init, size_t len)
{
    if (init < 0) init += (int64_t)len + 1;
    if (init < 1) init = 1;
    if (init > (int64_t)len + 1) init = (int64_t)len + 1;
    return (size_t)(init - 1);
}

/* Compiles p into `stack` when it fits, else into a userdata pushed on L (kept there). */
static void compile(lua_State *L, th_pat *pat, void *stack, const char *p, size_t plen, bool anchor)
{
    size_t need = th_pat_space(p, plen);
    void *mem = need <= STACK_PATTERN ? stack : lua_newuserdata(L, need);
    th_pat_compile(pat, mem, p, plen, anchor);
}

/* Pushes capture i of a match of src[s, e). With no captures, "capture 0" is the whole match. */
static void push_capture(th_match *m, const th_pat *pat, int i, size_t s, size_t e)
{
    if (i >= pat->ncaptures) {
        if (i != 0) luaL_error(m->L, "invalid capture index");
        lua_pushlstring(m->L, m->src + s, e - s);
        return;
    }
    size_t len = m->cap[i].len;
    if (len == PAT_CAP_OPEN) luaL_error(m->L, "unfinished capture");
    if (len == PAT_CAP_POSITION) lua_pushinteger(m->L, (lua_Integer)m->cap[i].start + 1);
    else lua_pushlstring(m->L, m->src + m->cap[i].start, len);
}

/* Pushes every capture (or the whole match when whole_if_none and there are none). */
static int push_captures(th_match *m, const th_pat *pat, size_t s, size_t e, bool whole_if_none)
{
    int k = pat->ncaptures == 0 && whole_if_none ? 1 : pat->ncaptures;
    luaL_checkstack(m->L, k, "too many captures");
    for (int i = 0; i < k; i++) push_capture(m, pat, i, s, e);
    return k;
}

/* Any byte that makes a pattern more than a literal string (string.find searches plainly
 * otherwise, over the whole pattern, NULs included). */
static bool has_specials(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (strchr("^$*+?.([%-", p[i]) && p[i] != 0) return true;
    }
    return false;
}

static int find_or_match(lua_State *L, bool find)
{
    size_t n, plen;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *p = luaL_checklstring(L, 2, &plen);
    size_t at = start_offset(opt_int(L, 3, 1), n);
    th_meter meter;
    th_meter_begin(&meter, L);
    if (find && (lua_toboolean(L, 4) || !has_specials(p, plen))) {
        const char *hit = plen == 0 ? s + at : memmem(s + at, n - at, p, plen);
        th_meter_tick(&meter, (n - at) >> 4);
        th_meter_flush(&meter);
        if (!hit) {
            lua_pushnil(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
        lua_pushinteger(L, (lua_Integer)(hit - s + plen));
        return 2;
    }
    alignas(max_align_t) char stack[STACK_PATTERN];
    th_pat pat;
    compile(L, &pat, stack, p, plen, true);
    th_match m = {.L = L, .meter = &meter, .src = s, .n = n};
    size_t end;
    ptrdiff_t start = th_pat_search(&m, &pat, at, &end);
    th_meter_flush(&meter);
    if (start < 0) {
        lua_pushnil(L);
        return 1;
    }
    if (!find) return push_captures(&m, &pat, (size_t)start, end, true);
    lua_pushinteger(L, (lua_Integer)start + 1);
    lua_pushinteger(L, (lua_Integer)end);
    return 2 + push_captures(&m, &pat, (size_t)start, end, false);
}

static int m_find(lua_State *L) { return find_or_match(L, true); }
static int m_match(lua_State *L) { return find_or_match(L, false); }

/* gmatch's iterator. Upvalues: subject, pattern, compiled pattern (userdata), next offset. */
static int gmatch_next(lua_State *L)
{
    size_t n;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &n);
    th_pat pat = *(const th_pat *)lua_touserdata(L, lua_upvalueindex(3));
    size_t at = (size_t)lua_tointeger(L, lua_upvalueindex(4));
    th_meter meter;
    th_meter_begin(&meter, L);
    th_match m = {.L = L, .meter = &meter, .src = s, .n = n};
    size_t end;
    ptrdiff_t start = at <= n ? th_pat_search(&m, &pat, at, &end) : -1;
    th_meter_flush(&meter);
    if (start < 0) {
        lua_pushinteger(L, (lua_Integer)n + 1);
        lua_replace(L, lua_upvalueindex(4));
        return 0;
    }
    lua_pushinteger(L, (lua_Integer)(end == (size_t)start ? end + 1 : end)); /* an empty match moves on one */
    lua_replace(L, lua_upvalueindex(4));
    return push_captures(&m, &pat, (size_t)start, end, true);
}

static int m_gmatch(lua_State *L)
{
    size_t plen;
    luaL_checkstring(L, 1);
    const char *p = luaL_checklstring(L, 2, &plen);
    lua_settop(L, 2);
    /* One userdata: the th_pat header, then the compiled items (which point into the pattern
     * string, kept alive as an upvalue; neither moves). */
    size_t head = (sizeof(th_pat) + alignof(max_align_t) - 1) / alignof(max_align_t) * alignof(max_align_t);
    char *mem = lua_newuserdata(L, head + th_pat_space(p, plen));
    th_pat_compile((th_pat *)mem, mem + head, p, plen, false);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, gmatch_next, 4);
    return 1;
}

/* gsub's replacement string: %0-%9 are captures ("%1" is the whole match when there are
 * none), %x is x for any other x, and a '%' that ends the string adds a NUL (LuaJIT reads the
 * string's terminator there). */
static void add_replacement_string(th_match *m, const th_pat *pat, luaL_Buffer *b, const char *r, size_t rlen,
                                   size_t s, size_t e)
{
    for (size_t i = 0; i < rlen; i++) {
        if (r[i] != '%') {
            luaL_addchar(b, r[i]);
            continue;
        }
        char c = ++i < rlen ? r[i] : 0;
        if (c < '0' || c > '9') {
            luaL_addchar(b, c);
        } else if (c == '0') {
            luaL_addlstring(b, m->src + s, e - s);
        } else {
            push_capture(m, pat, c - '1', s, e);
            luaL_addvalue(b);
        }
    }
}

static int m_gsub(lua_State *L)
{
    size_t n, plen;
    const char *src = luaL_checklstring(L, 1, &n);
    const char *p = luaL_checklstring(L, 2, &plen);
    int rtype = lua_type(L, 3);
    int64_t max = opt_int(L, 4, (int64_t)n + 1);
    luaL_argcheck(L, rtype == LUA_TNUMBER || rtype == LUA_TSTRING || rtype == LUA_TFUNCTION || rtype == LUA_TTABLE, 3,
                  "string/function/table expected");
    lua_settop(L, 3);
    size_t rlen = 0;
    const char *r = rtype == LUA_TNUMBER || rtype == LUA_TSTRING ? lua_tolstring(L, 3, &rlen) : NULL;
    alignas(max_align_t) char stack[STACK_PATTERN];
    th_pat pat;
    compile(L, &pat, stack, p, plen, true); /* a userdata, if any, stays at index 4 */
    th_meter meter;
    th_meter_begin(&meter, L);
    th_match m = {.L = L, .meter = &meter, .src = src, .n = n};
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t at = 0;
    int64_t count = 0;
    while (count < max) {
        /* Offsets where the pattern's first item fails are copied as they are. */
        size_t try = pat.anchored ? at : th_pat_next_start(&m, &pat, at);
        if (try > n) break;
        luaL_addlstring(&b, src + at, try - at);
        at = try;
        ptrdiff_t e = th_pat_match(&m, &pat, at);
        if (e >= 0) {
            count++;
            if (r) {
                add_replacement_string(&m, &pat, &b, r, rlen, at, (size_t)e);
            } else {
                th_meter_flush(&meter); /* the callee's own work is metered by the count hook */
                if (rtype == LUA_TFUNCTION) {
                    lua_pushvalue(L, 3);
                    int k = push_captures(&m, &pat, at, (size_t)e, true);
                    lua_call(L, k, 1);
                } else {
                    push_capture(&m, &pat, 0, at, (size_t)e);
                    lua_gettable(L, 3);
                }
                th_meter_flush(&meter);
                if (!lua_toboolean(L, -1)) { /* false or nil keeps the match as it was */
                    lua_pop(L, 1);
                    lua_pushlstring(L, src + at, (size_t)e - at);
                } else if (!lua_isstring(L, -1)) {
                    return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
                }
                luaL_addvalue(&b);
            }
        }
        if (e > (ptrdiff_t)at) at = (size_t)e;
        else if (at < n) luaL_addchar(&b, src[at++]);
        else break;
        if (pat.anchored) break;
    }
    luaL_addlstring(&b, src + at, n - at);
    th_meter_tick(&meter, n >> 5);
    th_meter_flush(&meter);
    luaL_pushresult(&b);
    lua_pushinteger(L, (lua_Integer)count);
    return 2;
}

/* table.sort(t [, less]): LuaJIT's sort with a Lua comparator. Upvalues: the library's sort and
 * a Lua function that makes the comparator (lua_metered's COMPARATOR below). */
static int m_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, 2);
    lua_call(L, 1, 1);
    if (lua_pcall(L, 2, 0, 0) == 0) return 0;
    /* LuaJIT's sort names its caller's line in this one error of its own; the sort's caller
     * here is this function, so the line is added again, as luaL_error does. Other errors (the
     * comparator's, the budget's) go on as they are. */
    if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "invalid order function for sorting") == 0)
        return luaL_error(L, "invalid order function for sorting");
    return lua_error(L);
}

/* a < b as the library's sort compares when it has no comparator (lua_lessthan: the same
 * metamethods and the same error for values that do not compare). */
static int less_than(lua_State *L)
{
    lua_pushboolean(L, lua_lessthan(L, 1, 2));
    return 1;
}

/* Makes the comparator: the caller's, or less_than, called from a Lua function so that each
 * comparison executes bytecode that the count hook sees. */
static const char COMPARATOR[] =
    "local less_than = ...\n"
    "return function(less)\n"
    "  less = less or less_than\n"
    "  return function(a, b) return less(a, b) end\n"
    "end\n";

void th_metered_push_functions(lua_State *L)
{
    lua_newtable(L);
    static const struct { const char *key; lua_CFunction fn; } STRING_FNS[] = {
        {"string.find", m_find}, {"string.match", m_match}, {"string.gmatch", m_gmatch}, {"string.gsub", m_gsub},
    };
    for (size_t i = 0; i < sizeof STRING_FNS / sizeof STRING_FNS[0]; i++) {
        lua_pushcfunction(L, STRING_FNS[i].fn);
        lua_setfield(L, -2, STRING_FNS[i].key);
    }
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_remove(L, -2);
    if (luaL_loadbuffer(L, COMPARATOR, sizeof COMPARATOR - 1, "=th.metered.sort") != 0) lua_error(L);
    lua_pushcfunction(L, less_than);
    lua_call(L, 1, 1);
    lua_pushcclosure(L, m_sort, 2);
    lua_setfield(L, -2, "table.sort");
}
