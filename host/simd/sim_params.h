/* sim_params.h — strict checks of a REST request's parameters before a venue handler reads them.
 * The handlers copy values into fixed buffers and parse numbers with strto*; a value longer than
 * its buffer, a byte the field cannot hold or a number past its range would otherwise be cut or
 * clamped in silence. Each venue lists its parameters as rules; the first broken rule is reported
 * so that the venue can refuse the request naming that parameter, in its own words. */
#ifndef TH_SIM_PARAMS_H
#define TH_SIM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sim_param_kind {
    SIMP_TEXT,     /* printable bytes (no control byte, no NUL), at most max_len */
    SIMP_CHARSET,  /* only bytes of `charset`, 1..max_len of them */
    SIMP_INT,      /* decimal digits with an optional '-', within [lo, hi] */
    SIMP_UINT64,   /* decimal digits, within 0..UINT64_MAX (a nonce) */
    SIMP_DECIMAL,  /* digits, an optional '.' and digits: 1..20 and 0..20 of them (Binance's range) */
} sim_param_kind;

typedef struct sim_param_rule {
    const char *name;
    sim_param_kind kind;
    size_t max_len;      /* decoded bytes */
    const char *charset; /* SIMP_CHARSET: the allowed bytes */
    int64_t lo, hi;      /* SIMP_INT */
    const char *legal;   /* the venue's words for what is allowed (Binance: its regex), or NULL */
} sim_param_rule;

typedef enum sim_param_fault {
    SIMP_OK,
    SIMP_TOO_LONG,
    SIMP_BAD_BYTE,      /* a byte outside the field's set (NUL and control bytes included) */
    SIMP_OUT_OF_RANGE,  /* a well-formed number past the field's range */
} sim_param_fault;

/* Check every `key=value` pair of an application/x-www-form-urlencoded text (a query or a form
 * body; values are %-decoded as kr_form_get decodes them) against the rules whose name is the
 * key. Returns the first rule broken, with *fault saying how, or NULL when all hold. */
const sim_param_rule *sim_params_check(const char *form, const sim_param_rule *rules, size_t n, sim_param_fault *fault);

/* Strict decimal integer: optional '-' then 1..19 digits, nothing else, within [lo, hi]. */
bool sim_parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out);

#endif
