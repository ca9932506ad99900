/* risk_ffi.c — the risk part of the FFI (tradehost.h: th_risk_*): the kill switch, re-arm, the
 * breaker and refusal counts, a pair's reference price. What a strategy (th.risk) or the REPL may
 * do to the session's risk gates, and nothing more: the gates themselves are the core's (risk.c),
 * and these functions find the order side through th_trading_current. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/ffi_guard.h"
#include "shadow_guard.h"
#include "tradehost.h"
#include "trading.h"

int th_risk_reason_name(int32_t reason, const char **name)
{
    if (!name) return -1;
    *name = th_risk_reason(reason);
    return reason >= 0 && reason < TH_RISK_REASON_COUNT ? 0 : -1;
}

int th_risk_refusals_get(double *counts, int32_t n)
{
    if (!counts || n < 0) return -1;
    th_trading *t = th_trading_current();
    for (int32_t i = 0; i < n && i < TH_RISK_REASON_COUNT; i++) counts[i] = t ? (double)t->flow.risk.refusals[i] : 0;
    return t ? 0 : -1;
}

int th_risk_status_get(th_risk_view *out)
{
    if (!out) return -1;
    memset(out, 0, sizeof *out);
    th_trading *t = th_trading_current();
    if (!t) return -1;
    const th_risk *r = &t->flow.risk;
    int64_t now = th_clock_ns();
    out->halted = r->halted;
    out->halt_code = r->halt_code;
    out->breaker_open = th_risk_breaker_open(r, now);
    out->consecutive_errors = r->consecutive_errors;
    out->breaker_until_ns = r->breaker_until_ns;
    out->backoff_until_ns = t->flow.backoff.until_ns;
    for (int i = 1; i < TH_RISK_REASON_COUNT; i++) out->refusals_total += (double)r->refusals[i];
    snprintf(out->halt_reason, sizeof out->halt_reason, "%s", r->halt_reason);
    return 0;
}

int th_risk_kill(const char *reason)
{
    if (th_shadow_role() == 2) return -1; /* a shadow changes nothing (th/shadow.lua records it) */
    th_trading *t = th_trading_current();
    if (!t) return -1;
    th_flow_kill(&t->flow, TH_RISK_HALTED, reason && *reason ? reason : "kill switch from Lua", th_clock_ns());
    return 0;
}

int th_risk_rearm(const char **err)
{
    TH_FFI_ERR(err);
    NOT_FROM_SHADOW(err);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    th_flow_rearm(&t->flow, th_clock_ns());
    return 0;
}

int th_risk_set_oracle(const char *symbol, double price, const char **err)
{
    TH_FFI_ERR(err);
    NOT_FROM_SHADOW(err);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    int32_t i = th_trading_find_symbol(t, symbol);
    if (i < 0) { *err = "unknown symbol"; return -1; }
    /* 0 clears it (the band goes back to the book's mid); anything else must be a usable price:
     * a negative or non-finite one would switch the band and exposure gates off */
    if (price == 0) {
        if (th_flow_set_oracle(&t->flow, i, 0) != 0) { *err = "unknown symbol"; return -1; }
        return 0;
    }
    if (!(price > 0) || price == HUGE_VAL) { *err = "reference price must be a positive finite number (0 clears it)"; return -1; }
    int64_t v = 0;
    if (th_dec_from_double(price, t->flow.ins->v[i].price_dec, &v) != 0) { *err = "reference price is out of range for the instrument"; return -1; }
    if (v <= 0) { *err = "reference price rounds to 0 at the instrument's price decimals"; return -1; }
    if (th_flow_set_oracle(&t->flow, i, v) != 0) { *err = "unknown symbol"; return -1; }
    return 0;
}
