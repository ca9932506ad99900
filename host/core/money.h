/* money.h — the host's one money type, th_money, and its conversions.
 *
 * Money is a signed 128-bit count of notional units of an instrument's quote currency: one unit is
 * 10^-(price_dec + qty_dec), a price unit times a qty unit, so `qty * price` is a money value with
 * no rounding at all. It is 128 bits because 64 are not enough at real scales: Binance loads most
 * symbols at 8 + 8 decimals, where int64 holds about 922 USDT; 2^127 units at 10^-16 hold 1.7e22
 * quote units, and one product of two int64 (at most 2^126) always fits.
 *
 * Rules (also in docs/architecture.md, "Money"):
 * - every product qty * price is computed as th_money_mul (128 bits), never in int64;
 * - sums of money stay exact; the only division is a position's proportional cost on a partial
 *   close (position.c), which truncates toward zero and leaves the remainder in the open cost, so
 *   it is realised to the unit when the position closes;
 * - average prices (cost / qty) truncate toward zero to a price unit;
 * - money leaves C only through the converters below: a double in human units of the quote
 *   currency (th_money_to_double, correctly rounded for values that fit a double's 53 bits and
 *   within one double rounding beyond) or an exact decimal string (th_money_format). LuaJIT's FFI
 *   has no 128-bit integer, so the FFI surface (tradehost.h) only ever carries those;
 * - portfolio totals across quote currencies are doubles in the report currency (money times the
 *   currency's rate), recomputed from the exact figures once per loop turn. */
#ifndef TH_MONEY_H
#define TH_MONEY_H

#include <stddef.h>
#include <stdint.h>

typedef __int128 th_money;

#define TH_MONEY_MAX_SCALE 38 /* 10^38 < 2^127 */

static inline th_money th_money_mul(int64_t qty, int64_t price) { return (th_money)qty * (th_money)price; }
static inline th_money th_money_abs(th_money m) { return m < 0 ? -m : m; }

/* The nearest double to m, without libgcc's 128-bit conversion when m fits int64 (hot paths). */
static inline double th_money_approx(th_money m)
{
    return m >= INT64_MIN && m <= INT64_MAX ? (double)(int64_t)m : (double)m;
}

/* 10^k for 0 <= k <= 38; 0 outside. */
th_money th_money_pow10(int32_t k);
/* Value in human units of the quote currency (scale = price_dec + qty_dec): correctly rounded
 * below 2^53 units, else whole and fractional parts converted apart. */
double th_money_to_double(th_money m, int32_t scale);
/* Exact decimal text with `scale` decimals ("-1000.0000000000000000"); returns the length, or -1
 * when cap is too small (cap >= 48 always suffices) or scale is out of range. */
int th_money_format(th_money m, int32_t scale, char *buf, size_t cap);
/* Same, with trailing fractional zeros (and a bare '.') dropped: "-1000", "0.00123". */
int th_money_format_short(th_money m, int32_t scale, char *buf, size_t cap);

#endif
