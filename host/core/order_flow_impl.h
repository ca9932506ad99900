/* order_flow_impl.h — what the order flow's three files share (order_flow.c, flow_venue.c,
 * flow_journal.c), and nobody else: callers use order_flow.h. Hidden from the shared library's
 * and the host's exported symbols, so no strategy or test can come to depend on them. */
#ifndef TH_ORDER_FLOW_IMPL_H
#define TH_ORDER_FLOW_IMPL_H

#include "order_flow.h"

#define TH_FLOW_PRIVATE __attribute__((visibility("hidden")))

/* Order flags only the flow uses (order_tracker.h owns bits 0..1): seen in the venue's open-orders
 * answer of the running reconciliation; a cancel that went out while that request was out (the
 * answer may predate it, so its listing the order open proves nothing). */
enum { TH_ORD_SEEN = 1u << 7, TH_ORD_CANCEL_DURING_LIST = 1u << 8 };

/* f->last_error from fmt with one %s. */
TH_FLOW_PRIVATE void flow_error(th_flow *f, const char *fmt, const char *a);
/* flow_fees.c: a fee charged in another asset than the quote (totalled by asset; -1: unreadable or
 * no room), its journal text, and that text read back on replay (0: the record has none). */
TH_FLOW_PRIVATE int flow_fee_other_add(th_flow *f, const char *asset, const char *amount);
TH_FLOW_PRIVATE void flow_fee_other_text(const char *asset, const char *amount, char *out, size_t cap);
TH_FLOW_PRIVATE int flow_fee_other_replay(th_flow *f, const char *text);
/* An instrument index the order side can use (growing the flow's arrays if the registry grew). */
TH_FLOW_PRIVATE bool flow_ins_ready(th_flow *f, int32_t ins);
TH_FLOW_PRIVATE const th_instrument *flow_instrument_of(th_flow *f, int32_t ins);
/* What a live order counts against the exposure gates (0 once done). */
TH_FLOW_PRIVATE double flow_live_notional(const th_flow *f, const th_order *o);

/* Journal records: one record; one event record (order ids, a code, a text, each optional; ts 0
 * is now); a position as it stands; the kill switch just pulled. */
TH_FLOW_PRIVATE void flow_jr_put(th_flow *f, th_jrec *r);
/* th_kv_journal's record sink: flow_jr_put (flow_store.c) */
TH_FLOW_PRIVATE int flow_store_rec(void *flow, th_jrec *r);
TH_FLOW_PRIVATE void flow_jr_event(th_flow *f, int32_t type, int64_t ts, const char *cl_id, const char *ex_id, int32_t code,
                                   const char *text);
TH_FLOW_PRIVATE void flow_jr_position(th_flow *f, int32_t i, int64_t now_ns);
TH_FLOW_PRIVATE void flow_jr_kill(th_flow *f, int64_t now_ns);

/* An event for the strategy (on_fill / on_order); a request for the outbox. */
TH_FLOW_PRIVATE void flow_ev_push(th_flow *f, int32_t kind, int32_t idx, int64_t qty, int64_t price, th_money fee);
TH_FLOW_PRIVATE int flow_out_push(th_flow *f, int32_t kind, int32_t idx, bool post_only);

/* The order is not (or no longer) at the venue: done, journalled, the strategy told; false if it
 * was already done. */
TH_FLOW_PRIVATE bool flow_finish_missing(th_flow *f, int32_t idx, int64_t now_ns, const char *why);
/* After a fill: the loss caps may pull the kill switch. */
TH_FLOW_PRIVATE void flow_check_loss_caps(th_flow *f, int64_t now_ns);
/* One fill into tracker and portfolio; shared by the live path and journal replay. */
TH_FLOW_PRIVATE int32_t flow_apply_fill(th_flow *f, int32_t idx, const char *trade_id, int64_t qty, int64_t price, th_money fee,
                                        int64_t now, int64_t *delta_out);
/* The reconciliation's request for its phase; and, on the tick, asking again when it was lost. */
TH_FLOW_PRIVATE void flow_recon_send(th_flow *f, int64_t now_ns);
TH_FLOW_PRIVATE void flow_recon_retry(th_flow *f, int64_t now_ns);

/* flow_stop.c: an order's cancel was refused for the rate: re-sent by flow_resend_cancels once
 * the back-off (and the pair's counter, on Kraken's model) allows, not only by the timeout query.
 * A flow-private flag on th_order.flags (the tracker's own are the low bits). */
enum { TH_ORD_CANCEL_RESEND = 1u << 6 };
TH_FLOW_PRIVATE void flow_cancel_refused_for_rate(th_flow *f, int32_t idx, int64_t now_ns);
TH_FLOW_PRIVATE void flow_resend_cancels(th_flow *f, int64_t now_ns);
/* The stop's cancel_all could not be sent: one cancel per order instead. */
TH_FLOW_PRIVATE void flow_cancel_all_unsent(th_flow *f);
/* Kraken: an order's age for the counter's penalties, from its creation or its last amend. */
TH_FLOW_PRIVATE int64_t flow_kraken_age(const th_order *o, int64_t now_ns);
/* The venue's answer to cancel_all (a th_venue_events callback). */
TH_FLOW_PRIVATE void flow_ev_cancel_all(void *ctx, bool ok, int32_t count, int32_t verr, int64_t retry_after_ns, const char *text);
/* flow_venue.c: a venue error's effect on the back-off and the circuit breaker. */
TH_FLOW_PRIVATE void flow_venue_trouble(th_flow *f, int32_t verr, int64_t retry_after_ns, int64_t now_ns);

/* Run a tracker mutation on order idx and keep open_notional in step with it. */
#define TRACK(f, idx, call)                                                                        \
    ({                                                                                             \
        double c0_ = th_tracker_has(&(f)->trk, (idx)) ? flow_live_notional((f), &(f)->trk.v[(idx)]) : 0; \
        int32_t rc_ = (call);                                                                      \
        if (th_tracker_has(&(f)->trk, (idx))) (f)->open_notional += flow_live_notional((f), &(f)->trk.v[(idx)]) - c0_; \
        rc_;                                                                                       \
    })

#endif
