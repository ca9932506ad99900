/* order_ffi.c — the order part of the FFI (tradehost.h): th_order_place / cancel / cancel_all /
 * get, th_orders_open, th_quotes_set, th_position_get and th_pnl_get. Human units in (doubles, the
 * way Lua holds numbers), instrument units inside: each entry point converts at the instrument's
 * decimals, refuses what does not convert (NaN, inf, out of range) with a reason the risk counters
 * count, and hands the order flow exact integers. Answers go back as the views tradehost.h
 * defines. The order side is found through th_trading_current (one per process). */
#include <stdio.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/ffi_guard.h"
#include "../lua/lua_host.h"
#include "session_feed.h"
#include "shadow_guard.h"
#include "tradehost.h"
#include "trading.h"

/* Several strategy instances: each trades only its own pairs (docs/config.md "Several strategies"). */
static bool may_trade(const char *symbol, const char **err)
{
    const char *owner;
    if (th_lua_running_may_trade(symbol ? symbol : "", &owner)) return true;
    *err = owner ? "the pair is traded by another strategy instance" : "the pair is traded by no strategy instance (only read)";
    return false;
}

/* Overload mode paused the pair (session_dispatch.c): its quotes were pulled, and a strategy's
 * callback (on_tick, a timer) may not put them back until its priority resumes. The REPL may. */
#define TH_PAUSED_ERR "the pair is paused by overload mode (its priority resumes when the loop catches up)"
static bool paused_for_strategy(int32_t ins) { return th_lua_now.strategy && th_dispatch_pair_paused(ins); }

int th_order_place(const th_order_req *req, char *cl_id_out, int32_t *reason_out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(reason_out);
    *reason_out = TH_RISK_BAD_ORDER;
    TH_FFI_NOT_NULL(req);
    TH_FFI_NOT_NULL(cl_id_out);
    TH_FFI_SIDE(req->side);
    NOT_FROM_SHADOW(err);
    th_trading *t = th_trading_current();
    *reason_out = TH_RISK_NO_VENUE;
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    int32_t i = th_trading_find_symbol(t, req->symbol);
    int64_t price = 0, qty = 0;
    if (i >= 0) {
        const th_instrument *ins = &t->flow.ins->v[i];
        if (th_dec_from_double(req->price, ins->price_dec, &price) != 0 || th_dec_from_double(req->qty, ins->qty_dec, &qty) != 0) {
            *reason_out = TH_RISK_BAD_ORDER; /* NaN, inf or out of range: counted like every refusal */
            th_risk_count_pair(&t->flow.risk, i, TH_RISK_BAD_ORDER);
            *err = th_risk_reason(TH_RISK_BAD_ORDER);
            return -1;
        }
    }
    if (!may_trade(req->symbol, err)) { *reason_out = TH_RISK_BAD_ORDER; return -1; }
    if (paused_for_strategy(i)) { *reason_out = TH_RISK_BAD_ORDER; *err = TH_PAUSED_ERR; return -1; }
    int32_t idx = -1;
    int32_t reason = th_flow_place(&t->flow, i, req->side, price, qty, (req->flags & TH_ORDER_POST_ONLY) != 0,
                                   req->tag ? req->tag : "", th_clock_ns(), &idx);
    *reason_out = reason;
    if (reason != TH_RISK_OK) { *err = th_risk_reason(reason); return -1; }
    snprintf(cl_id_out, TH_CLID_MAX, "%s", t->flow.trk.v[idx].cl_id);
    return 0;
}

int th_order_cancel(const char *cl_id, const char **err)
{
    TH_FFI_ERR(err);
    NOT_FROM_SHADOW(err);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    int32_t idx = th_tracker_find_cl(&t->flow.trk, cl_id ? cl_id : "");
    if (idx < 0) { *err = "unknown order"; return -1; }
    if (!may_trade(t->flow.ins->v[t->flow.trk.v[idx].instrument].symbol, err)) return -1;
    int32_t rc = th_flow_cancel(&t->flow, idx, th_clock_ns());
    if (rc == TH_TRK_DUPLICATE) { *err = "cancel already pending"; return -1; }
    if (rc < 0) { *err = "order is already done"; return -1; }
    return 0;
}

