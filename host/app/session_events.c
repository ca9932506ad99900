/* session_events.c — the session's events as JSON documents, fanned out to sinks, and the per-pair
 * activity behind the statistics (see session_events.h). */
#include "session_events.h"

#include <stdlib.h>
#include <string.h>

#include "../core/json_out.h"
#include "../core/log.h"
#include "../core/position.h"
#include "tradehost.h"

void th_session_events_init(th_session_events *e, const char *session_id)
{
    memset(e, 0, sizeof *e);
    snprintf(e->session, sizeof e->session, "%s", session_id);
}

void th_session_events_free(th_session_events *e)
{
    free(e->pair);
    free(e->buf);
    e->pair = NULL;
    e->buf = NULL;
}

int th_session_events_sink(th_session_events *e, th_event_sink_fn fn, void *ctx)
{
    if (e->nsink >= TH_EVENT_SINKS) return -1;
    e->sink[e->nsink].fn = fn;
    e->sink[e->nsink].ctx = ctx;
    e->nsink++;
    return 0;
}

/* The pair's slot, grown with the registry (instruments can be added while running). */
static th_pair_activity *pair_at(th_session_events *e, int32_t ins)
{
    if (ins < 0) return NULL;
    if (ins >= e->npair) {
        int32_t n = ins + 16;
        th_pair_activity *v = realloc(e->pair, sizeof *v * (size_t)n);
        if (!v) return NULL;
        memset(v + e->npair, 0, sizeof *v * (size_t)(n - e->npair));
        e->pair = v;
        e->npair = n;
    }
    return &e->pair[ins];
}

th_pair_activity th_session_events_pair(const th_session_events *e, int32_t ins)
{
    th_pair_activity z;
    memset(&z, 0, sizeof z);
    return ins >= 0 && ins < e->npair ? e->pair[ins] : z;
}

/* Opens the document: {"type":...,"session":...,"ts":...; the caller adds members and the brace. */
static FILE *doc_open(th_session_events *e, const char *type, int64_t now_ns)
{
    FILE *f = open_memstream(&e->buf, &e->buf_n);
    if (!f) return NULL;
    fputs("{\"type\":", f);
    th_json_put_str(f, type);
    fputs(",\"session\":", f);
    th_json_put_str(f, e->session);
    fprintf(f, ",\"ts\":%lld", (long long)now_ns);
    return f;
}

/* Closes the document and hands it to every sink; open_memstream made a new buffer: freed here. */
static void doc_send(th_session_events *e, const char *type, FILE *f)
{
    if (fclose(f) == 0 && e->buf) {
        e->published++;
        for (int i = 0; i < e->nsink; i++) e->sink[i].fn(e->sink[i].ctx, type, e->buf, e->buf_n);
    }
    free(e->buf);
    e->buf = NULL;
}

static void order_members(FILE *f, const th_flow *fl, const th_order *o)
{
    fputs(",\"id\":", f); th_json_put_str(f, o->cl_id);
    fputs(",\"venue_id\":", f); th_json_put_str(f, o->ex_id);
    fputs(",\"symbol\":", f); th_json_put_str(f, fl->ins->v[o->instrument].symbol);
    fputs(o->side == TH_BID ? ",\"side\":\"buy\"" : ",\"side\":\"sell\"", f);
    fputs(",\"tag\":", f); th_json_put_str(f, o->tag);
}

static void fill_event(th_session_events *e, const th_flow *fl, const th_flow_event *ev, int64_t now_ns)
{
    const th_order *o = &fl->trk.v[ev->order];
    const th_instrument *ins = &fl->ins->v[o->instrument];
    double px = th_trading_px(fl, o, ev->price), qty = th_trading_qty(fl, o, ev->qty);
    th_pair_activity *pa = pair_at(e, o->instrument);
    if (pa) { pa->volume_quote += px * qty; pa->session_fills++; }
    if (!e->nsink) return;
    FILE *f = doc_open(e, "fill", now_ns);
    if (!f) return;
    order_members(f, fl, o);
    fputs(",\"price\":", f); th_json_put_num(f, px);
    fputs(",\"size\":", f); th_json_put_num(f, qty);
    fputs(",\"fee\":", f); th_json_put_num(f, th_money_to_double(ev->fee, ins->price_dec + ins->qty_dec));
    fputc('}', f);
    doc_send(e, "fill", f);
}

