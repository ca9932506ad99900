/* flow_venue.c — venue events back to the order flow's state: acks, rejects, cancels, expiries,
 * amends, fills and status answers, each applied through the tracker and the portfolio,
 * journalled as the event itself, and queued for the strategy; then the reconciliation a start
 * (or a reconnect) runs: trades since the last fill first, then the venue's open orders against
 * ours, adopting or cancelling what we never sent and resolving what the venue no longer holds.
 * The venue's answer decides: nothing here assumes an outcome the venue has not reported. */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "order_flow.h"
#include "order_flow_impl.h"

/* ---- order events ---- */

static int32_t find_order(th_flow *f, const char *cl_id, const char *ex_id)
{
    int32_t idx = cl_id && *cl_id ? th_tracker_find_cl(&f->trk, cl_id) : TH_TRK_UNKNOWN;
    if (idx < 0 && ex_id && *ex_id) idx = th_tracker_find_ex(&f->trk, ex_id);
    return idx;
}

/* A client id this session made (the prefix names host and session). */
static bool ours(const th_flow *f, const char *cl_id)
{
    size_t n = strlen(f->cfg.prefix);
    return cl_id && n && strncmp(cl_id, f->cfg.prefix, n) == 0 && cl_id[n] == '-';
}

/* On an account shared with other hosts (cfg.own_prefix): a client id not of this host's making
 * (another host's, or none: an order placed by hand, a trade reported without it). */
static bool foreign(const th_flow *f, const char *cl_id)
{
    size_t n = strnlen(f->cfg.own_prefix, sizeof f->cfg.own_prefix);
    return n && (!cl_id || strncmp(cl_id, f->cfg.own_prefix, n) != 0);
}

static bool owned(th_flow *f, const char *symbol)
{
    int32_t ins = symbol ? th_instruments_find(f->ins, symbol, strlen(symbol)) : -1;
    return ins >= 0 && f->gate.owns && f->gate.owns(f->gate.ctx, ins);
}

/* An order of this session the tracker no longer holds (retired a keep window after it was given
 * up): a late ack, or a fill, says the venue may hold it resting. Cancelled by its ids; an answer
 * that it is unknown there is harmless. */
static void cancel_retired(th_flow *f, const char *cl_id, const char *ex_id, const char *symbol, const char *why)
{
    if (!f->venue.ops) return;
    int32_t ins = symbol ? th_instruments_find(f->ins, symbol, strlen(symbol)) : -1;
    f->venue.ops->cancel(f->venue.self, cl_id, ex_id ? ex_id : "", ins >= 0 ? flow_instrument_of(f, ins) : NULL);
    f->st.late_cancels++;
    th_logf(TH_LOG_WARN, why, "cl_id=%s ex_id=%s", cl_id, ex_id ? ex_id : "");
}

/* After any venue event: an order now known at the venue gets the cancel it is owed, whatever
 * order the events came in. A cancel wanted before the ack goes out once the ack, or a fill that
 * proves the order exists, has moved it to OPEN; an order we had given up as failed and that the
 * venue turns out to hold (a late ack or fill revived it as PENDING_CANCEL) is cancelled there. */
static void owed_cancel(th_flow *f, int32_t idx, int32_t before, int64_t now)
{
    th_order *o = &f->trk.v[idx];
    if (o->state == TH_ORD_OPEN && (o->flags & TH_ORD_CANCEL_WANTED)) {
        th_flow_cancel(f, idx, now);
    } else if (before == TH_ORD_DONE && o->state == TH_ORD_PENDING_CANCEL) {
        f->st.late_cancels++;
        th_logf(TH_LOG_WARN, "the venue holds an order we had given up as failed: cancelling it there", "cl_id=%s ex_id=%s",
                o->cl_id, o->ex_id);
        flow_out_push(f, TH_SEND_CANCEL, idx, false);
    }
}

