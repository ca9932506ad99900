/* order_flow.c — intents to the venue and venue events back to state (see order_flow.h).
 *
 * One rule keeps recovery exact: every event that changes an order is journalled as the event
 * itself (not the resulting state), and th_flow_apply replays it through the same tracker and
 * portfolio calls the live path made, so the rebuilt state is the state, not an approximation. */
#include "order_flow.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

void th_flow_defaults(th_flow_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    th_risk_defaults(&cfg->risk);
    cfg->exec.price_tol_bps = 2;
    cfg->exec.size_tol = 0.10;
    cfg->exec.amend = true; /* used where the venue amends in place */
    cfg->pending_timeout_ns = 10LL * 1000000000;
    cfg->adopt_unknown = true;
    cfg->keep_done_ns = 300LL * 1000000000;
    cfg->keep_done_max = 10000;
    cfg->venue_cap = 50;
    cfg->venue_rate = 10;
    snprintf(cfg->prefix, sizeof cfg->prefix, "th");
}

static void flow_error(th_flow *f, const char *fmt, const char *a)
{
    snprintf(f->last_error, sizeof f->last_error, fmt, a ? a : "");
}

int th_flow_init(th_flow *f, const th_flow_cfg *cfg, const th_instruments *ins, th_venue venue, th_journal *jr,
                 int64_t now_ns, const char **err)
{
    memset(f, 0, sizeof *f);
    f->cfg = *cfg;
    f->ins = ins;
    f->venue = venue;
    f->jr = jr;
    if (th_tracker_init(&f->trk, cfg->prefix) != 0 || th_portfolio_init(&f->pf, 1) != 0 ||
        th_risk_init(&f->risk, &cfg->risk, 1) != 0) {
        *err = "out of memory";
        return -1;
    }
    th_portfolio_set_day_offset(&f->pf, cfg->day_offset_ns);
    th_bucket_init(&f->venue_bucket, cfg->venue_cap, cfg->venue_rate, now_ns);
    th_backoff_init(&f->backoff, 500LL * 1000000, 60LL * 1000000000, (uint64_t)now_ns | 1);
    if (th_flow_grow(f, now_ns) != 0) { *err = "out of memory"; return -1; }
    return 0;
}

/* The rate set for a quote currency (1 until one is set). */
static double rate_of(const th_flow *f, const char *currency)
{
    for (int32_t k = 0; k < f->nrates; k++)
        if (strcmp(f->rates[k].currency, currency) == 0) return f->rates[k].rate;
    return 1.0;
}

bool th_flow_has_rate(const th_flow *f, const char *currency)
{
    for (int32_t k = 0; k < f->nrates; k++)
        if (strcmp(f->rates[k].currency, currency) == 0) return true;
    return false;
}

int th_flow_grow(th_flow *f, int64_t now_ns)
{
    int32_t n = f->ins->n, old = f->nins;
    if (n <= old) return 0;
    /* Every array indexed by instrument grows here, together: the tracker's live sets, the
     * portfolio, the risk limits, the oracle prices, the per-pair rate buckets. */
    int64_t *oracle = realloc(f->oracle, sizeof *oracle * (size_t)n);
    if (oracle) f->oracle = oracle;
    th_bucket *pb = realloc(f->pair_bucket, sizeof *pb * (size_t)n);
    if (pb) f->pair_bucket = pb;
    if (!oracle || !pb || th_tracker_reserve(&f->trk, n) != 0 || th_portfolio_reserve(&f->pf, n) != 0 ||
        th_risk_reserve(&f->risk, n) != 0)
        return -1;
    for (int32_t i = old; i < n; i++) {
        const th_instrument *x = &f->ins->v[i];
        f->oracle[i] = 0;
        th_bucket_init(&f->pair_bucket[i], f->cfg.pair_cap, f->cfg.pair_rate, now_ns);
        th_portfolio_set_unit(&f->pf, i, x->price_dec + x->qty_dec, rate_of(f, x->quote));
    }
    f->nins = n;
    return 0;
}

/* An instrument index the order side can use: known to the registry, and (grown if the registry
 * grew since) covered by every per-instrument array. */
static bool ins_ready(th_flow *f, int32_t ins)
{
    if (ins < 0 || ins >= f->ins->n) return false;
    return ins < f->nins || th_flow_grow(f, th_clock_ns()) == 0;
}

int th_flow_set_oracle(th_flow *f, int32_t ins, int64_t price)
{
    if (!ins_ready(f, ins) || price < 0) return -1;
    f->oracle[ins] = price;
    return 0;
}

void th_flow_free(th_flow *f)
{
    th_tracker_free(&f->trk);
    th_portfolio_free(&f->pf);
    th_risk_free(&f->risk);
    free(f->oracle);
    free(f->pair_bucket);
    free(f->out);
    free(f->held);
    free(f->ev);
    memset(f, 0, sizeof *f);
}

void th_flow_set_market(th_flow *f, th_market_top_fn fn, void *ctx)
{
    f->market_top = fn;
    f->market_ctx = ctx;
}

