/* quote_executor.c — target quotes to actions (see quote_executor.h for the matching rules). */
#include "quote_executor.h"

#include <stdlib.h>

#define LIVE_MAX 256

/* An order with an amend in flight is matched as it will be once amended: a quotes.set repeated
 * before the venue answers keeps it instead of cancelling it. */
static bool within(const th_exec_cfg *c, const th_order *o, const th_quote *q, int64_t *dist)
{
    int64_t price = o->amend_qty ? o->amend_price : o->price, qty = o->amend_qty ? o->amend_qty : o->qty;
    int64_t d = price > q->price ? price - q->price : q->price - price;
    int64_t tol = c->price_tol_ticks;
    int64_t tol_bps = (int64_t)((double)q->price * c->price_tol_bps * 1e-4);
    if (tol_bps > tol) tol = tol_bps;
    if (d > tol) return false;
    int64_t rest = qty - o->filled;
    int64_t dq = rest > q->qty ? rest - q->qty : q->qty - rest;
    if ((double)dq > c->size_tol * (double)q->qty) return false;
    *dist = d;
    return true;
}

int32_t th_exec_diff(const th_tracker *t, int32_t ins, const th_quote *targets, int32_t n, const th_exec_cfg *cfg,
                     th_exec_action *out, int32_t max)
{
    if (n < 0 || n > TH_QUOTES_MAX) return -1;
    int32_t live[LIVE_MAX], nlive;
    const th_live *lv = th_tracker_live(t, ins, &nlive);
    if (nlive > LIVE_MAX) return -1;
    int32_t k0 = 0;
    for (int32_t k = 0; k < nlive; k++)
        if (!cfg->owned || (t->v[lv[k].idx].flags & cfg->owned)) live[k0++] = lv[k].idx;
    nlive = k0;
    /* matched: for each live order, the target it serves (-1 none); leaving orders never match */
    int32_t order_target[LIVE_MAX], target_order[TH_QUOTES_MAX];
    bool leaving[LIVE_MAX];
    for (int32_t k = 0; k < nlive; k++) {
        const th_order *o = &t->v[live[k]];
        order_target[k] = -1;
        leaving[k] = o->state == TH_ORD_PENDING_CANCEL || (o->flags & TH_ORD_CANCEL_WANTED);
    }
    int32_t m = 0;
    for (int32_t j = 0; j < n; j++) {
        target_order[j] = -1;
        int64_t best = INT64_MAX, d;
        int32_t bk = -1;
        for (int32_t k = 0; k < nlive; k++) {
            const th_order *o = &t->v[live[k]];
            if (leaving[k] || order_target[k] >= 0 || o->side != targets[j].side) continue;
            if (within(cfg, o, &targets[j], &d) && d < best) { best = d; bk = k; }
        }
        if (bk >= 0) {
            order_target[bk] = j;
            target_order[j] = bk;
            if (m == max) return -1;
            out[m++] = (th_exec_action){TH_EXEC_KEEP, live[bk], j, 0};
        }
    }
    /* Unmatched live orders: re-point (amend) at an unmatched target of their side, else cancel. */
    bool target_done[TH_QUOTES_MAX] = {0};
    for (int32_t j = 0; j < n; j++) target_done[j] = target_order[j] >= 0;
    for (int32_t k = 0; k < nlive; k++) {
        if (leaving[k] || order_target[k] >= 0) continue;
        const th_order *o = &t->v[live[k]];
        int32_t jt = -1;
        if (cfg->amend && o->state == TH_ORD_OPEN && !o->amend_qty)
            for (int32_t j = 0; j < n && jt < 0; j++)
                if (!target_done[j] && targets[j].side == o->side) jt = j; /* amended to filled + target */
        if (m == max) return -1;
        if (jt >= 0) {
            target_done[jt] = true;
            out[m++] = (th_exec_action){TH_EXEC_AMEND, live[k], jt, 0};
        } else {
            out[m++] = (th_exec_action){TH_EXEC_CANCEL, live[k], -1, 0};
        }
    }
    /* Unmatched targets: wait behind a pending cancel at that level, else place. */
    for (int32_t j = 0; j < n; j++) {
        if (target_done[j]) continue;
        int32_t wait_on = -1;
        int64_t d;
        for (int32_t k = 0; k < nlive && wait_on < 0; k++) {
            const th_order *o = &t->v[live[k]];
            if (leaving[k] && o->side == targets[j].side) {
                th_quote loose = targets[j];
                loose.qty = o->qty - o->filled; /* any size: the level is what matters */
                if (within(cfg, o, &loose, &d)) wait_on = live[k];
            }
        }
        if (m == max) return -1;
        out[m++] = wait_on >= 0 ? (th_exec_action){TH_EXEC_WAIT, wait_on, j, 0} : (th_exec_action){TH_EXEC_PLACE, -1, j, 0};
    }
    return m;
}
