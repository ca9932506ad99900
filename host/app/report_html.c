/* report_html.c — a report as one self-contained HTML page: the figures, plots drawn as inline
 * SVG written here (no script, no library, no network resource: it opens offline and from a mail
 * attachment alike), and the fills table. Plots: total PnL and its drawdown (report currency);
 * per pair, PnL (quote currency), inventory, and the book's best bid/ask with our best quotes and
 * our fills (buys green, sells red). Each plot is an <svg class="plot"> whose data-points
 * attribute counts the points drawn, which the browser test checks. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/decimal.h"
#include "../feed/feed.h"
#include "report.h"

enum { W = 900, H = 240, ML = 80, MR = 16, MT = 12, MB = 28 };

void th_report_html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

void th_report_plot(FILE *f, const char *title, const char *unit, const th_report_series *s, int ns)
{
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    double y0 = INFINITY, y1 = -INFINITY;
    long points = 0;
    for (int k = 0; k < ns; k++)
        for (int32_t i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].y[i])) continue;
            if (s[k].t[i] < t0) t0 = s[k].t[i];
            if (s[k].t[i] > t1) t1 = s[k].t[i];
            if (s[k].y[i] < y0) y0 = s[k].y[i];
            if (s[k].y[i] > y1) y1 = s[k].y[i];
            points++;
        }
    fputs("<figure><figcaption>", f);
    th_report_html_text(f, title);
    if (unit && unit[0]) { fputs(" (", f); th_report_html_text(f, unit); fputs(")", f); }
    fputs("</figcaption>\n", f);
    if (!points) {
        fputs("<p class=\"empty\">no data points</p></figure>\n", f);
        return;
    }
    if (t1 == t0) { t0 -= 500; t1 += 500; }
    if (!(y1 > y0)) { double d = fabs(y0) > 0 ? fabs(y0) * 1e-3 : 1; y0 -= d; y1 += d; }
    double pad = (y1 - y0) * 0.05;
    y0 -= pad;
    y1 += pad;
    fprintf(f, "<svg class=\"plot\" data-points=\"%ld\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", points, W, H, W, H);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n", ML, MT, W - ML - MR, H - MT - MB);
    char a[48], b[48];
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%.6g</text>\n", ML - 4, MT + 10, y1);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%.6g</text>\n", ML - 4, H - MB, y0);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\">%s</text>\n", ML, H - 8, th_clock_iso(t0 * 1000000, a, sizeof a));
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"end\">%s</text>\n", W - MR, H - 8, th_clock_iso(t1 * 1000000, b, sizeof b));
    if (y0 < 0 && y1 > 0) {
        double zy = MT + (H - MT - MB) * (y1 - 0) / (y1 - y0);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n", ML, W - MR, zy, zy);
    }
    double sx = (double)(W - ML - MR) / (double)(t1 - t0), sy = (double)(H - MT - MB) / (y1 - y0);
    for (int k = 0; k < ns; k++) {
        bool open = false;
        for (int32_t i = 0; i < s[k].n; i++) {
            double y = s[k].y[i];
            double px = ML + (double)(s[k].t[i] - t0) * sx, py = MT + (y1 - y) * sy;
            if (s[k].dots) {
                if (isfinite(y)) fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", px, py, s[k].color);
                continue;
            }
            if (!isfinite(y)) {
                if (open) fputs("\"/>\n", f);
                open = false;
                continue;
            }
            if (!open) fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", s[k].color);
            fprintf(f, "%s%.1f,%.1f", open ? " " : "", px, py);
            open = true;
        }
        if (open) fputs("\"/>\n", f);
    }
    int lx = ML + 8;
    for (int k = 0; k < ns; k++) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"lg\" fill=\"%s\">", lx, MT + 14, s[k].color);
        th_report_html_text(f, s[k].label);
        fputs("</text>\n", f);
        lx += 12 + 7 * (int)strlen(s[k].label);
    }
    fputs("</svg></figure>\n", f);
}

void th_report_html_head(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
    th_report_html_text(f, title);
    fputs("</title>\n<style>\n"
          "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}\n"
          "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}\n"
          "th{background:#f3f3f3}figure{margin:.8em 0}figcaption{font-weight:600}.ax{font-size:11px;fill:#555}.lg{font-size:12px}\n"
          ".empty{color:#888}td.l,th.l{text-align:left}\n</style></head><body>\n",
          f);
}

static const char *dec(int64_t v, int32_t scale, char *buf, size_t cap)
{
    if (th_money_format_short(v, scale, buf, cap) < 0) snprintf(buf, cap, "?");
    return buf;
}

static void fmt_num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.6g", v);
    else fputs("&ndash;", f);
}

/* Price series of one pair: 0 is "no level / no quote", drawn as a gap. */
static double px_or_gap(int64_t v, int32_t dec_) { return v ? th_dec_to_double(v, dec_) : NAN; }

