/* backtest_summary.h — the end of a backtest: a summary printed on stdout (fills, volume, fees,
 * PnL, orders by outcome, refusals by reason, events and events/s) and, with --report DIR, the
 * same figures as DIR/summary.json, byte-identical for the same inputs, config and --seed (no
 * wall-clock figure in it). Sweeps (sweep.c) rank runs by it. */
#ifndef TH_BACKTEST_SUMMARY_H
#define TH_BACKTEST_SUMMARY_H

#include <stdint.h>

#include "session_feed.h"
#include "trading.h"

/* 0, or -1 when summary.json could not be written (logged). */
/* report_dir: where summary.json goes (NULL: printed only); seed: the run's --seed, recorded. */
int th_backtest_summary(const th_trading *t, const th_session_feed *m, const char *report_dir, uint64_t seed);

#endif