int th_order_cancel_all(const char *symbol, int32_t *n_out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(n_out);
    *n_out = 0;
    NOT_FROM_SHADOW(err);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    int32_t i = -1;
    if (symbol && *symbol && (i = th_trading_find_symbol(t, symbol)) < 0) { *err = "unknown symbol"; return -1; }
    if (i >= 0 && !may_trade(symbol, err)) return -1;
    const th_strategy *inst = i < 0 ? th_lua_running_instance() : NULL;
    if (inst) { /* an instance's cancel_all(): its own pairs */
        for (int k = 0; k < inst->nsymbols; k++) {
            int32_t j = inst->symbols[k].trades ? th_trading_find_symbol(t, inst->symbols[k].v) : -1;
            if (j >= 0) *n_out += th_flow_cancel_all(&t->flow, j, th_clock_ns());
        }
        return 0;
    }
    *n_out = th_flow_cancel_all(&t->flow, i, th_clock_ns());
    return 0;
}

static void fill_view(const th_flow *f, const th_order *o, th_order_view *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->cl_id, sizeof v->cl_id, "%s", o->cl_id);
    snprintf(v->ex_id, sizeof v->ex_id, "%s", o->ex_id);
    snprintf(v->symbol, sizeof v->symbol, "%s", f->ins->v[o->instrument].symbol);
    snprintf(v->tag, sizeof v->tag, "%s", o->tag);
    v->price = th_trading_px(f, o, o->price);
    v->qty = th_trading_qty(f, o, o->qty);
    v->filled = th_trading_qty(f, o, o->filled);
    /* notional_filled is price units times qty units: per qty unit it is a price in price units */
    v->avg_fill_price = o->filled ? (double)o->notional_filled / (double)o->filled /
                                        (double)th_dec_pow10(f->ins->v[o->instrument].price_dec)
                                  : 0;
    v->side = o->side;
    v->state = o->state;
    v->done_reason = o->done_reason;
    v->flags = (int32_t)o->flags;
    v->created_ns = o->created_ns;
    v->state_ns = o->state_ns;
}

int th_order_get(const char *cl_id, th_order_view *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    int32_t idx = th_tracker_find_cl(&t->flow.trk, cl_id ? cl_id : "");
    if (idx < 0) { *err = "unknown order"; return -1; }
    fill_view(&t->flow, &t->flow.trk.v[idx], out);
    return 0;
}

int th_orders_open(const char *symbol, th_order_view *out, int32_t max, int32_t *n_out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(n_out);
    *n_out = 0;
    TH_FFI_CHECK(max >= 0, "max must be >= 0");
    TH_FFI_CHECK(out != NULL || max == 0, "out is NULL");
    th_trading *t = th_trading_current();
    *n_out = 0;
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    int32_t lo = 0, hi = t->flow.trk.ins_cap;
    if (symbol && *symbol) {
        int32_t i = th_trading_find_symbol(t, symbol);
        if (i < 0) { *err = "unknown symbol"; return -1; }
        lo = i;
        hi = i + 1;
    }
    int32_t n = 0;
    for (int32_t i = lo; i < hi; i++) {
        int32_t nl;
        const th_live *lv = th_tracker_live(&t->flow.trk, i, &nl);
        for (int32_t k = 0; k < nl; k++) {
            if (n < max) fill_view(&t->flow, &t->flow.trk.v[lv[k].idx], &out[n]);
            n++;
        }
    }
    *n_out = n;
    if (n > max) { *err = "more open orders than the buffer holds"; return -1; }
    return 0;
}

