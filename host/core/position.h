/* position.h — positions, fees and PnL per instrument, and the portfolio totals.
 *
 * Quantities are signed instrument qty units; money is kept exactly in notional units
 * (10^-(price_dec + qty_dec) of the quote currency: price units times qty units), so that
 * `realised - cost == cash flow` holds to the unit after any sequence of fills, and a round trip
 * never leaks a rounding residue. Average entry is `cost / qty`; closing part of a position takes a
 * proportional share of the cost (the remainder of an integer division stays in the cost and is
 * realised when the position reaches zero). Unrealised PnL is marked to the book's mid.
 * Per-day figures restart at UTC midnight on the host clock (virtual in backtests). Portfolio
 * totals convert each instrument's quote currency to the report currency with a rate the host keeps
 * current (1 for the report currency itself); they are kept incrementally so the risk gates read
 * them in O(1), and recomputed exactly once per loop turn to drop floating drift. */
#ifndef TH_POSITION_H
#define TH_POSITION_H

#include <stdbool.h>
#include <stdint.h>

typedef struct th_position {
    int64_t qty;                 /* signed qty units */
    int64_t cost;                /* signed notional units of the open qty */
    int64_t realised, fees;      /* notional units, this session */
    int64_t day_realised, day_fees;
    int64_t day;                 /* UTC day number of day_* */
    int64_t day_start_unrealised;
    int64_t mark;                /* price units; 0: no mark yet */
    int64_t bought, sold;        /* qty units traded */
    int64_t fills;
    double unit;                 /* report currency per notional unit (10^-scale * rate) */
    double exposure_c, pnl_c;    /* this position's share of the portfolio totals */
} th_position;

typedef struct th_portfolio {
    th_position *v;
    int32_t n;
    double total_exposure;       /* sum |qty| * mark, report currency */
    double total_pnl;            /* realised + unrealised - fees, report currency */
    double peak_pnl;             /* highest total_pnl this session (for drawdown) */
    double day_start_pnl;
    int64_t day;
} th_portfolio;

int th_portfolio_init(th_portfolio *p, int32_t n_instruments);
void th_portfolio_free(th_portfolio *p);
/* Grow to cover instrument indexes < n (instruments added after start). */
int th_portfolio_reserve(th_portfolio *p, int32_t n);
/* Scale of the instrument (price_dec + qty_dec) and its quote currency's rate to the report one. */
void th_portfolio_set_unit(th_portfolio *p, int32_t ins, int32_t scale, double rate);

/* A fill of qty > 0 at price (instrument units); fee in notional units of the quote currency. */
void th_portfolio_fill(th_portfolio *p, int32_t ins, int32_t side, int64_t qty, int64_t price, int64_t fee, int64_t now_ns);
void th_portfolio_mark(th_portfolio *p, int32_t ins, int64_t mark, int64_t now_ns);
/* Exact recomputation of the totals (once per loop turn). */
void th_portfolio_recompute(th_portfolio *p, int64_t now_ns);

int64_t th_position_unrealised(const th_position *pos);
/* Average entry in price units (0 when flat). */
int64_t th_position_avg_entry(const th_position *pos);
/* PnL since UTC midnight, report currency. */
double th_portfolio_day_pnl(const th_portfolio *p);
double th_portfolio_drawdown(const th_portfolio *p);

#endif
