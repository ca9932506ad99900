/* trading_events.h — the order flow's events into the strategy (on_fill, on_order); see
 * trading_events.c for why this is apart from the order side. */
#ifndef TH_TRADING_EVENTS_H
#define TH_TRADING_EVENTS_H

#include "../lua/lua_host.h"
#include "trading.h"

/* The flow events since the last call go to the strategy as on_fill / on_order. */
void th_trading_dispatch(th_trading *t, th_lua *lua, th_strategy *strat);

#endif