void th_flow_set_rate(th_flow *f, const char *currency, double rate)
{
    int32_t k = 0;
    while (k < f->nrates && strcmp(f->rates[k].currency, currency) != 0) k++;
    if (k < (int32_t)(sizeof f->rates / sizeof f->rates[0])) { /* remembered for instruments added later */
        snprintf(f->rates[k].currency, sizeof f->rates[k].currency, "%s", currency);
        f->rates[k].rate = rate;
        if (k == f->nrates) f->nrates++;
    }
    for (int32_t i = 0; i < f->nins; i++)
        if (strcmp(f->ins->v[i].quote, currency) == 0)
            th_portfolio_set_unit(&f->pf, i, f->ins->v[i].price_dec + f->ins->v[i].qty_dec, rate);
}

/* ---- small helpers ---- */

static void jr_position(th_flow *f, int32_t i, int64_t now_ns);

static void jr_put(th_flow *f, th_jrec *r)
{
    if (!f->jr) return;
    if (!r->ts_ns) r->ts_ns = th_clock_ns();
    if (th_journal_append(f->jr, r) != 0) {
        f->failed = true;
        flow_error(f, "journal append failed: %s", f->jr->error);
    }
}

/* One event record: the order it concerns (or none), a code and a text (each optional). ts 0 is
 * "now" on the host clock. Records with more fields (intent, fill, adopt...) build their own. */
static void jr_event(th_flow *f, int32_t type, int64_t ts, const char *cl_id, const char *ex_id, int32_t code, const char *text)
{
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = type;
    r.ts_ns = ts;
    r.code = code;
    snprintf(r.cl_id, sizeof r.cl_id, "%s", cl_id ? cl_id : "");
    snprintf(r.ex_id, sizeof r.ex_id, "%s", ex_id ? ex_id : "");
    snprintf(r.text, sizeof r.text, "%s", text ? text : "");
    jr_put(f, &r);
}

static void ev_push(th_flow *f, int32_t kind, int32_t idx, int64_t qty, int64_t price, th_money fee)
{
    if (f->nev == f->ev_cap) {
        int32_t cap = f->ev_cap ? f->ev_cap * 2 : 256;
        th_flow_event *v = realloc(f->ev, sizeof *v * (size_t)cap);
        if (!v) { f->st.events_dropped++; return; }
        f->ev = v;
        f->ev_cap = cap;
    }
    f->ev[f->nev++] = (th_flow_event){kind, idx, qty, price, fee};
}

int32_t th_flow_events_take(th_flow *f, th_flow_event **buf, int32_t *cap)
{
    th_flow_event *v = f->ev;
    int32_t n = f->nev, c = f->ev_cap;
    f->ev = *buf;
    f->ev_cap = *cap;
    f->nev = 0;
    *buf = v;
    *cap = c;
    return n;
}

static int out_push(th_flow *f, int32_t kind, int32_t idx, bool post_only)
{
    if (f->nout == f->out_cap) {
        int32_t cap = f->out_cap ? f->out_cap * 2 : 256;
        th_send *v = realloc(f->out, sizeof *v * (size_t)cap);
        if (!v) return -1;
        f->out = v;
        f->out_cap = cap;
    }
    f->out[f->nout++] = (th_send){kind, idx, post_only};
    return 0;
}

static double live_notional(const th_flow *f, const th_order *o)
{
    if (o->state == TH_ORD_DONE || o->instrument >= f->pf.n) return 0;
    return th_position_gate(&f->pf.v[o->instrument], th_money_mul(o->qty - o->filled, o->price));
}

/* Run a tracker mutation on order idx and keep open_notional in step with it. */
#define TRACK(f, idx, call)                                                                        \
    ({                                                                                             \
        double c0_ = th_tracker_has(&(f)->trk, (idx)) ? live_notional((f), &(f)->trk.v[(idx)]) : 0; \
        int32_t rc_ = (call);                                                                      \
        if (th_tracker_has(&(f)->trk, (idx))) (f)->open_notional += live_notional((f), &(f)->trk.v[(idx)]) - c0_; \
        rc_;                                                                                       \
    })

static const th_instrument *instrument_of(th_flow *f, int32_t ins)
{
    return ins_ready(f, ins) ? &f->ins->v[ins] : NULL;
}

static void risk_ctx(th_flow *f, th_risk_ctx *c, int32_t ins, int32_t side, int64_t price, int64_t qty, bool post_only,
                     int64_t now_ns)
{
    memset(c, 0, sizeof *c);
    c->ins = instrument_of(f, ins);
    c->ins_idx = ins;
    c->side = side;
    c->price = price;
    c->qty = qty;
    c->post_only = post_only;
    c->book_health = TH_BOOK_EMPTY;
    if (c->ins && f->market_top) f->market_top(f->market_ctx, ins, &c->best_bid, &c->best_ask, &c->book_health);
    c->oracle = c->ins ? f->oracle[ins] : 0;
    c->tracker = &f->trk;
    c->exclude = -1;
    c->portfolio = &f->pf;
    c->open_notional = f->open_notional;
    c->now_ns = now_ns;
}

