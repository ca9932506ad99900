/* sim_buf.c — growable text buffer with JSON helpers (see sim_buf.h). */
#include "sim_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/decimal.h"

void sim_buf_init(sim_buf *b) { memset(b, 0, sizeof *b); }

void sim_buf_free(sim_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void sim_buf_reset(sim_buf *b)
{
    b->n = 0;
    b->oom = false;
    if (b->p) b->p[SIM_BUF_HEAD] = 0;
}

static bool grow(sim_buf *b, size_t more)
{
    if (b->oom) return false;
    if (b->n + more + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1) cap *= 2;
    char *p = realloc(b->p, SIM_BUF_HEAD + cap);
    if (!p) { b->oom = true; return false; }
    b->p = p;
    b->cap = cap;
    return true;
}

void sim_buf_put(sim_buf *b, const char *s, size_t n)
{
    if (!grow(b, n)) return;
    memcpy(b->p + SIM_BUF_HEAD + b->n, s, n);
    b->n += n;
    b->p[SIM_BUF_HEAD + b->n] = 0;
}

void sim_buf_puts(sim_buf *b, const char *s) { sim_buf_put(b, s, strlen(s)); }
void sim_buf_putc(sim_buf *b, char c) { sim_buf_put(b, &c, 1); }

void sim_buf_printf(sim_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) { sim_buf_put(b, tmp, (size_t)n); return; }
    if (!grow(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + SIM_BUF_HEAD + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void sim_buf_strn(sim_buf *b, const char *s, size_t n)
{
    sim_buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') { run++; continue; }
        sim_buf_put(b, s + i - run, run);
        run = 0;
        if (c == '"' || c == '\\') { char e[2] = {'\\', (char)c}; sim_buf_put(b, e, 2); }
        else sim_buf_printf(b, "\\u%04x", c);
    }
    sim_buf_put(b, s + n - run, run);
    sim_buf_putc(b, '"');
}

void sim_buf_str(sim_buf *b, const char *s) { sim_buf_strn(b, s, strlen(s)); }

void sim_buf_dec(sim_buf *b, int64_t v, int scale, int wire, bool quoted)
{
    char t[48];
    if (wire < scale) wire = scale;
    int64_t m = th_dec_pow10(wire - scale);
    int n;
    if (m > 1 && (v > INT64_MAX / m || v < INT64_MIN / m)) {
        n = th_dec_format(v, scale, t, sizeof t); /* would overflow: the precision's own text */
    } else {
        n = th_dec_format(v * (m ? m : 1), wire, t, sizeof t);
    }
    if (n < 0) n = 0;
    if (quoted) sim_buf_putc(b, '"');
    sim_buf_put(b, t, (size_t)n);
    if (quoted) sim_buf_putc(b, '"');
}

void sim_buf_time(sim_buf *b, int64_t ns)
{
    time_t s = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&s, &tm);
    sim_buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, (int)((ns % 1000000000LL) / 1000));
}

void sim_buf_unput(sim_buf *b, char c)
{
    if (b->n && b->p[SIM_BUF_HEAD + b->n - 1] == c) b->p[SIM_BUF_HEAD + --b->n] = 0;
}
