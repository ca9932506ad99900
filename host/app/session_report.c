/* session_report.c — the session's timeline and end-of-session report (see session_report.h). */
#include "session_report.h"

#include <stdio.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "report.h"

void th_session_report_open(th_session_report *sr, th_trading *tr, th_lua *lua)
{
    memset(sr, 0, sizeof *sr);
    if (!tr->active || !tr->jn.open || !th_lua_cfg_bool(lua, "report.enabled", true)) return;
    snprintf(sr->journal, sizeof sr->journal, "%s", tr->jn.path);
    char stem[600];
    size_t n = strlen(tr->jn.path);
    snprintf(stem, sizeof stem, "%.*s", (int)(n > 4 && strcmp(tr->jn.path + n - 4, ".thj") == 0 ? n - 4 : n), tr->jn.path);
    const char *err = NULL;
    if (th_timeline_open(&sr->tl, stem, tr, lua, th_lua_cfg_number(lua, "report.sample_ms", 1000),
                         (uint64_t)th_lua_cfg_number(lua, "report.max_samples", 20000), &err) != 0)
        th_logf(TH_LOG_WARN, "no timeline for the report", "error=%s", err);
}

/* A few lines a person reads at the end: the totals, then one line per pair that traded. */
static void print_summary(const th_report *r)
{
    char t0[48], t1[48], a[64];
    int32_t traded = 0;
    for (int32_t i = 0; i < r->npairs; i++) traded += r->pairs[i].fills > 0;
    printf("summary: %s to %s (recorded time), %d pairs, %d with fills; orders %lld, fills %lld; PnL %.4f %s (realised %.4f, "
           "unrealised %.4f, fees %.4f), max drawdown %.4f\n",
           th_clock_iso(r->start_ns, t0, sizeof t0), th_clock_iso(r->end_ns, t1, sizeof t1), r->npairs, traded, (long long)r->t_orders,
           (long long)r->t_fills, r->t_pnl, r->currency, r->t_realised, r->t_unrealised, r->t_fees, r->t_max_drawdown);
    for (int32_t i = 0; i < r->npairs; i++) {
        const th_report_pair *p = &r->pairs[i];
        if (!p->fills && !p->orders) continue;
        char q[64];
        if (th_money_format_short(p->qty, p->qty_dec, q, sizeof q) < 0) snprintf(q, sizeof q, "?");
        printf("  %-11s orders %4lld  fills %4lld  position %-14s PnL %s %s\n", p->symbol, (long long)p->orders, (long long)p->fills, q,
               th_report_money(p, p->pnl, a, sizeof a), p->quote);
    }
}

void th_session_report_write(th_session_report *sr)
{
    if (!sr->journal[0]) return;
    char dir[640], err[1024] = "";
    size_t n = strlen(sr->journal);
    snprintf(dir, sizeof dir, "%.*s.report", (int)(n > 4 && strcmp(sr->journal + n - 4, ".thj") == 0 ? n - 4 : n), sr->journal);
    th_report r;
    if (th_report_build(&r, sr->journal, NULL, err, sizeof err) != 0 || th_report_write(&r, dir, err, sizeof err) != 0) {
        th_logf(TH_LOG_ERROR, "report not written", "error=%s", err);
        th_report_free(&r);
        return;
    }
    th_logf(TH_LOG_INFO, "report written", "html=%s/report.html", dir);
    print_summary(&r);
    printf("report: %s/report.html\n", dir);
    fflush(stdout);
    th_report_free(&r);
}
