/* decimal.c — exact decimal text <-> int64 units (see decimal.h). Hot path: called twice per book
 * level, so it is one pass over the text with no library calls. */
#include "decimal.h"

#include <math.h>
#include <string.h>

const int64_t th_dec_pow10_table[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL, 1000000000LL,
    10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL, 100000000000000LL,
    1000000000000000LL, 10000000000000000LL, 100000000000000000LL, 1000000000000000000LL,
};

const char *th_dec_strerror(int rc)
{
    switch (rc) {
    case TH_DEC_OK: return "ok";
    case TH_DEC_ESYNTAX: return "not a decimal number";
    case TH_DEC_EINEXACT: return "more decimals than the instrument's precision";
    case TH_DEC_ERANGE: return "number out of range";
    default: return "unknown decimal error";
    }
}

/* Reads mantissa digits; fractional zeros are held back ("pending") so that long runs of trailing
 * zeros ("0.00000000", "20270.49268141000") never overflow the mantissa. */
typedef struct dec_parts {
    uint64_t mant;   /* significant digits */
    int frac;        /* how many of mant's digits are after the point */
    int exp;         /* exponent part */
    int neg;
} dec_parts;

static int dec_split(const char *s, size_t n, dec_parts *d)
{
    size_t i = 0;
    memset(d, 0, sizeof *d);
    if (i < n && (s[i] == '-' || s[i] == '+')) { d->neg = s[i] == '-'; i++; }
    int digits = 0, pending = 0, in_frac = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            digits++;
            if (in_frac && c == '0') { pending++; continue; }
            for (; pending > 0; pending--) {
                if (d->mant > UINT64_MAX / 10) return TH_DEC_ERANGE;
                d->mant *= 10;
                d->frac++;
            }
            if (d->mant > (UINT64_MAX - 9) / 10) return TH_DEC_ERANGE;
            d->mant = d->mant * 10 + (uint64_t)(c - '0');
            if (in_frac) d->frac++;
        } else if (c == '.' && !in_frac) {
            in_frac = 1;
        } else {
            break;
        }
    }
    if (digits == 0) return TH_DEC_ESYNTAX;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0, edigits = 0;
        if (i < n && (s[i] == '-' || s[i] == '+')) { eneg = s[i] == '-'; i++; }
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            edigits++;
            if (d->exp < 1000) d->exp = d->exp * 10 + (s[i] - '0');
        }
        if (edigits == 0) return TH_DEC_ESYNTAX;
        if (eneg) d->exp = -d->exp;
    }
    if (i != n) return TH_DEC_ESYNTAX;
    return TH_DEC_OK;
}

static int dec_parse_general(const char *s, size_t n, int scale, int64_t *out);

int th_dec_parse(const char *s, size_t n, int scale, int64_t *out)
{
    if (scale < 0 || scale > TH_DEC_MAX_SCALE) return TH_DEC_ERANGE;
    /* Fast path for what the wire almost always sends: unsigned "digits[.digits]", at most 19
     * characters, so the mantissa cannot overflow and needs none of dec_split's bookkeeping.
     * Anything else (a sign, an exponent, a longer text, no digit) takes the general path below;
     * the two agree on every input (tests/unit/test_decimal.c compares them). */
    if (n - 1 < 19) {
        uint64_t v = 0;
        int frac = -1;
        size_t i = 0;
        for (; i < n; i++) {
            unsigned dg = (unsigned)(unsigned char)s[i] - '0';
            if (dg <= 9) { v = v * 10 + dg; frac += frac >= 0; }
            else if (s[i] == '.' && frac < 0) frac = 0;
            else break;
        }
        if (i == n && n > (size_t)(frac >= 0)) {
            int f = frac < 0 ? 0 : frac;
            if (f <= scale) {
                uint64_t p = (uint64_t)th_dec_pow10_table[scale - f];
                if (v > (uint64_t)INT64_MAX / p) return TH_DEC_ERANGE;
                v *= p;
            } else {
                uint64_t p = (uint64_t)th_dec_pow10_table[f - scale];
                if (v % p) return TH_DEC_EINEXACT;
                v /= p;
                if (v > (uint64_t)INT64_MAX) return TH_DEC_ERANGE;
            }
            *out = (int64_t)v;
            return TH_DEC_OK;
        }
    }
    return dec_parse_general(s, n, scale, out);
}

