/* flow_stop.c — the order flow's graceful stop and the cancels the venue refused for the rate.
 *
 * The stop must leave nothing resting at the venue. Per-order cancels are what a venue's rate
 * limit refuses first: Kraken charges a cancel +8 on the pair's counter for an order under 5 s
 * old, and after a restart the venue's counter still carries the previous session's charges
 * (which our model cannot know), so a stop right after a restart meets
 * `EOrder:Rate limit exceeded`. Hence:
 *   1. the stop's first move, when the venue has one and cfg.stop_cancel_all allows, is a single
 *      cancel_all (Kraken WS v2 `cancel_all`: the venue carries it out whatever the counter says);
 *      every live order is journalled PENDING_CANCEL first, as for a per-order cancel;
 *   2. its answer starts a reconciliation (trades since the last fill, then open orders): what the
 *      venue still reports open gets its own cancel, what it does not is finished; a refused
 *      cancel_all falls back to one cancel per order;
 *   3. a cancel refused for the rate (at the stop or while quoting) is re-sent as soon as the
 *      flow's back-off has passed and, on Kraken's model, the pair's counter (learnt full from the
 *      refusal) has room for it, not only by the timeout query (which waits pending_timeout_s);
 *   4. the drain's estimate (th_flow_drain_estimate_ns) says how long the counter needs to let
 *      every cancel out if it is full, and th_flow_log_live names what a stop that gave up leaves.
 * The session decides how long to wait and how to exit (host/app/session.c). */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "log.h"
#include "order_flow.h"
#include "order_flow_impl.h"

static bool kraken_model(const th_flow *f) { return f->cfg.rate_model == TH_RATE_KRAKEN && f->cfg.pair_cap > 0; }

/* Every live order that is PENDING_CANCEL: its own cancel pushed now, or flagged for the re-send
 * after the back-off. Returns how many. */
static int32_t each_cancelling(th_flow *f, bool resend_later)
{
    int32_t n = 0;
    for (int32_t i = 0; i < f->trk.ins_cap; i++)
        for (int32_t k = 0; k < f->trk.live[i].n; k++) {
            int32_t idx = f->trk.live[i].v[k].idx;
            th_order *o = &f->trk.v[idx];
            if (o->state != TH_ORD_PENDING_CANCEL) continue;
            if (resend_later) o->flags |= TH_ORD_CANCEL_RESEND;
            else flow_out_push(f, TH_SEND_CANCEL, idx, false);
            n++;
        }
    return n;
}

int32_t th_flow_stop(th_flow *f, int64_t now_ns)
{
    f->stopping = true;
    bool bulk = f->cfg.stop_cancel_all && f->venue.ops && f->venue.ops->cancel_all && !f->failed && f->trk.nlive > 0;
    f->bulk_cancel = bulk;
    th_flow_cancel_all(f, -1, now_ns);
    f->bulk_cancel = false;
    int32_t pending = 0;
    for (int32_t i = 0; bulk && i < f->trk.ins_cap; i++)
        for (int32_t k = 0; k < f->trk.live[i].n; k++) pending += f->trk.v[f->trk.live[i].v[k].idx].state == TH_ORD_PENDING_CANCEL;
    if (pending > 0 && flow_out_push(f, TH_SEND_CANCEL_ALL, -1, false) == 0) {
        f->cancel_all_state = 1;
        th_logf(TH_LOG_INFO, "stop: one cancel_all for every open order, then a reconciliation for what remains", "venue=%s orders=%d",
                f->venue.ops->name, pending);
    } else if (pending > 0) {
        each_cancelling(f, false); /* out of memory for the outbox entry: one cancel per order */
    }
    return f->trk.nlive;
}

/* The cancel_all request could not be sent (the connection is down): one cancel per order, which
 * fail locally too until it is back, and then the timeout queries resolve each. */
void flow_cancel_all_unsent(th_flow *f)
{
    f->cancel_all_state = 0;
    th_logf(TH_LOG_WARN, "stop: cancel_all could not be sent; cancelling order by order", NULL);
    each_cancelling(f, false);
}

