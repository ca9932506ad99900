/* wire_num.h — numbers as venues write them, to our units, for the connectors. */
#ifndef TH_WIRE_NUM_H
#define TH_WIRE_NUM_H

#include <stddef.h>

#include "../core/money.h"

/* Decimal text to money units at `scale`, rounded half away from zero past it (a venue's fee may
 * carry more decimals than the pair's notional units). */
th_money th_wire_money(const char *s, size_t n, int32_t scale);

#endif