/* Rate limits: the venue's order bucket, and Kraken's per-pair counter. Never for cancels. */
static int32_t rate_gate(th_flow *f, int32_t ins, int64_t now_ns)
{
    if (th_backoff_blocked(&f->backoff, now_ns)) return TH_RISK_VENUE_BACKOFF;
    if (f->cfg.venue_cap > 0 && !th_bucket_take(&f->venue_bucket, 1, now_ns)) return TH_RISK_RATE_LIMITED;
    if (f->cfg.rate_model == TH_RATE_KRAKEN && f->cfg.pair_cap > 0 && !th_bucket_take(&f->pair_bucket[ins], 1, now_ns)) {
        th_bucket_charge(&f->venue_bucket, -1, now_ns); /* give the venue token back */
        return TH_RISK_RATE_LIMITED;
    }
    return TH_RISK_OK;
}

/* ---- intents ---- */

int32_t th_flow_place(th_flow *f, int32_t ins, int32_t side, int64_t price, int64_t qty, bool post_only, const char *tag,
                      int64_t now_ns, int32_t *idx_out)
{
    int32_t reason = TH_RISK_OK;
    if (f->failed) reason = TH_RISK_HALTED;
    else if (f->recon) reason = TH_RISK_RECOVERING;
    else if (!f->venue.ops) reason = TH_RISK_NO_VENUE;
    else if (!instrument_of(f, ins)) reason = TH_RISK_UNKNOWN_SYMBOL;
    if (reason) { th_risk_count(&f->risk, reason); return reason; }
    th_risk_ctx c;
    risk_ctx(f, &c, ins, side, price, qty, post_only, now_ns);
    reason = th_risk_check(&f->risk, &c);
    if (reason) return reason;
    reason = rate_gate(f, ins, now_ns);
    if (reason) { th_risk_count(&f->risk, reason); return reason; }
    int32_t idx = th_tracker_create(&f->trk, ins, side, price, qty, tag, now_ns);
    if (idx < 0) { th_risk_count(&f->risk, TH_RISK_HALTED); return TH_RISK_HALTED; }
    th_order *o = &f->trk.v[idx];
    f->open_notional += live_notional(f, o);
    /* The record by hand: only the header and the strings this record has (no 400-byte memset,
     * no printf) — this is the per-intent hot path. */
    th_jrec r;
    memset(&r, 0, offsetof(th_jrec, cl_id));
    r.type = TH_J_INTENT;
    r.ts_ns = now_ns;
    r.side = side;
    r.code = post_only ? TH_ORDER_POST_ONLY : 0;
    r.price = price;
    r.qty = qty;
    r.price_dec = f->ins->v[ins].price_dec;
    r.qty_dec = f->ins->v[ins].qty_dec;
    memcpy(r.cl_id, o->cl_id, sizeof r.cl_id);
    memcpy(r.symbol, f->ins->v[ins].symbol, sizeof r.symbol);
    memcpy(r.tag, o->tag, sizeof r.tag);
    r.ex_id[0] = r.trade_id[0] = r.text[0] = 0;
    jr_put(f, &r);
    if (out_push(f, TH_SEND_PLACE, idx, post_only) != 0) {
        TRACK(f, idx, th_tracker_resolve_missing(&f->trk, idx, now_ns));
        jr_event(f, TH_J_MISSING, 0, o->cl_id, NULL, 0, NULL);
        return TH_RISK_HALTED;
    }
    f->st.placed++;
    if (idx_out) *idx_out = idx;
    return TH_RISK_OK;
}

/* The order is not (or no longer) at the venue: DONE by the tracker's rule, journalled, and the
 * strategy told. Returns false if it was already DONE. */
static bool finish_missing(th_flow *f, int32_t idx, int64_t now_ns, const char *why)
{
    th_order *o = &f->trk.v[idx];
    if (o->state == TH_ORD_DONE) return false;
    TRACK(f, idx, th_tracker_resolve_missing(&f->trk, idx, now_ns));
    jr_event(f, TH_J_MISSING, 0, o->cl_id, NULL, 0, why);
    ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
    return true;
}

/* A place still in the outbox (or held behind a commit that is being written) is simply never
 * sent: the order fails, nothing reached the venue. */
static bool unsend_place(th_flow *f, int32_t idx, int64_t now_ns)
{
    for (int q = 0; q < 2; q++) {
        th_send *v = q ? f->held : f->out;
        int32_t n = q ? f->nheld : f->nout;
        for (int32_t i = 0; i < n; i++)
            if (v[i].kind == TH_SEND_PLACE && v[i].order == idx) {
                v[i].kind = 0;
                finish_missing(f, idx, now_ns, "cancelled before it was sent");
                return true;
            }
    }
    return false;
}

int32_t th_flow_cancel(th_flow *f, int32_t idx, int64_t now_ns)
{
    if (!th_tracker_has(&f->trk, idx)) return TH_TRK_UNKNOWN;
    th_order *o = &f->trk.v[idx];
    if (o->state == TH_ORD_PENDING_CREATE && unsend_place(f, idx, now_ns)) return 0;
    int32_t rc = th_tracker_request_cancel(&f->trk, idx, now_ns);
    if (rc < 0) return rc;
    jr_event(f, TH_J_CANCEL_REQ, 0, o->cl_id, NULL, 0, NULL);
    if (f->cfg.rate_model == TH_RATE_KRAKEN && ins_ready(f, o->instrument))
        th_bucket_charge(&f->pair_bucket[o->instrument], th_kraken_cancel_cost(now_ns - o->created_ns), now_ns);
    /* PENDING_CREATE: flagged; the cancel goes out when the ack (or the timeout query) arrives. */
    if (o->state == TH_ORD_PENDING_CANCEL) out_push(f, TH_SEND_CANCEL, idx, false);
    return 0;
}