void flow_ev_cancel_all(void *ctx, bool ok, int32_t count, int32_t verr, int64_t retry_after_ns, const char *text)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    f->cancel_all_state = 2;
    if (ok) {
        th_backoff_success(&f->backoff);
        th_logf(TH_LOG_INFO, "stop: the venue cancelled every open order; reconciling what remains", "venue_cancelled=%d live=%d", count,
                f->trk.nlive);
        if (f->trk.nlive > 0) th_flow_reconcile(f, now);
        return;
    }
    bool rate = verr == TH_VERR_RATE_LIMITED || verr == TH_VERR_BANNED;
    flow_venue_trouble(f, verr, retry_after_ns, now);
    int32_t n = each_cancelling(f, rate);
    th_logf(TH_LOG_WARN, "stop: cancel_all refused; cancelling order by order", "reason=\"%s\" orders=%d when=%s", text ? text : "", n,
            rate ? "after_the_backoff" : "now");
}

void flow_cancel_refused_for_rate(th_flow *f, int32_t idx, int64_t now_ns)
{
    th_order *o = &f->trk.v[idx];
    if (o->state != TH_ORD_PENDING_CANCEL) return;
    o->flags |= TH_ORD_CANCEL_RESEND;
    /* The venue's counter is at least its threshold less this cancel's cost: our model of it
     * (which a restart starts empty) learns that it is full, and paces the re-sends by its decay. */
    if (kraken_model(f) && flow_ins_ready(f, o->instrument)) {
        th_bucket *b = &f->pair_bucket[o->instrument];
        if (th_bucket_level(b, now_ns) > 0) b->tokens = 0;
    }
}

void flow_resend_cancels(th_flow *f, int64_t now_ns)
{
    if (f->trk.nlive == 0 || th_backoff_blocked(&f->backoff, now_ns) || !f->venue.ops) return;
    for (int32_t i = 0; i < f->trk.ins_cap; i++)
        for (int32_t k = 0; k < f->trk.live[i].n; k++) {
            int32_t idx = f->trk.live[i].v[k].idx;
            th_order *o = &f->trk.v[idx];
            if (!(o->flags & TH_ORD_CANCEL_RESEND) || o->state != TH_ORD_PENDING_CANCEL) continue;
            if (kraken_model(f) && flow_ins_ready(f, i) && !th_bucket_take(&f->pair_bucket[i], th_kraken_cancel_cost(flow_kraken_age(o, now_ns)), now_ns))
                continue; /* the pair's counter has no room yet: its decay gives it */
            o->flags &= ~(uint32_t)TH_ORD_CANCEL_RESEND;
            th_tracker_touch(&f->trk, idx, now_ns);
            flow_out_push(f, TH_SEND_CANCEL, idx, false);
            f->st.cancel_resends++;
            th_logf(TH_LOG_INFO, "re-sending a cancel the venue refused for the rate", "cl_id=%s ex_id=%s resends=%llu", o->cl_id, o->ex_id,
                    (unsigned long long)f->st.cancel_resends);
        }
}

int64_t th_flow_drain_estimate_ns(th_flow *f, int64_t now_ns)
{
    if (!kraken_model(f) || f->cfg.pair_rate <= 0) return 0;
    double worst = 0;
    for (int32_t i = 0; i < f->trk.ins_cap; i++) {
        double cost = 0;
        for (int32_t k = 0; k < f->trk.live[i].n; k++) cost += th_kraken_cancel_cost(flow_kraken_age(&f->trk.v[f->trk.live[i].v[k].idx], now_ns));
        if (cost > worst) worst = cost;
    }
    return (int64_t)(2 * worst / f->cfg.pair_rate * 1e9);
}

static const char *state_name(int32_t s)
{
    return s == TH_ORD_PENDING_CREATE ? "pending_create" : s == TH_ORD_OPEN ? "open" : s == TH_ORD_PENDING_CANCEL ? "pending_cancel" : "done";
}

int32_t th_flow_log_live(th_flow *f, const char *msg)
{
    int32_t n = 0;
    for (int32_t i = 0; i < f->trk.ins_cap; i++)
        for (int32_t k = 0; k < f->trk.live[i].n; k++) {
            const th_order *o = &f->trk.v[f->trk.live[i].v[k].idx];
            const th_instrument *in = i < f->ins->n ? &f->ins->v[i] : NULL;
            char px[40] = "?", qty[40] = "?";
            if (in) {
                th_dec_format(o->price, in->price_dec, px, sizeof px);
                th_dec_format(o->qty - o->filled, in->qty_dec, qty, sizeof qty);
            }
            th_logf(TH_LOG_ERROR, msg, "cl_id=%s ex_id=%s symbol=%s side=%s price=%s open_qty=%s state=%s", o->cl_id,
                    o->ex_id[0] ? o->ex_id : "none", in ? in->symbol : "?", o->side == TH_BID ? "buy" : "sell", px, qty,
                    state_name(o->state));
            n++;
        }
    return n;
}