static void ev_ack(void *ctx, const char *cl_id, const char *ex_id)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    int32_t idx = find_order(f, cl_id, ex_id);
    if (idx < 0) {
        f->trk.st.unknown_events++;
        if (ours(f, cl_id)) cancel_retired(f, cl_id, ex_id, NULL, "late ack for a retired order of this session: cancelling it at the venue");
        else if (foreign(f, cl_id)) f->foreign_events++; /* another host's, on a shared account */
        else th_logf(TH_LOG_WARN, "ack for an order we never sent", "cl_id=%s ex_id=%s", cl_id ? cl_id : "", ex_id ? ex_id : "");
        return;
    }
    th_order *o = &f->trk.v[idx];
    int32_t before = o->state;
    int32_t rc = TRACK(f, idx, th_tracker_on_ack(&f->trk, o->cl_id, ex_id, now));
    th_risk_venue_ok(&f->risk);
    th_backoff_success(&f->backoff);
    flow_jr_event(f, TH_J_ACK, 0, o->cl_id, ex_id, 0, NULL);
    if (rc >= 0) flow_ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
    owed_cancel(f, idx, before, now);
}

void flow_venue_trouble(th_flow *f, int32_t verr, int64_t retry_after_ns, int64_t now)
{
    f->st.venue_errors++;
    /* Refusals that arrive while the back-off already runs were sent before it began (a burst of
     * cancels at a stop comes back refused together): one failure, not one doubling each, or a
     * burst of eight would push the next try a minute out. A venue's Retry-After still extends it. */
    if (verr == TH_VERR_ORDER_LIMIT) {
        /* only new orders are counted (Binance -1015): they wait, at least a second; cancels,
         * queries and reconciliation go on (the flow's back-off would hold them too) */
        int64_t until = now + (retry_after_ns > 1000000000LL ? retry_after_ns : 1000000000LL);
        if (until > f->place_hold_ns) f->place_hold_ns = until;
        th_logf(TH_LOG_WARN, "venue order count limit: new orders wait, cancels go on", "wait_ms=%lld",
                (long long)((f->place_hold_ns - now) / 1000000));
    }
    bool again = th_backoff_blocked(&f->backoff, now) && verr != TH_VERR_BANNED && retry_after_ns <= 0;
    if ((verr == TH_VERR_RATE_LIMITED || verr == TH_VERR_BANNED) && !again) {
        int64_t floor_ns = verr == TH_VERR_BANNED && retry_after_ns < 60LL * 1000000000 ? 60LL * 1000000000 : retry_after_ns;
        int64_t until = th_backoff_fail(&f->backoff, now, floor_ns);
        th_logf(TH_LOG_WARN, "venue rate limit: backing off", "kind=%s wait_ms=%lld", verr == TH_VERR_BANNED ? "banned" : "rate_limited",
                (long long)((until - now) / 1000000));
    }
    if (th_risk_venue_error(&f->risk, now))
        th_logf(TH_LOG_WARN, "circuit breaker open: order flow paused", "errors=%d cooldown_ms=%lld", f->cfg.risk.breaker_errors,
                (long long)(f->cfg.risk.breaker_cooldown_ns / 1000000));
}

static void ev_reject(void *ctx, const char *cl_id, int32_t verr, int64_t retry_after_ns, const char *text)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    flow_venue_trouble(f, verr, retry_after_ns, now);
    if (!cl_id) { /* a whole batch refused: its orders are queried one by one (venue_api.h) */
        th_logf(TH_LOG_WARN, "batch of orders refused: each order's status is asked", "reason=\"%s\"", text ? text : "");
        return;
    }
    int32_t idx = find_order(f, cl_id, NULL);
    if (idx < 0) { f->trk.st.unknown_events++; return; }
    f->st.rejects++;
    int32_t rc = TRACK(f, idx, th_tracker_on_reject(&f->trk, cl_id, now));
    flow_jr_event(f, TH_J_REJECT, 0, cl_id, NULL, verr, text);
    th_logf(TH_LOG_WARN, "order rejected", "cl_id=%s reason=\"%s\"", cl_id, text ? text : "");
    if (rc >= 0) flow_ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
}

static void finish_event(th_flow *f, const char *cl_id, const char *ex_id, int32_t type)
{
    int64_t now = th_clock_ns();
    int32_t idx = find_order(f, cl_id, ex_id);
    if (idx < 0) { f->trk.st.unknown_events++; return; }
    th_risk_venue_ok(&f->risk);
    if (type == TH_J_CANCELLED) th_backoff_success(&f->backoff); /* a cancel went through: the venue takes requests again */
    int32_t rc = type == TH_J_CANCELLED ? TRACK(f, idx, th_tracker_on_cancelled(&f->trk, idx, now))
                                        : TRACK(f, idx, th_tracker_on_expired(&f->trk, idx, now));
    flow_jr_event(f, type, 0, f->trk.v[idx].cl_id, NULL, 0, NULL);
    if (rc >= 0) flow_ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
}

