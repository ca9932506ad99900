/* report.c — a session's report built from its journal and timeline (see report.h for the
 * definitions). Reads both files, rebuilds each pair's position with the host's position code
 * as the fills come, marks it at the timeline's samples, and keeps the series the writers plot. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/journal.h"
#include "../core/strhash.h"
#include "../feed/feed.h"

#define GROW(arr, n, cap)                                                                   \
    ((n) < (cap) ? 0                                                                        \
                 : ((cap) = (cap) ? (cap) * 2 : 64,                                          \
                    ((arr) = realloc_or_free((arr), (size_t)(cap) * sizeof *(arr))) ? 0 : -1))

static void *realloc_or_free(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) free(p);
    return q;
}

static void fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

const char *th_report_money(const th_report_pair *p, th_money m, char *buf, size_t cap)
{
    if (th_money_format_short(m, p->scale, buf, cap) < 0) snprintf(buf, cap, "?");
    return buf;
}

/* ---- pairs ---- */

static int32_t pair_find(const th_report *r, const char *sym)
{
    for (int32_t i = 0; i < r->npairs; i++)
        if (strcmp(r->pairs[i].symbol, sym) == 0) return i;
    return -1;
}

static int32_t pair_get(th_report *r, const char *sym)
{
    int32_t i = pair_find(r, sym);
    if (i >= 0) return i;
    if (GROW(r->pairs, r->npairs, r->cap_pairs) != 0) return -1;
    th_report_pair *p = &r->pairs[r->npairs];
    memset(p, 0, sizeof *p);
    snprintf(p->symbol, sizeof p->symbol, "%s", sym);
    const char *slash = strchr(sym, '/');
    snprintf(p->quote, sizeof p->quote, "%s", slash ? slash + 1 : "quote");
    p->rate = 0;
    p->sharpe = NAN;
    return r->npairs++;
}

static int add_count(th_report_count *v, int32_t *n, const char *name, uint64_t k)
{
    for (int32_t i = 0; i < *n; i++)
        if (strcmp(v[i].name, name) == 0) { v[i].n += k; return 0; }
    if (*n >= 64) return 0; /* more distinct reasons than a report shows: the rest are counted in the last */
    snprintf(v[*n].name, sizeof v[*n].name, "%s", name);
    v[(*n)++].n = k;
    return 0;
}

#define PAIR_REASONS 16

/* A pair's count by reason (its table made at the first one; past PAIR_REASONS distinct reasons
 * the rest are counted in the last, as add_count does for the totals). */
static int add_pair_count(th_report_count **v, int32_t *n, const char *name, uint64_t k)
{
    if (!*v && !(*v = calloc(PAIR_REASONS, sizeof **v))) return -1;
    for (int32_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].name, name) == 0) { (*v)[i].n += k; return 0; }
    if (*n >= PAIR_REASONS) { (*v)[PAIR_REASONS - 1].n += k; return 0; }
    snprintf((*v)[*n].name, sizeof (*v)[*n].name, "%s", name);
    (*v)[(*n)++].n = k;
    return 0;
}

/* ---- the timeline ---- */

typedef struct sample {
    int64_t ts;
    int32_t pair;
    int64_t bid, ask, ob, oa;
} sample;

typedef struct build {
    th_report *r;
    sample *s;
    int32_t ns, cap_s;
    int32_t map[4096];       /* timeline pair index -> report pair */
    int32_t nmap;
    /* orders by client id: pair and side */
    struct bord { char cl_id[40]; int32_t pair, side; char tag[16]; } *ord;
    int32_t nord, cap_ord;
    int32_t *slots;
    int32_t nslots;
    char *err;
    size_t errcap;
} build;