/* Any text dec_split accepts: signs, exponents, long runs of zeros. */
static int dec_parse_general(const char *s, size_t n, int scale, int64_t *out)
{
    dec_parts d;
    int rc = dec_split(s, n, &d);
    if (rc) return rc;
    int eff_frac = d.frac - d.exp; /* decimals of the value */
    uint64_t v = d.mant;
    if (v == 0) { *out = 0; return TH_DEC_OK; }
    if (eff_frac <= scale) {
        int up = scale - eff_frac;
        for (; up > 0; up--) {
            if (v > UINT64_MAX / 10) return TH_DEC_ERANGE;
            v *= 10;
        }
    } else {
        int down = eff_frac - scale;
        if (down > 19) return TH_DEC_EINEXACT; /* non-zero mantissa that far down */
        uint64_t p = 1;
        for (int k = 0; k < down; k++) p *= 10;
        if (v % p) return TH_DEC_EINEXACT;
        v /= p;
    }
    if (v > (uint64_t)INT64_MAX) return TH_DEC_ERANGE;
    *out = d.neg ? -(int64_t)v : (int64_t)v;
    return TH_DEC_OK;
}

int th_dec_places(const char *s, size_t n)
{
    dec_parts d;
    if (dec_split(s, n, &d) != TH_DEC_OK) return -1;
    if (d.mant == 0) return 0;
    int places = d.frac - d.exp;
    /* drop trailing zeros of the mantissa (e.g. "0.50" held as 5 with frac 1 already; "100" as
     * 100 with frac 0 gives a negative count, clamp at 0) */
    while (places > 0 && d.mant % 10 == 0) { d.mant /= 10; places--; }
    return places < 0 ? 0 : places;
}

int th_dec_text_decimals(const char *s, size_t n)
{
    const char *dot = memchr(s, '.', n);
    if (!dot) return 0;
    size_t k = (size_t)(dot - s) + 1, d = 0;
    while (k < n && s[k] >= '0' && s[k] <= '9') { k++; d++; }
    return (int)d;
}

int th_dec_format(int64_t v, int scale, char *buf, size_t cap)
{
    char tmp[32];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    while (n <= scale) tmp[n++] = '0'; /* at least one integer digit */
    size_t o = 0;
    if (v < 0 && o + 1 < cap) buf[o++] = '-';
    for (int i = n - 1; i >= 0 && o + 1 < cap; i--) {
        buf[o++] = tmp[i];
        if (i == scale && scale > 0 && o + 1 < cap) buf[o++] = '.';
    }
    buf[o] = 0;
    return (int)o;
}

/* Any scale, not only the table's 0..18: money is counted at price + quantity decimals, which
 * reaches 24 and more (PEPE/USD), and indexing the table past 18 read beyond it. 10^k is exact in
 * a double up to k = 22, so the common scales divide once; a scale no instrument has is NaN. */
double th_dec_to_double(int64_t v, int scale)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (scale >= 0 && scale <= 22) return (double)v / p10[scale];
    if (scale > 22 && scale <= 80) return (double)v / 1e22 / pow(10, scale - 22);
    if (scale < 0 && scale >= -22) return (double)v * p10[-scale];
    return NAN;
}

int th_dec_from_double(double x, int scale, int64_t *out)
{
    if (scale < 0 || scale > TH_DEC_MAX_SCALE || !isfinite(x)) return TH_DEC_ERANGE;
    double scaled = x * (double)th_dec_pow10_table[scale];
    if (fabs(scaled) >= 9.2e18) return TH_DEC_ERANGE;
    *out = (int64_t)llround(scaled);
    return TH_DEC_OK;
}
