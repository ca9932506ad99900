/* order_flow.c — the order flow's own state and its intents to the venue (see order_flow.h):
 * set-up and growth, the helpers every part uses (journal records, strategy events, the outbox),
 * the intents (place, cancel, amend, quotes) through the risk gates and rate limits, sending and
 * the journal commit around it, the tick, and the kill switch.
 *
 * The flow is three files read top to bottom, one direction each: this one (intents out),
 * flow_venue.c (venue events back to state, and the reconciliation at start), flow_journal.c
 * (the journal replayed into state at start-up, and the snapshot a new journal opens with).
 * order_flow_impl.h is what they share, for them only.
 *
 * One rule keeps recovery exact: every event that changes an order is journalled as the event
 * itself (not the resulting state), and th_flow_apply replays it through the same tracker and
 * portfolio calls the live path made, so the rebuilt state is the state, not an approximation. */
#include "order_flow.h"
#include "order_flow_impl.h"

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

void flow_error(th_flow *f, const char *fmt, const char *a)
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
bool flow_ins_ready(th_flow *f, int32_t ins)
{
    if (ins < 0 || ins >= f->ins->n) return false;
    return ins < f->nins || th_flow_grow(f, th_clock_ns()) == 0;
}

int th_flow_set_oracle(th_flow *f, int32_t ins, int64_t price)
{
    if (!flow_ins_ready(f, ins) || price < 0) return -1;
    f->oracle[ins] = price;
    return 0;
}