static int read_timeline(build *b, const char *path)
{
    th_report *r = b->r;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        fail(b->err, b->errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    r->have_timeline = true;
    snprintf(r->timeline, sizeof r->timeline, "%s", path);
    char line[1024];
    int rc = 0;
    long lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char sym[64], quote[32], health[32], name[256];
        long long ts, bid, ask, ob, oa, qty;
        int k, pd, qd;
        double rate;
        unsigned long long n;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (line[0] == 'c' && sscanf(line, "c %15s", r->currency) == 1) continue;
        if (line[0] == 'i' && sscanf(line, "i %d %63s %d %d %31s %lg", &k, sym, &pd, &qd, quote, &rate) == 6 && k >= 0 && k < 4096) {
            int32_t i = pair_get(r, sym);
            if (i < 0) { rc = -1; fail(b->err, b->errcap, "out of memory"); break; }
            th_report_pair *p = &r->pairs[i];
            p->price_dec = pd;
            p->qty_dec = qd;
            if (strcmp(quote, "-") != 0) snprintf(p->quote, sizeof p->quote, "%s", quote);
            p->rate = rate;
            b->map[k] = i;
            if (k >= b->nmap) b->nmap = k + 1;
            continue;
        }
        if (line[0] == 's' &&
            sscanf(line, "s %lld %d %31s %lld %lld %lld %lld %lld", &ts, &k, health, &bid, &ask, &ob, &oa, &qty) == 8 && k >= 0 &&
            k < b->nmap) {
            if (GROW(b->s, b->ns, b->cap_s) != 0) { rc = -1; fail(b->err, b->errcap, "out of memory"); break; }
            b->s[b->ns++] = (sample){.ts = ts, .pair = b->map[k], .bid = bid, .ask = ask, .ob = ob, .oa = oa};
            continue;
        }
        if (line[0] == 'r' && sscanf(line, "r %255s %llu", name, &n) == 2) { add_count(r->refusals, &r->nrefusals, name, n); continue; }
        if (line[0] == 'R' && sscanf(line, "R %d %255s %llu", &k, name, &n) == 3 && k >= 0 && k < b->nmap) {
            th_report_pair *p = &r->pairs[b->map[k]];
            if (add_pair_count(&p->refusals, &p->nrefusals, name, n) != 0) { rc = -1; fail(b->err, b->errcap, "out of memory"); break; }
            continue;
        }
        if (line[0] == 'e' && sscanf(line, "e %lld", &ts) == 1) { if (ts > r->end_ns) r->end_ns = ts; continue; }
        rc = -1;
        fail(b->err, b->errcap, "%s:%ld: not a timeline line: %.80s", path, lineno, line);
        break;
    }
    fclose(f);
    return rc;
}

/* ---- the journal ---- */

static const char *ord_key(const void *ctx, int32_t i) { return ((const build *)ctx)->ord[i].cl_id; }

static int ord_put(build *b, const char *cl_id, int32_t pair, int32_t side, const char *tag)
{
    if (GROW(b->ord, b->nord, b->cap_ord) != 0) return -1;
    if ((b->nord + 1) * 2 > b->nslots) {
        int32_t n = b->nslots ? b->nslots * 2 : 1024;
        int32_t *s = calloc((size_t)n, sizeof *s);
        if (!s) return -1;
        free(b->slots);
        b->slots = s;
        b->nslots = n;
        for (int32_t i = 0; i < b->nord; i++) th_slot_put(b->slots, n, b->ord[i].cl_id, i);
    }
    struct bord *o = &b->ord[b->nord];
    snprintf(o->cl_id, sizeof o->cl_id, "%s", cl_id);
    snprintf(o->tag, sizeof o->tag, "%s", tag);
    o->pair = pair;
    o->side = side;
    th_slot_put(b->slots, b->nslots, o->cl_id, b->nord);
    b->nord++;
    return 0;
}

