/* lua_metered.c — string.find, match, gmatch, gsub and table.sort with a step meter, for
 * budgeted runs.
 *
 * Some library calls are one VM instruction and run unbounded inside C, where no count hook
 * fires: Lua's pattern matcher backtracks (("a"):rep(3000):find(".-.-.-.-b") runs for hours) and
 * table.sort of two million numbers takes about 2 s. While a budgeted run is active
 * (lua_budget.c) these functions stand in for LuaJIT's in the string and table libraries, and
 * every matcher step or comparison is charged to the run's instruction budget (and the wall
 * clock is checked), so such a call is stopped like a loop. Outside a run they are not installed.
 *
 * The code is Lua 5.1's lstrlib.c and ltablib.c (MIT licence, Copyright (C) 1994-2012 Lua.org,
 * PUC-Rio), which LuaJIT 2.1's follow; patterns are bounded by their length instead of a NUL, and a
 * step counter is added. Semantics are Lua 5.1's, as LuaJIT's (%z, no %g). */
#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <string.h>

#include "lua_metered.h"

#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define L_ESC '%'
#define SPECIALS "^$*+?.([%-"
#define MAXCAPTURES 32
#define MAXDEPTH 200
#define uchar(c) ((unsigned char)(c))

typedef struct MatchState {
    const char *src_init, *src_end, *p_end;
    lua_State *L;
    int level, depth;
    uint64_t steps, max;
    struct {
        const char *init;
        ptrdiff_t len;
    } capture[MAXCAPTURES];
} MatchState;

static void step(MatchState *ms)
{
    if (++ms->steps > ms->max) th_pattern_over(ms->L, ms->steps);
    if ((ms->steps & 0xffff) == 0) th_pattern_check_clock(ms->L);
}

static const char *match(MatchState *ms, const char *s, const char *p);

static int check_capture(MatchState *ms, int l)
{
    l -= '1';
    if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED) return luaL_error(ms->L, "invalid capture index");
    return l;
}

static int capture_to_close(MatchState *ms)
{
    int level = ms->level;
    for (level--; level >= 0; level--)
        if (ms->capture[level].len == CAP_UNFINISHED) return level;
    return luaL_error(ms->L, "invalid pattern capture");
}

static const char *class_end(MatchState *ms, const char *p)
{
    switch (*p++) {
    case L_ESC:
        if (p >= ms->p_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (*p == '^') p++;
        do { /* look for a ']' */
            if (p >= ms->p_end) luaL_error(ms->L, "malformed pattern (missing ']')");
            if (*(p++) == L_ESC && p < ms->p_end) p++; /* skip escapes (e.g. '%]') */
        } while (*p != ']');
        return p + 1;
    default:
        return p;
    }
}

static int match_class(int c, int cl)
{
    int res;
    switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    case 'z': res = (c == 0); break;
    default: return (cl == c);
    }
    return islower(cl) ? res : !res;
}

static int match_bracket_class(int c, const char *p, const char *ec)
{
    int sig = 1;
    if (*(p + 1) == '^') {
        sig = 0;
        p++; /* skip the '^' */
    }
    while (++p < ec) {
        if (*p == L_ESC) {
            p++;
            if (match_class(c, uchar(*p))) return sig;
        } else if (*(p + 1) == '-' && (p + 2 < ec)) {
            p += 2;
            if (uchar(*(p - 2)) <= c && c <= uchar(*p)) return sig;
        } else if (uchar(*p) == c) {
            return sig;
        }
    }
    return !sig;
}

static int single_match(MatchState *ms, const char *s, const char *p, const char *ep)
{
    step(ms);
    if (s >= ms->src_end) return 0;
    int c = uchar(*s);
    switch (*p) {
    case '.': return 1;
    case L_ESC: return match_class(c, uchar(*(p + 1)));
    case '[': return match_bracket_class(c, p, ep - 1);
    default: return uchar(*p) == c;
    }
}

static const char *match_balance(MatchState *ms, const char *s, const char *p)
{
    if (p + 1 >= ms->p_end) luaL_error(ms->L, "unbalanced pattern");
    if (s >= ms->src_end || *s != *p) return NULL;
    int b = *p, e = *(p + 1), cont = 1;
    while (++s < ms->src_end) {
        step(ms);
        if (*s == e) {
            if (--cont == 0) return s + 1;
        } else if (*s == b) {
            cont++;
        }
    }
    return NULL; /* string ends out of balance */
}

static const char *max_expand(MatchState *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (single_match(ms, s + i, p, ep)) i++;
    while (i >= 0) { /* keep trying to match with the maximum repetitions */
        const char *res = match(ms, s + i, ep + 1);
        if (res) return res;
        i--;
    }
    return NULL;
}