static int pair_section(FILE *f, const th_report *r, int32_t pi)
{
    const th_report_pair *p = &r->pairs[pi];
    int32_t n = p->npts, nf = 0;
    for (int32_t i = 0; i < r->nfills; i++) nf += r->fills[i].pair == pi;
    size_t m = (size_t)(n > 0 ? n : 1), mf = (size_t)(nf > 0 ? nf : 1);
    int64_t *t = malloc(m * sizeof *t), *tb = malloc(mf * sizeof *tb), *ts = malloc(mf * sizeof *ts);
    double *v = malloc(m * 7 * sizeof *v), *fb = malloc(mf * sizeof *fb), *fs = malloc(mf * sizeof *fs);
    if (!t || !tb || !ts || !v || !fb || !fs) {
        free(t); free(tb); free(ts); free(v); free(fb); free(fs);
        return -1;
    }
    double *pnl = v, *qty = v + m, *bid = v + 2 * m, *ask = v + 3 * m, *ob = v + 4 * m, *oa = v + 5 * m;
    for (int32_t i = 0; i < n; i++) {
        const th_report_point *x = &p->pts[i];
        t[i] = x->ts / 1000000;
        pnl[i] = th_money_to_double(x->pnl, p->scale);
        qty[i] = th_dec_to_double(x->qty, p->qty_dec);
        bid[i] = px_or_gap(x->bid, p->price_dec);
        ask[i] = px_or_gap(x->ask, p->price_dec);
        ob[i] = px_or_gap(x->our_bid, p->price_dec);
        oa[i] = px_or_gap(x->our_ask, p->price_dec);
    }
    int32_t nb = 0, nsell = 0;
    for (int32_t i = 0; i < r->nfills; i++) {
        const th_report_fill *x = &r->fills[i];
        if (x->pair != pi) continue;
        if (x->side == TH_BID) { tb[nb] = x->ts / 1000000; fb[nb++] = th_dec_to_double(x->price, p->price_dec); }
        else { ts[nsell] = x->ts / 1000000; fs[nsell++] = th_dec_to_double(x->price, p->price_dec); }
    }
    char a[64], b[64], c[64], d[64], title[160];
    fputs("<section class=\"pair\"><h2>", f);
    th_report_html_text(f, p->symbol);
    fputs("</h2>\n<table class=\"kv\"><tr><th>PnL</th><th>realised</th><th>unrealised</th><th>fees</th><th>volume</th>"
          "<th>spread captured</th><th>max drawdown</th><th>position</th><th>orders</th><th>fills</th><th>fill ratio</th><th>Sharpe</th></tr>\n<tr>",
          f);
    fprintf(f, "<td>%s %s</td><td>%s</td><td>%s</td><td>%s</td>", th_report_money(p, p->pnl, a, sizeof a), p->quote,
            th_report_money(p, p->realised, b, sizeof b), th_report_money(p, p->unrealised, c, sizeof c),
            th_report_money(p, p->fees, d, sizeof d));
    fprintf(f, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td>", th_report_money(p, p->buy_notional + p->sell_notional, a, sizeof a),
            th_report_money(p, p->spread_captured, b, sizeof b), th_report_money(p, p->max_drawdown, c, sizeof c),
            dec(p->qty, p->qty_dec, d, sizeof d));
    fprintf(f, "<td>%lld</td><td>%lld</td><td>", (long long)p->orders, (long long)p->fills);
    fmt_num(f, p->orders ? (double)p->fills / (double)p->orders : NAN);
    fputs("</td><td>", f);
    fmt_num(f, p->sharpe);
    fputs("</td></tr></table>\n", f);
    snprintf(title, sizeof title, "%s: PnL", p->symbol);
    th_report_series s1[] = {{"PnL", "#1f77b4", false, n, t, pnl}};
    th_report_plot(f, title, p->quote, s1, 1);
    snprintf(title, sizeof title, "%s: inventory", p->symbol);
    th_report_series s2[] = {{"position", "#9467bd", false, n, t, qty}};
    th_report_plot(f, title, "", s2, 1);
    snprintf(title, sizeof title, "%s: book, our quotes and fills", p->symbol);
    th_report_series s3[] = {{"best bid", "#2ca02c", false, n, t, bid}, {"best ask", "#d62728", false, n, t, ask},
                   {"our bid", "#98df8a", false, n, t, ob},    {"our ask", "#ff9896", false, n, t, oa},
                   {"buy fills", "#006400", true, nb, tb, fb}, {"sell fills", "#8b0000", true, nsell, ts, fs}};
    th_report_plot(f, title, p->quote, s3, 6);
    fputs("</section>\n", f);
    free(t); free(tb); free(ts); free(v); free(fb); free(fs);
    return 0;
}