static int on_record(void *ctx, const th_jrec *j)
{
    build *b = ctx;
    th_report *r = b->r;
    if (j->ts_ns && (!r->start_ns || j->ts_ns < r->start_ns)) r->start_ns = j->ts_ns;
    if (j->ts_ns > r->end_ns) r->end_ns = j->ts_ns;
    int32_t pi = -1;
    if (j->symbol[0]) {
        pi = pair_get(r, j->symbol);
        if (pi < 0) return -1;
        th_report_pair *p = &r->pairs[pi];
        if (j->price_dec || j->qty_dec) { p->price_dec = j->price_dec; p->qty_dec = j->qty_dec; }
    }
    switch (j->type) {
    case TH_J_INTENT:
        r->pairs[pi].orders++;
        return ord_put(b, j->cl_id, pi, j->side, j->tag);
    case TH_J_ADOPT:
    case TH_J_ORDER:
        return ord_put(b, j->cl_id, pi, j->side, j->tag);
    case TH_J_POSITION: {
        th_report_pair *p = &r->pairs[pi];
        p->qty = j->qty;
        p->realised = j->realised;
        p->fees = j->fee;
        p->opening_pnl = j->realised - j->fee;
        p->open_cost = j->cost;
        p->mark = j->price;
        p->carried = true;
        return 0;
    }
    case TH_J_FILL: {
        int32_t k = th_slot_find(b->slots, b->nslots, j->cl_id, ord_key, b);
        if (k < 0) {
            fail(b->err, b->errcap, "journal: a fill for an order it never journalled: %s", j->cl_id);
            return -1;
        }
        if (GROW(r->fills, r->nfills, r->cap_fills) != 0) return -1;
        th_report_fill *x = &r->fills[r->nfills++];
        memset(x, 0, sizeof *x);
        x->ts = j->ts_ns;
        x->pair = b->ord[k].pair;
        x->side = b->ord[k].side;
        x->price = j->price;
        x->qty = j->qty;
        x->fee = j->fee;
        snprintf(x->tag, sizeof x->tag, "%s", b->ord[k].tag);
        snprintf(x->cl_id, sizeof x->cl_id, "%s", j->cl_id);
        return 0;
    }
    case TH_J_REJECT: {
        const char *why = j->text[0] ? j->text : "(no reason given)";
        int32_t k = th_slot_find(b->slots, b->nslots, j->cl_id, ord_key, b);
        if (k >= 0 && b->ord[k].pair >= 0) {
            th_report_pair *p = &r->pairs[b->ord[k].pair];
            if (add_pair_count(&p->rejects, &p->nrejects, why, 1) != 0) return -1;
        }
        return add_count(r->rejects, &r->nrejects, why, 1);
    }
    case TH_J_KILL:
        r->kills++;
        return 0;
    default:
        return 0;
    }
}

/* ---- figures ---- */

static int add_point(th_report_pair *p, int64_t ts, const th_position *pos, const sample *s)
{
    if (GROW(p->pts, p->npts, p->cap_pts) != 0) return -1;
    th_report_point *x = &p->pts[p->npts++];
    memset(x, 0, sizeof *x);
    x->ts = ts;
    x->qty = pos->qty;
    x->pnl = th_position_pnl(pos);
    if (s) { x->bid = s->bid; x->ask = s->ask; x->our_bid = s->ob; x->our_ask = s->oa; }
    if (pos->qty > p->max_qty) p->max_qty = pos->qty;
    if (pos->qty < p->min_qty) p->min_qty = pos->qty;
    return 0;
}

static int add_total(th_report *r, int64_t ts, const th_portfolio *pf)
{
    if (r->ntot && r->tot[r->ntot - 1].ts == ts) r->ntot--; /* one point per instant: the last state */
    if (GROW(r->tot, r->ntot, r->cap_tot) != 0) return -1;
    double v = 0;
    for (int32_t i = 0; i < r->npairs; i++)
        if (r->pairs[i].rate > 0) v += th_money_to_double(th_position_pnl(&pf->v[i]), r->pairs[i].scale) * r->pairs[i].rate;
    r->tot[r->ntot++] = (th_report_total_point){.ts = ts, .pnl = v};
    return 0;
}

/* matched * (sell_notional / sold - buy_notional / bought), each quotient truncated toward zero. */
static th_money spread_captured(const th_report_pair *p)
{
    int64_t m = p->bought < p->sold ? p->bought : p->sold;
    if (m <= 0) return 0;
    th_money a, c;
    if (__builtin_mul_overflow(p->sell_notional, (th_money)m, &a) || __builtin_mul_overflow(p->buy_notional, (th_money)m, &c)) {
        /* beyond 128 bits: matched * (average difference), averages truncated to a money unit per qty unit */
        return (p->sell_notional / p->sold - p->buy_notional / p->bought) * m;
    }
    return a / p->sold - c / p->bought;
}