static void ev_cancelled(void *ctx, const char *cl_id, const char *ex_id) { finish_event(ctx, cl_id, ex_id, TH_J_CANCELLED); }
static void ev_expired(void *ctx, const char *cl_id, const char *ex_id) { finish_event(ctx, cl_id, ex_id, TH_J_EXPIRED); }

static void ev_cancel_failed(void *ctx, const char *cl_id, int32_t verr, int64_t retry_after_ns, const char *text)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    int32_t idx = find_order(f, cl_id, NULL);
    th_logf(TH_LOG_WARN, "cancel failed", "cl_id=%s reason=\"%s\"", cl_id ? cl_id : "", text ? text : "");
    if (verr != TH_VERR_UNKNOWN_ORDER) flow_venue_trouble(f, verr, retry_after_ns, now);
    if (idx < 0) return;
    if (verr == TH_VERR_RATE_LIMITED || verr == TH_VERR_BANNED) flow_cancel_refused_for_rate(f, idx, now);
    /* The venue's answer decides: ask it now rather than at the timeout. */
    th_tracker_touch(&f->trk, idx, now);
    flow_out_push(f, TH_SEND_QUERY, idx, false);
}

static void ev_amended(void *ctx, const char *cl_id, bool ok, const char *text)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    int32_t idx = find_order(f, cl_id, NULL);
    if (idx < 0) { f->trk.st.unknown_events++; return; }
    if (!ok) th_logf(TH_LOG_WARN, "amend refused", "cl_id=%s reason=\"%s\"", cl_id, text ? text : "");
    int32_t rc = TRACK(f, idx, th_tracker_on_amended(&f->trk, idx, ok, now));
    flow_jr_event(f, TH_J_AMENDED, 0, cl_id, NULL, ok ? 1 : 0, NULL);
    if (rc >= 0) flow_ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
}

static int32_t adopt(th_flow *f, const char *ex_id, const char *symbol, int32_t side, int64_t price, int64_t qty, int64_t filled,
                     int64_t now)
{
    int32_t ins = th_instruments_find(f->ins, symbol, strlen(symbol));
    if (!flow_ins_ready(f, ins)) {
        th_logf(TH_LOG_ERROR, "venue reports an order on an instrument we do not know", "ex_id=%s symbol=%s", ex_id, symbol);
        return TH_TRK_INVALID;
    }
    int32_t idx = TRACK(f, -1, th_tracker_adopt(&f->trk, ex_id, ins, side, price, qty, filled, now));
    if (idx < 0) return idx;
    th_order *o = &f->trk.v[idx];
    f->open_notional += flow_live_notional(f, o);
    f->st.adopted++;
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_ADOPT;
    r.side = side;
    r.price_dec = f->ins->v[ins].price_dec;
    r.qty_dec = f->ins->v[ins].qty_dec;
    r.price = price;
    r.qty = qty;
    r.filled = filled;
    snprintf(r.cl_id, sizeof r.cl_id, "%s", o->cl_id);
    snprintf(r.ex_id, sizeof r.ex_id, "%s", ex_id);
    snprintf(r.symbol, sizeof r.symbol, "%s", symbol);
    flow_jr_put(f, &r);
    th_logf(TH_LOG_WARN, "adopted an order we never sent", "ex_id=%s symbol=%s cl_id=%s", ex_id, symbol, o->cl_id);
    return idx;
}

/* Apply one fill to tracker and portfolio; shared by the live path and journal replay. */
int32_t flow_apply_fill(th_flow *f, int32_t idx, const char *trade_id, int64_t qty, int64_t price, th_money fee, int64_t now,
                          int64_t *delta_out)
{
    th_order *o = &f->trk.v[idx];
    int64_t before = o->filled;
    int32_t rc = TRACK(f, idx, th_tracker_on_fill(&f->trk, idx, trade_id, qty, price, now));
    int64_t delta = o->filled - before;
    if (rc >= 0) th_portfolio_fill(&f->pf, o->instrument, o->side, delta, price, fee, now);
    *delta_out = delta;
    return rc;
}

