/* backtest_summary.c — what a backtest did, printed at its end and written as summary.json (see
 * backtest_summary.h).
 *
 * Every figure comes from state the run already keeps: the order flow's positions (exact money:
 * realised, unrealised at the last mark, fees), its risk gates' refusal counters, the tracker's
 * finished orders by reason, and the paper venue's own trades and refusals (the sim engine records
 * each fill with its liquidity and fee). Money is exact decimal text in each pair's quote currency;
 * totals in the report currency are doubles (the rates are the config's). The JSON holds nothing
 * of the wall clock or the machine, so the same inputs, config and seed give the same bytes; the
 * speed (events/s) goes to the printed summary only. */
#include "backtest_summary.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/money.h"
#include "tradehost.h"

static uint64_t records_of(const th_session_feed *m)
{
    if (!m->active) return 0;
    uint64_t n = m->in.records;
    for (int k = 0; k < m->nextra; k++) n += m->extra[k].records;
    return n;
}

typedef struct pair_fills {
    int64_t fills, maker, taker;
    th_money volume; /* notional units of the pair */
} pair_fills;

static void json_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', o);
        if ((unsigned char)*s >= 0x20) fputc(*s, o);
    }
    fputc('"', o);
}

static const char *money(th_money m, int32_t scale, char *buf, size_t cap)
{
    th_money_format(m, scale, buf, cap);
    return buf;
}

/* Fills per instrument from the paper venue's own trades. */
static void count_fills(const th_trading *t, pair_fills *pf, int32_t n)
{
    memset(pf, 0, sizeof *pf * (size_t)n);
    if (!t->have_pv) return;
    const th_sim_engine *e = t->pv.e;
    for (int32_t i = 0; i < th_sim_trade_count(e); i++) {
        const th_sim_trade *tr = th_sim_trade_at(e, i);
        if (tr->account != t->pv.account || tr->ins < 0 || tr->ins >= n) continue;
        pair_fills *p = &pf[tr->ins];
        p->fills++;
        if (tr->maker) p->maker++;
        else p->taker++;
        p->volume += tr->cost;
    }
}

typedef struct totals {
    int64_t fills, maker, taker;
    double volume, fees, realised, unrealised, pnl;
} totals;