static const char *min_expand(MatchState *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *res = match(ms, s, ep + 1);
        if (res != NULL) return res;
        if (single_match(ms, s, p, ep)) s++; /* try with one more repetition */
        else return NULL;
    }
}

static const char *start_capture(MatchState *ms, const char *s, const char *p, int what)
{
    int level = ms->level;
    if (level >= MAXCAPTURES) luaL_error(ms->L, "too many captures");
    ms->capture[level].init = s;
    ms->capture[level].len = what;
    ms->level = level + 1;
    const char *res = match(ms, s, p);
    if (res == NULL) ms->level--; /* undo capture */
    return res;
}

static const char *end_capture(MatchState *ms, const char *s, const char *p)
{
    int l = capture_to_close(ms);
    ms->capture[l].len = s - ms->capture[l].init; /* close capture */
    const char *res = match(ms, s, p);
    if (res == NULL) ms->capture[l].len = CAP_UNFINISHED; /* undo capture */
    return res;
}

static const char *match_capture(MatchState *ms, const char *s, int l)
{
    l = check_capture(ms, l);
    size_t len = (size_t)ms->capture[l].len;
    if ((size_t)(ms->src_end - s) >= len && memcmp(ms->capture[l].init, s, len) == 0) return s + len;
    return NULL;
}

static const char *match(MatchState *ms, const char *s, const char *p)
{
    if (++ms->depth > MAXDEPTH) luaL_error(ms->L, "pattern too complex");
init: /* goto for tail calls, as lstrlib.c */
    step(ms);
    if (p < ms->p_end) {
        switch (*p) {
        case '(':
            if (*(p + 1) == ')') s = start_capture(ms, s, p + 2, CAP_POSITION);
            else s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
            break;
        case ')':
            s = end_capture(ms, s, p + 1);
            break;
        case L_ESC:
            switch (*(p + 1)) {
            case 'b':
                s = match_balance(ms, s, p + 2);
                if (s != NULL) {
                    p += 4;
                    goto init;
                }
                break;
            case 'f': {
                p += 2;
                if (*p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
                const char *ep = class_end(ms, p);
                char previous = (s == ms->src_init) ? '\0' : *(s - 1);
                char here = s < ms->src_end ? *s : '\0';
                if (!match_bracket_class(uchar(previous), p, ep - 1) && match_bracket_class(uchar(here), p, ep - 1)) {
                    p = ep;
                    goto init;
                }
                s = NULL;
                break;
            }
            default:
                if (isdigit(uchar(*(p + 1)))) {
                    s = match_capture(ms, s, uchar(*(p + 1)));
                    if (s == NULL) break;
                    p += 2;
                    goto init;
                }
                goto dflt;
            }
            break;
        case '$':
            if ((p + 1) == ms->p_end) { /* the last char of the pattern: end of subject */
                s = (s == ms->src_end) ? s : NULL;
                break;
            }
            goto dflt;
        default:
        dflt: {
            const char *ep = class_end(ms, p); /* points to the optional suffix */
            int m = single_match(ms, s, p, ep);
            char suffix = ep < ms->p_end ? *ep : '\0';
            switch (suffix) {
            case '?':
                if (m) {
                    const char *res = match(ms, s + 1, ep + 1);
                    if (res != NULL) {
                        s = res;
                        break;
                    }
                }
                p = ep + 1;
                goto init;
            case '*':
                s = max_expand(ms, s, p, ep);
                break;
            case '+':
                s = m ? max_expand(ms, s + 1, p, ep) : NULL;
                break;
            case '-':
                s = min_expand(ms, s, p, ep);
                break;
            default:
                if (!m) {
                    s = NULL;
                    break;
                }
                s++;
                p = ep;
                goto init;
            }
            break;
        }
        }
    }
    ms->depth--;
    return s;
}

static void push_onecapture(MatchState *ms, int i, const char *s, const char *e)
{
    if (i >= ms->level) {
        if (i == 0) lua_pushlstring(ms->L, s, (size_t)(e - s)); /* the whole match */
        else luaL_error(ms->L, "invalid capture index");
    } else {
        ptrdiff_t l = ms->capture[i].len;
        if (l == CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
        if (l == CAP_POSITION) lua_pushinteger(ms->L, ms->capture[i].init - ms->src_init + 1);
        else lua_pushlstring(ms->L, ms->capture[i].init, (size_t)l);
    }
}

static int push_captures(MatchState *ms, const char *s, const char *e)
{
    int nlevels = (ms->level == 0 && s) ? 1 : ms->level;
    luaL_checkstack(ms->L, nlevels, "too many captures");
    for (int i = 0; i < nlevels; i++) push_onecapture(ms, i, s, e);
    return nlevels;
}

static void ms_init(MatchState *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    ms->L = L;
    ms->src_init = s;
    ms->src_end = s + ls;
    ms->p_end = p + lp;
    ms->steps = 0;
    ms->max = th_pattern_steps_left();
}

static int has_specials(const char *p, size_t l)
{
    for (size_t i = 0; i < l; i++)
        if (strchr(SPECIALS, p[i]) && p[i]) return 1;
    return 0;
}

static int str_find_aux(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    ptrdiff_t init = (ptrdiff_t)luaL_optinteger(L, 3, 1);
    if (init < 0) init += (ptrdiff_t)ls;
    else init--;
    if (init < 0) init = 0;
    if ((size_t)init > ls) init = (ptrdiff_t)ls;
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) { /* plain search: linear */
        const char *q = lp == 0 ? s + init : memmem(s + init, ls - (size_t)init, p, lp);
        if (q) {
            lua_pushinteger(L, q - s + 1);
            lua_pushinteger(L, q - s + (ptrdiff_t)lp);
            return 2;
        }
    } else {
        MatchState ms;
        int anchor = lp > 0 && *p == '^';
        if (anchor) p++, lp--;
        ms_init(&ms, L, s, ls, p, lp);
        const char *s1 = s + init;
        do {
            ms.level = ms.depth = 0;
            const char *res = match(&ms, s1, p);
            if (res != NULL) {
                th_pattern_charge(ms.steps);
                if (find) {
                    lua_pushinteger(L, s1 - s + 1);
                    lua_pushinteger(L, res - s);
                    return push_captures(&ms, NULL, 0) + 2;
                }
                return push_captures(&ms, s1, res);
            }
        } while (s1++ < ms.src_end && !anchor);
        th_pattern_charge(ms.steps);
    }
    lua_pushnil(L);
    return 1;
}

static int str_find(lua_State *L) { return str_find_aux(L, 1); }
static int str_match(lua_State *L) { return str_find_aux(L, 0); }

static int gmatch_aux(lua_State *L)
{
    MatchState ms;
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    ms_init(&ms, L, s, ls, p, lp);
    for (const char *src = s + (size_t)lua_tointeger(L, lua_upvalueindex(3)); src <= ms.src_end; src++) {
        ms.level = ms.depth = 0;
        const char *e = match(&ms, src, p);
        if (e != NULL) {
            th_pattern_charge(ms.steps);
            lua_Integer newstart = e - s;
            if (e == src) newstart++; /* empty match: go at least one position */
            lua_pushinteger(L, newstart);
            lua_replace(L, lua_upvalueindex(3));
            return push_captures(&ms, src, e);
        }
    }
    th_pattern_charge(ms.steps);
    return 0;
}

static int str_gmatch(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, gmatch_aux, 3);
    return 1;
}

