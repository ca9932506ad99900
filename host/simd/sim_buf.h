/* sim_buf.h — a growable text buffer for the sim's answers and frames, with the JSON pieces they
 * are made of (escaped strings, exact decimals, RFC 3339 times).
 *
 * Frames go out through libwebsockets, which needs LWS_PRE bytes of headroom before the payload:
 * the buffer keeps that headroom at its start so a finished frame is handed over without a copy.
 * Allocation failure is sticky (`oom`): builders keep appending without checks and the caller
 * looks once at the end. */
#ifndef TH_SIM_BUF_H
#define TH_SIM_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_BUF_HEAD 32 /* >= LWS_PRE (16 in lws 4.1), checked in sim_server.c */

typedef struct sim_buf {
    char *p;      /* SIM_BUF_HEAD bytes of headroom, then the text, then a NUL */
    size_t n;     /* text length */
    size_t cap;   /* bytes allocated after the headroom */
    bool oom;
} sim_buf;

void sim_buf_init(sim_buf *b);
void sim_buf_free(sim_buf *b);
void sim_buf_reset(sim_buf *b);
static inline char *sim_buf_text(const sim_buf *b) { return b->p ? b->p + SIM_BUF_HEAD : (char *)""; }
void sim_buf_put(sim_buf *b, const char *s, size_t n);
void sim_buf_puts(sim_buf *b, const char *s);
void sim_buf_putc(sim_buf *b, char c);
void sim_buf_printf(sim_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string: quotes added, control characters and quotes escaped. */
void sim_buf_str(sim_buf *b, const char *s);
void sim_buf_strn(sim_buf *b, const char *s, size_t n);
/* An exact decimal: v units of 10^-scale written with `wire` decimals (wire >= scale pads zeros;
 * wire < scale is treated as scale). Bare (a JSON number) or quoted. */
void sim_buf_dec(sim_buf *b, int64_t v, int scale, int wire, bool quoted);
/* An RFC 3339 UTC time with microseconds ("2021-04-17T16:48:54.045305Z"), quoted. */
void sim_buf_time(sim_buf *b, int64_t ns);
/* Drop the last character if it is c (a trailing comma after a list). */
void sim_buf_unput(sim_buf *b, char c);

#endif