void th_flow_free(th_flow *f)
{
    th_kv_free(&f->store);
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

/* A config reload (docs/config.md "Reloading the config"): the settings that may change while
 * orders are live. The id prefix, the rate model and the trading day's start stay (they name the
 * orders already sent and the day's PnL). Per-pair limits go back to the new defaults; the caller
 * applies each pair's own keys again. The venue bucket keeps its tokens (at most the new
 * capacity): a reload never buys a fresh burst. */
void th_flow_reconfigure(th_flow *f, const th_flow_cfg *c, int64_t now_ns)
{
    f->cfg.risk = c->risk;
    f->risk.lim = c->risk;
    for (int32_t i = 0; i < f->risk.npair; i++) f->risk.pair[i] = c->risk.pair_default;
    f->cfg.exec = c->exec;
    f->cfg.pending_timeout_ns = c->pending_timeout_ns;
    f->cfg.adopt_unknown = c->adopt_unknown;
    f->cfg.keep_done_ns = c->keep_done_ns;
    f->cfg.keep_done_max = c->keep_done_max;
    f->cfg.stop_cancel_all = c->stop_cancel_all;
    if (c->venue_cap != f->cfg.venue_cap || c->venue_rate != f->cfg.venue_rate) {
        double tokens = th_bucket_level(&f->venue_bucket, now_ns);
        th_bucket_init(&f->venue_bucket, c->venue_cap, c->venue_rate, now_ns);
        if (tokens < f->venue_bucket.tokens) f->venue_bucket.tokens = tokens;
        f->cfg.venue_cap = c->venue_cap;
        f->cfg.venue_rate = c->venue_rate;
    }
}

/* ---- small helpers ---- */

void flow_jr_put(th_flow *f, th_jrec *r)
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
void flow_jr_event(th_flow *f, int32_t type, int64_t ts, const char *cl_id, const char *ex_id, int32_t code, const char *text)
{
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = type;
    r.ts_ns = ts;
    r.code = code;
    snprintf(r.cl_id, sizeof r.cl_id, "%s", cl_id ? cl_id : "");
    snprintf(r.ex_id, sizeof r.ex_id, "%s", ex_id ? ex_id : "");
    snprintf(r.text, sizeof r.text, "%s", text ? text : "");
    flow_jr_put(f, &r);
}

void flow_ev_push(th_flow *f, int32_t kind, int32_t idx, int64_t qty, int64_t price, th_money fee)
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

int flow_out_push(th_flow *f, int32_t kind, int32_t idx, bool post_only)
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

double flow_live_notional(const th_flow *f, const th_order *o)
{
    if (o->state == TH_ORD_DONE || o->instrument >= f->pf.n) return 0;
    return th_position_gate(&f->pf.v[o->instrument], th_money_mul(o->qty - o->filled, o->price));
}


const th_instrument *flow_instrument_of(th_flow *f, int32_t ins)
{
    return flow_ins_ready(f, ins) ? &f->ins->v[ins] : NULL;
}

/* A strategy instance's exposure (th_pair_limits.group; 0 when the pair has none): its pairs'
 * positions and live orders, the order `exclude` (being amended) left out. */
static double group_exposure(const th_flow *f, int32_t ins, int32_t exclude)
{
    int32_t g = ins >= 0 && ins < f->risk.npair ? f->risk.pair[ins].group : 0;
    if (g <= 0 || f->risk.lim.budget <= 0) return 0;
    double e = 0;
    for (int32_t i = 0; i < f->risk.npair; i++) {
        if (f->risk.pair[i].group != g) continue;
        if (i < f->pf.n) e += f->pf.v[i].exposure_c;
        int32_t n;
        const th_live *lv = th_tracker_live(&f->trk, i, &n);
        for (int32_t k = 0; k < n; k++)
            if (lv[k].idx != exclude) e += flow_live_notional(f, &f->trk.v[lv[k].idx]);
    }
    return e;
}

static void risk_ctx(th_flow *f, th_risk_ctx *c, int32_t ins, int32_t side, int64_t price, int64_t qty, bool post_only,
                     int64_t now_ns)
{
    memset(c, 0, sizeof *c);
    c->ins = flow_instrument_of(f, ins);
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
    c->group_exposure = group_exposure(f, ins, -1);
    c->now_ns = now_ns;
}

/* Kraken: an order's age for the counter's penalties, from its creation or its last amend. */
static int64_t kraken_age(const th_order *o, int64_t now_ns)
{
    return now_ns - (o->rate_ns > o->created_ns ? o->rate_ns : o->created_ns);
}

int64_t flow_kraken_age(const th_order *o, int64_t now_ns) { return kraken_age(o, now_ns); }

/* Kraken: what cancelling every live order of the pair now would add to its counter (except
 * `exclude`). A place or an amend only goes when the counter has room for it AND for cancelling
 * every live order of the pair, itself included at its youngest (+8: a place is new, an amend
 * restarts its age): a quoter cancels young orders, and a cancel refused for the rate would leave
 * an order we wanted gone resting at the venue. */
static double kraken_cancel_reserve(const th_flow *f, int32_t ins, int32_t exclude, int64_t now_ns)
{
    int32_t n;
    const th_live *lv = th_tracker_live(&f->trk, ins, &n);
    double r = th_kraken_cancel_cost(0);
    for (int32_t i = 0; i < n; i++)
        if (lv[i].idx != exclude) r += th_kraken_cancel_cost(kraken_age(&f->trk.v[lv[i].idx], now_ns));
    return r;
}

/* Rate limits: the venue's order bucket, and Kraken's per-pair counter (cost: 1 for a place, 1 +
 * the age surcharge for an amend of order `exclude`). Never for cancels. */
static int32_t rate_gate(th_flow *f, int32_t ins, double cost, int32_t exclude, int64_t now_ns)
{
    if (th_backoff_blocked(&f->backoff, now_ns) || now_ns < f->place_hold_ns) return TH_RISK_VENUE_BACKOFF;
    if (f->cfg.venue_cap > 0 && !th_bucket_take(&f->venue_bucket, 1, now_ns)) return TH_RISK_RATE_LIMITED;
    if (f->cfg.rate_model == TH_RATE_KRAKEN && f->cfg.pair_cap > 0) {
        th_bucket *b = &f->pair_bucket[ins];
        if (th_bucket_level(b, now_ns) + 1e-9 < cost + kraken_cancel_reserve(f, ins, exclude, now_ns) || !th_bucket_take(b, cost, now_ns)) {
            th_bucket_charge(&f->venue_bucket, -1, now_ns); /* give the venue token back */
            return TH_RISK_RATE_LIMITED;
        }
    }
    return TH_RISK_OK;
}

/* ---- intents ---- */

void th_flow_set_gate(th_flow *f, th_flow_gate gate) { f->gate = gate; }

/* The host's own gate (leases, shared budget) once the risk gates passed: whether the order can
 * grow the position (as the risk gates decide it: a reducing order is never trapped by an
 * exposure limit), and what this host's exposure would be with it (its notional added, that of
 * the order it replaces, `exclude`, taken off). */
static int32_t host_gate(th_flow *f, int32_t ins, int32_t side, int64_t price, int64_t qty, int32_t exclude)
{
    if (!f->gate.allow) return TH_RISK_OK;
    const th_position *pos = ins >= 0 && ins < f->pf.n ? &f->pf.v[ins] : NULL;
    int32_t n;
    const th_live *lv = th_tracker_live(&f->trk, ins, &n);
    int64_t open_same = 0;
    for (int32_t k = 0; k < n; k++)
        if (lv[k].idx != exclude && lv[k].side == side) open_same += lv[k].rest;
    int64_t held = pos ? pos->qty : 0, after = held + (side == TH_BID ? 1 : -1) * (open_same + qty);
    bool grows = (after < 0 ? -after : after) > (held < 0 ? -held : held);
    double add = pos ? th_position_gate(pos, th_money_mul(price, qty)) : 0;
    double minus = exclude >= 0 ? flow_live_notional(f, &f->trk.v[exclude]) : 0;
    /* a reducing order does not add to the position's exposure (filled, it takes it off): its
     * own notional still counts with the live orders' */
    double need = (grows ? f->pf.total_exposure : 0) + f->open_notional - minus + add;
    int32_t reason = f->gate.allow(f->gate.ctx, ins, grows, need);
    if (reason) th_risk_count_pair(&f->risk, ins, reason);
    return reason;
}

/* A place through the gates; `flags` (TH_ORD_QUOTE or 0) is set on the order and journalled. */
static int32_t flow_place(th_flow *f, int32_t ins, int32_t side, int64_t price, int64_t qty, bool post_only,
                          uint32_t flags, const char *tag, int64_t now_ns, int32_t *idx_out)
{
    int32_t reason = TH_RISK_OK;
    if (f->failed) reason = TH_RISK_HALTED;
    else if (f->recon) reason = TH_RISK_RECOVERING;
    else if (!f->venue.ops) reason = TH_RISK_NO_VENUE;
    else if (!flow_instrument_of(f, ins)) reason = TH_RISK_UNKNOWN_SYMBOL;
    if (reason) { th_risk_count_pair(&f->risk, ins, reason); return reason; }
    th_risk_ctx c;
    risk_ctx(f, &c, ins, side, price, qty, post_only, now_ns);
    reason = th_risk_check(&f->risk, &c);
    if (reason) return reason;
    reason = th_balances_gate(f->bal, flow_instrument_of(f, ins), side, price, qty);
    if (reason) { th_risk_count_pair(&f->risk, ins, reason); return reason; }
    reason = host_gate(f, ins, side, price, qty, -1);
    if (reason) return reason;
    reason = rate_gate(f, ins, 1, -1, now_ns);
    if (reason) { th_risk_count_pair(&f->risk, ins, reason); return reason; }
    int32_t idx = th_tracker_create(&f->trk, ins, side, price, qty, tag, now_ns);
    if (idx < 0) { th_risk_count_pair(&f->risk, ins, TH_RISK_HALTED); return TH_RISK_HALTED; }
    th_order *o = &f->trk.v[idx];
    o->flags |= flags;
    f->open_notional += flow_live_notional(f, o);
    /* The record by hand: only the header and the strings this record has (no 400-byte memset,
     * no printf) — this is the per-intent hot path. */
    th_jrec r;
    memset(&r, 0, offsetof(th_jrec, cl_id));
    r.type = TH_J_INTENT;
    r.ts_ns = now_ns;
    r.side = side;
    r.code = (post_only ? TH_ORDER_POST_ONLY : 0) | ((flags & TH_ORD_QUOTE) ? TH_J_INTENT_QUOTE : 0);
    r.price = price;
    r.qty = qty;
    r.price_dec = f->ins->v[ins].price_dec;
    r.qty_dec = f->ins->v[ins].qty_dec;
    memcpy(r.cl_id, o->cl_id, sizeof r.cl_id);
    memcpy(r.symbol, f->ins->v[ins].symbol, sizeof r.symbol);
    memcpy(r.tag, o->tag, sizeof r.tag);
    r.ex_id[0] = r.trade_id[0] = r.text[0] = r.strategy[0] = 0;
    flow_jr_put(f, &r);
    if (flow_out_push(f, TH_SEND_PLACE, idx, post_only) != 0) {
        TRACK(f, idx, th_tracker_resolve_missing(&f->trk, idx, now_ns));
        flow_jr_event(f, TH_J_MISSING, 0, o->cl_id, NULL, 0, NULL);
        return TH_RISK_HALTED;
    }
    f->st.placed++;
    if (idx_out) *idx_out = idx;
    return TH_RISK_OK;
}

int32_t th_flow_place(th_flow *f, int32_t ins, int32_t side, int64_t price, int64_t qty, bool post_only, const char *tag,
                      int64_t now_ns, int32_t *idx_out)
{
    return flow_place(f, ins, side, price, qty, post_only, 0, tag, now_ns, idx_out);
}

/* The order is not (or no longer) at the venue: DONE by the tracker's rule, journalled, and the
 * strategy told. Returns false if it was already DONE. */
bool flow_finish_missing(th_flow *f, int32_t idx, int64_t now_ns, const char *why)
{
    th_order *o = &f->trk.v[idx];
    if (o->state == TH_ORD_DONE) return false;
    TRACK(f, idx, th_tracker_resolve_missing(&f->trk, idx, now_ns));
    flow_jr_event(f, TH_J_MISSING, 0, o->cl_id, NULL, 0, why);
    flow_ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
    return true;
}

/* A place still in the outbox (or held behind a commit that is being written) is simply never
 * sent: nothing reached the venue, and the order ends as the strategy asked, `cancelled` (it used
 * to end `failed`, which told a strategy something had gone wrong when nothing had), with the
 * reason in the journal's record (journal replay finishes it the same way). After a journal
 * failure it is `failed`, as every place of the failed batch. */
static bool unsend_place(th_flow *f, int32_t idx, int64_t now_ns)
{
    for (int q = 0; q < 2; q++) {
        th_send *v = q ? f->held : f->out;
        int32_t n = q ? f->nheld : f->nout;
        for (int32_t i = 0; i < n; i++)
            if (v[i].kind == TH_SEND_PLACE && v[i].order == idx) {
                v[i].kind = 0;
                /* after a journal failure its intent may not be on disk: that order failed */
                if (f->failed) return flow_finish_missing(f, idx, now_ns, "journal failed before it was sent"), true;
                th_order *o = &f->trk.v[idx];
                TRACK(f, idx, th_tracker_on_cancelled(&f->trk, idx, now_ns));
                flow_jr_event(f, TH_J_CANCELLED, 0, o->cl_id, NULL, 0, "cancelled before it was sent");
                flow_ev_push(f, TH_FLOW_EV_ORDER, idx, 0, 0, 0);
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
    flow_jr_event(f, TH_J_CANCEL_REQ, 0, o->cl_id, NULL, 0, NULL);
    if (f->cfg.rate_model == TH_RATE_KRAKEN && flow_ins_ready(f, o->instrument))
        th_bucket_charge(&f->pair_bucket[o->instrument], th_kraken_cancel_cost(kraken_age(o, now_ns)), now_ns);
    /* PENDING_CREATE: flagged; the cancel goes out when the ack (or the timeout query) arrives.
     * In a bulk cancel (the stop's cancel_all, flow_stop.c) the caller sends one request for all. */
    if (o->state == TH_ORD_PENDING_CANCEL && !f->bulk_cancel) flow_out_push(f, TH_SEND_CANCEL, idx, false);
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
    c.group_exposure = group_exposure(f, o->instrument, idx);
    int32_t reason = th_risk_check(&f->risk, &c);
    if (reason) return reason;
    reason = host_gate(f, o->instrument, o->side, q->price, q->qty, idx);
    if (reason) return reason;
    reason = rate_gate(f, o->instrument, 1 + th_kraken_amend_cost(kraken_age(o, now_ns)), idx, now_ns);
    if (reason) { th_risk_count_pair(&f->risk, o->instrument, reason); return reason; }
    int64_t total = o->filled + q->qty;
    if (th_tracker_request_amend(&f->trk, idx, q->price, total, now_ns) < 0) return TH_RISK_BAD_ORDER;
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_AMEND_REQ;
    r.price = q->price;
    r.qty = total;
    snprintf(r.cl_id, sizeof r.cl_id, "%s", o->cl_id);
    flow_jr_put(f, &r);
    o->rate_ns = now_ns;
    flow_out_push(f, TH_SEND_AMEND, idx, true);
    return TH_RISK_OK;
}

int th_flow_quotes(th_flow *f, int32_t ins, const th_quote *targets, int32_t n, int64_t now_ns, th_quotes_outcome *res)
{
    memset(res, 0, sizeof *res);
    th_exec_action act[TH_QUOTES_MAX + 256];
    th_exec_cfg ec = f->cfg.exec;
    ec.amend = ec.amend && f->venue.ops && f->venue.ops->can_amend;
    ec.owned = TH_ORD_QUOTE | TH_ORD_ADOPTED; /* orders placed by hand on the pair are not the quotes' */
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
        int32_t reason = flow_place(f, ins, q->side, q->price, q->qty, true, TH_ORD_QUOTE, q->tag, now_ns, NULL);
        if (reason == TH_RISK_OK) res->placed++;
        else {
            res->refused++;
            if (!res->first_refusal) res->first_refusal = reason;
        }
    }
    return 0;
}

/* ---- sending ---- */

static void send_failed(th_flow *f, int32_t idx, int64_t now_ns, const char *what)
{
    f->st.send_failures++;
    th_order *o = &f->trk.v[idx];
    th_logf(TH_LOG_WARN, "venue request failed locally", "request=%s cl_id=%s", what, o->cl_id);
    if (th_risk_venue_error(&f->risk, now_ns)) th_logf(TH_LOG_WARN, "circuit breaker open", "errors=%d", f->cfg.risk.breaker_errors);
}

/* Places from queue entry i on: with a venue that takes batches, the run of places of one
 * instrument that follows (a quote update's places are pushed together) goes as one request of
 * up to TH_VENUE_BATCH_MAX; a run of one goes alone. Returns how many entries were consumed. */
static int32_t send_places(th_flow *f, th_send *q, int32_t nq, int32_t i, int64_t now_ns)
{
    const th_venue_ops *ops = f->venue.ops;
    th_venue_place v[TH_VENUE_BATCH_MAX];
    int32_t at[TH_VENUE_BATCH_MAX], n = 0, ins = f->trk.v[q[i].order].instrument;
    for (int32_t k = i; k < nq && n < (ops->place_batch ? TH_VENUE_BATCH_MAX : 1); k++) {
        if (q[k].kind != TH_SEND_PLACE) break;
        th_order *o = &f->trk.v[q[k].order];
        if (o->instrument != ins) break;
        if (o->state != TH_ORD_PENDING_CREATE) { if (k == i) return 1; break; }
        v[n] = (th_venue_place){o->cl_id, flow_instrument_of(f, ins), o->side, q[k].post_only, o->price, o->qty};
        at[n++] = k;
    }
    int rc = n >= 2 ? ops->place_batch(f->venue.self, v, n) : ops->place(f->venue.self, &v[0]);
    for (int32_t k = 0; k < n; k++) {
        if (rc != 0) {
            send_failed(f, q[at[k]].order, now_ns, "place");
            flow_finish_missing(f, q[at[k]].order, now_ns, NULL);
        } else f->st.sent++;
        if (k > 0) q[at[k]].kind = 0; /* sent with the first */
    }
    if (rc == 0 && n >= 2) f->st.batches_sent++;
    return n;
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
        if (s->kind == TH_SEND_CANCEL_ALL) {
            if (ops->cancel_all && ops->cancel_all(f->venue.self) == 0) f->st.cancel_all_sent++;
            else flow_cancel_all_unsent(f); /* pushes per-order cancels: the queue may move (Q re-reads it) */
            continue;
        }
        th_order *o = &f->trk.v[s->order];
        const th_instrument *ins = flow_instrument_of(f, o->instrument);
        switch (s->kind) {
        case TH_SEND_PLACE:
            send_places(f, held ? f->held : f->out, QN, i, now_ns);
            break;
        case TH_SEND_CANCEL:
            if (o->state == TH_ORD_DONE) break;
            o->flags &= ~(uint32_t)TH_ORD_CANCEL_RESEND; /* this one goes now; a refusal flags it again */
            if (ops->cancel(f->venue.self, o->cl_id, o->ex_id, ins) != 0) send_failed(f, s->order, now_ns, "cancel");
            else {
                f->st.cancels_sent++;
                if (f->recon == TH_RECON_OPEN) o->flags |= TH_ORD_CANCEL_DURING_LIST;
            }
            break;
        case TH_SEND_AMEND:
            if (!o->amend_qty) break;
            if (ops->amend(f->venue.self, o->cl_id, o->ex_id, ins, o->amend_price, o->amend_qty) != 0) {
                send_failed(f, s->order, now_ns, "amend");
                th_tracker_on_amended(&f->trk, s->order, false, now_ns);
                flow_jr_event(f, TH_J_AMENDED, 0, o->cl_id, NULL, 0, NULL);
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
        flow_out_push(f, TH_SEND_QUERY, due[i], false);
    }
    flow_resend_cancels(f, now_ns);
    flow_recon_retry(f, now_ns);
    th_portfolio_recompute(&f->pf, now_ns);
    if (f->pf.day_rolls != f->day_rolls_logged) {
        f->day_rolls_logged = f->pf.day_rolls;
        for (int32_t i = 0; i < f->pf.n && i < f->ins->n; i++)
            if (f->pf.v[i].day != f->pf.v[i].day_logged) flow_jr_position(f, i, now_ns);
    }
    double open = 0;
    for (int32_t i = 0; f->trk.nlive && i < f->trk.ins_cap; i++) /* every tick: no walk without live orders */
        for (int32_t k = 0; k < f->trk.live[i].n; k++) open += flow_live_notional(f, &f->trk.v[f->trk.live[i].v[k].idx]);
    f->open_notional = open;
    flow_check_loss_caps(f, now_ns);
}

void th_flow_mark(th_flow *f, int32_t ins, int64_t mid, int64_t now_ns)
{
    if (flow_ins_ready(f, ins)) th_portfolio_mark(&f->pf, ins, mid, now_ns);
}

/* The kill switch was just pulled (by us or by a loss cap): journal it, then cancel everything. */
void flow_jr_kill(th_flow *f, int64_t now_ns)
{
    flow_jr_event(f, TH_J_KILL, now_ns, NULL, NULL, f->risk.halt_code, f->risk.halt_reason);
}

static void after_kill(th_flow *f, int64_t now_ns)
{
    flow_jr_kill(f, now_ns);
    th_logf(TH_LOG_WARN, "kill switch pulled", "reason=\"%s\" live_orders=%d", f->risk.halt_reason, f->trk.nlive);
}

void th_flow_kill(th_flow *f, int32_t code, const char *reason, int64_t now_ns)
{
    if (th_risk_halt(&f->risk, code, reason)) after_kill(f, now_ns);
    th_flow_cancel_all(f, -1, now_ns); /* again on every pull: a second kill re-sends what is still live */
}

void flow_check_loss_caps(th_flow *f, int64_t now_ns)
{
    if (!th_risk_check_portfolio(&f->risk, &f->pf)) return;
    after_kill(f, now_ns);
    th_flow_cancel_all(f, -1, now_ns);
}

void th_flow_rearm(th_flow *f, int64_t now_ns)
{
    if (!f->risk.halted) return;
    th_risk_resume(&f->risk);
    flow_jr_event(f, TH_J_REARM, now_ns, NULL, NULL, 0, NULL);
    th_logf(TH_LOG_WARN, "kill switch re-armed", NULL);
}
