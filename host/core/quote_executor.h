/* quote_executor.h — turns a strategy's target quotes for one pair into the fewest actions.
 *
 * Target sizes are resting sizes. Per side, each target is matched to the nearest live order
 * within tolerance (price within `price_tol_ticks` ticks or `price_tol_bps`, whichever is wider;
 * remaining size within `size_tol` of the target; an order with an amend in flight is matched
 * as the amend will leave it): a match is kept as it is, so small moves do not churn orders and the
 * queue position is kept. A match that is still PENDING_CREATE is kept too: the executor never
 * places while a matching order is in flight. Live orders left unmatched are cancelled, or, where
 * the venue amends in place, re-pointed at an unmatched target (cancel-replace in one request;
 * the order flow asks the venue for a total of filled + target, so it then rests the target).
 * Targets left unmatched are placed, except one within tolerance of an order whose cancel is still
 * pending: that target waits for the cancel to finish (placing would layer two orders).
 * Only the pair's live orders the quotes own take part (`owned`: the order flow passes placed-by-
 * the-executor and adopted); the others are left as they are (they still count in the gates).
 * Plain C: reads the tracker, writes a list of actions; the order flow executes them through the
 * risk gates, cancels first. */
#ifndef TH_QUOTE_EXECUTOR_H
#define TH_QUOTE_EXECUTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "order_tracker.h"

#define TH_QUOTES_MAX 32 /* targets per pair per call */

typedef struct th_quote {
    int32_t side;
    int32_t reserved;
    int64_t price, qty;   /* instrument units */
    char tag[16];
} th_quote;

typedef struct th_exec_cfg {
    int64_t price_tol_ticks;  /* in price units (ticks times the tick size) */
    double price_tol_bps;
    double size_tol;          /* fraction of the target size */
    bool amend;               /* the venue amends in place */
    uint32_t owned;           /* order flags that make a live order the quotes' (0: every live order) */
} th_exec_cfg;

typedef enum th_exec_kind { TH_EXEC_KEEP = 0, TH_EXEC_PLACE, TH_EXEC_CANCEL, TH_EXEC_AMEND, TH_EXEC_WAIT } th_exec_kind;

typedef struct th_exec_action {
    int32_t kind;
    int32_t order;        /* tracker index (KEEP, CANCEL, AMEND, WAIT), -1 for PLACE */
    int32_t target;       /* target index (KEEP, PLACE, AMEND, WAIT), -1 for CANCEL */
    int32_t reserved;
} th_exec_action;

/* Writes at most `max` actions (max >= n + live orders of the pair is always enough); returns the
 * count, or -1 if `max` was too small or n > TH_QUOTES_MAX. */
int32_t th_exec_diff(const th_tracker *t, int32_t instrument, const th_quote *targets, int32_t n,
                     const th_exec_cfg *cfg, th_exec_action *out, int32_t max);

#endif
