/* flow_journal.c — the order flow and its journal at the two ends of a session: th_flow_apply
 * replays a journal's records into state at start-up (through the same tracker and portfolio
 * calls the live path made), and th_flow_journal_begin writes the snapshot a new journal opens
 * with (the session record, trades already counted, positions, live orders, the kill switch), so
 * the newest journal alone is enough to recover from. The records written while trading are
 * written where they happen (order_flow.c, flow_venue.c) with flow_jr_put / flow_jr_event. */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "order_flow.h"
#include "order_flow_impl.h"

/* ---- recovery ---- */

static int32_t ins_of_symbol(th_flow *f, const char *symbol, const char **err)
{
    int32_t ins = th_instruments_find(f->ins, symbol, strlen(symbol));
    if (ins < 0) *err = "the journal names an instrument missing from the venue's instrument data";
    else if (!flow_ins_ready(f, ins)) { *err = "out of memory"; ins = -1; }
    return ins;
}

/* A journal older than version 5 names no quote owner (TH_J_INTENT_QUOTE): its orders are read as
 * the quotes', as the hosts that wrote it treated every order of a quoted pair. A journal with no
 * session record (never written by a host, only by hand) is read as the current version. */
static bool jr_names_no_owner(const th_flow *f) { return f->jr_version > 0 && f->jr_version < 5; }

