/* json.h — zero-allocation JSON tokenising for feed frames, over jsmn (Debian libjsmn-dev).
 *
 * jsmn gives each value's exact byte range, so numbers reach the decimal converter as the
 * exchange's own text, never through a double. A th_json owns one token array sized once at start
 * (large enough for a depth-1000 snapshot); parsing a frame allocates nothing. Only json.c
 * includes jsmn.h. */
#ifndef TH_JSON_H
#define TH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TH_JSON_UNDEF = 0, TH_JSON_OBJECT = 1, TH_JSON_ARRAY = 2, TH_JSON_STRING = 3, TH_JSON_PRIMITIVE = 4 };

/* Same layout as jsmntok_t built with JSMN_PARENT_LINKS: the parent index makes closing a
 * container O(1); without it jsmn scans back over every token on each ',' and a depth-1000
 * snapshot (10k tokens) costs quadratic time. */
typedef struct th_jtok { int type, start, end, size, parent; } th_jtok;

typedef struct th_json {
    th_jtok *tok;
    int cap;
    int n;
    const char *src;
} th_json;

int th_json_init(th_json *j, int cap);
void th_json_free(th_json *j);
/* Tokenise; returns the token count (> 0) or a negative error (-1 too many tokens, -2 invalid,
 * -3 truncated). The frame must stay alive while tokens are used. */
int th_json_parse(th_json *j, const char *s, size_t len);
const char *th_json_strerror(int rc);

/* Index of the token after token i's whole subtree. */
int th_json_skip(const th_json *j, int i);
/* Value token of key in object token obj, or -1. */
int th_json_get(const th_json *j, int obj, const char *key);
bool th_json_eq(const th_json *j, int i, const char *s);
static inline const char *th_json_ptr(const th_json *j, int i) { return j->src + j->tok[i].start; }
static inline size_t th_json_len(const th_json *j, int i) { return (size_t)(j->tok[i].end - j->tok[i].start); }
/* Integer value of a primitive or string token (e.g. seq, U/u, checksum). */
int th_json_i64(const th_json *j, int i, int64_t *out);
int th_json_u64(const th_json *j, int i, uint64_t *out);
/* Copies a string/primitive token into buf (NUL-terminated, truncated to cap). */
size_t th_json_copy(const th_json *j, int i, char *buf, size_t cap);

#endif