int32_t th_flow_cancel_all(th_flow *f, int32_t ins, int64_t now_ns)
{
    int32_t n = 0;
    int32_t lo = ins < 0 ? 0 : ins, hi = ins < 0 ? f->trk.ins_cap : ins + 1;
    for (int32_t i = lo; i < hi; i++)
        for (int32_t k = th_tracker_live_count(&f->trk, i) - 1; k >= 0; k--) { /* from the end: cancelling may finish it */
            int32_t nl;
            const th_live *lv = th_tracker_live(&f->trk, i, &nl);
            if (k < nl && th_flow_cancel(f, lv[k].idx, now_ns) == 0) n++;
        }
    return n;
}

/* Re-point a live order at target q. The target is a resting size (what the executor matches
 * on); the venue amends the order's total, filled part included (venue_api.h), so the request is
 * for filled + q->qty: a bid for 100 that filled 40 and moves with target 100 becomes a total of
 * 140 and rests 100. The gates see the resting size; the amend takes a token from the rate
 * limiter like a place (Kraken: +1 on the pair's counter, plus its age surcharge). */
static int32_t flow_amend(th_flow *f, int32_t idx, const th_quote *q, int64_t now_ns)
{
    th_order *o = &f->trk.v[idx];
    if (o->state != TH_ORD_OPEN || o->amend_qty) return TH_RISK_BAD_ORDER;
    th_risk_ctx c;
    risk_ctx(f, &c, o->instrument, o->side, q->price, q->qty, true, now_ns);
    c.exclude = idx;
    int32_t reason = th_risk_check(&f->risk, &c);
    if (reason) return reason;
    reason = rate_gate(f, o->instrument, now_ns);
    if (reason) { th_risk_count(&f->risk, reason); return reason; }
    int64_t total = o->filled + q->qty;
    if (th_tracker_request_amend(&f->trk, idx, q->price, total, now_ns) < 0) return TH_RISK_BAD_ORDER;
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_AMEND_REQ;
    r.price = q->price;
    r.qty = total;
    snprintf(r.cl_id, sizeof r.cl_id, "%s", o->cl_id);
    jr_put(f, &r);
    if (f->cfg.rate_model == TH_RATE_KRAKEN)
        th_bucket_charge(&f->pair_bucket[o->instrument], th_kraken_amend_cost(now_ns - o->state_ns), now_ns);
    out_push(f, TH_SEND_AMEND, idx, true);
    return TH_RISK_OK;
}

int th_flow_quotes(th_flow *f, int32_t ins, const th_quote *targets, int32_t n, int64_t now_ns, th_quotes_outcome *res)
{
    memset(res, 0, sizeof *res);
    th_exec_action act[TH_QUOTES_MAX + 256];
    th_exec_cfg ec = f->cfg.exec;
    ec.amend = ec.amend && f->venue.ops && f->venue.ops->can_amend;
    int32_t m = th_exec_diff(&f->trk, ins, targets, n, &ec, act, (int32_t)(sizeof act / sizeof act[0]));
    if (m < 0) return -1;
    /* Cancels first: they free the room (exposure, layering, open orders) the places need. */
    for (int32_t i = 0; i < m; i++)
        if (act[i].kind == TH_EXEC_CANCEL && th_flow_cancel(f, act[i].order, now_ns) == 0) res->cancelled++;
    for (int32_t i = 0; i < m; i++) {
        const th_exec_action *a = &act[i];
        if (a->kind == TH_EXEC_KEEP) res->kept++;
        else if (a->kind == TH_EXEC_WAIT) res->waiting++;
        else if (a->kind == TH_EXEC_AMEND) {
            int32_t reason = flow_amend(f, a->order, &targets[a->target], now_ns);
            if (reason == TH_RISK_OK) res->replaced++;
            else {
                res->refused++;
                if (!res->first_refusal) res->first_refusal = reason;
                if (th_flow_cancel(f, a->order, now_ns) == 0) res->cancelled++; /* never leave a stale quote up */
            }
        }
    }
    for (int32_t i = 0; i < m; i++) {
        const th_exec_action *a = &act[i];
        if (a->kind != TH_EXEC_PLACE) continue;
        const th_quote *q = &targets[a->target];
        int32_t reason = th_flow_place(f, ins, q->side, q->price, q->qty, true, q->tag, now_ns, NULL);
        if (reason == TH_RISK_OK) res->placed++;
        else {
            res->refused++;
            if (!res->first_refusal) res->first_refusal = reason;
        }
    }
    return 0;
}

static void check_loss_caps(th_flow *f, int64_t now_ns);
static void recon_retry(th_flow *f, int64_t now_ns);

/* ---- sending ---- */