static void ev_fill(void *ctx, const th_venue_fill *x)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    int32_t idx = find_order(f, x->cl_id, x->ex_id);
    if (idx < 0 && th_tracker_trade_seen(&f->trk, x->cl_id, x->trade_id)) {
        /* a replay of a fill already counted, for an order since retired */
        f->trk.st.duplicate_fills++;
        return;
    }
    if (idx < 0 && foreign(f, x->cl_id)) {
        f->foreign_events++; /* another host's: its own journal counts it */
        return;
    }
    if (idx < 0) {
        /* A fill is never dropped: the order is adopted so the position counts it. One of this
         * session's that was retired may still rest its remainder at the venue: cancelled there. */
        if (ours(f, x->cl_id))
            cancel_retired(f, x->cl_id, x->ex_id, x->symbol, "fill for a retired order of this session: cancelling what may rest");
        idx = adopt(f, x->ex_id[0] ? x->ex_id : x->trade_id, x->symbol, x->side, x->price, x->qty, 0, now);
        if (idx < 0) { f->trk.st.unknown_events++; return; }
    }
    th_order *o = &f->trk.v[idx];
    int32_t before = o->state;
    int64_t delta;
    int32_t rc = flow_apply_fill(f, idx, x->trade_id, x->qty, x->price, x->fee, now, &delta);
    if (rc < 0) return; /* duplicate (by trade id) or invalid: nothing changed */
    f->st.fills++;
    if (x->ts_ns > f->last_fill_ns) f->last_fill_ns = x->ts_ns;
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_FILL;
    r.price = x->price;
    r.qty = x->qty;
    r.fee = x->fee;
    r.created_ns = x->ts_ns;
    snprintf(r.cl_id, sizeof r.cl_id, "%s", o->cl_id);
    snprintf(r.trade_id, sizeof r.trade_id, "%s", x->trade_id);
    if (x->fee_asset[0]) {
        flow_fee_other_text(x->fee_asset, x->fee_other, r.text, sizeof r.text);
        flow_fee_other_add(f, x->fee_asset, x->fee_other);
        th_logf(TH_LOG_INFO, "fill: fee charged in another asset than the quote (recorded in it, not converted)", "cl_id=%s trade_id=%s fee=%s asset=%s",
                o->cl_id, x->trade_id, x->fee_other, x->fee_asset);
    }
    flow_jr_put(f, &r);
    flow_ev_push(f, TH_FLOW_EV_FILL, idx, delta, x->price, x->fee);
    if (o->state == TH_ORD_DONE || o->state != before) flow_ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
    owed_cancel(f, idx, before, now);
    flow_check_loss_caps(f, now);
}

/* The venue, asked, does not report the order. */
static void resolve_missing(th_flow *f, int32_t idx, int64_t now, const char *why)
{
    if (flow_finish_missing(f, idx, now, why)) f->st.resolved_missing++;
}

static void ev_order_status(void *ctx, const char *cl_id, const th_venue_order *vo)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    int32_t idx = find_order(f, cl_id, vo ? vo->ex_id : NULL);
    if (idx < 0) return;
    th_order *o = &f->trk.v[idx];
    if (!vo) { resolve_missing(f, idx, now, "venue does not know the order"); return; }
    if (o->state == TH_ORD_PENDING_CREATE) ev_ack(f, o->cl_id, vo->ex_id);
    if (o->state == TH_ORD_DONE) return;
    /* An amend whose answer is late: the venue's order decides. Resting at the amended price and
     * total, it was applied; resting otherwise, or finished with no fills we lack, it was not (an
     * order kept live only for that answer is then done). */
    if (o->amend_qty && (vo->open || vo->filled <= o->filled)) {
        ev_amended(f, o->cl_id, vo->open && vo->price == o->amend_price && vo->qty == o->amend_qty, "settled by a status query");
        if (o->state == TH_ORD_DONE) return;
    }
    if (vo->open) {
        /* the cancel was lost or refused: again, unless the venue asked us to slow down (then the
         * tick re-sends it once the back-off has passed, flow_stop.c: a refused cancel re-sent at
         * once is refused again, in a loop as fast as the venue answers) */
        if (o->state == TH_ORD_PENDING_CANCEL && !(o->flags & TH_ORD_CANCEL_RESEND) && !th_backoff_blocked(&f->backoff, now))
            flow_out_push(f, TH_SEND_CANCEL, idx, false);
        else if (o->state == TH_ORD_PENDING_CANCEL) o->flags |= TH_ORD_CANCEL_RESEND; /* flow_resend_cancels, on the tick */
        th_tracker_touch(&f->trk, idx, now);
    } else if (vo->filled > o->filled) {
        /* finished at the venue with fills we have not seen: fetch them before deciding */
        if (f->venue.ops) f->venue.ops->trades_since(f->venue.self, f->last_fill_ns);
        th_tracker_touch(&f->trk, idx, now);
    } else {
        finish_event(f, o->cl_id, NULL, TH_J_CANCELLED);
    }
}

