/* timeline.h — the session's sampled timeline: per configured pair, at a fixed interval of the
 * session clock (virtual in a backtest), the book's best bid and ask, our best quotes, the
 * position and its PnL; and at the end, the risk gates' refusals by reason. `tradehost report`
 * reads it beside the journal to plot what the journal alone cannot say (where the market was).
 *
 * Why a file beside the journal and not journal records: the journal is the recovery source of
 * truth, committed and fsynced every turn that has records, and read whole by every start-up;
 * market samples are not needed to recover anything, would grow every recovery's read and every
 * group commit, and would change the journal's format version. The timeline is a plain text file
 * (`<journal>.timeline`: the journal's name with .thj replaced), written through a stdio buffer
 * (a sample is a few formatted lines; the buffer reaches the disk when full and at the end), so
 * sampling costs the loop a comparison per turn and a few microseconds per interval.
 *
 * Bounded: after `report.max_samples` sample instants the interval doubles and the budget grows
 * by half of it, so a session of any length writes O(max_samples * log(length)) lines.
 *
 * Format (one record a line, space separated, integers in instrument units, money in notional
 * units of the quote currency):
 *   # tradehost timeline 1
 *   c <report currency>
 *   i <pair index> <symbol> <price_dec> <qty_dec> <quote currency> <rate to the report currency>
 *   s <ts_ns> <pair index> <book health> <bid> <ask> <our bid> <our ask> <position qty> <pnl money>
 *     (0: none: no level, no quote)
 *   r <refusal reason> <count>         (at the end; reasons with a non-zero count)
 *   e <ts_ns>                          (the end) */
#ifndef TH_TIMELINE_H
#define TH_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trading.h"

typedef struct th_timeline {
    FILE *f;
    char path[600];
    int32_t *ins;          /* sampled instruments (configured pairs the order side knows) */
    int32_t n;
    int64_t interval_ns, next_ns, last_ns;
    uint64_t samples, budget;
    char buf[65536];
} th_timeline;

/* Opens <stem>.timeline and writes its header for the configured pairs. interval_ms > 0;
 * max_samples: sample instants before the interval doubles. 0, or -1 with *err (the session goes
 * on without a timeline: the report then marks at fill prices). */
int th_timeline_open(th_timeline *tl, const char *stem, th_trading *t, th_lua *lua, double interval_ms, uint64_t max_samples,
                     const char **err);
/* Once per loop turn: samples when the interval has passed. */
void th_timeline_turn(th_timeline *tl, th_trading *t);
/* One sample now (the session's last, before the orders are cancelled) and the refusals; closes. */
void th_timeline_close(th_timeline *tl, th_trading *t);

/* Our best live bid and ask on an instrument (instrument price units; 0: none). */
void th_timeline_our_quotes(const th_trading *t, int32_t ins, int64_t *bid, int64_t *ask);

#endif