static void add_s(MatchState *ms, luaL_Buffer *b, const char *s, const char *e)
{
    size_t l;
    const char *news = lua_tolstring(ms->L, 3, &l);
    for (size_t i = 0; i < l; i++) {
        if (news[i] != L_ESC) {
            luaL_addchar(b, news[i]);
        } else {
            i++; /* skip ESC */
            if (i >= l) break;
            if (!isdigit(uchar(news[i]))) luaL_addchar(b, news[i]);
            else if (news[i] == '0') luaL_addlstring(b, s, (size_t)(e - s));
            else {
                push_onecapture(ms, news[i] - '1', s, e);
                luaL_addvalue(b);
            }
        }
    }
}

static void add_value(MatchState *ms, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = ms->L;
    switch (lua_type(L, 3)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
        add_s(ms, b, s, e);
        return;
    case LUA_TFUNCTION: {
        lua_pushvalue(L, 3);
        int n = push_captures(ms, s, e);
        lua_call(L, n, 1);
        break;
    }
    case LUA_TTABLE:
        push_onecapture(ms, 0, s, e);
        lua_gettable(L, 3);
        break;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the original text */
        lua_pop(L, 1);
        lua_pushlstring(L, s, (size_t)(e - s));
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    }
    luaL_addvalue(b);
}