static void send_failed(th_flow *f, int32_t idx, int64_t now_ns, const char *what)
{
    f->st.send_failures++;
    th_order *o = &f->trk.v[idx];
    th_logf(TH_LOG_WARN, "venue request failed locally", "request=%s cl_id=%s", what, o->cl_id);
    if (th_risk_venue_error(&f->risk, now_ns)) th_logf(TH_LOG_WARN, "circuit breaker open", "errors=%d", f->cfg.risk.breaker_errors);
}

/* Send one queue (the outbox, or what a commit held). After a journal failure its places and
 * amends are dropped (their intents may not be on disk) and the kill switch is pulled; cancels
 * and queries still go (they only reduce risk). The queue is re-read by index on every step:
 * pulling the kill switch pushes cancels onto the outbox, which may move it. */
static void send_queue(th_flow *f, bool held, int64_t now_ns)
{
#define Q(i) ((held ? f->held : f->out)[i])
#define QN (held ? f->nheld : f->nout)
    if (f->failed) {
        if (!f->risk.halted) {
            th_logf(TH_LOG_ERROR, "journal failed: halting", "error=\"%s\"", f->last_error);
            th_flow_kill(f, TH_RISK_HALTED, f->last_error, now_ns);
        }
        for (int32_t i = 0; i < QN; i++)
            if (Q(i).kind == TH_SEND_PLACE || Q(i).kind == TH_SEND_AMEND) {
                int32_t idx = Q(i).order;
                if (Q(i).kind == TH_SEND_PLACE) TRACK(f, idx, th_tracker_resolve_missing(&f->trk, idx, now_ns));
                else th_tracker_on_amended(&f->trk, idx, false, now_ns);
                Q(i).kind = 0;
            }
    }
    const th_venue_ops *ops = f->venue.ops;
    for (int32_t i = 0; i < QN && ops; i++) {
        th_send *s = &Q(i);
        if (!s->kind) continue;
        th_order *o = &f->trk.v[s->order];
        const th_instrument *ins = instrument_of(f, o->instrument);
        switch (s->kind) {
        case TH_SEND_PLACE: {
            if (o->state != TH_ORD_PENDING_CREATE) break;
            th_venue_place p = {o->cl_id, ins, o->side, s->post_only, o->price, o->qty};
            if (ops->place(f->venue.self, &p) != 0) {
                send_failed(f, s->order, now_ns, "place");
                finish_missing(f, s->order, now_ns, NULL);
            } else f->st.sent++;
            break;
        }
        case TH_SEND_CANCEL:
            if (o->state == TH_ORD_DONE) break;
            if (ops->cancel(f->venue.self, o->cl_id, o->ex_id, ins) != 0) send_failed(f, s->order, now_ns, "cancel");
            else f->st.cancels_sent++;
            break;
        case TH_SEND_AMEND:
            if (!o->amend_qty) break;
            if (ops->amend(f->venue.self, o->cl_id, o->ex_id, ins, o->amend_price, o->amend_qty) != 0) {
                send_failed(f, s->order, now_ns, "amend");
                th_tracker_on_amended(&f->trk, s->order, false, now_ns);
                jr_event(f, TH_J_AMENDED, 0, o->cl_id, NULL, 0, NULL);
            } else f->st.amends_sent++;
            break;
        case TH_SEND_QUERY:
            if (ops->query_order(f->venue.self, o->cl_id, o->ex_id, ins) == 0) f->st.queries_sent++;
            break;
        }
    }
    if (held) f->nheld = 0;
    else f->nout = 0;
#undef Q
#undef QN
}

int th_flow_commit_begin(th_flow *f, th_jbatch *b, int64_t now_ns)
{
    if (f->commit_out) return 0;
    if (f->jr && !f->failed && th_journal_seal(f->jr, b)) {
        /* The outbox waits for its records: swap it with the (empty) held queue, no copy. */
        th_send *v = f->held;
        int32_t cap = f->held_cap;
        f->held = f->out;
        f->held_cap = f->out_cap;
        f->nheld = f->nout;
        f->out = v;
        f->out_cap = cap;
        f->nout = 0;
        f->commit_out = true;
        return 1;
    }
    send_queue(f, false, now_ns);
    return 0;
}

int th_flow_commit_end(th_flow *f, th_jbatch *b, int rc, const char *err, int64_t now_ns)
{
    if (rc != 0 && !f->failed) { /* before done: err may point into the batch */
        f->failed = true;
        flow_error(f, "journal commit failed: %s", err);
    }
    th_journal_done(f->jr, b, rc);
    f->commit_out = false;
    send_queue(f, true, now_ns);
    return rc != 0 || f->failed ? -1 : 0;
}

int th_flow_flush(th_flow *f, int64_t now_ns)
{
    if (f->commit_out) return 0;
    th_jbatch b;
    if (th_flow_commit_begin(f, &b, now_ns)) {
        const char *err = NULL;
        int rc = th_journal_write(f->jr, &b, &err);
        th_flow_commit_end(f, &b, rc, err, now_ns);
        send_queue(f, false, now_ns); /* the kill switch's cancels, after a failure */
    }
    return f->failed ? -1 : 0;
}

