/* money.c — conversions of th_money to doubles and exact decimal text (see money.h). */
#include "money.h"

#include <string.h>

th_money th_money_pow10(int32_t k)
{
    if (k < 0 || k > TH_MONEY_MAX_SCALE) return 0;
    th_money p = 1;
    while (k--) p *= 10;
    return p;
}

double th_money_to_double(th_money m, int32_t scale)
{
    if (scale <= 0) return (double)m;
    /* both exact as doubles (|m| < 2^53, 10^scale <= 10^22): one correctly rounded division, so
     * a whole amount (-1000.0) comes out exactly and compares exactly against a cap */
    static const double P10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (scale <= 22 && m > -((th_money)1 << 53) && m < ((th_money)1 << 53)) return (double)(int64_t)m / P10[scale];
    th_money p = th_money_pow10(scale);
    if (!p) return 0;
    /* whole and fractional parts apart: each converts with one rounding, and the fraction keeps
     * its digits even when the whole part is large */
    th_money whole = m / p, frac = m % p;
    return (double)whole + (double)frac / (double)p;
}

int th_money_format(th_money m, int32_t scale, char *buf, size_t cap)
{
    if (scale < 0 || scale > TH_MONEY_MAX_SCALE) return -1;
    char tmp[96];
    size_t n = 0;
    /* digits of |m| from the lowest; unsigned so that the most negative value works too */
    unsigned __int128 u = m < 0 ? (unsigned __int128)0 - (unsigned __int128)m : (unsigned __int128)m;
    int32_t digits = 0;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
        digits++;
        if (digits == scale) tmp[n++] = '.';
    } while (u || digits <= scale);
    if (m < 0) tmp[n++] = '-';
    if (n + 1 > cap) return -1;
    for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return (int)n;
}

int th_money_format_short(th_money m, int32_t scale, char *buf, size_t cap)
{
    int n = th_money_format(m, scale, buf, cap);
    if (n < 0 || scale == 0) return n;
    while (buf[n - 1] == '0') buf[--n] = 0;
    if (buf[n - 1] == '.') buf[--n] = 0;
    if (strcmp(buf, "-0") == 0) { buf[0] = '0'; buf[1] = 0; n = 1; }
    return n;
}