static uint64_t count_of(const th_report_count *v, int32_t n, const char *name)
{
    for (int32_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0) return v[i].n;
    return 0;
}

/* Every refusal (the gates') and venue reject (with failed orders) by reason: a row per reason,
 * its total and each pair's count, so a reader sees what was refused where and why. */
static void refusal_table(FILE *f, const th_report *r)
{
    if (!r->nrefusals && !r->nrejects) return;
    fputs("<table class=\"refusals\"><tr><th class=\"l\">kind</th><th class=\"l\">reason</th><th>total</th>", f);
    for (int32_t i = 0; i < r->npairs; i++) {
        fputs("<th>", f);
        th_report_html_text(f, r->pairs[i].symbol);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int kind = 0; kind < 2; kind++) {
        const th_report_count *v = kind ? r->rejects : r->refusals;
        int32_t n = kind ? r->nrejects : r->nrefusals;
        for (int32_t k = 0; k < n; k++) {
            fprintf(f, "<tr><td class=\"l\">%s</td><td class=\"l\">", kind ? "venue reject" : "refusal");
            th_report_html_text(f, v[k].name);
            fprintf(f, "</td><td>%llu</td>", (unsigned long long)v[k].n);
            for (int32_t i = 0; i < r->npairs; i++) {
                const th_report_pair *p = &r->pairs[i];
                fprintf(f, "<td>%llu</td>", (unsigned long long)(kind ? count_of(p->rejects, p->nrejects, v[k].name)
                                                                      : count_of(p->refusals, p->nrefusals, v[k].name)));
            }
            fputs("</tr>\n", f);
        }
    }
    fputs("</table>\n", f);
}