int th_quotes_set(const char *symbol, const th_quote_target *targets, int32_t n, th_quote_result *out, const char **err)
{
    TH_FFI_ERR(err);
    NOT_FROM_SHADOW(err);
    TH_FFI_NOT_NULL(out);
    memset(out, 0, sizeof *out);
    TH_FFI_CHECK(n >= 0 && n <= TH_QUOTES_MAX, "too many quote targets (max 32 per pair)");
    TH_FFI_CHECK(targets != NULL || n == 0, "targets is NULL");
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    int32_t i = th_trading_find_symbol(t, symbol);
    if (i < 0) { *err = "unknown symbol"; return -1; }
    if (!may_trade(symbol, err)) return -1;
    if (paused_for_strategy(i) && n > 0) { *err = TH_PAUSED_ERR; return -1; }
    const th_instrument *ins = &t->flow.ins->v[i];
    th_quote q[TH_QUOTES_MAX];
    int32_t m = 0;
    for (int32_t k = 0; k < n; k++) {
        const th_quote_target *x = &targets[k];
        if (x->side != TH_BID && x->side != TH_ASK) { *err = "quote side must be buy or sell"; return -1; }
        int64_t px, qty;
        /* human prices round to the tick on the passive side, sizes down to the lot */
        if (th_dec_from_double(x->price, ins->price_dec + 3, &px) != 0 || th_dec_from_double(x->qty, ins->qty_dec + 3, &qty) != 0) {
            *err = "quote price or size is not a finite number";
            return -1;
        }
        int64_t tick = ins->tick > 0 ? ins->tick * 1000 : 1000, lot = ins->lot > 0 ? ins->lot * 1000 : 1000;
        px = x->side == TH_BID ? px / tick * tick : (px + tick - 1) / tick * tick;
        qty = qty / lot * lot;
        if (px <= 0 || qty <= 0) { out->refused++; if (!out->first_refusal) out->first_refusal = TH_RISK_BAD_ORDER; continue; }
        q[m] = (th_quote){x->side, 0, px / 1000, qty / 1000, {0}};
        memcpy(q[m].tag, x->tag, sizeof q[m].tag - 1);
        m++;
    }
    th_quotes_outcome r;
    if (th_flow_quotes(&t->flow, i, q, m, th_clock_ns(), &r) != 0) { *err = "too many live orders on this pair"; return -1; }
    out->kept = r.kept;
    out->placed = r.placed;
    out->cancelled = r.cancelled;
    out->replaced = r.replaced;
    out->refused += r.refused;
    out->waiting = r.waiting;
    if (!out->first_refusal) out->first_refusal = r.first_refusal;
    return 0;
}

int th_position_get(const char *symbol, th_position_view *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    memset(out, 0, sizeof *out);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    int32_t i = th_trading_find_symbol(t, symbol);
    if (i < 0) { *err = "unknown symbol"; return -1; }
    const th_position *p = &t->flow.pf.v[i];
    const th_instrument *ins = &t->flow.ins->v[i];
    int32_t scale = ins->price_dec + ins->qty_dec;
    out->qty = th_dec_to_double(p->qty, ins->qty_dec);
    out->avg_entry = th_dec_to_double(th_position_avg_entry(p), ins->price_dec);
    out->mark = th_dec_to_double(p->mark, ins->price_dec);
    out->realised = th_money_to_double(p->realised, scale);
    out->unrealised = th_money_to_double(th_position_unrealised(p), scale);
    out->fees = th_money_to_double(p->fees, scale);
    out->day_realised = th_money_to_double(p->day_realised, scale);
    out->day_fees = th_money_to_double(p->day_fees, scale);
    out->bought = th_dec_to_double(p->bought, ins->qty_dec);
    out->sold = th_dec_to_double(p->sold, ins->qty_dec);
    out->fills = p->fills;
    out->last_fill_price = th_dec_to_double(p->last_fill_price, ins->price_dec);
    out->last_fill_qty = th_dec_to_double(p->last_fill_qty, ins->qty_dec);
    out->last_fill_ns = p->last_fill_ns;
    out->last_fill_side = p->last_fill_side;
    return 0;
}

int th_pnl_get(th_pnl_view *out, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(out);
    memset(out, 0, sizeof *out);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    const th_portfolio *pf = &t->flow.pf;
    for (int32_t i = 0; i < pf->n; i++) {
        const th_position *p = &pf->v[i];
        out->realised += th_position_report(p, p->realised);
        out->unrealised += th_position_report(p, th_position_unrealised(p));
        out->fees += th_position_report(p, p->fees);
    }
    out->total = out->realised + out->unrealised - out->fees;
    out->day = th_portfolio_day_pnl(pf);
    out->peak = pf->peak_pnl;
    out->drawdown = th_portfolio_drawdown(pf);
    out->exposure = pf->total_exposure;
    out->open_notional = t->flow.open_notional;
    snprintf(out->currency, sizeof out->currency, "%s", t->currency);
    return 0;
}