static void write_json(FILE *o, const th_trading *t, const th_session_feed *m, uint64_t seed, const pair_fills *pfv,
                       totals *tot)
{
    const th_flow *f = &t->flow;
    fprintf(o, "{\"summary_version\":1,\"records\":%llu,\"book_events\":%llu,\"seed\":%llu,\"from_ns\":%lld,\"to_ns\":%lld,\"pairs\":{",
            (unsigned long long)records_of(m), (unsigned long long)m->book_events, (unsigned long long)seed,
            (long long)m->from_ns, (long long)m->to_ns);
    int first = 1;
    for (int32_t i = 0; i < f->pf.n && i < f->ins->n; i++) {
        const th_position *p = &f->pf.v[i];
        const pair_fills *pf = &pfv[i];
        if (!p->fills && !p->qty && !pf->fills) continue;
        const th_instrument *in = &f->ins->v[i];
        char a[64], b[64], c[64], d[64], e[64], q[64], bo[64], so[64];
        th_money un = th_position_unrealised(p);
        th_dec_format(p->qty, in->qty_dec, q, sizeof q);
        th_dec_format(p->bought, in->qty_dec, bo, sizeof bo);
        th_dec_format(p->sold, in->qty_dec, so, sizeof so);
        fprintf(o, "%s", first ? "" : ",");
        first = 0;
        json_str(o, in->symbol);
        fprintf(o, ":{\"quote\":");
        json_str(o, in->quote);
        fprintf(o, ",\"fills\":%lld,\"maker_fills\":%lld,\"taker_fills\":%lld,\"bought\":\"%s\",\"sold\":\"%s\",\"position\":\"%s\","
                   "\"volume\":\"%s\",\"fees\":\"%s\",\"realised\":\"%s\",\"unrealised\":\"%s\",\"pnl\":\"%s\"}",
                (long long)pf->fills, (long long)pf->maker, (long long)pf->taker, bo, so, q, money(pf->volume, p->scale, a, sizeof a),
                money(p->fees, p->scale, b, sizeof b), money(p->realised, p->scale, c, sizeof c), money(un, p->scale, d, sizeof d),
                money(th_position_pnl(p), p->scale, e, sizeof e));
        tot->fills += pf->fills;
        tot->maker += pf->maker;
        tot->taker += pf->taker;
        tot->volume += th_position_report(p, pf->volume);
        tot->fees += th_position_report(p, p->fees);
        tot->realised += th_position_report(p, p->realised);
        tot->unrealised += th_position_report(p, un);
        tot->pnl += th_position_report(p, th_position_pnl(p));
    }
    fprintf(o, "},\"total\":{\"currency\":");
    json_str(o, t->currency);
    fprintf(o, ",\"fills\":%lld,\"maker_fills\":%lld,\"taker_fills\":%lld,\"volume\":%.10g,\"fees\":%.10g,\"realised\":%.10g,"
               "\"unrealised\":%.10g,\"pnl\":%.10g},\"refusals\":{",
            (long long)tot->fills, (long long)tot->maker, (long long)tot->taker, tot->volume, tot->fees, tot->realised, tot->unrealised,
            tot->pnl);
    first = 1;
    for (int32_t r = 1; r < TH_RISK_REASON_COUNT; r++) {
        if (!f->risk.refusals[r]) continue;
        const char *name = "?";
        th_risk_reason_name(r, &name);
        fprintf(o, "%s", first ? "" : ",");
        first = 0;
        json_str(o, name);
        fprintf(o, ":%llu", (unsigned long long)f->risk.refusals[r]);
    }
    fprintf(o, "},\"venue_rejects\":{");
    first = 1;
    for (int32_t r = 1; t->have_pv && r < TH_SIM_REJ_COUNT; r++) {
        if (!t->pv.rejects[r]) continue;
        fprintf(o, "%s", first ? "" : ",");
        first = 0;
        json_str(o, th_sim_reject_name((th_sim_reject)r));
        fprintf(o, ":%llu", (unsigned long long)t->pv.rejects[r]);
    }
    const th_tracker_stats *st = &f->trk.st;
    fprintf(o, "},\"orders\":{\"placed\":%llu,\"filled\":%llu,\"cancelled\":%llu,\"rejected\":%llu,\"expired\":%llu,\"failed\":%llu}}\n",
            (unsigned long long)st->created, (unsigned long long)st->done[TH_DONE_FILLED], (unsigned long long)st->done[TH_DONE_CANCELLED],
            (unsigned long long)st->done[TH_DONE_REJECTED], (unsigned long long)st->done[TH_DONE_EXPIRED],
            (unsigned long long)st->done[TH_DONE_FAILED]);
}