/* ---- reconciliation ---- */


/* A cancel straight to the venue for an order the tracker does not hold live. */
static void cancel_untracked(th_flow *f, const th_venue_order *v, const char *why)
{
    if (!f->venue.ops) return;
    int32_t ins = th_instruments_find(f->ins, v->symbol, strlen(v->symbol));
    f->venue.ops->cancel(f->venue.self, v->cl_id, v->ex_id, flow_instrument_of(f, ins));
    f->st.adopted_cancelled++;
    th_logf(TH_LOG_WARN, why, "cl_id=%s ex_id=%s symbol=%s", v->cl_id, v->ex_id, v->symbol);
}

static const char *recon_phase_name(int32_t p) { return p == TH_RECON_TRADES ? "trades" : "open_orders"; }

/* The reconciliation's request for its current phase (trades since the last fill, then open
 * orders). A local failure is logged; either way the tick asks again if no answer comes. */
void flow_recon_send(th_flow *f, int64_t now_ns)
{
    f->recon_sent_ns = now_ns;
    f->recon_retry_ns = 0;
    if (!f->venue.ops) return;
    int rc = f->recon == TH_RECON_TRADES ? f->venue.ops->trades_since(f->venue.self, f->last_fill_ns)
                                         : f->venue.ops->open_orders(f->venue.self);
    if (rc != 0) th_logf(TH_LOG_ERROR, "reconcile: request failed locally; asking again after the timeout", "phase=%s", recon_phase_name(f->recon));
}

/* Tick: a reconciliation request unanswered for pending_timeout_ns was lost (it or its answer):
 * arm the flow's back-off, and once it has passed (a venue rate limit extends it), ask again. */
void flow_recon_retry(th_flow *f, int64_t now_ns)
{
    if (!f->recon || !f->venue.ops || now_ns - f->recon_sent_ns < f->cfg.pending_timeout_ns) return;
    if (!f->recon_retry_ns) {
        f->recon_retry_ns = th_backoff_fail(&f->backoff, now_ns, 0);
        th_logf(TH_LOG_WARN, "reconcile: no answer from the venue; asking again after a back-off", "phase=%s waited_ms=%lld backoff_ms=%lld",
                recon_phase_name(f->recon), (long long)((now_ns - f->recon_sent_ns) / 1000000),
                (long long)((f->recon_retry_ns - now_ns) / 1000000));
    }
    if (now_ns < f->recon_retry_ns || th_backoff_blocked(&f->backoff, now_ns)) return;
    f->st.recon_resends++;
    th_logf(TH_LOG_WARN, "reconcile: asking the venue again", "phase=%s resends=%llu", recon_phase_name(f->recon),
            (unsigned long long)f->st.recon_resends);
    flow_recon_send(f, now_ns);
}

/* Another host's order open at the venue: cancelled on a pair this host holds (the previous
 * holder's leftovers: it died, or lost the lease), else left alone. */
static void foreign_open(th_flow *f, const th_venue_order *v)
{
    f->foreign_events++;
    if (!owned(f, v->symbol)) return;
    f->foreign_cancelled++;
    cancel_untracked(f, v, "cancelling another host's order on a pair whose lease this host holds");
}

/* th_flow_sweep_foreign's answer: only other hosts' orders are looked at. */
static void sweep_answer(th_flow *f, const th_venue_order *v, int32_t n)
{
    f->sweep_foreign = false;
    int32_t before = (int32_t)f->foreign_cancelled;
    for (int32_t i = 0; i < n; i++)
        if (find_order(f, v[i].cl_id, v[i].ex_id) < 0 && foreign(f, v[i].cl_id)) foreign_open(f, &v[i]);
    th_logf(TH_LOG_INFO, "shared account: swept other hosts' orders off the pairs this host holds", "venue_open=%d cancelled=%d", n,
            (int)f->foreign_cancelled - before);
}

void th_flow_sweep_foreign(th_flow *f, int64_t now_ns)
{
    (void)now_ns;
    if (!f->venue.ops || f->recon || !f->cfg.own_prefix[0]) return; /* a reconciliation does the same */
    if (f->venue.ops->open_orders(f->venue.self) == 0) f->sweep_foreign = true;
}