int32_t th_flow_end_turn(th_flow *f, int64_t now_ns)
{
    return th_tracker_retire(&f->trk, now_ns, f->cfg.keep_done_ns, f->cfg.keep_done_max);
}

void th_flow_tick(th_flow *f, int64_t now_ns)
{
    int32_t due[256];
    int32_t n = th_tracker_due(&f->trk, now_ns, f->cfg.pending_timeout_ns, due, 256);
    for (int32_t i = 0; i < n; i++) {
        th_tracker_touch(&f->trk, due[i], now_ns);
        out_push(f, TH_SEND_QUERY, due[i], false);
    }
    recon_retry(f, now_ns);
    th_portfolio_recompute(&f->pf, now_ns);
    if (f->pf.day_rolls != f->day_rolls_logged) {
        f->day_rolls_logged = f->pf.day_rolls;
        for (int32_t i = 0; i < f->pf.n && i < f->ins->n; i++)
            if (f->pf.v[i].day != f->pf.v[i].day_logged) jr_position(f, i, now_ns);
    }
    double open = 0;
    for (int32_t i = 0; i < f->trk.ins_cap; i++)
        for (int32_t k = 0; k < f->trk.live[i].n; k++) open += live_notional(f, &f->trk.v[f->trk.live[i].v[k].idx]);
    f->open_notional = open;
    check_loss_caps(f, now_ns);
}

void th_flow_mark(th_flow *f, int32_t ins, int64_t mid, int64_t now_ns)
{
    if (ins_ready(f, ins)) th_portfolio_mark(&f->pf, ins, mid, now_ns);
}

/* The kill switch was just pulled (by us or by a loss cap): journal it, then cancel everything. */
static void jr_kill(th_flow *f, int64_t now_ns)
{
    jr_event(f, TH_J_KILL, now_ns, NULL, NULL, f->risk.halt_code, f->risk.halt_reason);
}

static void after_kill(th_flow *f, int64_t now_ns)
{
    jr_kill(f, now_ns);
    th_logf(TH_LOG_WARN, "kill switch pulled", "reason=\"%s\" live_orders=%d", f->risk.halt_reason, f->trk.nlive);
}

void th_flow_kill(th_flow *f, int32_t code, const char *reason, int64_t now_ns)
{
    if (th_risk_halt(&f->risk, code, reason)) after_kill(f, now_ns);
    th_flow_cancel_all(f, -1, now_ns); /* again on every pull: a second kill re-sends what is still live */
}

static void check_loss_caps(th_flow *f, int64_t now_ns)
{
    if (!th_risk_check_portfolio(&f->risk, &f->pf)) return;
    after_kill(f, now_ns);
    th_flow_cancel_all(f, -1, now_ns);
}

void th_flow_rearm(th_flow *f, int64_t now_ns)
{
    if (!f->risk.halted) return;
    th_risk_resume(&f->risk);
    jr_event(f, TH_J_REARM, now_ns, NULL, NULL, 0, NULL);
    th_logf(TH_LOG_WARN, "kill switch re-armed", NULL);
}

/* ---- venue events ---- */

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

/* An order of this session the tracker no longer holds (retired a keep window after it was given
 * up): a late ack, or a fill, says the venue may hold it resting. Cancelled by its ids; an answer
 * that it is unknown there is harmless. */
static void cancel_retired(th_flow *f, const char *cl_id, const char *ex_id, const char *symbol, const char *why)
{
    if (!f->venue.ops) return;
    int32_t ins = symbol ? th_instruments_find(f->ins, symbol, strlen(symbol)) : -1;
    f->venue.ops->cancel(f->venue.self, cl_id, ex_id ? ex_id : "", ins >= 0 ? instrument_of(f, ins) : NULL);
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
        out_push(f, TH_SEND_CANCEL, idx, false);
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
        else th_logf(TH_LOG_WARN, "ack for an order we never sent", "cl_id=%s ex_id=%s", cl_id ? cl_id : "", ex_id ? ex_id : "");
        return;
    }
    th_order *o = &f->trk.v[idx];
    int32_t before = o->state;
    int32_t rc = TRACK(f, idx, th_tracker_on_ack(&f->trk, o->cl_id, ex_id, now));
    th_risk_venue_ok(&f->risk);
    th_backoff_success(&f->backoff);
    jr_event(f, TH_J_ACK, 0, o->cl_id, ex_id, 0, NULL);
    if (rc >= 0) ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
    owed_cancel(f, idx, before, now);
}

