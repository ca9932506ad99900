/* wire_num.c — venue number text to our units (see wire_num.h). */
#include "wire_num.h"

#include <stdbool.h>

th_money th_wire_money(const char *s, size_t n, int32_t scale)
{
    th_money v = 0;
    bool neg = n && s[0] == '-', dot = false, round_up = false, cut = false;
    int32_t frac = 0;
    for (size_t i = neg; i < n; i++) {
        char c = s[i];
        if (c == '.') { dot = true; continue; }
        if (c < '0' || c > '9') break;
        if (dot && frac == scale) {
            if (!cut) round_up = c >= '5';
            cut = true;
            continue;
        }
        v = v * 10 + (c - '0');
        if (dot) frac++;
    }
    for (; frac < scale; frac++) v *= 10;
    if (round_up) v++;
    return neg ? -v : v;
}
