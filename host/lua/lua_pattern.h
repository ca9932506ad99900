/* lua_pattern.h — Lua 5.1 patterns (reference manual §5.4.1, as LuaJIT 2.1 implements them),
 * compiled once into an item list and matched by a backtracking machine whose every step is
 * charged to a meter. Used by the metered string functions of budgeted runs (lua_metered.c).
 *
 * A pattern is compiled without ever failing: a malformed part becomes an error item where it
 * stands, and the match raises that item's error only when it gets there, as LuaJIT does
 * (("b"):find("a%") is nil, ("a"):find("a%") raises "malformed pattern (ends with '%')"). */
#ifndef TH_LUA_PATTERN_H
#define TH_LUA_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lua_State lua_State;

#define PAT_MAXCAPTURES 32
#define PAT_CAP_POSITION ((size_t)-2) /* len of a position capture "()" */
#define PAT_CAP_OPEN ((size_t)-1)     /* len of a capture whose ')' was never reached */

typedef struct pat_item pat_item;

/* A compiled pattern. It points into the pattern string, which must outlive it. */
typedef struct th_pat {
    const pat_item *items;
    bool anchored; /* began with '^' (and '^' was allowed to anchor) */
    int ncaptures; /* captures a successful match has */
} th_pat;

/* The meter a call charges: steps go to the active budgeted run (lua_budget.c), if any. */
typedef struct th_meter {
    lua_State *L;
    uint64_t used;       /* steps since the last flush */
    uint64_t limit;      /* what the run may still spend, as of the last flush */
    uint64_t next_check; /* when to look at the limit and the clock again */
} th_meter;

void th_meter_begin(th_meter *m, lua_State *L);
/* Charges what was used so far, before a call out to Lua (which the count hook meters) or at
 * the end; th_meter_begin again afterwards. */
void th_meter_flush(th_meter *m);
void th_meter_slow(th_meter *m); /* raises when over budget or past the run's deadline */
static inline void th_meter_tick(th_meter *m, uint64_t steps)
{
    m->used += steps;
    if (m->used >= m->next_check) th_meter_slow(m);
}

/* Bytes th_pat_compile needs for a pattern of plen bytes. */
size_t th_pat_space(const char *p, size_t plen);
/* Compiles into mem (th_pat_space bytes, aligned for any type). allow_anchor: '^' at the start
 * anchors (find, match, gsub), or is a plain character (gmatch). */
void th_pat_compile(th_pat *pat, void *mem, const char *p, size_t plen, bool allow_anchor);

/* One match attempt of pat at src[at], as a subject of n bytes. */
typedef struct th_match {
    lua_State *L; /* errors of malformed patterns are raised here (luaL_error) */
    th_meter *meter;
    const char *src;
    size_t n;
    struct { size_t start, len; } cap[PAT_MAXCAPTURES];
} th_match;

/* The end offset of the match, or -1 when there is none at `at`. */
ptrdiff_t th_pat_match(th_match *m, const th_pat *pat, size_t at);

/* For an unanchored search: the first offset >= at where a match can start, judged by the
 * pattern's first item alone (n + 1 when there is none). Skips what a failed attempt would. */
size_t th_pat_next_start(th_match *m, const th_pat *pat, size_t at);

/* The ordinary search: the first offset >= at (only `at` when anchored) where pat matches; sets
 * *end. Returns -1 when there is none. */
ptrdiff_t th_pat_search(th_match *m, const th_pat *pat, size_t at, size_t *end);

#endif
