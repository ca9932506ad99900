/* report_json.c — a report as JSON: exact money as decimal text (strings, in the pair's quote
 * currency), doubles only for ratios, series and totals in the report currency (report.h). The
 * output depends only on the journal and timeline (no paths, no wall time), so the same inputs
 * give the same bytes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/decimal.h"
#include "../feed/feed.h"
#include "report.h"

static void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static void jnum(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.10g", v);
    else fputs("null", f);
}

static const char *dec(int64_t v, int32_t scale, char *buf, size_t cap)
{
    if (th_money_format_short(v, scale, buf, cap) < 0) snprintf(buf, cap, "?");
    return buf;
}

static void counts(FILE *f, const char *key, const th_report_count *v, int32_t n)
{
    fprintf(f, ",\n  \"%s\": {", key);
    for (int32_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        jstr(f, v[i].name);
        fprintf(f, ": %llu", (unsigned long long)v[i].n);
    }
    fputc('}', f);
}

static void pair_json(FILE *f, const th_report_pair *p)
{
    char a[64];
    fputs("    ", f);
    jstr(f, p->symbol);
    fputs(": {\"quote\": ", f);
    jstr(f, p->quote);
    fprintf(f, ", \"price_decimals\": %d, \"qty_decimals\": %d, \"orders\": %lld, \"fills\": %lld, \"fill_ratio\": ", p->price_dec,
            p->qty_dec, (long long)p->orders, (long long)p->fills);
    jnum(f, p->orders ? (double)p->fills / (double)p->orders : NAN);
#define M(key, v) fprintf(f, ", \"" key "\": \"%s\"", th_report_money(p, (v), a, sizeof a))
#define Q(key, v) fprintf(f, ", \"" key "\": \"%s\"", dec((v), p->qty_dec, a, sizeof a))
#define P(key, v) fprintf(f, ", \"" key "\": \"%s\"", dec((v), p->price_dec, a, sizeof a))
    fputs(",\n      ", f);
    fputs("\"money_in\": ", f);
    jstr(f, p->quote);
    M("pnl", p->pnl);
    M("realised", p->realised);
    M("unrealised", p->unrealised);
    M("fees", p->fees);
    M("volume", p->buy_notional + p->sell_notional);
    M("spread_captured", p->spread_captured);
    M("max_drawdown", p->max_drawdown);
    fputs(",\n      \"position\": ", f);
    fprintf(f, "\"%s\"", dec(p->qty, p->qty_dec, a, sizeof a));
    P("avg_entry", p->avg_entry);
    P("mark", p->mark);
    Q("bought", p->bought);
    Q("sold", p->sold);
    Q("max_position", p->max_qty);
    Q("min_position", p->min_qty);
    M("buy_notional", p->buy_notional);
    M("sell_notional", p->sell_notional);
#undef M
#undef Q
#undef P
    fputs(", \"sharpe\": ", f);
    jnum(f, p->sharpe);
    counts(f, "refusals", p->refusals, p->nrefusals);
    counts(f, "rejects", p->rejects, p->nrejects);
    fprintf(f, ", \"carried\": %s, \"sampled\": %s,\n      \"series\": {\"t_ms\": [", p->carried ? "true" : "false",
            p->sampled ? "true" : "false");
    for (int32_t i = 0; i < p->npts; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)(p->pts[i].ts / 1000000));
    fputs("],\n        \"position\": [", f);
    for (int32_t i = 0; i < p->npts; i++) {
        fputs(i ? "," : "", f);
        jnum(f, th_dec_to_double(p->pts[i].qty, p->qty_dec));
    }
    fputs("],\n        \"pnl\": [", f);
    for (int32_t i = 0; i < p->npts; i++) {
        fputs(i ? "," : "", f);
        jnum(f, th_money_to_double(p->pts[i].pnl, p->scale));
    }
    fputs("]}}", f);
}

int th_report_write_json(const th_report *r, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, cap, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    char t0[48], t1[48], a[64], b[64], c[64];
    fprintf(f, "{\"tradehost_report\": 1, \"currency\": ");
    jstr(f, r->currency);
    fprintf(f, ", \"start\": \"%s\", \"end\": \"%s\", \"duration_s\": ", th_clock_iso(r->start_ns, t0, sizeof t0),
            th_clock_iso(r->end_ns, t1, sizeof t1));
    jnum(f, (double)(r->end_ns - r->start_ns) / 1e9);
    fprintf(f, ", \"timeline\": %s,\n  \"total\": {\"pnl\": ", r->have_timeline ? "true" : "false");
    jnum(f, r->t_pnl);
    fputs(", \"realised\": ", f);
    jnum(f, r->t_realised);
    fputs(", \"unrealised\": ", f);
    jnum(f, r->t_unrealised);
    fputs(", \"fees\": ", f);
    jnum(f, r->t_fees);
    fputs(", \"volume\": ", f);
    jnum(f, r->t_volume);
    fputs(", \"spread_captured\": ", f);
    jnum(f, r->t_spread);
    fprintf(f, ", \"fills\": %lld, \"orders\": %lld, \"fill_ratio\": ", (long long)r->t_fills, (long long)r->t_orders);
    jnum(f, r->t_orders ? (double)r->t_fills / (double)r->t_orders : NAN);
    fputs(", \"max_drawdown\": ", f);
    jnum(f, r->t_max_drawdown);
    fputs(", \"sharpe\": ", f);
    jnum(f, r->t_sharpe);
    fputs(",\n    \"series\": {\"t_ms\": [", f);
    for (int32_t i = 0; i < r->ntot; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)(r->tot[i].ts / 1000000));
    fputs("], \"pnl\": [", f);
    for (int32_t i = 0; i < r->ntot; i++) {
        fputs(i ? "," : "", f);
        jnum(f, r->tot[i].pnl);
    }
    fputs("]}}", f);
    counts(f, "refusals", r->refusals, r->nrefusals);
    counts(f, "rejects", r->rejects, r->nrejects);
    fprintf(f, ",\n  \"kill_switch\": %llu,\n  \"pairs\": {\n", (unsigned long long)r->kills);
    for (int32_t i = 0; i < r->npairs; i++) {
        pair_json(f, &r->pairs[i]);
        fputs(i + 1 < r->npairs ? ",\n" : "\n", f);
    }
    fputs("  },\n  \"fills\": [", f);
    for (int32_t i = 0; i < r->nfills; i++) {
        const th_report_fill *x = &r->fills[i];
        const th_report_pair *p = &r->pairs[x->pair];
        fprintf(f, "%s\n    {\"time\": \"%s\", \"pair\": ", i ? "," : "", th_clock_iso(x->ts, t0, sizeof t0));
        jstr(f, p->symbol);
        fprintf(f, ", \"side\": \"%s\", \"price\": \"%s\", \"qty\": \"%s\", \"fee\": \"%s\", \"tag\": ", x->side == TH_BID ? "buy" : "sell",
                dec(x->price, p->price_dec, a, sizeof a), dec(x->qty, p->qty_dec, b, sizeof b), th_report_money(p, x->fee, c, sizeof c));
        jstr(f, x->tag);
        fputc('}', f);
    }
    fputs("\n  ]\n}\n", f);
    if (ferror(f) | (fclose(f) != 0)) {
        snprintf(err, cap, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
