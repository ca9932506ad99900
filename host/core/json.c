/* json.c — jsmn adapter (see json.h). */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#define JSMN_PARENT_LINKS
#include <jsmn.h>

_Static_assert(sizeof(th_jtok) == sizeof(jsmntok_t), "th_jtok must mirror jsmntok_t");
_Static_assert(offsetof(th_jtok, size) == offsetof(jsmntok_t, size), "th_jtok must mirror jsmntok_t");

int th_json_init(th_json *j, int cap)
{
    memset(j, 0, sizeof *j);
    j->tok = malloc(sizeof *j->tok * (size_t)cap);
    if (!j->tok) return -1;
    j->cap = cap;
    return 0;
}

void th_json_free(th_json *j)
{
    free(j->tok);
    j->tok = NULL;
}

int th_json_parse(th_json *j, const char *s, size_t len)
{
    jsmn_parser p;
    jsmn_init(&p);
    j->src = s;
    int n = jsmn_parse(&p, s, len, (jsmntok_t *)j->tok, (unsigned)j->cap);
    j->n = n < 0 ? 0 : n;
    if (n == 0) return -2;
    /* jsmn in non-strict mode accepts a trailing fragment of a second value; a frame is one value. */
    if (n > 0 && th_json_skip(j, 0) != n) return -2;
    return n;
}

const char *th_json_strerror(int rc)
{
    switch (rc) {
    case -1: return "frame has more JSON tokens than the parser's capacity";
    case -2: return "invalid JSON";
    case -3: return "truncated JSON";
    default: return "JSON error";
    }
}

int th_json_skip(const th_json *j, int i)
{
    int pending = 1;
    while (pending > 0 && i < j->n) {
        pending += j->tok[i].size - 1;
        i++;
    }
    return i;
}

bool th_json_eq(const th_json *j, int i, const char *s)
{
    size_t n = strlen(s);
    return i >= 0 && i < j->n && th_json_len(j, i) == n && memcmp(th_json_ptr(j, i), s, n) == 0;
}

int th_json_get(const th_json *j, int obj, const char *key)
{
    if (obj < 0 || obj >= j->n || j->tok[obj].type != TH_JSON_OBJECT) return -1;
    int count = j->tok[obj].size, i = obj + 1;
    for (int k = 0; k < count && i < j->n; k++) {
        if (th_json_eq(j, i, key) && j->tok[i].type == TH_JSON_STRING) return i + 1 < j->n ? i + 1 : -1;
        i = th_json_skip(j, i + 1); /* past the value */
    }
    return -1;
}

int th_json_u64(const th_json *j, int i, uint64_t *out)
{
    if (i < 0 || i >= j->n) return -1;
    const char *s = th_json_ptr(j, i);
    size_t n = th_json_len(j, i);
    if (n == 0 || n > 20) return -1;
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9') return -1;
        uint64_t d = (uint64_t)(s[k] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int th_json_i64(const th_json *j, int i, int64_t *out)
{
    if (i < 0 || i >= j->n) return -1;
    const char *s = th_json_ptr(j, i);
    size_t n = th_json_len(j, i);
    int neg = n > 0 && s[0] == '-';
    th_json tmp = *j;
    th_jtok t = j->tok[i];
    if (neg) t.start++;
    tmp.tok = &t;
    tmp.n = 1;
    uint64_t u;
    if (th_json_u64(&tmp, 0, &u) != 0 || u > (uint64_t)INT64_MAX) return -1;
    *out = neg ? -(int64_t)u : (int64_t)u;
    return 0;
}

size_t th_json_copy(const th_json *j, int i, char *buf, size_t cap)
{
    size_t n = th_json_len(j, i);
    if (n >= cap) n = cap - 1;
    memcpy(buf, th_json_ptr(j, i), n);
    buf[n] = 0;
    return n;
}
