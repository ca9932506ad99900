/* lua_pattern.h — metered string.find/match/gmatch/gsub for budgeted runs (lua_pattern.c), and
 * the meter they charge, which lua_budget.c keeps. */
#ifndef TH_LUA_PATTERN_H
#define TH_LUA_PATTERN_H

#include <stdint.h>

typedef struct lua_State lua_State;

/* Pushes a table { find, match, gmatch, gsub } of the metered functions. */
void th_pattern_push_functions(lua_State *L);

/* The meter (lua_budget.c). steps_left: what the active run may still spend (UINT64_MAX outside
 * a run); charge: steps spent by a finished match; over: stops the run and raises (no return);
 * check_clock: raises once the run is past its wall-clock budget. */
uint64_t th_pattern_steps_left(void);
void th_pattern_charge(uint64_t steps);
void th_pattern_over(lua_State *L, uint64_t steps) __attribute__((noreturn));
void th_pattern_check_clock(lua_State *L);

#endif
