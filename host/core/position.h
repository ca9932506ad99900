/* position.h — positions, fees and PnL per instrument, and the portfolio totals.
 *
 * Quantities are signed instrument qty units; money is th_money (money.h): a 128-bit count of
 * notional units, 10^-(price_dec + qty_dec) of the quote currency (price units times qty units),
 * so that `realised - cost == cash flow` holds to the unit after any sequence of fills at any
 * magnitude, and a round trip never leaks a rounding residue. Rounding rules: every product is
 * exact; average entry is `cost / qty` truncated toward zero; closing part of a position takes a
 * proportional share of the cost, truncated toward zero (the remainder stays in the cost and is
 * realised when the position reaches zero). Unrealised PnL is marked to the book's mid.
 *
 * Trading days: a day starts at `day_offset_ns` after UTC midnight (0 by default; the config's
 * risk.day_start_utc) on the host clock (virtual in backtests). Each position keeps its day's
 * figures (realised and fees since the start, and the unrealised PnL at the start) with the day
 * they belong to; the order flow journals them, so a restart later in the same day carries them
 * and the day's PnL (and the daily loss cap) never counts earlier days.
 *
 * Portfolio totals convert each instrument's quote currency to the report currency with a rate the
 * host keeps current (1 for the report currency itself); they are doubles kept incrementally so
 * the risk gates read them in O(1), and recomputed from the exact money once per loop turn to drop
 * floating drift. */
#ifndef TH_POSITION_H
#define TH_POSITION_H

#include <stdbool.h>
#include <stdint.h>

#include "money.h"

typedef struct th_position {
    int64_t qty;                 /* signed qty units */
    int64_t mark;                /* price units; 0: no mark yet */
    th_money cost;               /* signed notional units of the open qty */
    th_money realised, fees;     /* notional units, carried across sessions */
    th_money day_realised, day_fees;   /* since the start of `day` */
    th_money day_start_unrealised;     /* unrealised PnL when `day` started */
    int64_t day;                 /* trading day number of the day_* figures; INT64_MIN: none yet */
    int64_t day_logged;          /* the last day the order flow journalled for this position */
    int64_t bought, sold;        /* qty units traded */
    int64_t fills;
    /* the newest fill applied (th.status shows it): qty units, price units, host time; 0 ns: none */
    int64_t last_fill_qty, last_fill_price, last_fill_ns;
    int32_t last_fill_side;
    int32_t scale;               /* price_dec + qty_dec */
    double rate;                 /* report currency per unit of the quote currency */
    double unit;                 /* rate * 10^-scale: report currency per money unit (gates only) */
    double exposure_c, pnl_c, day_c; /* this position's share of the portfolio totals */
} th_position;

typedef struct th_portfolio {
    th_position *v;
    int32_t n;
    double total_exposure;       /* sum |qty| * mark, report currency */
    double total_pnl;            /* realised + unrealised - fees, report currency */
    double day_pnl;              /* sum of the positions' PnL since their day started */
    double peak_pnl;             /* highest total_pnl this session (for drawdown) */
    int64_t day_offset_ns;       /* a trading day starts this long after UTC midnight */
    uint64_t day_rolls;          /* days started with open qty: day != day_logged until journalled */
} th_portfolio;

int th_portfolio_init(th_portfolio *p, int32_t n_instruments);
void th_portfolio_free(th_portfolio *p);
/* Grow to cover instrument indexes < n (instruments added after start). */
int th_portfolio_reserve(th_portfolio *p, int32_t n);
/* Scale of the instrument (price_dec + qty_dec) and its quote currency's rate to the report one. */
void th_portfolio_set_unit(th_portfolio *p, int32_t ins, int32_t scale, double rate);
/* The trading day's start after UTC midnight, 0 <= offset < 24 h. */
void th_portfolio_set_day_offset(th_portfolio *p, int64_t offset_ns);
int64_t th_portfolio_day_of(const th_portfolio *p, int64_t now_ns);

/* A fill of qty > 0 at price (instrument units); fee in notional units of the quote currency. */
void th_portfolio_fill(th_portfolio *p, int32_t ins, int32_t side, int64_t qty, int64_t price, th_money fee, int64_t now_ns);
void th_portfolio_mark(th_portfolio *p, int32_t ins, int64_t mark, int64_t now_ns);
/* Exact recomputation of the totals (once per loop turn); starts new days where they began. */
void th_portfolio_recompute(th_portfolio *p, int64_t now_ns);
/* Restore a position's day figures as journalled (recovery); they count as journalled. */
void th_portfolio_restore_day(th_portfolio *p, int32_t ins, int64_t day, th_money day_realised, th_money day_fees,
                              th_money day_start_unrealised);

th_money th_position_unrealised(const th_position *pos);
/* Money of this position in the report currency (th_money_to_double at its scale, times the rate). */
static inline double th_position_report(const th_position *pos, th_money m) { return th_money_to_double(m, pos->scale) * pos->rate; }
/* The same within a few ulps, with one multiplication: for the per-intent gates, whose limits are
 * not exact figures (the loss caps read th_position_report's exact conversions). */
static inline double th_position_gate(const th_position *pos, th_money m) { return th_money_approx(m) * pos->unit; }
/* realised + unrealised - fees */
th_money th_position_pnl(const th_position *pos);
/* PnL since the position's day started: day_realised + (unrealised - day_start_unrealised) - day_fees */
th_money th_position_day_pnl(const th_position *pos);
/* Average entry in price units (0 when flat). */
int64_t th_position_avg_entry(const th_position *pos);
/* PnL since the trading day started, report currency. */
double th_portfolio_day_pnl(const th_portfolio *p);
double th_portfolio_drawdown(const th_portfolio *p);

#endif