static double sharpe_of(const double *v, int32_t n)
{
    if (n < 3) return NAN;
    double mean = 0, m2 = 0;
    int32_t k = 0;
    for (int32_t i = 1; i < n; i++) { /* Welford over the steps */
        double d = v[i] - v[i - 1], delta = d - mean;
        k++;
        mean += delta / k;
        m2 += delta * (d - mean);
    }
    double sd = sqrt(m2 / (k - 1));
    if (!(sd > 0)) return NAN;
    return mean / sd * sqrt((double)k);
}

static int compute(th_report *r, build *b)
{
    th_portfolio pf;
    if (th_portfolio_init(&pf, r->npairs > 0 ? r->npairs : 1) != 0) { fail(b->err, b->errcap, "out of memory"); return -1; }
    for (int32_t i = 0; i < r->npairs; i++) {
        th_report_pair *p = &r->pairs[i];
        p->scale = p->price_dec + p->qty_dec;
        th_portfolio_set_unit(&pf, i, p->scale, p->rate > 0 ? p->rate : 1);
        th_position *pos = &pf.v[i];
        /* a carried position (POSITION record) is the opening state */
        pos->qty = p->qty;
        pos->cost = p->open_cost;
        pos->realised = p->realised;
        pos->fees = p->fees;
        pos->mark = p->mark;
        p->max_qty = p->min_qty = p->qty;
        p->unrealised = 0;
        p->max_drawdown = 0;
    }
    int32_t i = 0, j = 0, rc = 0;
    bool *seen_sample = calloc((size_t)(r->npairs > 0 ? r->npairs : 1), 1);
    if (!seen_sample) { th_portfolio_free(&pf); fail(b->err, b->errcap, "out of memory"); return -1; }
    for (int32_t k = 0; k < b->ns; k++) seen_sample[b->s[k].pair] = true;
    for (int32_t k = 0; k < r->npairs; k++) r->pairs[k].sampled = seen_sample[k];
    while (rc == 0 && (i < r->nfills || j < b->ns)) {
        if (j < b->ns && (i == r->nfills || b->s[j].ts < r->fills[i].ts)) {
            const sample *s = &b->s[j++];
            th_position *pos = &pf.v[s->pair];
            if (s->bid && s->ask) pos->mark = (s->bid + s->ask) / 2; /* as the session marks: trading.c th_trading_mark */
            rc = add_point(&r->pairs[s->pair], s->ts, pos, s);
            if (rc == 0 && (j == b->ns || b->s[j].ts != s->ts)) rc = add_total(r, s->ts, &pf);
        } else {
            const th_report_fill *x = &r->fills[i++];
            th_report_pair *p = &r->pairs[x->pair];
            th_position *pos = &pf.v[x->pair];
            th_portfolio_fill(&pf, x->pair, x->side, x->qty, x->price, x->fee, x->ts);
            p->fills++;
            th_money n = th_money_mul(x->qty, x->price);
            if (x->side == TH_BID) { p->bought += x->qty; p->buy_notional += n; }
            else { p->sold += x->qty; p->sell_notional += n; }
            if (!seen_sample[x->pair]) {
                pos->mark = x->price;
                rc = add_point(p, x->ts, pos, NULL);
                if (rc == 0 && !r->have_timeline) rc = add_total(r, x->ts, &pf);
            } else {
                if (pos->qty > p->max_qty) p->max_qty = pos->qty;
                if (pos->qty < p->min_qty) p->min_qty = pos->qty;
            }
        }
    }
    free(seen_sample);
    if (rc != 0) { th_portfolio_free(&pf); fail(b->err, b->errcap, "out of memory"); return -1; }
    r->t_pnl = r->t_realised = r->t_unrealised = r->t_fees = r->t_volume = r->t_spread = 0;
    r->t_fills = r->t_orders = 0;
    double *v = malloc(sizeof *v * (size_t)(r->ntot > 0 ? r->ntot : 1));
    for (int32_t k = 0; k < r->npairs; k++) {
        th_report_pair *p = &r->pairs[k];
        th_position *pos = &pf.v[k];
        p->qty = pos->qty;
        p->mark = pos->mark;
        p->realised = pos->realised;
        p->fees = pos->fees;
        p->unrealised = th_position_unrealised(pos);
        p->pnl = th_position_pnl(pos);
        p->avg_entry = th_position_avg_entry(pos);
        p->spread_captured = spread_captured(p);
        th_money peak = p->opening_pnl;
        for (int32_t q = 0; q < p->npts; q++) {
            if (p->pts[q].pnl > peak) peak = p->pts[q].pnl;
            if (peak - p->pts[q].pnl > p->max_drawdown) p->max_drawdown = peak - p->pts[q].pnl;
        }
        double *pv = malloc(sizeof *pv * (size_t)(p->npts > 0 ? p->npts : 1));
        if (pv) {
            for (int32_t q = 0; q < p->npts; q++) pv[q] = th_money_to_double(p->pts[q].pnl, p->scale);
            p->sharpe = sharpe_of(pv, p->npts);
            free(pv);
        }
        r->t_fills += p->fills;
        r->t_orders += p->orders;
        if (p->rate > 0) {
            r->t_pnl += th_money_to_double(p->pnl, p->scale) * p->rate;
            r->t_realised += th_money_to_double(p->realised, p->scale) * p->rate;
            r->t_unrealised += th_money_to_double(p->unrealised, p->scale) * p->rate;
            r->t_fees += th_money_to_double(p->fees, p->scale) * p->rate;
            r->t_volume += th_money_to_double(p->buy_notional + p->sell_notional, p->scale) * p->rate;
            r->t_spread += th_money_to_double(p->spread_captured, p->scale) * p->rate;
        }
    }
    double peak = 0, dd = 0;
    for (int32_t k = 0; k < r->npairs; k++)
        if (r->pairs[k].rate > 0) peak += th_money_to_double(r->pairs[k].opening_pnl, r->pairs[k].scale) * r->pairs[k].rate;
    double peak0 = peak;
    for (int32_t k = 0; k < r->ntot; k++) {
        if (r->tot[k].pnl > peak) peak = r->tot[k].pnl;
        if (peak - r->tot[k].pnl > dd) dd = peak - r->tot[k].pnl;
        if (v) v[k] = r->tot[k].pnl;
    }
    r->t_open = peak0;
    r->t_max_drawdown = dd;
    r->t_sharpe = v ? sharpe_of(v, r->ntot) : NAN;
    free(v);
    th_portfolio_free(&pf);
    return 0;
}

