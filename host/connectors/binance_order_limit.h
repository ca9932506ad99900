/* binance_order_limit.h — Binance's order count limits (rateLimits ORDERS: new orders per account
 * per 10 s window, and per day) modelled on our side, so that a burst of places never passes them
 * (the venue would answer -1015 and, repeated, ban). The limits and counts are the venue's: from
 * account.rateLimits.orders at subscribe and every order.place answer's rateLimits; our own places
 * since are counted on top. None announced: nothing is held back. */
#ifndef TH_BINANCE_ORDER_LIMIT_H
#define TH_BINANCE_ORDER_LIMIT_H

#include <stdbool.h>

#include "binance_spot.h"

/* A place may go (counted), or false: a window is full (logged, every 100th). */
bool th_binance_orders_take(th_binance_spot *k);
/* The venue refused a new order -1015 (its count passed a limit we did not know of: another client
 * of the account): new orders wait retry_ns (at least to the end of the 10 s window). Only new
 * orders: Binance counts no cancel or query against ORDERS, so they go on. */
void th_binance_orders_refused(th_binance_spot *k, int64_t retry_ns);
/* One rateLimits entry: an ORDERS one noted (true), else false (not ORDERS). */
bool th_binance_orders_note(th_binance_spot *k, const th_json *j, int e);

#endif
