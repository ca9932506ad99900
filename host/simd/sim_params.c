/* sim_params.c — strict checks of a REST request's parameters (see sim_params.h): lengths, bytes
 * and number ranges, checked on the %-decoded value before any handler copies or parses it. */
#include "sim_params.h"

#include <ctype.h>
#include <string.h>

/* The decoded bytes of a value, as kr_form_get decodes them ('+' is a space, %XX a byte). */
typedef struct decoder {
    const char *p, *end;
} decoder;

static int next_byte(decoder *d)
{
    if (d->p >= d->end) return -1;
    unsigned char c = (unsigned char)*d->p++;
    if (c == '+') return ' ';
    if (c == '%' && d->end - d->p >= 2 && isxdigit((unsigned char)d->p[0]) && isxdigit((unsigned char)d->p[1])) {
        int hi = isdigit((unsigned char)d->p[0]) ? d->p[0] - '0' : (tolower((unsigned char)d->p[0]) - 'a' + 10);
        int lo = isdigit((unsigned char)d->p[1]) ? d->p[1] - '0' : (tolower((unsigned char)d->p[1]) - 'a' + 10);
        d->p += 2;
        return hi << 4 | lo;
    }
    return c;
}

bool sim_parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    const char *p = text;
    bool neg = *p == '-';
    if (neg) p++;
    if (!*p) return false;
    uint64_t v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    /* int64's range: up to 2^63 - 1, down to -2^63 */
    if ((!neg && v > (uint64_t)INT64_MAX) || (neg && v > (uint64_t)INT64_MAX + 1)) return false;
    int64_t x = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    if (x < lo || x > hi) return false;
    *out = x;
    return true;
}

static sim_param_fault check_value(const sim_param_rule *r, decoder d)
{
    size_t n = 0, digits = 0, frac = 0;
    bool dot = false, neg = false, big = false;
    uint64_t v = 0;
    for (int c; (c = next_byte(&d)) >= 0;) {
        if (++n > r->max_len) return SIMP_TOO_LONG;
        if (c < 0x20 || c == 0x7f) return SIMP_BAD_BYTE; /* NUL would cut the C string a handler sees */
        switch (r->kind) {
        case SIMP_TEXT: break;
        case SIMP_CHARSET:
            if (c >= 0x80 || !strchr(r->charset, c)) return SIMP_BAD_BYTE;
            break;
        case SIMP_INT:
        case SIMP_UINT64:
            if (c == '-' && n == 1 && r->kind == SIMP_INT) { neg = true; break; }
            if (c < '0' || c > '9') return SIMP_BAD_BYTE;
            if (v > (UINT64_MAX - (uint64_t)(c - '0')) / 10) big = true;
            else v = v * 10 + (uint64_t)(c - '0');
            digits++;
            break;
        case SIMP_DECIMAL:
            if (c == '.' && !dot && digits) { dot = true; break; }
            if (c < '0' || c > '9') return SIMP_BAD_BYTE;
            if (dot) frac++;
            else digits++;
            if (digits > 20 || frac > 20) return SIMP_BAD_BYTE;
            break;
        }
    }
    if (r->kind == SIMP_CHARSET && n == 0) return SIMP_BAD_BYTE;
    if ((r->kind == SIMP_INT || r->kind == SIMP_UINT64) && !digits) return n ? SIMP_BAD_BYTE : SIMP_OK; /* empty: the handler's "missing" */
    if (r->kind == SIMP_DECIMAL && n && (!digits || (dot && !frac))) return SIMP_BAD_BYTE;
    if (r->kind == SIMP_UINT64 && big) return SIMP_OUT_OF_RANGE;
    if (r->kind == SIMP_INT) {
        if (big || (!neg && v > (uint64_t)INT64_MAX) || (neg && v > (uint64_t)INT64_MAX + 1)) return SIMP_OUT_OF_RANGE;
        int64_t x = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
        if (x < r->lo || x > r->hi) return SIMP_OUT_OF_RANGE;
    }
    return SIMP_OK;
}

const sim_param_rule *sim_params_check(const char *form, const sim_param_rule *rules, size_t n, sim_param_fault *fault)
{
    *fault = SIMP_OK;
    for (const char *p = form; p && *p;) {
        const char *amp = strchr(p, '&');
        const char *end = amp ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq) {
            for (size_t i = 0; i < n; i++) {
                size_t kn = strlen(rules[i].name);
                if ((size_t)(eq - p) != kn || strncmp(p, rules[i].name, kn) != 0) continue;
                decoder d = {eq + 1, end};
                sim_param_fault f = check_value(&rules[i], d);
                if (f != SIMP_OK) { *fault = f; return &rules[i]; }
            }
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}