int th_flow_apply(th_flow *f, const th_jrec *r)
{
    const char *err = NULL;
    int32_t idx = r->cl_id[0] ? th_tracker_find_cl(&f->trk, r->cl_id) : -1;
    int64_t t = r->ts_ns;
    switch (r->type) {
    case TH_J_SESSION:
        if (r->code > TH_JOURNAL_VERSION) {
            snprintf(f->last_error, sizeof f->last_error,
                     "journal format version %d is newer than this host reads (version %d and older): use a newer tradehost",
                     r->code, TH_JOURNAL_VERSION);
            return -1;
        }
        f->jr_version = r->code;
        /* the previous sessions' last fill time: "trades since" starts there, not at 0 */
        if (r->created_ns > f->last_fill_ns) f->last_fill_ns = r->created_ns;
        return 0;
    case TH_J_CLOSE:
        return 0;
    case TH_J_STORE:
        if (th_kv_apply(&f->store, r, &err) != 0) { flow_error(f, "%s", err); return -1; }
        return 0;
    case TH_J_SEEN:
        if (th_tracker_trade_note(&f->trk, r->text) != 0) { flow_error(f, "%s", "journal: out of memory for trade keys"); return -1; }
        return 0;
    case TH_J_INTENT:
    case TH_J_ADOPT:
    case TH_J_ORDER: {
        th_order o;
        memset(&o, 0, sizeof o);
        int32_t ins = ins_of_symbol(f, r->symbol, &err);
        if (ins < 0) { flow_error(f, "%s", err); return -1; }
        snprintf(o.cl_id, sizeof o.cl_id, "%s", r->cl_id);
        snprintf(o.ex_id, sizeof o.ex_id, "%s", r->ex_id);
        snprintf(o.tag, sizeof o.tag, "%s", r->tag);
        o.instrument = ins;
        o.side = r->side;
        o.price = r->price;
        o.qty = r->qty;
        o.created_ns = o.state_ns = r->type == TH_J_ORDER ? r->created_ns : t;
        if (r->type == TH_J_INTENT) {
            o.state = TH_ORD_PENDING_CREATE;
            if ((r->code & TH_J_INTENT_QUOTE) || jr_names_no_owner(f)) o.flags = TH_ORD_QUOTE;
        }
        else if (r->type == TH_J_ADOPT) {
            o.filled = r->filled;
            o.notional_filled = th_money_mul(r->price, r->filled);
            o.flags = TH_ORD_ADOPTED;
            o.state = r->filled == r->qty ? TH_ORD_DONE : TH_ORD_OPEN;
            o.done_reason = r->filled == r->qty ? TH_DONE_FILLED : TH_DONE_NONE;
        } else {
            o.filled = r->filled;
            o.notional_filled = r->notional;
            o.amend_price = r->amend_price;
            o.amend_qty = r->amend_qty;
            o.amend_ns = t;
            o.state = r->code;
            o.done_reason = r->reason;
            o.flags = (uint32_t)r->seq;
            if (jr_names_no_owner(f) && !(o.flags & TH_ORD_ADOPTED)) o.flags |= TH_ORD_QUOTE;
        }
        int32_t k = th_tracker_restore(&f->trk, &o);
        if (k < 0) { flow_error(f, "journal: order %s cannot be restored (duplicate or invalid)", r->cl_id); return -1; }
        f->open_notional += flow_live_notional(f, &f->trk.v[k]);
        return 0;
    }
    case TH_J_POSITION: {
        int32_t ins = ins_of_symbol(f, r->symbol, &err);
        if (ins < 0) { flow_error(f, "%s", err); return -1; }
        th_position *p = &f->pf.v[ins];
        p->qty = r->qty;
        p->cost = r->cost;
        p->realised = r->realised;
        p->fees = r->fee;
        p->mark = r->price;
        p->fills = r->seq;
        /* version 1 journals carry no trading day: the day then starts at recovery */
        if (r->day) th_portfolio_restore_day(&f->pf, ins, r->day, r->day_realised, r->day_fees, r->day_unrealised);
        return 0;
    }
    case TH_J_KILL:
        th_risk_halt(&f->risk, r->code, r->text);
        return 0;
    case TH_J_REARM:
        th_risk_resume(&f->risk);
        return 0;
    default:
        break;
    }
    if (idx < 0) { flow_error(f, "journal: event for an order that was never journalled: %s", r->cl_id); return -1; }
    switch (r->type) {
    case TH_J_ACK: TRACK(f, idx, th_tracker_on_ack(&f->trk, r->cl_id, r->ex_id, t)); break;
    case TH_J_REJECT: TRACK(f, idx, th_tracker_on_reject(&f->trk, r->cl_id, t)); break;
    case TH_J_CANCEL_REQ: th_tracker_request_cancel(&f->trk, idx, t); break;
    case TH_J_CANCELLED: TRACK(f, idx, th_tracker_on_cancelled(&f->trk, idx, t)); break;
    case TH_J_EXPIRED: TRACK(f, idx, th_tracker_on_expired(&f->trk, idx, t)); break;
    case TH_J_MISSING: TRACK(f, idx, th_tracker_resolve_missing(&f->trk, idx, t)); break;
    case TH_J_AMEND_REQ: th_tracker_request_amend(&f->trk, idx, r->price, r->qty, t); break;
    case TH_J_AMENDED: TRACK(f, idx, th_tracker_on_amended(&f->trk, idx, r->code != 0, t)); break;
    case TH_J_FILL: {
        int64_t delta;
        if (flow_apply_fill(f, idx, r->trade_id, r->qty, r->price, r->fee, t, &delta) >= 0 && r->text[0]) flow_fee_other_replay(f, r->text);
        if (r->created_ns > f->last_fill_ns) f->last_fill_ns = r->created_ns;
        break;
    }
    default:
        flow_error(f, "journal: unknown record type %s", th_jtype_name(r->type));
        return -1;
    }
    return 0;
}

static int apply_cb(void *ctx, const th_jrec *r) { return th_flow_apply(ctx, r); }

int th_flow_recover(th_flow *f, const char *path, th_journal_scan *scan, const char **err)
{
    if (th_journal_read(path, apply_cb, f, scan, err) != 0) {
        if (f->last_error[0]) *err = f->last_error;
        return -1;
    }
    th_kv_replay_end(&f->store); /* a th.store value cut by a torn tail: the one before it stands */
    f->st.recovered_orders = (uint64_t)f->trk.nlive;
    th_portfolio_recompute(&f->pf, th_clock_ns());
    f->pf.peak_pnl = f->pf.total_pnl; /* drawdown counts from this session's start, not from 0 */
    return 0;
}

/* ---- the new journal's opening snapshot ---- */

/* A position as it stands, its trading day's figures included (carried into a new journal, and
 * journalled again when a day starts with open qty, whose start depends on the mark then). */