int th_report_build(th_report *r, const char *journal, const char *timeline, char *err, size_t cap)
{
    memset(r, 0, sizeof *r);
    snprintf(r->journal, sizeof r->journal, "%s", journal);
    snprintf(r->currency, sizeof r->currency, "-");
    r->t_sharpe = NAN;
    build b;
    memset(&b, 0, sizeof b);
    b.r = r;
    b.err = err;
    b.errcap = cap;
    char tl[620];
    if (!timeline) {
        size_t n = strlen(journal);
        snprintf(tl, sizeof tl, "%.*s.timeline", (int)(n > 4 && strcmp(journal + n - 4, ".thj") == 0 ? n - 4 : n), journal);
        timeline = tl;
    }
    int rc = read_timeline(&b, timeline);
    if (rc == 0) {
        th_journal_scan scan;
        const char *e = NULL;
        if (th_journal_read(journal, on_record, &b, &scan, &e) != 0) {
            if (!err[0]) fail(err, cap, "%s: %s", journal, e ? e : "cannot read");
            rc = -1;
        }
    }
    if (rc == 0) {
        if (!strcmp(r->currency, "-") && r->npairs) snprintf(r->currency, sizeof r->currency, "%s", r->pairs[0].quote);
        /* without a timeline, pairs in the report currency count at 1; others have no known rate */
        for (int32_t i = 0; i < r->npairs; i++)
            if (r->pairs[i].rate <= 0 && strcmp(r->pairs[i].quote, r->currency) == 0) r->pairs[i].rate = 1;
        rc = compute(r, &b);
    }
    free(b.s);
    free(b.ord);
    free(b.slots);
    return rc;
}

void th_report_free(th_report *r)
{
    for (int32_t i = 0; i < r->npairs; i++) {
        free(r->pairs[i].pts);
        free(r->pairs[i].refusals);
        free(r->pairs[i].rejects);
    }
    free(r->pairs);
    free(r->fills);
    free(r->tot);
    memset(r, 0, sizeof *r);
}