int th_backtest_summary(const th_trading *t, const th_session_feed *m, const char *report_dir, uint64_t seed)
{
    double wall_s = m->start_mono ? (double)(th_mono_ns() - m->start_mono) / 1e9 : 0;
    double cpu_s = m->start_mono ? (double)(th_cpu_ns() - m->start_cpu) / 1e9 : 0;
    if (!t->active) {
        printf("backtest: no order side (the config names no instruments for orders); %llu records, %llu book events\n",
               (unsigned long long)records_of(m), (unsigned long long)m->book_events);
        return 0;
    }
    int32_t n = t->flow.ins->n > 0 ? t->flow.ins->n : 1;
    pair_fills pfv_small[64], *pfv = n <= 64 ? pfv_small : calloc((size_t)n, sizeof *pfv);
    if (!pfv) return -1;
    count_fills(t, pfv, n);
    /* the JSON into memory first: the same bytes go to the file and feed the printed figures */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    totals tot = {0};
    if (mem) {
        write_json(mem, t, m, seed, pfv, &tot);
        fclose(mem);
    }
    int rc = 0;
    if (report_dir && buf) {
        char path[1200];
        snprintf(path, sizeof path, "%s/summary.json", report_dir);
        FILE *o = fopen(path, "w");
        if (!o || fwrite(buf, 1, len, o) != len || fclose(o) != 0) {
            th_logf(TH_LOG_ERROR, "backtest summary not written", "path=%s error=\"%s\"", path, strerror(errno));
            rc = -1;
        }
    }
    const th_flow *f = &t->flow;
    uint64_t records = records_of(m);
    printf("backtest summary (%s)\n", t->currency);
    printf("  fills %lld (maker %lld, taker %lld)  volume %.2f  fees %.4f\n", (long long)tot.fills, (long long)tot.maker,
           (long long)tot.taker, tot.volume, tot.fees);
    printf("  pnl %.4f  (realised %.4f, unrealised %.4f, fees %.4f)\n", tot.pnl, tot.realised, tot.unrealised, tot.fees);
    const th_tracker_stats *st = &f->trk.st;
    printf("  orders placed %llu: filled %llu, cancelled %llu, rejected %llu, expired %llu, failed %llu\n",
           (unsigned long long)st->created, (unsigned long long)st->done[TH_DONE_FILLED], (unsigned long long)st->done[TH_DONE_CANCELLED],
           (unsigned long long)st->done[TH_DONE_REJECTED], (unsigned long long)st->done[TH_DONE_EXPIRED],
           (unsigned long long)st->done[TH_DONE_FAILED]);
    printf("  refusals:");
    int any = 0;
    for (int32_t r = 1; r < TH_RISK_REASON_COUNT; r++)
        if (f->risk.refusals[r]) {
            const char *name = "?";
            th_risk_reason_name(r, &name);
            printf(" %s=%llu", name, (unsigned long long)f->risk.refusals[r]);
            any = 1;
        }
    for (int32_t r = 1; t->have_pv && r < TH_SIM_REJ_COUNT; r++)
        if (t->pv.rejects[r]) {
            printf(" venue:%s=%llu", th_sim_reject_name((th_sim_reject)r), (unsigned long long)t->pv.rejects[r]);
            any = 1;
        }
    printf("%s\n", any ? "" : " none");
    /* wall time, and the CPU time the process used (on a shared machine wall time also counts
     * other processes' turns on the core; the CPU time is the run's own cost on one core) */
    printf("  events: %llu records, %llu book events in %.3f s: %.0f records/s, %.0f book events/s; cpu %.3f s: %.0f book events/s\n",
           (unsigned long long)records, (unsigned long long)m->book_events, wall_s, wall_s > 0 ? (double)records / wall_s : 0,
           wall_s > 0 ? (double)m->book_events / wall_s : 0, cpu_s, cpu_s > 0 ? (double)m->book_events / cpu_s : 0);
    if (m->have_lead) /* read beside the traded records, in the same wall time */
        printf("  lead: %s, %llu records, %llu lead book events (shifted %+.3f s)\n", th_venue_name(m->lead.venue),
               (unsigned long long)m->lead_in.records, (unsigned long long)m->lead_events, (double)m->lead_in.shift_ns / 1e9);
    if (report_dir) printf("  summary: %s/summary.json\n", report_dir);
    fflush(stdout);
    th_logf(TH_LOG_INFO, "backtest summary", "fills=%lld volume=%.4f fees=%.4f pnl=%.4f records=%llu book_events=%llu wall_s=%.3f",
            (long long)tot.fills, tot.volume, tot.fees, tot.pnl, (unsigned long long)records, (unsigned long long)m->book_events, wall_s);
    free(buf);
    if (pfv != pfv_small) free(pfv);
    return rc;
}