void flow_jr_position(th_flow *f, int32_t i, int64_t now_ns)
{
    th_position *p = &f->pf.v[i];
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_POSITION;
    r.ts_ns = now_ns;
    r.qty = p->qty;
    r.cost = p->cost;
    r.realised = p->realised;
    r.fee = p->fees;
    r.price = p->mark;
    r.seq = p->fills;
    r.price_dec = f->ins->v[i].price_dec;
    r.qty_dec = f->ins->v[i].qty_dec;
    if (p->day != INT64_MIN) {
        r.day = p->day;
        r.day_realised = p->day_realised;
        r.day_fees = p->day_fees;
        r.day_unrealised = p->day_start_unrealised;
        p->day_logged = p->day;
    }
    snprintf(r.symbol, sizeof r.symbol, "%s", f->ins->v[i].symbol);
    flow_jr_put(f, &r);
}

void th_flow_journal_begin(th_flow *f, int64_t now_ns)
{
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_SESSION;
    r.ts_ns = now_ns;
    r.code = TH_JOURNAL_VERSION;
    r.created_ns = f->last_fill_ns;
    snprintf(r.text, sizeof r.text, "%s", f->cfg.prefix);
    flow_jr_put(f, &r);
    /* Every trade already counted, oldest first: the restart's "trades since" replays some of them,
     * and so may the next restart's, however many restarts later (the window is bounded). */
    for (int32_t k = 0; k < th_tracker_trade_count(&f->trk); k++) {
        memset(&r, 0, sizeof r);
        r.type = TH_J_SEEN;
        r.ts_ns = now_ns;
        snprintf(r.text, sizeof r.text, "%s", th_tracker_trade_key_at(&f->trk, k));
        flow_jr_put(f, &r);
    }
    for (int32_t i = 0; i < f->pf.n && i < f->ins->n; i++) {
        const th_position *p = &f->pf.v[i];
        if (!p->qty && !p->realised && !p->fees && !p->fills) continue;
        flow_jr_position(f, i, now_ns);
    }
    for (int32_t ins = 0; ins < f->trk.ins_cap; ins++)
        for (int32_t j = 0; j < f->trk.live[ins].n; j++) {
            const th_order *o = &f->trk.v[f->trk.live[ins].v[j].idx];
            memset(&r, 0, sizeof r);
            r.type = TH_J_ORDER;
            r.ts_ns = now_ns;
            r.side = o->side;
            r.code = o->state;
            r.reason = o->done_reason;
            r.price = o->price;
            r.qty = o->qty;
            r.filled = o->filled;
            r.notional = o->notional_filled;
            r.price_dec = f->ins->v[o->instrument].price_dec;
            r.qty_dec = f->ins->v[o->instrument].qty_dec;
            r.created_ns = o->created_ns;
            r.seq = o->flags & ~(uint32_t)(TH_ORD_SEEN | TH_ORD_CANCEL_DURING_LIST | TH_ORD_CANCEL_RESEND); /* the running reconciliation's marks and a re-send are this process's */
            r.amend_price = o->amend_price;
            r.amend_qty = o->amend_qty;
            snprintf(r.cl_id, sizeof r.cl_id, "%s", o->cl_id);
            snprintf(r.ex_id, sizeof r.ex_id, "%s", o->ex_id);
            snprintf(r.symbol, sizeof r.symbol, "%s", f->ins->v[o->instrument].symbol);
            snprintf(r.tag, sizeof r.tag, "%s", o->tag);
            flow_jr_put(f, &r);
        }
    /* th.store: every strategy's keys and values, so a restart of a restart still has them */
    for (int32_t i = 0; i < f->store.n; i++) {
        const th_kv_entry *e = &f->store.v[i];
        th_kv_journal(e->strategy, e->key, e->val, e->len, false, flow_store_rec, f);
    }
    if (f->risk.halted) flow_jr_kill(f, now_ns);
}

void th_flow_journal_close(th_flow *f, int64_t now_ns)
{
    flow_jr_event(f, TH_J_CLOSE, now_ns, NULL, NULL, 0, NULL);
    th_flow_flush(f, now_ns);
}