static void venue_trouble(th_flow *f, int32_t verr, int64_t retry_after_ns, int64_t now)
{
    f->st.venue_errors++;
    if (verr == TH_VERR_RATE_LIMITED || verr == TH_VERR_BANNED) {
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
    venue_trouble(f, verr, retry_after_ns, now);
    int32_t idx = find_order(f, cl_id, NULL);
    if (idx < 0) { f->trk.st.unknown_events++; return; }
    f->st.rejects++;
    int32_t rc = TRACK(f, idx, th_tracker_on_reject(&f->trk, cl_id, now));
    jr_event(f, TH_J_REJECT, 0, cl_id, NULL, verr, text);
    th_logf(TH_LOG_WARN, "order rejected", "cl_id=%s reason=\"%s\"", cl_id, text ? text : "");
    if (rc >= 0) ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
}

static void finish_event(th_flow *f, const char *cl_id, const char *ex_id, int32_t type)
{
    int64_t now = th_clock_ns();
    int32_t idx = find_order(f, cl_id, ex_id);
    if (idx < 0) { f->trk.st.unknown_events++; return; }
    th_risk_venue_ok(&f->risk);
    int32_t rc = type == TH_J_CANCELLED ? TRACK(f, idx, th_tracker_on_cancelled(&f->trk, idx, now))
                                        : TRACK(f, idx, th_tracker_on_expired(&f->trk, idx, now));
    jr_event(f, type, 0, f->trk.v[idx].cl_id, NULL, 0, NULL);
    if (rc >= 0) ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
}

static void ev_cancelled(void *ctx, const char *cl_id, const char *ex_id) { finish_event(ctx, cl_id, ex_id, TH_J_CANCELLED); }
static void ev_expired(void *ctx, const char *cl_id, const char *ex_id) { finish_event(ctx, cl_id, ex_id, TH_J_EXPIRED); }

static void ev_cancel_failed(void *ctx, const char *cl_id, int32_t verr, int64_t retry_after_ns, const char *text)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    int32_t idx = find_order(f, cl_id, NULL);
    th_logf(TH_LOG_WARN, "cancel failed", "cl_id=%s reason=\"%s\"", cl_id ? cl_id : "", text ? text : "");
    if (verr != TH_VERR_UNKNOWN_ORDER) venue_trouble(f, verr, retry_after_ns, now);
    if (idx < 0) return;
    /* The venue's answer decides: ask it now rather than at the timeout. */
    th_tracker_touch(&f->trk, idx, now);
    out_push(f, TH_SEND_QUERY, idx, false);
}

static void ev_amended(void *ctx, const char *cl_id, bool ok, const char *text)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    int32_t idx = find_order(f, cl_id, NULL);
    if (idx < 0) { f->trk.st.unknown_events++; return; }
    if (!ok) th_logf(TH_LOG_WARN, "amend refused", "cl_id=%s reason=\"%s\"", cl_id, text ? text : "");
    int32_t rc = TRACK(f, idx, th_tracker_on_amended(&f->trk, idx, ok, now));
    jr_event(f, TH_J_AMENDED, 0, cl_id, NULL, ok ? 1 : 0, NULL);
    if (rc >= 0) ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
}

static int32_t adopt(th_flow *f, const char *ex_id, const char *symbol, int32_t side, int64_t price, int64_t qty, int64_t filled,
                     int64_t now)
{
    int32_t ins = th_instruments_find(f->ins, symbol, strlen(symbol));
    if (!ins_ready(f, ins)) {
        th_logf(TH_LOG_ERROR, "venue reports an order on an instrument we do not know", "ex_id=%s symbol=%s", ex_id, symbol);
        return TH_TRK_INVALID;
    }
    int32_t idx = TRACK(f, -1, th_tracker_adopt(&f->trk, ex_id, ins, side, price, qty, filled, now));
    if (idx < 0) return idx;
    th_order *o = &f->trk.v[idx];
    f->open_notional += live_notional(f, o);
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
    jr_put(f, &r);
    th_logf(TH_LOG_WARN, "adopted an order we never sent", "ex_id=%s symbol=%s cl_id=%s", ex_id, symbol, o->cl_id);
    return idx;
}

/* Apply one fill to tracker and portfolio; shared by the live path and journal replay. */
static int32_t apply_fill(th_flow *f, int32_t idx, const char *trade_id, int64_t qty, int64_t price, th_money fee, int64_t now,
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
    int32_t rc = apply_fill(f, idx, x->trade_id, x->qty, x->price, x->fee, now, &delta);
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
    jr_put(f, &r);
    ev_push(f, TH_FLOW_EV_FILL, idx, delta, x->price, x->fee);
    if (o->state == TH_ORD_DONE || o->state != before) ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
    owed_cancel(f, idx, before, now);
    check_loss_caps(f, now);
}

/* The venue, asked, does not report the order. */
static void resolve_missing(th_flow *f, int32_t idx, int64_t now, const char *why)
{
    if (finish_missing(f, idx, now, why)) f->st.resolved_missing++;
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
        if (o->state == TH_ORD_PENDING_CANCEL) out_push(f, TH_SEND_CANCEL, idx, false); /* the cancel was lost: again */
        th_tracker_touch(&f->trk, idx, now);
    } else if (vo->filled > o->filled) {
        /* finished at the venue with fills we have not seen: fetch them before deciding */
        if (f->venue.ops) f->venue.ops->trades_since(f->venue.self, f->last_fill_ns);
        th_tracker_touch(&f->trk, idx, now);
    } else {
        finish_event(f, o->cl_id, NULL, TH_J_CANCELLED);
    }
}

enum { TH_ORD_SEEN = 1u << 7 };

/* A cancel straight to the venue for an order the tracker does not hold live. */
static void cancel_untracked(th_flow *f, const th_venue_order *v, const char *why)
{
    if (!f->venue.ops) return;
    int32_t ins = th_instruments_find(f->ins, v->symbol, strlen(v->symbol));
    f->venue.ops->cancel(f->venue.self, v->cl_id, v->ex_id, instrument_of(f, ins));
    f->st.adopted_cancelled++;
    th_logf(TH_LOG_WARN, why, "cl_id=%s ex_id=%s symbol=%s", v->cl_id, v->ex_id, v->symbol);
}