int th_report_write_html(const th_report *r, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, cap, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    char t0[48], t1[48], a[64], b[64], c[64];
    th_report_html_head(f, "tradehost report");
    fputs("<h1>tradehost report</h1>\n", f);

    fprintf(f, "<p>%s to %s, journal <code>", th_clock_iso(r->start_ns, t0, sizeof t0), th_clock_iso(r->end_ns, t1, sizeof t1));
    th_report_html_text(f, r->journal);
    fprintf(f, "</code>%s</p>\n", r->have_timeline ? "" : " (no timeline: marks at fill prices)");
    fputs("<table class=\"kv\"><tr><th>total PnL</th><th>realised</th><th>unrealised</th><th>fees</th><th>volume</th><th>spread captured</th>"
          "<th>max drawdown</th><th>orders</th><th>fills</th><th>fill ratio</th><th>Sharpe</th></tr>\n<tr>",
          f);
    double tv[] = {r->t_pnl, r->t_realised, r->t_unrealised, r->t_fees, r->t_volume, r->t_spread, r->t_max_drawdown};
    for (size_t i = 0; i < sizeof tv / sizeof tv[0]; i++) {
        fputs("<td>", f);
        fmt_num(f, tv[i]);
        if (i == 0) { fputc(' ', f); th_report_html_text(f, r->currency); }
        fputs("</td>", f);
    }
    fprintf(f, "<td>%lld</td><td>%lld</td><td>", (long long)r->t_orders, (long long)r->t_fills);
    fmt_num(f, r->t_orders ? (double)r->t_fills / (double)r->t_orders : NAN);
    fputs("</td><td>", f);
    fmt_num(f, r->t_sharpe);
    fputs("</td></tr></table>\n", f);
    fputs("<p>Refusals by reason: ", f);
    if (!r->nrefusals) fputs("none", f);
    for (int32_t i = 0; i < r->nrefusals; i++) {
        fputs(i ? ", " : "", f);
        th_report_html_text(f, r->refusals[i].name);
        fprintf(f, " %llu", (unsigned long long)r->refusals[i].n);
    }
    fputs(". Venue rejects: ", f);
    if (!r->nrejects) fputs("none", f);
    for (int32_t i = 0; i < r->nrejects; i++) {
        fputs(i ? ", " : "", f);
        th_report_html_text(f, r->rejects[i].name);
        fprintf(f, " %llu", (unsigned long long)r->rejects[i].n);
    }
    fprintf(f, ". Kill switch pulled: %llu.</p>\n", (unsigned long long)r->kills);
    refusal_table(f, r);
    size_t m = (size_t)(r->ntot > 0 ? r->ntot : 1);
    int64_t *t = malloc(m * sizeof *t);
    double *v = malloc(m * 2 * sizeof *v);
    if (!t || !v) {
        free(t); free(v); fclose(f);
        snprintf(err, cap, "out of memory");
        return -1;
    }
    double peak = r->t_open;
    for (int32_t i = 0; i < r->ntot; i++) {
        t[i] = r->tot[i].ts / 1000000;
        v[i] = r->tot[i].pnl;
        if (v[i] > peak) peak = v[i];
        v[m + i] = v[i] - peak;
    }
    th_report_series st[] = {{"total PnL", "#1f77b4", false, r->ntot, t, v}};
    th_report_plot(f, "Total PnL", r->currency, st, 1);
    th_report_series sd[] = {{"drawdown", "#d62728", false, r->ntot, t, v + m}};
    th_report_plot(f, "Drawdown from the running peak", r->currency, sd, 1);
    free(t);
    free(v);
    for (int32_t i = 0; i < r->npairs; i++)
        if (pair_section(f, r, i) != 0) { fclose(f); snprintf(err, cap, "out of memory"); return -1; }
    fprintf(f, "<h2>Fills (%d)</h2>\n<table class=\"fills\"><tr><th class=\"l\">time (UTC)</th><th class=\"l\">pair</th><th class=\"l\">side</th>"
               "<th>price</th><th>qty</th><th>fee</th><th class=\"l\">tag</th></tr>\n",
            r->nfills);
    for (int32_t i = 0; i < r->nfills; i++) {
        const th_report_fill *x = &r->fills[i];
        const th_report_pair *p = &r->pairs[x->pair];
        fprintf(f, "<tr><td class=\"l\">%s</td><td class=\"l\">", th_clock_iso(x->ts, t0, sizeof t0));
        th_report_html_text(f, p->symbol);
        fprintf(f, "</td><td class=\"l\">%s</td><td>%s</td><td>%s</td><td>%s %s</td><td class=\"l\">", x->side == TH_BID ? "buy" : "sell",
                dec(x->price, p->price_dec, a, sizeof a), dec(x->qty, p->qty_dec, b, sizeof b), th_report_money(p, x->fee, c, sizeof c),
                p->quote);
        th_report_html_text(f, x->tag);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n</body></html>\n", f);
    if (ferror(f) | (fclose(f) != 0)) {
        snprintf(err, cap, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