static int str_gsub(lua_State *L)
{
    size_t srcl, lp;
    const char *src = luaL_checklstring(L, 1, &srcl);
    const char *p = luaL_checklstring(L, 2, &lp);
    int tr = lua_type(L, 3);
    lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
    int anchor = lp > 0 && *p == '^';
    if (anchor) p++, lp--;
    luaL_argcheck(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                  "string/function/table expected");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    MatchState ms;
    ms_init(&ms, L, src, srcl, p, lp);
    lua_Integer n = 0;
    while (n < max_s) {
        ms.level = ms.depth = 0;
        const char *e = match(&ms, src, p);
        if (e) {
            n++;
            add_value(&ms, &b, src, e);
        }
        if (e && e > src) src = e; /* non-empty match: skip it */
        else if (src < ms.src_end) luaL_addchar(&b, *src++);
        else break;
        if (anchor) break;
    }
    th_pattern_charge(ms.steps);
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

/* ---- table.sort: Lua 5.1's ltablib.c quicksort, each comparison charged to the budget. A sort of
 * two million numbers is one VM instruction and about 2 s in C; metered, it stops like a loop. */

static int sort_comp(lua_State *L, MatchState *ms, int a, int b)
{
    step(ms);
    if (!lua_isnil(L, 2)) { /* a comparison function */
        lua_pushvalue(L, 2);
        lua_pushvalue(L, a - 1); /* -1 to compensate the function */
        lua_pushvalue(L, b - 2); /* -2 to compensate the function and a */
        lua_call(L, 2, 1);
        int res = lua_toboolean(L, -1);
        lua_pop(L, 1);
        return res;
    }
    return lua_lessthan(L, a, b);
}

static void set2(lua_State *L, int i, int j)
{
    lua_rawseti(L, 1, i);
    lua_rawseti(L, 1, j);
}

static void auxsort(lua_State *L, MatchState *ms, int l, int u)
{
    while (l < u) { /* for tail recursion */
        int i, j;
        lua_rawgeti(L, 1, l); /* sort a[l], a[(l+u)/2] and a[u] */
        lua_rawgeti(L, 1, u);
        if (sort_comp(L, ms, -1, -2)) set2(L, l, u); /* a[u] < a[l]? */
        else lua_pop(L, 2);
        if (u - l == 1) break; /* only 2 elements */
        i = (l + u) / 2;
        lua_rawgeti(L, 1, i);
        lua_rawgeti(L, 1, l);
        if (sort_comp(L, ms, -2, -1)) { /* a[i] < a[l]? */
            set2(L, i, l);
        } else {
            lua_pop(L, 1);
            lua_rawgeti(L, 1, u);
            if (sort_comp(L, ms, -1, -2)) set2(L, i, u); /* a[u] < a[i]? */
            else lua_pop(L, 2);
        }
        if (u - l == 2) break; /* only 3 elements */
        lua_rawgeti(L, 1, i); /* the pivot */
        lua_pushvalue(L, -1);
        lua_rawgeti(L, 1, u - 1);
        set2(L, i, u - 1);
        i = l; /* a[l] <= P == a[u-1] <= a[u]: sort l+1 .. u-2 */
        j = u - 1;
        for (;;) { /* invariant: a[l..i] <= P <= a[j..u] */
            while (lua_rawgeti(L, 1, ++i), sort_comp(L, ms, -1, -2)) {
                if (i > u) luaL_error(L, "invalid order function for sorting");
                lua_pop(L, 1);
            }
            while (lua_rawgeti(L, 1, --j), sort_comp(L, ms, -3, -1)) {
                if (j < l) luaL_error(L, "invalid order function for sorting");
                lua_pop(L, 1);
            }
            if (j < i) {
                lua_pop(L, 3); /* the pivot, a[i], a[j] */
                break;
            }
            set2(L, i, j);
        }
        lua_rawgeti(L, 1, u - 1);
        lua_rawgeti(L, 1, i);
        set2(L, u - 1, i); /* swap the pivot (a[u-1]) with a[i] */
        if (i - l < u - i) { /* recurse into the smaller half, loop on the larger */
            j = l;
            i = i - 1;
            l = i + 2;
        } else {
            j = i + 1;
            i = u;
            u = j - 2;
        }
        auxsort(L, ms, j, i);
    }
}

static int tab_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int n = (int)lua_objlen(L, 1);
    luaL_checkstack(L, 40, "");
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    MatchState ms;
    ms.L = L;
    ms.steps = 0;
    ms.max = th_pattern_steps_left();
    auxsort(L, &ms, 1, n);
    th_pattern_charge(ms.steps);
    return 0;
}

void th_metered_push_functions(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, str_find);
    lua_setfield(L, -2, "string.find");
    lua_pushcfunction(L, str_match);
    lua_setfield(L, -2, "string.match");
    lua_pushcfunction(L, str_gmatch);
    lua_setfield(L, -2, "string.gmatch");
    lua_pushcfunction(L, str_gsub);
    lua_setfield(L, -2, "string.gsub");
    lua_pushcfunction(L, tab_sort);
    lua_setfield(L, -2, "table.sort");
}
