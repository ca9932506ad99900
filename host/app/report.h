/* report.h — a session's report: what it traded and how it did, per pair and in total, built from
 * its journal (every order placed, every fill with its fee: the exact figures) and its timeline
 * (timeline.h: where the market and our quotes were, sampled), and written as JSON and as one
 * self-contained HTML page with plots (report_json.c, report_html.c).
 *
 * Accounting is exact: each pair's position is rebuilt by the host's own position code
 * (position.h) from the journal's fills, so realised PnL, fees, cost and volume are th_money in
 * notional units of the pair's quote currency, written as exact decimal text. Doubles appear only
 * for ratios (fill ratio, Sharpe), plotted series and totals across quote currencies (report
 * currency, at the rates the session used), as everywhere in the host.
 *
 * Definitions (also in docs/guide.md, "Reports"):
 * - pnl = realised + unrealised - fees; unrealised at the last mark (the last sampled mid, or
 *   without a timeline the last fill price);
 * - fill ratio = fills / orders placed (intents journalled this session);
 * - spread captured = matched qty * (average sell price - average buy price), matched =
 *   min(bought, sold): the round-trip edge before fees;
 * - the PnL series has a point per timeline sample (or, without one, per fill); max drawdown is
 *   the largest fall from a running peak (the peak starts at the opening PnL), exact per pair;
 *   Sharpe = mean / standard deviation of the series' steps, times sqrt(steps): over the period,
 *   not annualised;
 * - refusals by reason are the risk gates' counts, in total and per pair (the timeline's end),
 *   venue rejects (and failed orders) come from the journal with their reason, each counted for
 *   its order's pair too.
 *
 * Entry points: th_report_make (a journal or a journal directory in, report.json and report.html
 * out) for the CLI and for a session's end; th_report_build / th_report_write / th_report_free for
 * callers that want the figures. */
#ifndef TH_REPORT_H
#define TH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/money.h"
#include "../core/position.h"

typedef struct th_report_fill {
    int64_t ts;
    int32_t side;            /* TH_BID buy, TH_ASK sell */
    int32_t pair;
    int64_t price, qty;      /* instrument units */
    th_money fee;
    char tag[16];
    char cl_id[40];
} th_report_fill;

typedef struct th_report_count {
    char name[128];
    uint64_t n;
} th_report_count;

typedef struct th_report_point {
    int64_t ts;
    int64_t bid, ask, our_bid, our_ask; /* price units; 0: none */
    int64_t qty;             /* position */
    th_money pnl;            /* realised + unrealised - fees */
} th_report_point;

typedef struct th_report_pair {
    char symbol[32], quote[16];
    int32_t price_dec, qty_dec, scale;
    double rate;             /* report currency per quote unit; 0: unknown (left out of totals) */
    int64_t orders;          /* intents journalled */
    int64_t fills, bought, sold, max_qty, min_qty;
    th_money buy_notional, sell_notional;
    th_money realised, unrealised, fees, pnl, spread_captured, max_drawdown;
    int64_t qty, avg_entry, mark;
    th_money opening_pnl;    /* carried in (a resumed account): realised - fees */
    th_money open_cost;      /* carried in: the open position's cost */
    bool carried;            /* the journal opened with a position for this pair */
    double sharpe;           /* NaN: undefined (fewer than two steps, or no variation) */
    th_report_count *refusals, *rejects; /* this pair's gate refusals and venue rejects by reason */
    int32_t nrefusals, nrejects;
    th_report_point *pts;
    int32_t npts, cap_pts;
    bool sampled;            /* has timeline samples */
} th_report_pair;


typedef struct th_report_total_point {
    int64_t ts;
    double pnl;              /* report currency */
} th_report_total_point;

typedef struct th_report {
    char currency[16];
    char journal[600], timeline[600];
    bool have_timeline;
    int64_t start_ns, end_ns;
    th_report_pair *pairs;
    int32_t npairs, cap_pairs;
    th_report_fill *fills;
    int32_t nfills, cap_fills;
    th_report_total_point *tot;
    int32_t ntot, cap_tot;
    th_report_count refusals[64], rejects[64];
    int32_t nrefusals, nrejects;
    uint64_t kills;
    /* totals in the report currency (pairs with a known rate) */
    double t_open; /* opening PnL (carried positions) */
    double t_pnl, t_realised, t_unrealised, t_fees, t_volume, t_spread, t_max_drawdown, t_sharpe;
    int64_t t_fills, t_orders;
} th_report;

/* Build from a journal file and its timeline (NULL: the journal's own, if there is one). 0, or -1
 * with the reason in err. */
int th_report_build(th_report *r, const char *journal, const char *timeline, char *err, size_t cap);
/* out_dir/report.json and out_dir/report.html (out_dir is created). 0, or -1 with err. */
int th_report_write(const th_report *r, const char *out_dir, char *err, size_t cap);
void th_report_free(th_report *r);

/* A journal file, or a journal directory (its newest journal), to a report in out_dir (NULL: the
 * journal's name with .thj replaced by .report). The HTML page's path goes to html (may be NULL). */
int th_report_make(const char *journal_or_dir, const char *out_dir, char *html, size_t html_cap, char *err, size_t cap);

/* The writers (report_json.c, report_html.c). */
int th_report_write_json(const th_report *r, const char *path, char *err, size_t cap);
int th_report_write_html(const th_report *r, const char *path, char *err, size_t cap);
/* The HTML pieces, for other pages of the same look (a sweep's comparison table): the page's head
 * and style (up to <body>), text escaped for HTML, and one plot as inline SVG (<figure> with an
 * <svg class="plot" data-points="N">; series of NaN-separated lines or markers; "no data points"
 * when every series is empty). The caller closes the page with </body></html>. */
typedef struct th_report_series {
    const char *label, *color;
    bool dots;               /* markers, not a line */
    int32_t n;
    const int64_t *t;        /* x: ms since the epoch (printed as ISO UTC) */
    const double *y;         /* NaN: a gap */
} th_report_series;
void th_report_html_head(FILE *f, const char *title);
void th_report_html_text(FILE *f, const char *s);
void th_report_plot(FILE *f, const char *title, const char *unit, const th_report_series *s, int ns);

/* Exact decimal text of money at a pair's scale (trailing zeros dropped). */
const char *th_report_money(const th_report_pair *p, th_money m, char *buf, size_t cap);

#endif
