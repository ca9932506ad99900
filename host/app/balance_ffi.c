/* balance_ffi.c — balances for Lua, the REPL and the HTTP API: th_balance_get and th_balance_at
 * (tradehost.h) over the order side's store (core/balances.h), and the paper account's figures.
 *
 * A live session's store is filled by its connector (kraken_balances.c, binance_balances.c). A
 * paper or backtest session's orders fill against the sim's engine in-process, whose account has
 * the balances venue.paper.balances configures (else its default for every asset): those are read
 * from the engine when asked (at its TH_SIM_SCALE decimals), so the paper account's balances move
 * with its fills and fees exactly as the engine books them, at no cost per loop turn. A session
 * with no order side (or a live venue without a connector) has no balances: "balances unknown". */
#include <stdio.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/ffi_guard.h"
#include "../core/log.h"
#include "tradehost.h"
#include "trading.h"

#define UNKNOWN "balances unknown (the venue has not given them yet, or this session has none)"

static void paper_sync(th_trading *t)
{
    th_sim_engine *e = t->pv.e;
    if (!e) return;
    int64_t now = th_clock_ns();
    for (int32_t i = 0; i < th_sim_asset_count(e); i++) {
        const char *name = th_sim_asset_name(e, i), *err;
        th_money total, held;
        if (th_sim_balance_get(e, t->pv.account, name, &total, &held) != 0) continue;
        if (th_balances_set(&t->bal, name, TH_SIM_SCALE, &total, &held, now, &err) != 0)
            th_logf(TH_LOG_WARN, "paper balances: an asset the store refused", "asset=%s error=\"%s\"", name, err);
    }
    if (!t->bal.known) th_balances_mark_known(&t->bal, "paper", now);
}

const th_balances *th_trading_balances(th_trading *t)
{
    if (!t) return NULL;
    if (t->have_pv) paper_sync(t);
    return &t->bal;
}

static void view_of(const th_balances *b, const th_balance *x, const char *asset, th_balance_view *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->asset, sizeof out->asset, "%s", x ? x->asset : asset);
    snprintf(out->source, sizeof out->source, "%s", b->source);
    if (!x) { /* known, and the venue names no such asset: it holds none */
        snprintf(out->total_text, sizeof out->total_text, "0");
        snprintf(out->available_text, sizeof out->available_text, "0");
        snprintf(out->held_text, sizeof out->held_text, "0");
        return;
    }
    th_money avail = th_balance_available(x);
    out->decimals = x->scale;
    out->updated_ns = x->ts_ns;
    out->total = th_money_to_double(x->total, x->scale);
    out->available = th_money_to_double(avail, x->scale);
    out->held = th_money_to_double(x->held, x->scale);
    th_money_format_short(x->total, x->scale, out->total_text, sizeof out->total_text);
    th_money_format_short(avail, x->scale, out->available_text, sizeof out->available_text);
    th_money_format_short(x->held, x->scale, out->held_text, sizeof out->held_text);
}

int th_balance_get(const char *asset, th_balance_view *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    memset(out, 0, sizeof *out);
    TH_FFI_NOT_NULL(asset);
    TH_FFI_CHECK(asset[0] && strlen(asset) < sizeof out->asset, "asset must be a name of 1 to 15 characters");
    const th_balances *b = th_trading_balances(th_trading_current());
    if (!b || !b->known) { *err = UNKNOWN; return -1; }
    view_of(b, th_balances_find(b, asset), asset, out);
    return 0;
}

int th_balance_at(int32_t index, th_balance_view *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    memset(out, 0, sizeof *out);
    const th_balances *b = th_trading_balances(th_trading_current());
    if (!b || !b->known) { *err = UNKNOWN; return -1; }
    if (index < 0 || index >= b->n) { *err = "no balance at this index"; return -1; }
    view_of(b, &b->v[index], NULL, out);
    return 0;
}
