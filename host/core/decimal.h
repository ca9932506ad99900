/* decimal.h — the one decimal <-> fixed-point converter.
 *
 * Every price and size in the host is an int64 count of 10^-scale units, where scale is the
 * instrument's number of decimals (its price or quantity precision). Wire text is converted with no
 * floating point in between, so "0.043020" at scale 6 is exactly 43020 and formats back to
 * "0.043020". A value that cannot be represented exactly at the scale (a non-zero digit beyond it)
 * is refused rather than rounded: on a feed, that means the instrument data and the feed disagree,
 * and the book must not silently drift. Doubles appear only at the Lua boundary, in
 * th_dec_from_double, which rounds to the nearest unit on purpose. */
#ifndef TH_DECIMAL_H
#define TH_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#define TH_DEC_MAX_SCALE 18

enum {
    TH_DEC_OK = 0,
    TH_DEC_ESYNTAX = -1,   /* not a decimal number */
    TH_DEC_EINEXACT = -2,  /* non-zero digits beyond the scale */
    TH_DEC_ERANGE = -3,    /* does not fit in int64 at this scale */
};

/* Parse [-|+]digits[.digits][e[+-]digits] (JSON number or quoted-string contents). */
int th_dec_parse(const char *s, size_t n, int scale, int64_t *out);
/* Format with exactly `scale` decimals; returns the length written (buf gets a NUL). cap >= 24. */
int th_dec_format(int64_t v, int scale, char *buf, size_t cap);
/* Decimal places that matter in a text (trailing zeros ignored): "0.00001000" -> 5, "0.5" -> 1,
 * "1" -> 0, "1e-05" -> 5. Returns -1 if not a number. Used to derive a scale from a tick size. */
int th_dec_places(const char *s, size_t n);
/* Decimals written in the text, trailing zeros included: "0.00010000" -> 8, "1" -> 0. */
int th_dec_text_decimals(const char *s, size_t n);
/* Value of v at scale as a double (for Lua and reports only; never for book arithmetic). Any scale
 * from -22 to 80; NaN outside (never an out-of-range read). */
double th_dec_to_double(int64_t v, int scale);
/* Nearest integer unit for a double; refuses NaN/inf and out-of-range values. */
int th_dec_from_double(double x, int scale, int64_t *out);
/* 10^k for 0 <= k <= 18: the one powers-of-ten table (inline readers on hot paths use it too). */
extern const int64_t th_dec_pow10_table[19];
/* 10^scale for 0 <= scale <= 18; 0 outside. */
static inline int64_t th_dec_pow10(int scale) { return (scale >= 0 && scale <= 18) ? th_dec_pow10_table[scale] : 0; }
const char *th_dec_strerror(int rc);

/* Eight digit characters at once, for the hot text readers (recorded lines, Kraken's book levels):
 * `c` is eight bytes as loaded from memory on a little-endian machine (the first byte lowest).
 * th_dec_eight_digits: all eight are '0'-'9'; th_dec_eight_value: their value, the first byte the
 * most significant digit (three multiplies instead of eight). */
#define TH_DEC_SWAR (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
static inline int th_dec_eight_digits(uint64_t c)
{
    return ((c & 0xF0F0F0F0F0F0F0F0u) | (((c + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4)) == 0x3333333333333333u;
}
static inline uint64_t th_dec_eight_value(uint64_t c)
{
    c -= 0x3030303030303030u;
    c = c * 10 + (c >> 8);
    c = (((c & 0x000000FF000000FFu) * (100 + (1000000ull << 32))) + (((c >> 16) & 0x000000FF000000FFu) * (1 + (10000ull << 32)))) >> 32;
    return c & 0xFFFFFFFFu;
}

#endif
