/* lua_metered.h — metered stand-ins for the library functions that do unbounded work inside one
 * VM instruction (string.find/match/gmatch/gsub, table.sort), for budgeted runs (lua_metered.c),
 * and the meter they charge, which lua_budget.c keeps. */
#ifndef TH_LUA_METERED_H
#define TH_LUA_METERED_H

#include <stdint.h>

typedef struct lua_State lua_State;

/* Pushes a table { ["string.find"] = f, ..., ["table.sort"] = f } of the metered functions. */
void th_metered_push_functions(lua_State *L);

/* The meter (lua_budget.c). steps_left: what the active run may still spend (UINT64_MAX outside
 * a run); charge: steps spent by a finished match; over: stops the run and raises (no return);
 * check_clock: raises once the run is past its wall-clock budget. */
uint64_t th_pattern_steps_left(void);
void th_pattern_charge(uint64_t steps);
void th_pattern_over(lua_State *L, uint64_t steps) __attribute__((noreturn));
void th_pattern_check_clock(lua_State *L);

#endif