static void order_event(th_session_events *e, const th_flow *fl, const th_order *o, int64_t now_ns)
{
    double qty = th_trading_qty(fl, o, o->qty), filled = th_trading_qty(fl, o, o->filled);
    th_pair_activity *pa = o->state == TH_ORD_DONE ? pair_at(e, o->instrument) : NULL;
    if (pa) {
        pa->orders_done++;
        pa->qty_ordered += qty;
        pa->qty_filled += filled;
        if (o->filled > 0) pa->orders_filled++;
    }
    if (!e->nsink) return;
    FILE *f = doc_open(e, "order", now_ns);
    if (!f) return;
    order_members(f, fl, o);
    fputs(",\"price\":", f); th_json_put_num(f, th_trading_px(fl, o, o->price));
    fputs(",\"size\":", f); th_json_put_num(f, qty);
    fputs(",\"filled\":", f); th_json_put_num(f, filled);
    fputs(",\"state\":", f); th_json_put_str(f, th_ord_state_name(o->state));
    fputs(",\"reason\":", f); th_json_put_str(f, th_done_reason_name(o->done_reason));
    fputc('}', f);
    doc_send(e, "order", f);
}

/* Halts, re-arms and breaker trips: the risk state's transitions since the last turn. */
static void risk_events(th_session_events *e, const th_risk *r, int64_t now_ns)
{
    const char *what = NULL, *code = "";
    char reason[192] = "";
    if (r->halted != e->halted_told) {
        e->halted_told = r->halted;
        what = r->halted ? "halted" : "rearmed";
        if (r->halted) {
            th_risk_reason_name(r->halt_code, &code);
            snprintf(reason, sizeof reason, "%s", r->halt_reason);
        }
    } else if (r->breaker_trips != e->breaker_told) {
        e->breaker_told = r->breaker_trips;
        what = "breaker_open";
        code = "breaker_open";
        snprintf(reason, sizeof reason, "circuit breaker open: %d consecutive venue errors", r->consecutive_errors);
    }
    if (!what || !e->nsink) return;
    FILE *f = doc_open(e, "risk", now_ns);
    if (!f) return;
    fputs(",\"event\":", f); th_json_put_str(f, what);
    fputs(",\"code\":", f); th_json_put_str(f, code ? code : "");
    fputs(",\"reason\":", f); th_json_put_str(f, reason);
    fputc('}', f);
    doc_send(e, "risk", f);
}

void th_session_events_turn(th_session_events *e, th_trading *t, int64_t now_ns)
{
    if (!t->active) return;
    const th_flow *fl = &t->flow;
    if (fl->risk.halted != e->halted_told || fl->risk.breaker_trips != e->breaker_told) risk_events(e, &fl->risk, now_ns);
    for (int32_t i = 0; i < t->nevents; i++) {
        const th_flow_event *ev = &t->events[i];
        if (ev->kind == TH_FLOW_EV_FILL) fill_event(e, fl, ev, now_ns);
        else order_event(e, fl, &fl->trk.v[ev->order], now_ns);
    }
    t->nevents = 0; /* each batch once, even if a turn has no dispatch */
}

void th_session_events_reload(th_session_events *e, const char *source, bool ok, const char *error, int64_t now_ns)
{
    if (!e->nsink) return;
    FILE *f = doc_open(e, "reload", now_ns);
    if (!f) return;
    fputs(",\"source\":", f); th_json_put_str(f, source);
    fputs(ok ? ",\"ok\":true" : ",\"ok\":false", f);
    fputs(",\"error\":", f); th_json_put_str(f, ok ? NULL : error);
    fputc('}', f);
    doc_send(e, "reload", f);
}

void th_session_events_publish(th_session_events *e, const char *type, int64_t now_ns, void (*fill)(FILE *f, void *arg),
                               void *arg)
{
    if (!e->nsink) return;
    FILE *f = doc_open(e, type, now_ns);
    if (!f) return;
    fill(f, arg);
    doc_send(e, type, f);
}

void th_session_events_marks(th_session_events *e, th_trading *t)
{
    if (!t->active) return;
    const th_flow *fl = &t->flow;
    for (int32_t i = 0; i < fl->pf.n && i < fl->ins->n; i++) {
        const th_position *p = &fl->pf.v[i];
        if (p->fills == 0) continue;
        th_pair_activity *pa = pair_at(e, i);
        if (!pa) return;
        int32_t scale = fl->ins->v[i].price_dec + fl->ins->v[i].qty_dec;
        double pnl = th_money_to_double(p->realised, scale) + th_money_to_double(th_position_unrealised(p), scale) -
                     th_money_to_double(p->fees, scale);
        if (!pa->have_peak || pnl > pa->pnl_peak) { pa->pnl_peak = pnl; pa->have_peak = true; }
        if (pa->pnl_peak - pnl > pa->max_drawdown) pa->max_drawdown = pa->pnl_peak - pnl;
    }
}