static void ev_open_orders(void *ctx, const th_venue_order *v, int32_t n)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    if (f->recon != TH_RECON_OPEN) {
        if (f->sweep_foreign) sweep_answer(f, v, n);
        return;
    }
    f->sweep_foreign = false;
    for (int32_t i = 0; i < n; i++) {
        int32_t idx = find_order(f, v[i].cl_id, v[i].ex_id);
        if (idx < 0 && foreign(f, v[i].cl_id)) {
            foreign_open(f, &v[i]);
            continue;
        }
        if (idx < 0) {
            if (f->cfg.adopt_unknown) {
                idx = adopt(f, v[i].ex_id, v[i].symbol, v[i].side, v[i].price, v[i].qty, v[i].filled, now);
                if (idx >= 0) f->trk.v[idx].flags |= TH_ORD_SEEN;
            } else {
                cancel_untracked(f, &v[i], "cancelling an order we never sent");
            }
            continue;
        }
        th_order *o = &f->trk.v[idx];
        int32_t before = o->state;
        bool failed = before == TH_ORD_DONE && o->done_reason == TH_DONE_FAILED;
        if (before == TH_ORD_PENDING_CREATE || failed) ev_ack(f, o->cl_id, v[i].ex_id); /* sends what it owes */
        else if (before == TH_ORD_PENDING_CANCEL) {
            /* listed open with our cancel requested: lost or refused if it went out before this
             * request did; sent while the request was out, the list may predate it, and its own
             * answer (or the timeout query) decides */
            if (!(o->flags & TH_ORD_CANCEL_DURING_LIST)) flow_out_push(f, TH_SEND_CANCEL, idx, false);
        }
        else if (before == TH_ORD_DONE) cancel_untracked(f, &v[i], "the venue reports open an order we consider finished");
        else if (!o->ex_id[0]) ev_ack(f, o->cl_id, v[i].ex_id); /* a fill while we were away implied the ack: learn its id */
        else owed_cancel(f, idx, before, now);
        o->flags |= TH_ORD_SEEN;
        /* An amend carried over from before the restart: its answer went to the old process, so the
         * venue's report settles it (applied if the order rests at the amended price and size). */
        if (o->amend_qty && o->state != TH_ORD_DONE)
            ev_amended(f, o->cl_id, v[i].price == o->amend_price && v[i].qty == o->amend_qty, "settled by reconciliation");
    }
    /* Ours, live, and not reported open: gone while we were away (fills were applied first). */
    for (int32_t ins = 0; ins < f->trk.ins_cap; ins++)
        for (int32_t j = f->trk.live[ins].n - 1; j >= 0; j--) { /* from the end: resolving finishes it */
            int32_t k = f->trk.live[ins].v[j].idx;
            if (!(f->trk.v[k].flags & TH_ORD_SEEN)) resolve_missing(f, k, now, "not open at the venue after recovery");
        }
    for (int32_t k = 0; k < f->trk.n; k++) f->trk.v[k].flags &= ~(uint32_t)(TH_ORD_SEEN | TH_ORD_CANCEL_DURING_LIST);
    f->recon = TH_RECON_NONE;
    th_backoff_success(&f->backoff);
    th_logf(TH_LOG_INFO, "reconciled with the venue", "venue_open=%d live=%d adopted=%llu resolved=%llu", n, f->trk.nlive,
            (unsigned long long)f->st.adopted, (unsigned long long)f->st.resolved_missing);
}

static void ev_trades(void *ctx, const th_venue_fill *v, int32_t n)
{
    th_flow *f = ctx;
    for (int32_t i = 0; i < n; i++) ev_fill(f, &v[i]);
    if (f->recon == TH_RECON_TRADES) {
        f->recon = TH_RECON_OPEN;
        th_backoff_success(&f->backoff);
        flow_recon_send(f, th_clock_ns());
    }
}


void th_flow_reconcile(th_flow *f, int64_t now_ns)
{
    if (!f->venue.ops) return;
    f->recon = TH_RECON_TRADES;
    flow_recon_send(f, now_ns);
}

/* ---- the connector's callbacks ---- */

th_venue_events th_flow_venue_events(th_flow *f)
{
    return (th_venue_events){f, ev_ack, ev_reject, ev_cancelled, ev_cancel_failed, ev_expired, ev_amended, ev_fill,
                             ev_order_status, ev_open_orders, ev_trades, flow_ev_cancel_all};
}
