/* tracker_check.h — one consistency check of the order tracker's live sets, shared by the tracker's
 * and the order flow's randomised tests. The live sets are what the risk walk reads instead of the
 * orders, so they must hold exactly the live orders, each once, at its live_pos, with the order's
 * side, price and unfilled quantity; every other order has live_pos -1.
 * Returns NULL when consistent, else a description of the first disagreement (in why). */
#ifndef TH_TEST_TRACKER_CHECK_H
#define TH_TEST_TRACKER_CHECK_H

#include <stdio.h>

#include "../../host/core/order_tracker.h"

static const char *check_live_sets(const th_tracker *t, char *why, size_t cap)
{
    int32_t total = 0;
    for (int32_t ins = 0; ins < t->ins_cap; ins++) {
        int32_t n;
        const th_live *lv = th_tracker_live(t, ins, &n);
        total += n;
        for (int32_t k = 0; k < n; k++) {
            const th_order *o = &t->v[lv[k].idx];
            if (!th_order_live(o) || o->state == TH_ORD_RETIRED) {
                snprintf(why, cap, "finished order %s on the live set of instrument %d", o->cl_id, ins);
                return why;
            }
            if (o->instrument != ins || o->live_pos != k || lv[k].side != o->side || lv[k].price != o->price ||
                lv[k].rest != o->qty - o->filled) {
                snprintf(why, cap, "live set entry %d of instrument %d disagrees with %s", k, ins, o->cl_id);
                return why;
            }
        }
    }
    int32_t live = 0;
    for (int32_t i = 0; i < t->n; i++) {
        const th_order *o = &t->v[i];
        bool is_live = o->state != TH_ORD_RETIRED && th_order_live(o);
        live += is_live;
        if (!is_live && o->live_pos != -1) {
            snprintf(why, cap, "order %d is not live but has live_pos %d", i, o->live_pos);
            return why;
        }
    }
    if (total != live || t->nlive != live) {
        snprintf(why, cap, "live sets hold %d, tracker counts %d, %d orders are live", total, t->nlive, live);
        return why;
    }
    return NULL;
}

#endif
