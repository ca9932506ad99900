/* position.c — positions and PnL (see position.h for the arithmetic rules). */
#include "position.h"

#include <stdlib.h>
#include <string.h>

#include "../include/tradehost.h"

#define DAY_NS 86400000000000LL

static int64_t day_of(int64_t ns) { return ns >= 0 ? ns / DAY_NS : -1 - (-ns - 1) / DAY_NS; }

int th_portfolio_init(th_portfolio *p, int32_t n)
{
    memset(p, 0, sizeof *p);
    p->day = INT64_MIN;
    return th_portfolio_reserve(p, n > 0 ? n : 1);
}

void th_portfolio_free(th_portfolio *p)
{
    free(p->v);
    memset(p, 0, sizeof *p);
}

int th_portfolio_reserve(th_portfolio *p, int32_t n)
{
    if (n <= p->n) return 0;
    th_position *v = realloc(p->v, sizeof *v * (size_t)n);
    if (!v) return -1;
    memset(v + p->n, 0, sizeof *v * (size_t)(n - p->n));
    for (int32_t i = p->n; i < n; i++) { v[i].unit = 1; v[i].day = INT64_MIN; }
    p->v = v;
    p->n = n;
    return 0;
}

void th_portfolio_set_unit(th_portfolio *p, int32_t ins, int32_t scale, double rate)
{
    if (ins < 0 || ins >= p->n) return;
    double u = rate;
    for (int32_t i = 0; i < scale; i++) u /= 10;
    p->v[ins].unit = u;
}

int64_t th_position_unrealised(const th_position *pos)
{
    if (!pos->qty || !pos->mark) return 0;
    return (int64_t)((__int128)pos->qty * pos->mark - pos->cost);
}

int64_t th_position_avg_entry(const th_position *pos)
{
    if (!pos->qty) return 0;
    return (int64_t)((__int128)pos->cost / pos->qty);
}

static void roll_day(th_position *pos, int64_t now_ns)
{
    int64_t d = day_of(now_ns);
    if (d == pos->day) return;
    pos->day = d;
    pos->day_realised = pos->day_fees = 0;
    pos->day_start_unrealised = th_position_unrealised(pos);
}

static void portfolio_roll_day(th_portfolio *p, int64_t now_ns)
{
    int64_t d = day_of(now_ns);
    if (d == p->day) return;
    p->day = d;
    p->day_start_pnl = p->total_pnl;
}

/* Keep this position's share of the totals current (O(1) per event). */
static void update_share(th_portfolio *p, th_position *pos)
{
    double m = (double)pos->mark;
    double expo = (pos->qty < 0 ? -(double)pos->qty : (double)pos->qty) * m * pos->unit;
    double pnl = (double)(pos->realised + th_position_unrealised(pos) - pos->fees) * pos->unit;
    p->total_exposure += expo - pos->exposure_c;
    p->total_pnl += pnl - pos->pnl_c;
    pos->exposure_c = expo;
    pos->pnl_c = pnl;
    if (p->total_pnl > p->peak_pnl) p->peak_pnl = p->total_pnl;
}

void th_portfolio_fill(th_portfolio *p, int32_t ins, int32_t side, int64_t qty, int64_t price, int64_t fee, int64_t now_ns)
{
    if (ins < 0 || ins >= p->n || qty <= 0) return;
    portfolio_roll_day(p, now_ns);
    th_position *pos = &p->v[ins];
    roll_day(pos, now_ns);
    int64_t sign = side == TH_BID ? 1 : -1;
    int64_t r0 = pos->realised;
    if (pos->qty == 0 || (pos->qty > 0) == (sign > 0)) {
        pos->qty += sign * qty;
        pos->cost += sign * qty * price;
    } else {
        int64_t held = pos->qty < 0 ? -pos->qty : pos->qty;
        int64_t close = qty < held ? qty : held;
        int64_t closed_cost = (int64_t)((__int128)pos->cost * close / held);
        int64_t psign = pos->qty > 0 ? 1 : -1;
        pos->realised += psign * close * price - closed_cost;
        pos->cost -= closed_cost;
        pos->qty += sign * close;
        int64_t rest = qty - close;
        if (rest > 0) { /* the fill flips the position */
            pos->qty += sign * rest;
            pos->cost += sign * rest * price;
        }
    }
    pos->day_realised += pos->realised - r0;
    pos->fees += fee;
    pos->day_fees += fee;
    if (sign > 0) pos->bought += qty; else pos->sold += qty;
    pos->fills++;
    if (!pos->mark) pos->mark = price; /* until a book marks it, the last fill is the best estimate */
    update_share(p, pos);
}

void th_portfolio_mark(th_portfolio *p, int32_t ins, int64_t mark, int64_t now_ns)
{
    if (ins < 0 || ins >= p->n || mark <= 0) return;
    th_position *pos = &p->v[ins];
    pos->mark = mark;
    roll_day(pos, now_ns);
    if (pos->qty || pos->pnl_c != 0) update_share(p, pos);
}

void th_portfolio_recompute(th_portfolio *p, int64_t now_ns)
{
    portfolio_roll_day(p, now_ns);
    double expo = 0, pnl = 0;
    for (int32_t i = 0; i < p->n; i++) {
        th_position *pos = &p->v[i];
        roll_day(pos, now_ns);
        pos->exposure_c = (pos->qty < 0 ? -(double)pos->qty : (double)pos->qty) * (double)pos->mark * pos->unit;
        pos->pnl_c = (double)(pos->realised + th_position_unrealised(pos) - pos->fees) * pos->unit;
        expo += pos->exposure_c;
        pnl += pos->pnl_c;
    }
    p->total_exposure = expo;
    p->total_pnl = pnl;
    if (pnl > p->peak_pnl) p->peak_pnl = pnl;
}

double th_portfolio_day_pnl(const th_portfolio *p) { return p->total_pnl - p->day_start_pnl; }
double th_portfolio_drawdown(const th_portfolio *p) { return p->peak_pnl - p->total_pnl; }
