/* position.c — positions and PnL (see position.h for the arithmetic and the trading day). */
#include "position.h"

#include <stdlib.h>
#include <string.h>

#include "../include/tradehost.h"

#define DAY_NS 86400000000000LL

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -1 - (-a - 1) / b; }

int th_portfolio_init(th_portfolio *p, int32_t n)
{
    memset(p, 0, sizeof *p);
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
    for (int32_t i = p->n; i < n; i++) { v[i].rate = v[i].unit = 1; v[i].day = v[i].day_logged = INT64_MIN; }
    p->v = v;
    p->n = n;
    return 0;
}

void th_portfolio_set_unit(th_portfolio *p, int32_t ins, int32_t scale, double rate)
{
    if (ins < 0 || ins >= p->n) return;
    p->v[ins].rate = rate;
    double u = rate;
    for (int32_t i = 0; i < scale; i++) u /= 10;
    p->v[ins].unit = u;
    p->v[ins].scale = scale;
}

void th_portfolio_set_day_offset(th_portfolio *p, int64_t offset_ns)
{
    p->day_offset_ns = offset_ns >= 0 && offset_ns < DAY_NS ? offset_ns : 0;
}

int64_t th_portfolio_day_of(const th_portfolio *p, int64_t now_ns) { return floor_div(now_ns - p->day_offset_ns, DAY_NS); }

th_money th_position_unrealised(const th_position *pos)
{
    if (!pos->qty || !pos->mark) return 0;
    return th_money_mul(pos->qty, pos->mark) - pos->cost;
}

th_money th_position_pnl(const th_position *pos) { return pos->realised + th_position_unrealised(pos) - pos->fees; }

th_money th_position_day_pnl(const th_position *pos)
{
    return pos->day_realised + (th_position_unrealised(pos) - pos->day_start_unrealised) - pos->day_fees;
}

int64_t th_position_avg_entry(const th_position *pos)
{
    if (!pos->qty) return 0;
    th_money a = pos->cost / pos->qty;
    return a > INT64_MAX ? INT64_MAX : a < INT64_MIN ? INT64_MIN : (int64_t)a;
}

static void start_day(th_portfolio *p, th_position *pos, int64_t day)
{
    pos->day = day;
    pos->day_realised = pos->day_fees = 0;
    pos->day_start_unrealised = th_position_unrealised(pos);
    /* With no open qty, replaying the journal starts this day the same way (unrealised 0);
     * otherwise the start depends on the mark at this moment, which only the flow can journal. */
    if (pos->qty) p->day_rolls++;
    else pos->day_logged = day;
}

static void roll_day(th_portfolio *p, th_position *pos, int64_t now_ns)
{
    int64_t d = th_portfolio_day_of(p, now_ns);
    if (d != pos->day) start_day(p, pos, d);
}

/* Keep this position's share of the totals current (O(1) per event). */
static void update_share(th_portfolio *p, th_position *pos)
{
    double expo = th_position_report(pos, th_money_abs(th_money_mul(pos->qty, pos->mark)));
    double pnl = th_position_report(pos, th_position_pnl(pos));
    double day = th_position_report(pos, th_position_day_pnl(pos));
    p->total_exposure += expo - pos->exposure_c;
    p->total_pnl += pnl - pos->pnl_c;
    p->day_pnl += day - pos->day_c;
    pos->exposure_c = expo;
    pos->pnl_c = pnl;
    pos->day_c = day;
    if (p->total_pnl > p->peak_pnl) p->peak_pnl = p->total_pnl;
}

void th_portfolio_fill(th_portfolio *p, int32_t ins, int32_t side, int64_t qty, int64_t price, th_money fee, int64_t now_ns)
{
    if (ins < 0 || ins >= p->n || qty <= 0) return;
    th_position *pos = &p->v[ins];
    roll_day(p, pos, now_ns);
    int64_t sign = side == TH_BID ? 1 : -1;
    th_money r0 = pos->realised;
    if (pos->qty == 0 || (pos->qty > 0) == (sign > 0)) {
        pos->qty += sign * qty;
        pos->cost += sign * th_money_mul(qty, price);
    } else {
        int64_t held = pos->qty < 0 ? -pos->qty : pos->qty;
        int64_t close = qty < held ? qty : held;
        th_money closed_cost = pos->cost * close / held; /* |cost| < 2^126 here, so the product fits */
        int64_t psign = pos->qty > 0 ? 1 : -1;
        pos->realised += psign * th_money_mul(close, price) - closed_cost;
        pos->cost -= closed_cost;
        pos->qty += sign * close;
        int64_t rest = qty - close;
        if (rest > 0) { /* the fill flips the position */
            pos->qty += sign * rest;
            pos->cost += sign * th_money_mul(rest, price);
        }
    }
    pos->day_realised += pos->realised - r0;
    pos->fees += fee;
    pos->day_fees += fee;
    if (sign > 0) pos->bought += qty; else pos->sold += qty;
    pos->fills++;
    pos->last_fill_qty = qty;
    pos->last_fill_price = price;
    pos->last_fill_ns = now_ns;
    pos->last_fill_side = side;
    if (!pos->mark) pos->mark = price; /* until a book marks it, the last fill is the best estimate */
    update_share(p, pos);
}

void th_portfolio_mark(th_portfolio *p, int32_t ins, int64_t mark, int64_t now_ns)
{
    if (ins < 0 || ins >= p->n || mark <= 0) return;
    th_position *pos = &p->v[ins];
    roll_day(p, pos, now_ns); /* before the new mark: the day started at the old one */
    pos->mark = mark;
    if (pos->qty || pos->pnl_c != 0 || pos->day_c != 0) update_share(p, pos);
}

void th_portfolio_recompute(th_portfolio *p, int64_t now_ns)
{
    double expo = 0, pnl = 0, day = 0;
    for (int32_t i = 0; i < p->n; i++) {
        th_position *pos = &p->v[i];
        roll_day(p, pos, now_ns);
        pos->exposure_c = th_position_report(pos, th_money_abs(th_money_mul(pos->qty, pos->mark)));
        pos->pnl_c = th_position_report(pos, th_position_pnl(pos));
        pos->day_c = th_position_report(pos, th_position_day_pnl(pos));
        expo += pos->exposure_c;
        pnl += pos->pnl_c;
        day += pos->day_c;
    }
    p->total_exposure = expo;
    p->total_pnl = pnl;
    p->day_pnl = day;
    if (pnl > p->peak_pnl) p->peak_pnl = pnl;
}

void th_portfolio_restore_day(th_portfolio *p, int32_t ins, int64_t day, th_money day_realised, th_money day_fees,
                              th_money day_start_unrealised)
{
    if (ins < 0 || ins >= p->n) return;
    th_position *pos = &p->v[ins];
    pos->day = day;
    pos->day_logged = day;
    pos->day_realised = day_realised;
    pos->day_fees = day_fees;
    pos->day_start_unrealised = day_start_unrealised;
    update_share(p, pos);
}

double th_portfolio_day_pnl(const th_portfolio *p) { return p->day_pnl; }
double th_portfolio_drawdown(const th_portfolio *p) { return p->peak_pnl - p->total_pnl; }