static const char *recon_phase_name(int32_t p) { return p == TH_RECON_TRADES ? "trades" : "open_orders"; }

/* The reconciliation's request for its current phase (trades since the last fill, then open
 * orders). A local failure is logged; either way the tick asks again if no answer comes. */
static void recon_send(th_flow *f, int64_t now_ns)
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
static void recon_retry(th_flow *f, int64_t now_ns)
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
    recon_send(f, now_ns);
}

static void ev_open_orders(void *ctx, const th_venue_order *v, int32_t n)
{
    th_flow *f = ctx;
    int64_t now = th_clock_ns();
    if (f->recon != TH_RECON_OPEN) return;
    for (int32_t i = 0; i < n; i++) {
        int32_t idx = find_order(f, v[i].cl_id, v[i].ex_id);
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
        else if (before == TH_ORD_PENDING_CANCEL) out_push(f, TH_SEND_CANCEL, idx, false);
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
    for (int32_t k = 0; k < f->trk.n; k++) f->trk.v[k].flags &= ~(uint32_t)TH_ORD_SEEN;
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
        recon_send(f, th_clock_ns());
    }
}

th_venue_events th_flow_venue_events(th_flow *f)
{
    return (th_venue_events){f, ev_ack, ev_reject, ev_cancelled, ev_cancel_failed, ev_expired, ev_amended, ev_fill,
                             ev_order_status, ev_open_orders, ev_trades};
}

/* ---- recovery ---- */

static int32_t ins_of_symbol(th_flow *f, const char *symbol, const char **err)
{
    int32_t ins = th_instruments_find(f->ins, symbol, strlen(symbol));
    if (ins < 0) *err = "the journal names an instrument missing from the venue's instrument data";
    else if (!ins_ready(f, ins)) { *err = "out of memory"; ins = -1; }
    return ins;
}

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
        /* the previous sessions' last fill time: "trades since" starts there, not at 0 */
        if (r->created_ns > f->last_fill_ns) f->last_fill_ns = r->created_ns;
        return 0;
    case TH_J_CLOSE:
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
        if (r->type == TH_J_INTENT) o.state = TH_ORD_PENDING_CREATE;
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
        }
        int32_t k = th_tracker_restore(&f->trk, &o);
        if (k < 0) { flow_error(f, "journal: order %s cannot be restored (duplicate or invalid)", r->cl_id); return -1; }
        f->open_notional += live_notional(f, &f->trk.v[k]);
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
        apply_fill(f, idx, r->trade_id, r->qty, r->price, r->fee, t, &delta);
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
    f->st.recovered_orders = (uint64_t)f->trk.nlive;
    th_portfolio_recompute(&f->pf, th_clock_ns());
    f->pf.peak_pnl = f->pf.total_pnl; /* drawdown counts from this session's start, not from 0 */
    return 0;
}

/* A position as it stands, its trading day's figures included (carried into a new journal, and
 * journalled again when a day starts with open qty, whose start depends on the mark then). */
static void jr_position(th_flow *f, int32_t i, int64_t now_ns)
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
    jr_put(f, &r);
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
    jr_put(f, &r);
    /* Every trade already counted, oldest first: the restart's "trades since" replays some of them,
     * and so may the next restart's, however many restarts later (the window is bounded). */
    for (int32_t k = 0; k < th_tracker_trade_count(&f->trk); k++) {
        memset(&r, 0, sizeof r);
        r.type = TH_J_SEEN;
        r.ts_ns = now_ns;
        snprintf(r.text, sizeof r.text, "%s", th_tracker_trade_key_at(&f->trk, k));
        jr_put(f, &r);
    }
    for (int32_t i = 0; i < f->pf.n && i < f->ins->n; i++) {
        const th_position *p = &f->pf.v[i];
        if (!p->qty && !p->realised && !p->fees && !p->fills) continue;
        jr_position(f, i, now_ns);
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
            r.seq = o->flags;
            r.amend_price = o->amend_price;
            r.amend_qty = o->amend_qty;
            snprintf(r.cl_id, sizeof r.cl_id, "%s", o->cl_id);
            snprintf(r.ex_id, sizeof r.ex_id, "%s", o->ex_id);
            snprintf(r.symbol, sizeof r.symbol, "%s", f->ins->v[o->instrument].symbol);
            snprintf(r.tag, sizeof r.tag, "%s", o->tag);
            jr_put(f, &r);
        }
    if (f->risk.halted) jr_kill(f, now_ns);
}

void th_flow_reconcile(th_flow *f, int64_t now_ns)
{
    if (!f->venue.ops) return;
    f->recon = TH_RECON_TRADES;
    recon_send(f, now_ns);
}

void th_flow_journal_close(th_flow *f, int64_t now_ns)
{
    jr_event(f, TH_J_CLOSE, now_ns, NULL, NULL, 0, NULL);
    th_flow_flush(f, now_ns);
}
