/* trading_events.c — the order flow's events into the strategy: a fill becomes on_fill(fill), any
 * other change of an order on_order(order), as Lua tables in human units.
 *
 * Why its own file: this is the one place that marshals order state into Lua tables (the field
 * names a strategy reads, docs/lua-api.md); the order side itself never touches the Lua stack. The
 * flow queues events while it works (callbacks must not run inside it); the session asks for them
 * once per loop turn, after the venue's answers, and they go out in the order they happened.
 * A halt of the risk gates (kill switch, loss cap, journal failure) or a trip of the circuit breaker
 * becomes on_halt(reason, code), once per halt, at the same point of the turn. */
#include "trading_events.h"

#include <lua.h>
#include <stdio.h>

#include "../core/log.h"
#include "tradehost.h"

static void push_order(lua_State *L, const th_flow *f, const th_order *o)
{
    lua_createtable(L, 0, 12);
    lua_pushstring(L, o->cl_id); lua_setfield(L, -2, "id");
    lua_pushstring(L, o->ex_id); lua_setfield(L, -2, "venue_id");
    lua_pushstring(L, f->ins->v[o->instrument].symbol); lua_setfield(L, -2, "symbol");
    lua_pushstring(L, o->side == TH_BID ? "buy" : "sell"); lua_setfield(L, -2, "side");
    lua_pushnumber(L, th_trading_px(f, o, o->price)); lua_setfield(L, -2, "price");
    lua_pushnumber(L, th_trading_qty(f, o, o->qty)); lua_setfield(L, -2, "size");
    lua_pushnumber(L, th_trading_qty(f, o, o->filled)); lua_setfield(L, -2, "filled");
    lua_pushstring(L, th_ord_state_name(o->state)); lua_setfield(L, -2, "state");
    lua_pushstring(L, th_done_reason_name(o->done_reason)); lua_setfield(L, -2, "reason");
    lua_pushstring(L, o->tag); lua_setfield(L, -2, "tag");
    lua_pushboolean(L, (o->flags & TH_ORD_ADOPTED) != 0); lua_setfield(L, -2, "adopted");
}

static void dispatch_halt(th_trading *t, th_lua *lua, th_strategy *strat)
{
    const th_risk *r = &t->flow.risk;
    const char *code = NULL;
    char reason[192];
    if (r->halted != t->halt_told) {
        t->halt_told = r->halted;
        if (!r->halted) return;
        th_risk_reason_name(r->halt_code, &code);
        snprintf(reason, sizeof reason, "%s", r->halt_reason);
    } else if (r->breaker_trips != t->breaker_told) {
        t->breaker_told = r->breaker_trips;
        code = "breaker_open";
        snprintf(reason, sizeof reason, "circuit breaker open: %d consecutive venue errors", r->consecutive_errors);
    } else {
        return;
    }
    strat->halts++;
    th_logf(TH_LOG_WARN, "trading halted: telling the strategy (on_halt)", "strategy=%s code=%s reason=\"%s\"", strat->name,
            code ? code : "halted", reason);
    lua_pushstring(lua->L, reason);
    lua_pushstring(lua->L, code ? code : "halted");
    th_strategy_call(lua, strat, "on_halt", 2);
}

void th_trading_dispatch(th_trading *t, th_lua *lua, th_strategy *strat)
{
    t->nevents = 0;
    if (!t->active) return;
    if (t->flow.risk.halted != t->halt_told || t->flow.risk.breaker_trips != t->breaker_told) dispatch_halt(t, lua, strat);
    if (!t->flow.nev) return;
    th_flow *f = &t->flow;
    lua_State *L = lua->L;
    int32_t n = th_flow_events_take(f, &t->events, &t->events_cap);
    t->nevents = n;
    const th_flow_event *evs = t->events;
    for (int32_t i = 0; i < n; i++) {
        const th_order *o = &f->trk.v[evs[i].order];
        if (evs[i].kind == TH_FLOW_EV_FILL) {
            lua_createtable(L, 0, 8);
            lua_pushstring(L, o->cl_id); lua_setfield(L, -2, "id");
            lua_pushstring(L, f->ins->v[o->instrument].symbol); lua_setfield(L, -2, "symbol");
            lua_pushstring(L, o->side == TH_BID ? "buy" : "sell"); lua_setfield(L, -2, "side");
            lua_pushnumber(L, th_trading_px(f, o, evs[i].price)); lua_setfield(L, -2, "price");
            lua_pushnumber(L, th_trading_qty(f, o, evs[i].qty)); lua_setfield(L, -2, "size");
            int32_t scale = f->ins->v[o->instrument].price_dec + f->ins->v[o->instrument].qty_dec;
            lua_pushnumber(L, th_money_to_double(evs[i].fee, scale)); lua_setfield(L, -2, "fee");
            lua_pushstring(L, o->tag); lua_setfield(L, -2, "tag");
            th_strategy_call(lua, strat, "on_fill", 1);
        } else {
            push_order(L, f, o);
            th_strategy_call(lua, strat, "on_order", 1);
        }
    }
}
