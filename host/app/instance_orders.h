/* instance_orders.h — several strategy instances (config `strategies`) on the order side: what a
 * faulted instance's orders are, and which instance of a group faulted. */
#ifndef TH_INSTANCE_ORDERS_H
#define TH_INSTANCE_ORDERS_H

#include "../lua/lua_host.h"
#include "trading.h"

/* Cancel the orders of st: with several instances those on the pairs it trades (another
 * instance's pairs are not its), with one every live order; an instance a reload removed: those
 * on the pairs it traded. Returns the live orders it had. */
int32_t th_instance_cancel_orders(th_trading *tr, const th_strategy *st);
/* The first faulted instance of the group headed by head, or NULL. */
const th_strategy *th_instance_faulted(const th_strategy *head);

#endif
