/* instance_orders.c — several strategy instances on the order side (see instance_orders.h). */
#include "instance_orders.h"

int32_t th_instance_cancel_orders(th_trading *tr, const th_strategy *st)
{
    if (!st->head || (st->head == st && !st->next)) { /* one instance (a removed one has a head) */
        int32_t live = tr->flow.trk.nlive;
        th_trading_cancel_all(tr);
        return live;
    }
    int32_t live = 0;
    for (int i = 0; i < st->nsymbols; i++) {
        int32_t ins = st->symbols[i].trades ? th_trading_find_symbol(tr, st->symbols[i].v) : -1;
        if (ins >= 0) live += th_trading_cancel_pair(tr, ins);
    }
    return live;
}

const th_strategy *th_instance_faulted(const th_strategy *head)
{
    for (const th_strategy *x = head; x; x = x->next)
        if (x->faulted) return x;
    return NULL;
}
